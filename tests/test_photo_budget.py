"""Issue 12, "no accepted input costs more than 500 MB or a minute": the largest photos the app accepts, from upload
to the saved client file.

An upload above :data:`posture.images.WORKING_PIXELS` is reduced as it is decoded (a JPEG by the decoder itself,
other formats strip by strip), so the whole path the app takes (decode, full-size annotated image, the PDF, the
client file's stored copies) runs on at most 12.5 MP. Each case runs in a fresh process that reports its own peak
resident memory (VmHWM) and time; the photos are made in the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_core import REPO
from PIL import Image
from test_cli_inputs import PEAK_KB

from posture import document, images

_UPLOAD_TO_FILE = (
    PEAK_KB
    + r"""
import json, sys, tempfile, time
from datetime import date
from pathlib import Path
from posture import analyze, images, render, report
from posture.document import ViewDocument
from posture.store import Store, ViewDraft, VisitDraft

t0 = time.monotonic()
data = Path(sys.argv[1]).read_bytes()
rgb = images.decode_image(data, "upload", max_pixels=images.WORKING_PIXELS)  # what the app's upload does
h, w = rgb.shape[:2]
doc = ViewDocument(view="anterior", image_width=float(w), image_height=float(h))
ids = ["glabella", "acromion_r", "acromion_l", "asis_r", "asis_l", "patella_r", "patella_l",
       "medial_malleolus_r", "medial_malleolus_l"]
for i, lm in enumerate(ids):
    doc = doc.with_landmark(lm, ((0.3 + 0.4 * (i % 2)) * (w - 1), (i + 1) / (len(ids) + 1) * (h - 1)))
result = analyze(doc)
annotated = render.render_annotated(rgb, doc, result, grid=True, caption="Anterior · 2026-12-02 · Client")
small = report.annotate_for_report(rgb, doc, result, client="Client", date="2026-12-02")
pdf = report.build_report([(doc, result, small)], client="Client", date="2026-12-02")
with Store(tempfile.mkdtemp()) as store:
    c = store.create_client("Budget Probe", consent_photography=True, consent_date=date(2026, 1, 1))
    store.add_visit(c.id, VisitDraft(date(2026, 12, 2), "", (ViewDraft(doc, result, rgb, annotated),), pdf))
print(json.dumps({"peak_mb": peak_kb() / 1024, "seconds": time.monotonic() - t0, "size": [w, h],
                  "mean": float(rgb.mean())}))
"""
)


def _run(path: Path) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _UPLOAD_TO_FILE, str(path)], capture_output=True, text=True, env=env, timeout=300
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _photo(w: int, h: int, channels: int = 3) -> np.ndarray:
    """Noise over a gradient: the worst case for a JPEG's size and a decoder's work, with a known mean."""
    rng = np.random.default_rng(w * h)
    ramp = np.linspace(40, 215, h, dtype=np.float32)[:, None, None]
    noise = rng.integers(-40, 41, (h, w, 1), dtype=np.int16)
    out = np.clip(ramp + noise, 0, 255).astype(np.uint8)
    return np.repeat(out, channels, axis=2)


@pytest.mark.parametrize(
    ("w", "h", "fmt"),
    [
        (6704, 8944, "jpg"),  # the largest accepted 3:4 photo: decoded at half scale by the JPEG decoder
        (6000, 8000, "jpg"),  # 48 MP: just too small for half scale, so decoded in full, averaged strip by strip
        (3162, 18972, "jpg"),  # the largest accepted 1:6 photo
        (6704, 8944, "png"),  # 60 MP with transparency: composited and averaged strip by strip
        (6100, 8100, "png"),  # 49 MP with transparency: reduced by less than half, still strip by strip
    ],
)
def test_the_largest_accepted_photos_cost_under_500_mb_and_a_minute_from_upload_to_client_file(
    tmp_path: Path, w: int, h: int, fmt: str
) -> None:
    path = tmp_path / f"big.{fmt}"
    if fmt == "png":
        rgba = _photo(w, h, 4)
        rgba[..., 3] = 255
        rgba[: h // 4, :, 3] = 0  # the top quarter transparent: white on the page
        Image.fromarray(rgba, "RGBA").save(path, compress_level=1)
        expected = (
            rgba[..., :3].astype(np.float64).sum() - rgba[: h // 4, :, :3].astype(np.float64).sum() + 255.0 * 3 * (h // 4) * w
        ) / (3 * h * w)
        del rgba
    else:
        rgb = _photo(w, h)
        path.write_bytes(images.encode_jpeg(rgb, 92))
        expected = float(rgb.mean())
        del rgb
    got = _run(path)
    assert got["size"] == list(images.working_size(w, h)), got
    assert got["peak_mb"] < 500, got
    assert got["seconds"] < 60, got
    assert abs(got["mean"] - expected) < 1.5, (got, expected)  # averaged down, not shifted or flattened


def test_a_12_mp_phone_photo_is_kept_as_it_is() -> None:
    assert images.working_size(4032, 3024) == (4032, 3024)
    assert images.working_size(3024, 4032) == (3024, 4032)


@pytest.mark.parametrize(("w", "h"), [(6000, 8000), (8000, 6000), (5000, 3000), (3162, 18972)])
def test_the_working_size_keeps_the_shape_within_the_budget(w: int, h: int) -> None:
    tw, th = images.working_size(w, h)
    assert tw * th <= images.WORKING_PIXELS < (tw + 1) * (th + 1) * 1.01
    assert abs(tw / th - w / h) < 2 / min(tw, th)


def test_an_upload_is_reduced_with_its_exif_turn_and_the_app_says_so(tmp_path: Path) -> None:
    from ui import model, views

    rgb = _photo(6000, 4000)  # stored landscape, EXIF orientation 6: a portrait photo
    img = Image.fromarray(rgb)
    exif = img.getexif()
    exif[0x0112] = 6
    buf = tmp_path / "turned.jpg"
    img.save(buf, quality=90, exif=exif)
    a = model.Assessment()
    assert a.ingest("anterior", "turned.jpg", buf.read_bytes()) is None
    photo = a.views["anterior"].photo
    tw, th = images.working_size(6000, 4000)
    assert (photo.width, photo.height) == (th, tw)  # turned upright after the reduction
    assert a.views["anterior"].doc.image_width == th
    assert "the 24 MP upload is worked on at 12.5 MP" in views.pixels_words(photo)
    # a document placed on the full-size photo (by hand, or by `detect`) goes onto the copy, its points scaled
    full = document.ViewDocument(view="anterior", image_width=4000.0, image_height=6000.0)
    full = full.with_landmark("glabella", (2000.0, 600.0))
    assert a.ingest("anterior", "anterior.json", document.dumps(full).encode()) is None
    placed = a.views["anterior"].doc
    assert (placed.image_width, placed.image_height) == (th, tw)
    assert placed.landmarks["glabella"].x == pytest.approx(2000.0 * th / 4000)
    assert placed.landmarks["glabella"].y == pytest.approx(600.0 * tw / 6000)
    # one made for another photo still gets its sentence
    other = document.ViewDocument(view="anterior", image_width=3000.0, image_height=4000.0)
    said = a.ingest("anterior", "other.json", document.dumps(other).encode())
    assert said is not None and "made for a 3000 × 4000 photo" in said and "\n" not in said
    # a photo of a saved visit keeps every pixel: its document's points are in them
    kept = a.photo_from_bytes("stored.jpg", images.encode_jpeg(rgb, 90))
    assert (kept.width, kept.height) == (6000, 4000) and kept.original_size is None
    assert views.pixels_words(kept) == "the original's pixels"


def _cli_peak(tmp_path: Path, *args: str) -> tuple[int, float, str]:
    from test_cli_inputs import _MEASURED

    env = {k: v for k, v in os.environ.items() if k != "POSTURE_SETTINGS"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run([sys.executable, "-c", _MEASURED, *args], capture_output=True, text=True, env=env, timeout=300)
    peak = next(int(line.split("=")[1]) for line in proc.stderr.splitlines() if line.startswith("maxrss_kb="))
    return proc.returncode, peak / 1024, proc.stderr


def test_the_command_line_draws_a_full_size_document_on_the_working_copy_under_500_mb(tmp_path: Path) -> None:
    """A 48 MP photo with a document placed on it at full size (by hand, or by an earlier version): ``render`` and
    ``report`` read the photo at the working size and draw the document at that scale; ``detect`` works on the
    same copy as the app's upload."""
    sample = json.loads((REPO / "sample_images" / "anterior.json").read_text())
    k = 5  # the sample is 1200 × 1600: five times is 6000 × 8000
    photo = np.asarray(Image.open(REPO / "sample_images" / "anterior.jpg").convert("RGB").resize((6000, 8000)))
    (tmp_path / "anterior.jpg").write_bytes(images.encode_jpeg(photo, 90))
    del photo
    sample["image"] = {"file": "anterior.jpg", "width": 6000, "height": 8000}
    for p in sample["landmarks"].values():
        p["x"], p["y"] = p["x"] * k, p["y"] * k
    for part in ("vertical", "scale"):
        for end in ("p1", "p2"):
            sample["calibration"][part][end] = [v * k for v in sample["calibration"][part][end]]
    sample.pop("suggestions", None)
    sample.pop("detection", None)
    (tmp_path / "anterior.json").write_text(json.dumps(sample))

    code, peak, err = _cli_peak(tmp_path, "render", str(tmp_path / "anterior.json"), "--out", str(tmp_path / "a.jpg"))
    assert code == 0, err
    assert peak < 500, f"render peaked at {peak:.0f} MB"
    assert Image.open(tmp_path / "a.jpg").size == images.working_size(6000, 8000)
    code, peak, err = _cli_peak(tmp_path, "report", str(tmp_path), "--out", str(tmp_path / "r.pdf"))
    assert code == 0, err
    assert peak < 500, f"report peaked at {peak:.0f} MB"
    code, peak, err = _cli_peak(tmp_path, "detect", str(tmp_path / "anterior.jpg"), "--view", "anterior")
    assert code == 0, err
    assert peak < 500, f"detect peaked at {peak:.0f} MB"
