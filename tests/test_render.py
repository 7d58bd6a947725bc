"""Annotated images: geometry of the overlay, golden images, the CLI ``render`` command.

Golden images live in ``tests/golden/``. A rendering matches its golden image
when the mean absolute difference is below 2 grey levels and fewer than 0.5 %
of the pixels differ by more than 40 (antialiasing and font hinting may move a
little between library versions). After an intended change of the drawing,
regenerate them and look at them:

    POSTURE_REGEN_GOLDEN=1 .venv/bin/python -m pytest tests/test_render.py

A regenerating run skips every golden test it rewrote (it checked nothing);
a normal run never writes a golden image, except one that is missing, and
then it fails.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image
from support.synthetic import synthetic_document, synthetic_photo

from posture import analyze, document, landmarks, render
from posture.document import Calibration, ViewDocument
from posture.errors import ImageError
from posture.frame import build_frame
from posture.render import labels
from posture.result import worst_severity

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden"
REGEN = os.environ.get("POSTURE_REGEN_GOLDEN") == "1"
MAX_MEAN_DIFF = 2.0
MAX_FRACTION_OVER_40 = 0.005


def _flat_background(w: int, h: int) -> np.ndarray:
    """A quiet, deterministic background: a soft vertical gradient (no noise, so goldens are stable)."""
    ramp = np.linspace(215, 165, h, dtype=np.float32)[:, None, None]
    tint = np.array([1.0, 0.98, 0.94], np.float32)
    return np.broadcast_to(ramp * tint, (h, w, 3)).astype(np.uint8).copy()


def _render(view: str, w: int = 300, h: int = 400, **kwargs) -> np.ndarray:
    doc = synthetic_document(view, w, h, roll_deg=2.0 if view == "posterior" else 0.6)
    return render.render_annotated(_flat_background(w, h), doc, analyze(doc), **kwargs)


# --- golden images ----------------------------------------------------------------------

GOLDEN_CASES = {
    "anterior_grid_caption": dict(view="anterior", grid=True, caption="Anterior (front) · 2025-03-14 · Łucja Żółć"),
    "posterior": dict(view="posterior"),
    "right_lateral": dict(view="right_lateral", caption="Right lateral (right side)"),
    "left_lateral_no_legend": dict(view="left_lateral", legend=False),
}


def _check_golden(out: np.ndarray, path: Path, regen: bool) -> None:
    """Compare ``out`` with the golden image at ``path``; with ``regen``, rewrite it and skip (nothing was checked)."""
    if regen or not path.exists():
        path.parent.mkdir(exist_ok=True)
        cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
        if regen:
            pytest.skip(f"golden image {path.name} was rewritten (POSTURE_REGEN_GOLDEN=1): look at it before committing it")
        pytest.fail(f"golden image {path.name} was missing and has been written: look at it, then rerun")
    expected = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert expected.shape == out.shape
    diff = np.abs(expected.astype(np.int16) - out.astype(np.int16))
    mean = float(diff.mean())
    over = float((diff.max(axis=2) > 40).mean())
    assert mean < MAX_MEAN_DIFF and over < MAX_FRACTION_OVER_40, (
        f"{path.stem}: mean abs diff {mean:.2f} (limit {MAX_MEAN_DIFF}), {over:.2%} pixels off by > 40 "
        f"(limit {MAX_FRACTION_OVER_40:.1%}); if the change is intended: POSTURE_REGEN_GOLDEN=1 pytest tests/test_render.py"
    )


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden(name):
    case = dict(GOLDEN_CASES[name])
    out = _render(case.pop("view"), **case)
    path = GOLDEN / f"{name}.png"
    before = path.read_bytes() if path.exists() and not REGEN else None
    _check_golden(out, path, REGEN)
    if before is not None:
        assert path.read_bytes() == before, "a normal run must never rewrite a golden image"


def test_golden_check_never_writes_in_a_normal_run(tmp_path):
    """A normal run leaves an existing golden image alone, also when the drawing differs (it fails instead)."""
    out = _render("anterior")
    path = tmp_path / "golden" / "case.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR))
    written = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    _check_golden(out, path, regen=False)  # the same drawing passes
    changed = out.copy()
    changed[:, : out.shape[1] // 2] = 0
    with pytest.raises(AssertionError, match="mean abs diff"):
        _check_golden(changed, path, regen=False)
    assert path.read_bytes() == written and path.stat().st_mtime_ns == stamp


def test_golden_regeneration_skips_and_a_missing_golden_fails(tmp_path):
    out = _render("posterior")
    path = tmp_path / "golden" / "case.png"
    with pytest.raises(pytest.fail.Exception, match="was missing"):
        _check_golden(out, path, regen=False)
    assert path.exists()  # written, to be looked at
    path.write_bytes(b"stale")
    with pytest.raises(pytest.skip.Exception, match="rewritten"):
        _check_golden(out, path, regen=True)
    rewritten = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    assert np.array_equal(rewritten, out)


# --- the contract of render_annotated ---------------------------------------------------


@pytest.mark.parametrize("view", ["anterior", "posterior", "right_lateral", "left_lateral"])
def test_input_untouched_and_same_size(view):
    doc = synthetic_document(view, 600, 800)
    image = synthetic_photo(600, 800, view=view)
    before = image.copy()
    out = render.render_annotated(image, doc, analyze(doc), grid=True, caption="x")
    assert np.array_equal(image, before)
    assert out.shape == image.shape and out.dtype == np.uint8
    assert not np.shares_memory(out, image)
    assert np.abs(out.astype(int) - image.astype(int)).sum() > 0  # something was drawn


def test_read_only_input_is_fine():
    doc = synthetic_document("anterior", 300, 400)
    image = _flat_background(300, 400)
    image.setflags(write=False)
    render.render_annotated(image, doc, analyze(doc))


def test_rejects_non_rgb():
    doc = synthetic_document("anterior", 300, 400)
    with pytest.raises(ValueError, match="RGB"):
        render.render_annotated(np.zeros((400, 300), np.uint8), doc, analyze(doc))
    with pytest.raises(ValueError, match="display_scale"):
        render.render_annotated(_flat_background(300, 400), doc, analyze(doc), display_scale=0)


def test_display_scale_places_dots_where_expected():
    """The app draws on a downscaled display copy: every original coordinate is multiplied by the scale."""
    doc = synthetic_document("anterior", 3024, 4032)
    result = analyze(doc)
    small = _flat_background(756, 1008)
    scale = 0.25
    overlay = render.build_overlay(doc, result, 756, 1008, display_scale=scale, legend=False)
    for i, lm in doc.landmarks.items():
        dot = overlay.dot(i)
        assert dot is not None
        assert dot.center == pytest.approx((lm.x * scale, lm.y * scale), abs=1e-9)
    out = render.render_annotated(small, doc, result, display_scale=scale, legend=False)
    for i, lm in doc.landmarks.items():
        x, y = round(lm.x * scale - 0.5), round(lm.y * scale - 0.5)
        dot = overlay.dot(i)
        assert np.abs(out[y, x].astype(int) - np.array(dot.color)).max() <= 40, i
    # the plumb line runs through its (scaled) anchor
    anchor = np.array(result["plumb_line"]["p1"]) * scale
    plumb = overlay.strokes[0].points
    d = plumb[1] - plumb[0]
    cross = d[0] * (anchor[1] - plumb[0][1]) - d[1] * (anchor[0] - plumb[0][0])
    assert abs(cross) / np.hypot(*d) < 1e-6


def test_plumb_line_and_horizontals_follow_the_true_vertical():
    roll = 4.0
    doc = synthetic_document("posterior", 900, 1200, roll_deg=roll)
    result = analyze(doc)
    assert result["vertical_roll_deg"] == pytest.approx(roll, abs=1e-6)
    overlay = render.build_overlay(doc, result, 900, 1200, legend=False, grid=True)
    t = math.radians(roll)
    up = np.array([math.sin(t), -math.cos(t)])
    plumb = overlay.strokes[0].points
    d = (plumb[1] - plumb[0]) / np.hypot(*(plumb[1] - plumb[0]))
    assert abs(abs(float(d @ up)) - 1) < 1e-9
    assert min(plumb[:, 1]) <= 1e-6 and max(plumb[:, 1]) >= 1200 - 1e-6  # the whole height
    # the grid: every line parallel or perpendicular to the true vertical, 10 cm apart
    assert overlay.grid
    for seg in overlay.grid:
        v = (seg[1] - seg[0]) / np.hypot(*(seg[1] - seg[0]))
        assert min(abs(abs(float(v @ up)) - 1), abs(float(v @ up))) < 1e-9
    horiz = np.array([math.cos(t), math.sin(t)])
    step_px = 10.0 / result["cm_per_px"]
    for direction, across in ((up, horiz), (horiz, up)):
        offsets = sorted(
            float(seg[0] @ across)
            for seg in overlay.grid
            if abs(abs(float((seg[1] - seg[0]) @ direction)) - np.hypot(*(seg[1] - seg[0]))) < 1e-6
        )
        assert len(offsets) >= 3
        assert np.allclose(np.diff(offsets), step_px, rtol=1e-9)
    # the dashed references through the right acromion are perpendicular to the true vertical
    r = np.array(doc.landmarks["acromion_r"].xy)
    dashes = [
        s.points
        for s in overlay.strokes
        if len(s.points) == 2 and s.color == render.REFERENCE_COLOR and abs(float((s.points[0] - r) @ up)) < 1e-6
    ]
    assert dashes
    for seg in dashes:
        v = seg[1] - seg[0]
        assert abs(float(v @ up)) < 1e-6 * np.hypot(*v)


def test_dots_take_the_worst_severity():
    doc = synthetic_document("anterior", 900, 1200)
    result = analyze(doc)
    overlay = render.build_overlay(doc, result, 900, 1200)
    worst: dict[str, str | None] = {}
    anchors = {"medial_malleolus_r", "medial_malleolus_l"}
    for mid, m in result["measurements"].items():
        plumb_only = mid in ("head_shift", "trunk_shift", "pelvic_shift")
        for lm in m["landmarks"]:
            if plumb_only and lm in anchors:
                continue  # the plumb anchor is the reference of an offset, not its subject
            worst[lm] = worst_severity([worst.get(lm), m["severity"]])
    for d in overlay.dots:
        assert d.severity == worst.get(d.landmark), d.landmark
    severities = {d.severity for d in overlay.dots}
    assert "moderate" in severities and "normal" in severities


@pytest.mark.parametrize("view", ["anterior", "posterior", "right_lateral", "left_lateral"])
@pytest.mark.parametrize(
    ("w", "h", "text_scale"), [(750, 1000, 1.0), (1000, 750, 1.0), (1050, 1400, 1.0), (1125, 1500, 1.35), (3024, 4032, 1.0)]
)
def test_labels_do_not_overlap_each_other(view, w, h, text_scale):
    """At the app's display size (~1000 px), the report's (1500 px, larger text) and a phone's 12 MP, portrait or landscape."""
    doc = synthetic_document(view, w, h, roll_deg=2.0)
    overlay = render.build_overlay(doc, analyze(doc), w, h, caption="caption", grid=True, text_scale=text_scale)
    rects = [t.rect for t in overlay.texts]
    assert len(rects) > len(doc.landmarks)  # every dot's label, the measurement labels, legend, caption
    for i, a in enumerate(rects):
        assert a[0] >= 0 and a[1] >= 0 and a[2] <= w and a[3] <= h  # nothing cut off at the edges
        for b in rects[i + 1 :]:
            ow = min(a[2], b[2]) - max(a[0], b[0])
            oh = min(a[3], b[3]) - max(a[1], b[1])
            assert ow <= 0 or oh <= 0, (view, a, b)


def _apex(triangle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The apex of an arrow head (the vertex opposite its shortest side) and the midpoint of that side."""
    sides = [float(np.hypot(*(triangle[(k + 1) % 3] - triangle[(k + 2) % 3]))) for k in range(3)]
    k = int(np.argmin(sides))
    return triangle[k], (triangle[(k + 1) % 3] + triangle[(k + 2) % 3]) / 2


_OFFSET_POINTS = {
    "anterior": {"head_shift": ("glabella",), "trunk_shift": ("sternal_notch",), "pelvic_shift": ("asis_r", "asis_l")},
    "posterior": {"trunk_shift": ("c7",)},
    "right_lateral": {"ear_plumb_offset": ("tragus",), "shoulder_plumb_offset": ("acromion",),
                      "hip_plumb_offset": ("greater_trochanter",), "knee_plumb_offset": ("knee",)},
}  # fmt: skip
_OFFSET_POINTS["left_lateral"] = _OFFSET_POINTS["right_lateral"]


@pytest.mark.parametrize("view", sorted(_OFFSET_POINTS))
@pytest.mark.parametrize(("w", "h"), [(750, 1000), (3024, 4032)])
def test_offset_arrows_point_from_the_plumb_line_to_the_point(view, w, h):
    """Each offset's arrow head points away from the plumb line toward its landmark and is not hidden under the dot.

    A short offset (a centimetre is a few px on a display copy) still shows its
    direction: the head then sits just beyond the dot.
    """
    doc = synthetic_document(view, w, h, roll_deg=1.5)
    result = analyze(doc)
    overlay = render.build_overlay(doc, result, w, h, legend=False)
    t = math.radians(result["vertical_roll_deg"])
    up, horiz = np.array([math.sin(t), -math.cos(t)]), np.array([math.cos(t), math.sin(t)])
    anchor = np.array(result["plumb_line"]["p1"])
    heads = [s.points for s in overlay.strokes if s.fill]
    checked = 0
    for mid, ids in _OFFSET_POINTS[view].items():
        m = result["measurements"][mid]
        if round(abs(m["value"]), 1) == 0:
            continue  # shown as 0.0: nothing to point at
        p = np.mean([doc.landmarks[i].xy for i in ids], axis=0)
        side = float((p - anchor) @ horiz)  # image px from the plumb line, + to the image right
        head = min(heads, key=lambda tri: abs(float((tri.mean(axis=0) - p) @ up)))  # the head at this point's height
        apex, base = _apex(head)
        assert abs(float((apex - p) @ up)) < 1.0, mid  # level with the point (the arrow is horizontal)
        assert float((apex - base) @ horiz) * side > 0, mid  # points away from the line, to the point's side
        assert float((base - anchor) @ horiz) * side > 0, mid  # on the point's side of the line
        dot = overlay.dot(ids[0]) if len(ids) == 1 else None
        if dot is not None:
            assert min(float(np.hypot(*(v - p))) for v in head) >= dot.radius, mid  # clear of the dot
        checked += 1
    assert checked


def test_spine_levels_take_the_spine_deviation_colour():
    """Every level ``spine_deviation`` searches takes part in it, so its dot is at least as severe (spec §4)."""
    doc = synthetic_document("posterior", 900, 1200, roll_deg=2.0)
    result = analyze(doc)
    sd = result["measurements"]["spine_deviation"]
    assert sd["severity"] not in (None, "normal")  # the synthetic client's spine deviates
    overlay = render.build_overlay(doc, result, 900, 1200)
    for level in ("t3", "t7", "t12", "l3"):
        others = [m["severity"] for mid, m in result["measurements"].items() if level in m["landmarks"]]
        assert overlay.dot(level).severity == worst_severity([sd["severity"], *others]), level


def test_legend_lists_the_calibration_marks_when_there_are_any():
    def legend_height(doc):
        overlay = render.build_overlay(doc, analyze(doc), 600, 800)
        return next(t for t in overlay.texts if t.key == "legend").patch.shape[0]

    assert legend_height(synthetic_document("anterior", 600, 800)) > legend_height(
        synthetic_document("anterior", 600, 800, scale=False, vertical=False)
    )


def test_sizes_follow_the_image():
    small = render.Style.for_size(1000, 750)
    big = render.Style.for_size(4032, 3024)
    assert big.line > small.line and big.font > 3 * small.font // 1.5
    assert big.font / small.font == pytest.approx(4.032, rel=0.1)


def test_without_scale_anchor_or_landmarks():
    doc = synthetic_document("anterior", 300, 400, scale=False, vertical=False)
    overlay = render.build_overlay(doc, analyze(doc), 300, 400, grid=True)
    assert overlay.grid == []  # no scale: no 10 cm grid
    bare = ViewDocument(view="right_lateral", calibration=Calibration(), image_width=300, image_height=400)
    out = render.render_annotated(_flat_background(300, 400), bare, analyze(bare), caption="empty")
    assert out.shape == (400, 300, 3)


def test_unicode_caption_is_drawn():
    a = _render("anterior", caption="Łucja Żółć")
    b = _render("anterior", caption="Lucja Zolc")
    band = slice(370, 400)
    assert not np.array_equal(a[band], b[band])  # the diacritics are drawn, not dropped
    font = labels.font(20)
    for ch in "ŁŻółćŚ":
        assert font.getmask(ch).getbbox() is not None, ch


def test_display_scale_for():
    doc = synthetic_document("anterior", 3024, 4032)
    assert render.display_scale_for(doc, 3024, 4032) == 1.0
    assert render.display_scale_for(doc, 756, 1008) == pytest.approx(0.25)
    with pytest.raises(ImageError, match="right photo"):
        render.display_scale_for(doc, 4032, 3024)


def test_short_labels():
    assert render.short_label("acromion_r") == "R acromion"
    assert render.short_label("achilles_l") == "L Achilles"
    assert render.short_label("c7") == "C7"
    assert render.caption_text("anterior", "2025-03-14", "Łucja Żółć") == "Anterior (front) · 2025-03-14 · Łucja Żółć"


# --- CLI --------------------------------------------------------------------------------


def _cli(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_SETTINGS"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-m", "posture", *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture
def view_folder(tmp_path):
    """A view document and its photo (with EXIF, like a phone's) in a folder."""
    doc = synthetic_document("anterior", 600, 800, image_file="front.jpg")
    photo = Image.fromarray(synthetic_photo(600, 800))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0131] = "secret-software"  # Software
    photo.save(tmp_path / "front.jpg", quality=90, exif=exif)
    document.save(doc, tmp_path / "anterior.json")
    return tmp_path


def test_cli_render_jpeg_without_exif(view_folder):
    out = view_folder / "annotated.jpg"
    res = _cli("render", str(view_folder / "anterior.json"), "--out", str(out), "--grid", "--client", "Łucja Żółć")
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    img = Image.open(io.BytesIO(data))
    assert img.size == (600, 800)
    assert len(img.getexif()) == 0
    assert b"Exif" not in data and b"secret-software" not in data


def test_cli_render_png_with_image_option(view_folder, tmp_path):
    out = tmp_path / "annotated.png"
    res = _cli("render", str(view_folder / "anterior.json"), "--image", str(view_folder / "front.jpg"), "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert Image.open(out).size == (600, 800)


def test_cli_render_missing_photo(view_folder):
    (view_folder / "front.jpg").unlink()
    out = view_folder / "annotated.jpg"
    res = _cli("render", str(view_folder / "anterior.json"), "--out", str(out))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "Photo not found" in lines[0] and "front.jpg" in lines[0]
    assert "Traceback" not in res.stderr
    assert not out.exists()


def test_cli_render_bad_output_and_no_photo_named(tmp_path):
    doc = synthetic_document("anterior", 600, 800)  # no image.file
    document.save(doc, tmp_path / "a.json")
    res = _cli("render", str(tmp_path / "a.json"), "--out", str(tmp_path / "x.jpg"))
    assert res.returncode == 2 and "--image" in res.stderr
    res = _cli("render", str(tmp_path / "a.json"), "--out", str(tmp_path / "x.gif"))
    assert res.returncode == 2 and ".jpg or .png" in res.stderr


def test_cli_render_wrong_photo(view_folder, tmp_path):
    Image.new("RGB", (800, 600)).save(tmp_path / "landscape.jpg")
    res = _cli(
        "render", str(view_folder / "anterior.json"), "--image", str(tmp_path / "landscape.jpg"), "--out", str(tmp_path / "o.jpg")
    )
    assert res.returncode == 2 and "right photo" in res.stderr


@pytest.mark.parametrize("roll", [5.0, -5.0])
def test_label_sides_follow_the_frames_client_right(roll):
    """The image side of the client's right is the frame's ``r`` (corrected frame), not a guess from raw pixel x.

    Here the right acromion lies straight below the left one in the image (same x), so the raw
    pixels cannot tell; in the roll-corrected frame the right lies to one side, and the labels follow it.
    """
    base = synthetic_document("anterior", 600, 800, roll_deg=roll)
    placed = {"acromion_l": document.PlacedLandmark(300.0, 300.0), "acromion_r": document.PlacedLandmark(300.0, 340.0)}
    doc = document.validated(replace(base, landmarks=placed))
    frame = build_frame(doc)
    assert frame.r == (1.0 if roll > 0 else -1.0)
    overlay = render.build_overlay(doc, analyze(doc), 600, 800, legend=False)
    boxes = {t.key: t.rect for t in overlay.texts}
    right_box, left_box = boxes["landmark:acromion_r"], boxes["landmark:acromion_l"]
    if frame.image_side(frame.r) > 0:
        assert right_box[0] > 300 and left_box[2] < 300
    else:
        assert right_box[2] < 300 and left_box[0] > 300


def test_short_labels_are_the_registrys():
    """The dots' labels are :func:`posture.landmarks.short_label`, the same words the landmark editor shows."""
    for view in ("anterior", "posterior", "right_lateral"):
        doc = synthetic_document(view, 900, 1200)
        overlay = render.build_overlay(doc, analyze(doc), 900, 1200, legend=False)
        for i in doc.landmarks:
            box = next(t for t in overlay.texts if t.key == f"landmark:{i}")
            expected = labels.label_patch(((landmarks.short_label(i), overlay.style.small_font, False),), None, 170)
            assert box.patch is expected, i  # the cached patch of exactly that text


def test_the_curves_and_the_centre_of_gravity_are_drawn():
    """Spec §9 on the photo: each curve's chord and apex (side views), the CG's vertical beside the plumb line (front)."""
    from posture.measurements import COG_LANDMARKS, cog_x
    from posture.render.overlay import build_overlay

    w, h = 300, 400
    side = synthetic_document("right_lateral", w, h, roll_deg=0.0)
    res = analyze(side)
    full = build_overlay(side, res, w, h)
    without = {
        **res,
        "measurements": {k: v for k, v in res["measurements"].items() if k not in ("thoracic_kyphosis", "lumbar_lordosis")},
    }
    fewer = build_overlay(side, without, w, h)
    assert len(full.strokes) > len(fewer.strokes)
    keys = {t.key for t in full.texts}
    assert {"thoracic_kyphosis", "lumbar_lordosis"} <= keys
    apex = np.array(side.landmarks["thoracic_apex"].xy)
    assert any(np.allclose(s.points[-1], apex) for s in full.strokes if len(s.points) == 2)  # the apex's depth line ends on it

    front = synthetic_document("anterior", w, h, roll_deg=0.0, vertical=False)
    res = analyze(front)
    ov = build_overlay(front, res, w, h)
    x = float(cog_x({i: np.array([front.landmarks[i].x, -front.landmarks[i].y]) for i in COG_LANDMARKS}))
    vertical = [s for s in ov.strokes if len(s.points) == 2 and np.allclose(s.points[:, 0], x)]
    assert len(vertical) >= 3  # the dashes of the CG line, at X = CG_X (no roll: x = X)
    assert "cog_shift" in {t.key for t in ov.texts}
    gone = build_overlay(front, {**res, "measurements": {k: v for k, v in res["measurements"].items() if k != "cog_shift"}}, w, h)
    assert not [s for s in gone.strokes if len(s.points) == 2 and np.allclose(s.points[:, 0], x)]
