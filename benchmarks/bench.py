"""Benchmark of the interactive path: ``python -m benchmarks.bench [--json] [--long-side N] [--repeat N]``.

Run it from the repository root (``make bench``). It builds, in memory and
seeded, a photo-like portrait JPEG (4032 px on the long side by default:
gradients, soft shapes, a drawn figure and sensor-like noise, so that its JPEG
size is that of a phone photo) and a plausible anterior view document for it
(:mod:`tests.support.synthetic`), then times (median of ``--repeat`` rounds;
every round runs each step once, in turn, so a slow spell of a noisy machine
slows the baseline as much as the work measured against it):

* ``decode_ms``: a plain ``cv2.imdecode`` of that JPEG, the baseline;
* ``encode_full_ms``: ``cv2.imencode`` JPEG (q90) of the full-size photo;
* ``per_click_ms``: what the app does on every click: move one landmark
  (validated), :func:`posture.analyze`, :func:`posture.render.render_annotated`
  on the ~1400 px display copy, and a JPEG of that copy (q85);
* ``save_ms``: what it does on *Save*: the full-resolution render and its JPEG,
  the view document JSON and the PDF report as the app makes it (overview page,
  a linked client with date of birth, notes and precautions, the cautioned
  planning starter, the practice's details: :data:`REPORT`), all to bytes in
  memory; the disk write and its fsync are left out, they depend on the disk.

* ``detect_ms``: the whole automatic detection of a marked 12 MP JPEG
  (:mod:`tests.support.marked`): its decode, the plumb line, the markers and
  their labels, and the pose model (loaded once beforehand, as the app does).

It prints ``per_click_vs_decode`` (goal ≤ 0.25),
``save_vs_decode_encode`` = save / (decode + full-size encode) (goal ≤ 3) and
``detect_vs_decode`` = detection / one plain decode (goal ≤ 4),
and the peak memory: ``peak_memory_mb`` is the **tracemalloc** peak of the
Python and numpy allocations of one decode + click + save cycle (OpenCV's own
scratch buffers are not seen by it); ``max_rss_mb`` is the process's peak
resident size from ``getrusage`` (interpreter and libraries included), and
``app_rss_mb`` that of a fresh app-like process (:mod:`benchmarks.app_memory`:
Streamlit and the core imported, the pose model loaded, one 12 MP upload
decoded, detected, analysed and drawn; goal under 400 MB).

``python -m posture bench [--json]`` runs the same from the repository root.
"""

from __future__ import annotations

import argparse
import datetime
import json
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import cv2
import numpy as np

from posture import document, images, render, report
from posture.analysis import analyze
from posture.settings import Practice, default_settings
from tests.support.synthetic import synthetic_view

GOAL_PER_CLICK_VS_DECODE = 0.25
GOAL_SAVE_VS_DECODE_ENCODE = 3.0
GOAL_DETECT_VS_DECODE = 4.0
GOAL_RSS_WITH_MODEL_MB = 400.0
#: What the app's report carries besides the view (:func:`ui.client_file.report_pdf`): a linked client with
#: their date of birth, notes and precautions (the planning starter cautioned), the practice's details.
REPORT: dict[str, Any] = {
    "client": "Maria Keller",
    "client_dob": datetime.date(1980, 3, 14),
    "notes": "Desk job, 8 h a day; runs three times a week.",
    "precautions": "Blood clots or a clotting disorder; Other: recent knee arthroscopy",
    "precaution_keys": ("blood_clots_or_clotting_disorders", "other"),
    "other_precaution": "recent knee arthroscopy",
    "practice": Practice("Studio Ruch", "Zofia Nowak", "+48 600 100 200 · studio@example.org"),
}


def _medians_ms(fns: dict[str, Callable[[], object]], repeat: int) -> dict[str, float]:
    """Median time of each function, in ms, the functions taking turns (one round runs each once).

    Interleaving keeps the ratios honest on a noisy machine: a slow spell
    slows the baseline and the measured work alike, instead of whichever was
    being timed at the moment.
    """
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeat):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append((time.perf_counter() - t0) * 1000.0)
    return {k: statistics.median(v) for k, v in times.items()}


def _decode_rgb(buf: np.ndarray) -> np.ndarray:
    """The JPEG in ``buf`` as RGB, as the app holds a photo (``cv2.imdecode`` then BGR → RGB)."""
    bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if bgr is None:
        raise RuntimeError("the synthetic JPEG did not decode")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def run(long_side: int = 4032, repeat: int = 7, *, seed: int = 0) -> dict[str, Any]:
    """Run the benchmark; return the figures (see the module docstring)."""
    height = int(long_side)
    width = int(round(long_side * 3 / 4))
    doc, photo = synthetic_view("anterior", width, height, seed=seed, image_file="anterior.jpg")
    jpeg = images.encode_jpeg(photo, quality=92)
    del photo
    buf = np.frombuffer(jpeg, np.uint8)
    settings = default_settings()
    date = "2025-01-01"

    full = _decode_rgb(buf)
    display, scale = images.display_copy(full)
    result = analyze(doc, settings)
    render.render_annotated(display, doc, result, display_scale=scale)  # warm the label cache as the app would be

    # per click: the therapist drags one landmark a little
    lm = doc.landmarks["acromion_r"]
    state = {"i": 0}

    def click() -> None:
        state["i"] += 1
        dx = 3.0 * ((state["i"] % 5) - 2)
        moved = doc.with_landmark("acromion_r", (lm.x + dx, lm.y - dx))
        res = analyze(moved, settings)
        shown = render.render_annotated(display, moved, res, display_scale=scale)
        images.encode_jpeg(shown, quality=85)

    def the_report() -> bytes:
        printed = report.annotate_for_report(display, doc, result, display_scale=scale, client=REPORT["client"], date=date)
        return report.build_report([(doc, result, printed)], date=date, **REPORT)

    def save() -> tuple[bytes, bytes, bytes]:
        annotated = render.render_annotated(full, doc, result, caption=render.caption_text(doc.view, date, REPORT["client"]))
        image_bytes = images.encode_jpeg(annotated)
        doc_bytes = document.dumps(doc).encode("utf-8")
        return image_bytes, doc_bytes, the_report()

    save()  # warm: fonts and label cache
    t = _medians_ms(
        {
            "decode": lambda: cv2.imdecode(buf, cv2.IMREAD_COLOR),
            "encode_full": lambda: images.encode_jpeg(full),
            "click": click,
            "analyze": lambda: analyze(doc.with_landmark("acromion_r", (lm.x + 1, lm.y)), settings),
            "render_display": lambda: render.render_annotated(display, doc, result, display_scale=scale),
            "encode_display": lambda: images.encode_jpeg(display, quality=85),
            "save": save,
            "render_full": lambda: render.render_annotated(full, doc, result),
            "report_pdf": the_report,
        },
        repeat,
    )
    decode_ms, encode_full_ms, per_click_ms, save_ms = t["decode"], t["encode_full"], t["click"], t["save"]
    parts = {f"{k}_ms": t[k] for k in ("analyze", "render_display", "encode_display")}
    save_parts = {f"{k}_ms": t[k] for k in ("render_full", "report_pdf")}
    sizes = save()

    # memory: one decode + click + save cycle under tracemalloc (timings above ran without it)
    del full, display
    tracemalloc.start()
    full2 = _decode_rgb(buf)
    display, scale = images.display_copy(full2)
    full = full2
    click()
    save()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    det = _detect_figures(long_side, repeat, seed=seed)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform == "darwin" else 1)  # KiB (bytes on macOS)

    return {
        "image": {"width": width, "height": height, "jpeg_mb": round(len(jpeg) / 1e6, 2)},
        "display": {"width": int(display.shape[1]), "height": int(display.shape[0])},
        "repeat": repeat,
        "decode_ms": round(decode_ms, 2),
        "encode_full_ms": round(encode_full_ms, 2),
        "per_click_ms": round(per_click_ms, 2),
        "per_click_parts_ms": {k: round(v, 2) for k, v in parts.items()},
        "save_ms": round(save_ms, 2),
        "save_parts_ms": {k: round(v, 2) for k, v in save_parts.items()},
        "save_sizes_kb": {
            "annotated_jpeg": round(len(sizes[0]) / 1024),
            "view_document": round(len(sizes[1]) / 1024, 1),
            "report_pdf": round(len(sizes[2]) / 1024),
        },
        "per_click_vs_decode": round(per_click_ms / decode_ms, 3),
        "save_vs_decode_encode": round(save_ms / (decode_ms + encode_full_ms), 3),
        "peak_memory_mb": round(peak / 2**20, 1),
        "peak_memory_source": "tracemalloc peak (Python + numpy allocations) over one decode + click + save cycle",
        "max_rss_mb": round(rss / 1024, 1),
        "max_rss_source": "getrusage ru_maxrss of the whole benchmark process (interpreter and libraries included, pose model loaded)",
        **det,
        "goals": {
            "per_click_vs_decode": GOAL_PER_CLICK_VS_DECODE,
            "save_vs_decode_encode": GOAL_SAVE_VS_DECODE_ENCODE,
            "detect_vs_decode": GOAL_DETECT_VS_DECODE,
            "app_rss_mb": GOAL_RSS_WITH_MODEL_MB,
        },
    }


def _app_memory(jpeg: bytes) -> dict[str, float]:
    """The app-like process's peak RSS with the model loaded, measured in a fresh process (:mod:`benchmarks.app_memory`)."""
    import subprocess
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="posture-bench-") as tmp:
        photo = Path(tmp) / "marked.jpg"
        photo.write_bytes(jpeg)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.app_memory", str(photo)], capture_output=True, text=True, check=True, timeout=300
        )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def _detect_figures(long_side: int, repeat: int, *, seed: int) -> dict[str, Any]:
    """``detect_vs_decode``: the whole detection of a marked JPEG (decode, plumb line, markers, pose) / one decode.

    The photo is a synthetic marked anterior view (:mod:`tests.support.marked`)
    at the benchmark's size; both timings run in turns, like the others.
    """
    from posture import detect
    from tests.support.marked import marked_photo

    height, width = int(long_side), int(round(long_side * 3 / 4))
    shot = marked_photo("anterior", size=(width, height), seed=seed, jpeg_quality=90)
    assert shot.jpeg is not None
    buf = np.frombuffer(shot.jpeg, np.uint8)
    model = detect.load_pose_model()

    def whole() -> object:
        return detect.detect(_decode_rgb(buf), "anterior", pose_model=model)

    found = whole()  # warm: the model's first call allocates its tensors
    t = _medians_ms({"decode": lambda: cv2.imdecode(buf, cv2.IMREAD_COLOR), "detect": whole}, repeat)
    assert isinstance(found, detect.Detection)
    return {
        **_app_memory(shot.jpeg),
        "detect_ms": round(t["detect"], 2),
        "detect_decode_ms": round(t["decode"], 2),
        "detect_vs_decode": round(t["detect"] / t["decode"], 3),
        "detect_found": {
            "markers": len(found.markers),
            "suggestions": len(found.suggestions),
            "plumb_marks": len(found.plumb_marks),
        },
    }


def format_text(r: dict[str, Any]) -> str:
    ok = {True: "ok", False: "OVER GOAL"}
    img = r["image"]
    lines = [
        f"Photo {img['width']}×{img['height']} JPEG {img['jpeg_mb']} MB; display copy {r['display']['width']}×{r['display']['height']};"
        f" median of {r['repeat']}",
        f"  decode (cv2.imdecode, baseline)   {r['decode_ms']:8.1f} ms",
        f"  encode full-size JPEG q90         {r['encode_full_ms']:8.1f} ms",
        f"  per click                         {r['per_click_ms']:8.1f} ms  "
        + ", ".join(f"{k[:-3]} {v:.1f}" for k, v in r["per_click_parts_ms"].items()),
        f"  save                              {r['save_ms']:8.1f} ms  "
        + ", ".join(f"{k[:-3]} {v:.1f}" for k, v in r["save_parts_ms"].items()),
        f"per_click_vs_decode    {r['per_click_vs_decode']:.3f}  (goal ≤ {GOAL_PER_CLICK_VS_DECODE}) "
        f"{ok[r['per_click_vs_decode'] <= GOAL_PER_CLICK_VS_DECODE]}",
        f"save_vs_decode_encode  {r['save_vs_decode_encode']:.3f}  (goal ≤ {GOAL_SAVE_VS_DECODE_ENCODE}) "
        f"{ok[r['save_vs_decode_encode'] <= GOAL_SAVE_VS_DECODE_ENCODE]}",
        f"  detection (decode + plumb + markers + pose) {r['detect_ms']:8.1f} ms, found {r['detect_found']}",
        f"detect_vs_decode       {r['detect_vs_decode']:.3f}  (goal ≤ {GOAL_DETECT_VS_DECODE}) "
        f"{ok[r['detect_vs_decode'] <= GOAL_DETECT_VS_DECODE]}",
        f"peak memory {r['peak_memory_mb']:.1f} MB ({r['peak_memory_source']})",
        f"max RSS {r['max_rss_mb']:.1f} MB ({r['max_rss_source']})",
        f"app process with the pose model, after one 12 MP upload: {r['app_rss_mb']:.1f} MB RSS "
        f"(goal < {GOAL_RSS_WITH_MODEL_MB:g}) {ok[r['app_rss_mb'] < GOAL_RSS_WITH_MODEL_MB]}",
    ]
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None, prog: str = "python -m benchmarks.bench") -> int:
    """``python -m benchmarks.bench [--json] [--long-side N] [--repeat N]``: 0, or 2 on a bad argument."""
    p = argparse.ArgumentParser(prog=prog, description="Time the per-click, save and detection paths on a synthetic 12 MP photo.")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--long-side", type=int, default=4032, help="long side of the synthetic photo in px (default 4032)")
    p.add_argument("--repeat", type=int, default=7, help="repetitions per timing, the median is reported (default 7)")
    args = p.parse_args(argv)
    if args.long_side < 200 or args.long_side > 12000:
        print("error: --long-side must be between 200 and 12000 pixels.", file=sys.stderr)
        return 2
    if args.repeat < 1:
        print("error: --repeat must be at least 1.", file=sys.stderr)
        return 2
    r = run(args.long_side, args.repeat)
    sys.stdout.write(json.dumps(r, indent=2) + "\n" if args.json else format_text(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
