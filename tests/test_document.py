"""View documents (spec §7): every malformed input the spec names is refused naming the field; round trip; atomic save."""

from __future__ import annotations

import copy
import json
import math
import os
from dataclasses import replace

import pytest
from helpers_core import ANTERIOR, REPO, RIGHT_LATERAL, doc_dict, height_scale, two_point_scale

from posture import document
from posture.errors import DocumentError


def good(view="anterior", lms=None, **kw):
    kw.setdefault("width", 2000)
    kw.setdefault("height", 3000)
    kw.setdefault("vertical", ((50, 2900), (50, 100)))
    kw.setdefault("scale", two_point_scale((100, 100), (100, 600), 50.0))
    return doc_dict(view, ANTERIOR if lms is None else lms, **kw)


def refused(raw) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        if isinstance(raw, (str, bytes)):
            document.loads(raw)
        else:
            document.parse_document(raw)
    err = info.value
    assert str(err).strip() and "\n" not in str(err)
    return err


def with_(path: str, value, base=None):
    """A copy of ``base`` (a good document) with the dotted ``path`` set to ``value`` (``...`` deletes)."""
    d = copy.deepcopy(base or good())
    *parents, last = path.split(".")
    node = d
    for p in parents:
        node = node[p]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return d


def test_good_document_parses():
    doc = document.parse_document(good())
    assert doc.view == "anterior"
    assert doc.landmarks["acromion_r"].xy == (800.0, 700.0)
    assert doc.landmarks["acromion_r"].source == "manual"
    assert doc.image_width == 2000 and doc.image_height == 3000


# --- the whole document ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "{", "not json", '{"schema_version": 1,}', b"\xff\xfe\x00garbage"])
def test_not_json(text):
    err = refused(text)
    assert err.field == ""
    assert "JSON" in str(err)


@pytest.mark.parametrize("raw", [[], "a string", 1, None, [good()]])
def test_not_an_object(raw):
    assert refused(json.dumps(raw)).field == ""
    assert refused(raw).field == ""


@pytest.mark.parametrize("version", [..., None, "1", 1.0, 1.5, 2, 0, True, [1]])
def test_schema_version_must_be_the_integer_1(version):
    assert refused(with_("schema_version", version)).field == "schema_version"


@pytest.mark.parametrize("view", [..., None, "front", "Anterior", "lateral", 1])
def test_unknown_view(view):
    assert refused(with_("view", view)).field == "view"


@pytest.mark.parametrize("facing", ["up", "Left", "", 1, True])
def test_invalid_facing(facing):
    assert refused(with_("facing", facing, good("right_lateral", RIGHT_LATERAL))).field == "facing"


def test_valid_facing_and_default():
    d = good("right_lateral", RIGHT_LATERAL)
    assert document.parse_document(d).effective_facing == "right"
    assert document.parse_document(with_("facing", "left", d)).effective_facing == "left"
    assert document.parse_document(with_("facing", None, d)).effective_facing == "right"
    d = good("left_lateral", RIGHT_LATERAL)
    assert document.parse_document(d).effective_facing == "left"


# --- landmarks -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", [[], "x", 3, [["acromion_r", 1, 2]]])
def test_landmarks_not_an_object(value):
    assert refused(with_("landmarks", value)).field == "landmarks"


def test_landmarks_absent_or_null_means_none_placed():
    assert document.parse_document(with_("landmarks", ...)).landmarks == {}
    assert document.parse_document(with_("landmarks", None)).landmarks == {}
    doc = document.parse_document(with_("landmarks.acromion_r", None))
    assert "acromion_r" not in doc.landmarks and "acromion_l" in doc.landmarks


@pytest.mark.parametrize("lm_id", ["c7", "tragus", "acromion_R", "acromion", "nose"])
def test_landmark_not_in_view(lm_id):
    d = with_(f"landmarks.{lm_id}", {"x": 10, "y": 10})
    assert refused(d).field == f"landmarks.{lm_id}"


def test_lateral_landmark_not_in_frontal_and_back():
    d = good("right_lateral", RIGHT_LATERAL)
    d["landmarks"]["acromion_r"] = {"x": 10, "y": 10}
    assert refused(d).field == "landmarks.acromion_r"


@pytest.mark.parametrize("source", ["robot", "", 1, "Manual"])
def test_invalid_source(source):
    d = with_("landmarks.acromion_r.source", source)
    assert refused(d).field == "landmarks.acromion_r.source"


@pytest.mark.parametrize("source", ["manual", "auto", "auto_edited"])
def test_valid_sources(source):
    doc = document.parse_document(with_("landmarks.acromion_r.source", source))
    assert doc.landmarks["acromion_r"].source == source
    doc = document.parse_document(with_("landmarks.acromion_r.source", ...))
    assert doc.landmarks["acromion_r"].source == "manual"


@pytest.mark.parametrize("value", ["800", None, True, [800], {"v": 1}, math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("axis", ["x", "y"])
def test_non_numeric_or_non_finite_landmark(value, axis):
    err = refused(with_(f"landmarks.acromion_r.{axis}", value))
    assert err.field == f"landmarks.acromion_r.{axis}"


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_json_literals(literal):
    text = json.dumps(good()).replace('"x": 800.0', f'"x": {literal}', 1)
    assert literal in text
    assert refused(text).field == "landmarks.acromion_r.x"


def test_missing_coordinate():
    assert refused(with_("landmarks.acromion_r.y", ...)).field == "landmarks.acromion_r.y"


@pytest.mark.parametrize("xy", [(-0.001, 10), (10, -0.5), (2000.001, 10), (10, 3000.5)])
def test_landmark_out_of_image(xy):
    d = with_("landmarks.acromion_r", {"x": xy[0], "y": xy[1]})
    assert refused(d).field == "landmarks.acromion_r"


def test_landmark_on_the_image_border_is_fine():
    d = with_("landmarks.acromion_r", {"x": 2000, "y": 3000})
    assert document.parse_document(d).landmarks["acromion_r"].xy == (2000.0, 3000.0)
    d = with_("landmarks.acromion_r", {"x": 0, "y": 0})
    assert document.parse_document(d).landmarks["acromion_r"].xy == (0.0, 0.0)


def test_without_image_size_large_coordinates_are_fine():
    d = with_("image", {"file": "a.jpg"})
    d["landmarks"]["acromion_r"] = {"x": 123456.0, "y": 99999.0}
    assert document.parse_document(d).landmarks["acromion_r"].x == 123456.0


# --- calibration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("calibration.vertical.p1", [2001, 100], "calibration.vertical.p1"),
        ("calibration.vertical.p2", [50, -1], "calibration.vertical.p2"),
        ("calibration.scale.p1", [100, 3001], "calibration.scale.p1"),
        ("calibration.plumb_anchor", [-3, 100], "calibration.plumb_anchor"),
    ],
)
def test_calibration_point_out_of_image(path, value, field):
    assert refused(with_(path, value)).field == field


@pytest.mark.parametrize("key", ["top", "floor"])
def test_height_scale_point_out_of_image(key):
    d = with_("calibration.scale", height_scale(170.0, (1000, 100), (1000, 2900)))
    d["calibration"]["scale"][key] = [2500, 1000]
    assert refused(d).field == f"calibration.scale.{key}"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("calibration.vertical.p1", ["a", 100]),
        ("calibration.vertical.p1", [math.nan, 100]),
        ("calibration.vertical.p2", [50]),
        ("calibration.scale.p2", [100, math.inf]),
        ("calibration.plumb_anchor", "here"),
        ("calibration.plumb_anchor", [1, 2, 3]),
    ],
)
def test_calibration_point_not_a_point(path, value):
    assert refused(with_(path, value)).field.startswith(path)


def test_scale_with_both_forms_or_neither():
    both = {**two_point_scale((100, 100), (100, 600), 50.0), **height_scale(170, (1000, 100), (1000, 2900))}
    assert refused(with_("calibration.scale", both)).field == "calibration.scale"
    assert refused(with_("calibration.scale", {})).field == "calibration.scale"


def test_scale_incomplete():
    assert refused(with_("calibration.scale.distance_cm", ...)).field == "calibration.scale.distance_cm"


@pytest.mark.parametrize("value", [0, -5, 0.0])
def test_non_positive_distance(value):
    assert refused(with_("calibration.scale.distance_cm", value)).field == "calibration.scale.distance_cm"


@pytest.mark.parametrize("value", [0, -170])
def test_non_positive_height(value):
    d = with_("calibration.scale", height_scale(value, (1000, 100), (1000, 2900)))
    assert refused(d).field == "calibration.scale.height_cm"


def test_zero_length_scale():
    d = with_("calibration.scale", two_point_scale((100, 100), (100, 100), 50.0))
    assert refused(d).field == "calibration.scale"


def test_zero_length_vertical():
    assert refused(with_("calibration.vertical", {"p1": [50, 100], "p2": [50, 100]})).field == "calibration.vertical"


def test_zero_vertical_extent():
    # top and floor at the same height (no roll)
    d = with_("calibration.scale", height_scale(170, (900, 1500), (1100, 1500)))
    d["calibration"]["vertical"] = None
    assert refused(d).field == "calibration.scale"
    # with a rolled plumb line the extent is judged in the corrected frame: the same image y is fine
    # (15 cm over the ~20 px extent keeps the scale plausible, under 1 cm/px)
    d = with_("calibration.scale", height_scale(15, (900, 1500), (1100, 1500)))
    d["calibration"]["vertical"] = {"p1": [100, 2000], "p2": [200, 1000]}
    assert document.parse_document(d).calibration.scale.height_cm == 15


@pytest.mark.parametrize(
    ("p1", "p2", "ok"),
    [
        ((100, 2000), (100 + 1000 * math.tan(math.radians(29.9)), 1000), True),
        ((100, 2000), (100 + 1000 * math.tan(math.radians(30.1)), 1000), False),
        ((1000, 2000), (1000 - 1000 * math.tan(math.radians(30.1)), 1000), False),
        ((100, 1000), (1100, 1000), False),  # horizontal
    ],
)
def test_vertical_line_more_than_30_degrees(p1, p2, ok):
    d = with_("calibration.vertical", {"p1": list(p1), "p2": list(p2)})
    if ok:
        document.parse_document(d)
    else:
        assert refused(d).field == "calibration.vertical"


@pytest.mark.parametrize("key", ["plumb", "verticle", "scale_cm", "sigma"])
def test_unknown_calibration_key(key):
    d = with_(f"calibration.{key}", 1)
    err = refused(d)
    assert err.field.startswith("calibration")
    assert key in err.field


def test_calibration_keys_optional():
    d = with_("calibration", {})
    doc = document.parse_document(d)
    assert doc.calibration.vertical is None and doc.calibration.scale is None
    assert document.parse_document(with_("calibration", ...)).calibration.scale is None


@pytest.mark.parametrize("value", [-1, "2", math.nan])
def test_bad_landmark_sigma(value):
    assert refused(with_("calibration.landmark_sigma_px", value)).field == "calibration.landmark_sigma_px"


@pytest.mark.parametrize("value", [["a.jpg"], "img.jpg", 3])
def test_image_not_an_object(value):
    assert refused(with_("image", value)).field == "image"


@pytest.mark.parametrize("key", ["width", "height"])
def test_bad_image_size(key):
    assert refused(with_(f"image.{key}", 0)).field == f"image.{key}"
    assert refused(with_(f"image.{key}", "big")).field == f"image.{key}"


def test_error_message_names_the_field():
    err = refused(with_("calibration.scale.distance_cm", -1))
    assert "calibration.scale.distance_cm" in str(err)


# --- load / save ----------------------------------------------------------------------------


def test_round_trip_keeps_unknown_keys(tmp_path):
    d = good()
    d["client"] = {"name": "Jane", "visits": [1, 2]}
    d["app_state"] = 7
    d["image"]["taken"] = "2024-01-01"
    d["landmarks"]["acromion_r"]["note"] = "palpated twice"
    d["notes"] = "ünïcode ✓"
    p = tmp_path / "front.json"
    p.write_text(json.dumps(d))
    doc = document.load(p)
    out = tmp_path / "saved.json"
    document.save(doc, out)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["client"] == {"name": "Jane", "visits": [1, 2]}
    assert saved["app_state"] == 7
    assert saved["image"]["taken"] == "2024-01-01"
    assert saved["landmarks"]["acromion_r"]["note"] == "palpated twice"
    assert saved["notes"] == "ünïcode ✓"
    assert saved["schema_version"] == 1
    # the saved document reads back to the same document
    again = document.load(out)
    assert again == doc
    assert document.to_dict(again) == saved
    for k, (x, y) in ANTERIOR.items():
        assert saved["landmarks"][k]["x"] == x and saved["landmarks"][k]["y"] == y


def test_round_trip_lateral_and_height_scale(tmp_path):
    d = good(
        "left_lateral", RIGHT_LATERAL, scale=height_scale(172.5, (1000, 100), (1010, 2900)), plumb_anchor=(990, 2550), sigma=3.5
    )
    doc = document.parse_document(d)
    out = tmp_path / "side.json"
    document.save(doc, out)
    saved = json.loads(out.read_text())
    assert saved["facing"] == "left"
    assert saved["calibration"]["scale"] == {"height_cm": 172.5, "top": [1000, 100], "floor": [1010, 2900]}
    assert saved["calibration"]["plumb_anchor"] == [990, 2550]
    assert saved["calibration"]["landmark_sigma_px"] == 3.5
    again = document.load(out)
    assert document.to_dict(again) == saved
    assert again.effective_facing == doc.effective_facing == "left"
    assert again.landmarks == doc.landmarks and again.calibration == doc.calibration


def test_save_is_atomic_and_leaves_no_temp_files(tmp_path):
    out = tmp_path / "doc.json"
    document.save(document.parse_document(good()), out)
    document.save(document.parse_document(good(notes="second")), out)
    assert os.listdir(tmp_path) == ["doc.json"]
    assert json.loads(out.read_text())["notes"] == "second"


def test_failing_save_leaves_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "doc.json"
    document.save(document.parse_document(good(notes="old")), out)
    before = out.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(document.os, "replace", boom)
    with pytest.raises(OSError):
        document.save(document.parse_document(good(notes="new")), out)
    monkeypatch.undo()
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["doc.json"]


def test_invalid_document_is_not_saved(tmp_path):
    out = tmp_path / "doc.json"
    document.save(document.parse_document(good(notes="old")), out)
    before = out.read_bytes()
    doc = document.parse_document(good())
    from dataclasses import replace

    bad = replace(doc, landmarks={**doc.landmarks, "acromion_r": document.PlacedLandmark(5000.0, 10.0)})
    with pytest.raises(DocumentError):
        document.save(bad, out)
    assert out.read_bytes() == before
    assert os.listdir(tmp_path) == ["doc.json"]


def test_load_errors(tmp_path):
    with pytest.raises(DocumentError) as info:
        document.load(tmp_path / "missing.json")
    assert info.value.field == ""
    with pytest.raises(DocumentError):
        document.load(tmp_path)  # a folder
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(DocumentError):
        document.load(bad)


def test_with_landmark_validates():
    doc = document.parse_document(good())
    moved = doc.with_landmark("acromion_r", (810.0, 705.0))
    assert moved.landmarks["acromion_r"].xy == (810.0, 705.0)
    assert "acromion_r" not in doc.with_landmark("acromion_r", None).landmarks
    with pytest.raises(DocumentError):
        doc.with_landmark("acromion_r", (-1.0, 5.0))
    with pytest.raises(DocumentError):
        doc.with_landmark("c7", (10.0, 5.0))


@pytest.mark.parametrize("view", ["anterior", "posterior", "right_lateral", "left_lateral"])
@pytest.mark.parametrize("factor", [0.5, 0.37, 2.0])
def test_a_document_in_another_size_of_its_photo_measures_the_same(view: str, factor: float) -> None:
    """``in_pixels_of`` (a document placed on a full-size photo, for the reduced copy an upload is worked on):
    angles, percentages and centimetres stay; the points, the calibration and the suggestions move with the photo."""
    from posture import analyze
    from posture.document import SUGGESTIONS_KEY, in_pixels_of, load

    doc = load(REPO / "sample_images" / f"{view}.json")
    doc = replace(
        doc, extra={**doc.extra, SUGGESTIONS_KEY: {"glabella": {"x": 10.0, "y": 20.0, "from": "pose", "confidence": 0.5}}}
    )
    w, h = doc.image_width * factor, doc.image_height * factor
    moved = in_pixels_of(doc, w, h)
    assert (moved.image_width, moved.image_height) == (w, h)
    assert moved.extra[SUGGESTIONS_KEY]["glabella"]["x"] == pytest.approx(10.0 * factor)
    before, after = analyze(doc)["measurements"], analyze(moved)["measurements"]
    assert before.keys() == after.keys() and before
    for mid, m in before.items():
        assert after[mid]["unit"] == m["unit"], mid
        assert after[mid]["value"] == pytest.approx(m["value"] * (factor if m["unit"] == "px" else 1), abs=1e-9), mid
        assert after[mid]["severity"] == m["severity"], mid
    back = in_pixels_of(moved, doc.image_width, doc.image_height)
    for i, lm in doc.landmarks.items():
        assert (back.landmarks[i].x, back.landmarks[i].y) == pytest.approx((lm.x, lm.y)), i
