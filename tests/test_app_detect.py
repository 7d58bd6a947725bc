"""Detection in the app, headless (``AppTest``): upload → calibration and suggestions → review and accept (spec §10).

Nothing is measured before a point is accepted; "Accept all markers" makes the
markers' suggestions landmarks with ``source: "auto"``; a point the editor sends
on its suggestion is accepted (``auto``), one sent elsewhere is ``auto_edited``.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from support.synthetic import synthetic_document, synthetic_photo
from test_app import APP, _assessment, _ok, _table  # noqa: I001 - the app's AppTest helpers

from posture import analysis, detect, images, landmarks
from posture.detect.base import Detection, Suggestion
from posture.detect.suggest import with_detection
from posture.document import DistanceScale
from posture.errors import DetectError, SettingsError
from posture.settings import default_settings, load_settings, save_settings, settings_from_dict, settings_to_dict

W, H = 900, 1200
POSE_IDS = ("tragus_r", "tragus_l")


def _photo_and_detection() -> tuple[bytes, Detection]:
    """A small synthetic photo and what a detector finds on it: both plumb marks, a marker on most landmarks."""
    doc = synthetic_document("anterior", W, H)
    rgb = synthetic_photo(W, H, view="anterior")
    truth = {i: lm.xy for i, lm in doc.landmarks.items()}
    marker_ids = [i for i in landmarks.landmark_ids("anterior") if i in truth and i not in POSE_IDS][:10]
    sugg = {i: Suggestion(i, *truth[i], "marker", 0.9) for i in marker_ids}
    sugg.update({i: Suggestion(i, truth[i][0] + 3.0, truth[i][1] - 2.0, "pose", 0.6) for i in POSE_IDS})
    (ax, ay), (bx, by) = doc.calibration.vertical  # type: ignore[misc]
    p1, p2 = (ax, ay + 100.0), (bx, by - 300.0)
    det = Detection(
        "anterior", W, H, vertical=(p1, p2), scale=(p1, p2, 100.0), plumb_marks=(p1, p2),
        markers=tuple(truth[i] for i in marker_ids) + ((40.5, 60.5),), suggestions=sugg, persons=1,
    )  # fmt: skip
    return images.encode_jpeg(rgb, 90), det


@pytest.fixture
def detector(monkeypatch: pytest.MonkeyPatch) -> dict:
    """Detection at its boundary: ``posture.detect.detect`` returns a known finding and records how it was called."""
    jpeg, det = _photo_and_detection()
    calls: list[dict] = []

    def fake_detect(rgb: np.ndarray, view: str, **kwargs: object) -> Detection:
        calls.append({"shape": rgb.shape, "view": view, **kwargs})
        return det

    def no_model() -> object:
        raise DetectError("The pose model is not installed.")

    monkeypatch.setattr(detect, "detect", fake_detect, raising=False)
    monkeypatch.setattr(detect, "load_pose_model", no_model, raising=False)
    return {"jpeg": jpeg, "det": det, "calls": calls}


def _uploaded(detector: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader[0].upload("front.jpg", detector["jpeg"], "image/jpeg").run()
    _ok(at)
    return at


def _send(at: AppTest, points: dict, seq: int) -> AppTest:
    from ui.state import EDITOR_KEY

    vs = _assessment(at).view
    at.session_state[EDITOR_KEY] = {"edit": {"doc": vs.doc_id, "nonce": "t", "seq": seq, "points": points}}
    return at.run()


def test_upload_detects_once_fills_the_calibration_and_measures_nothing_yet(detector):
    at = _uploaded(detector)
    vs = _assessment(at).view
    det = detector["det"]
    call = detector["calls"][0]
    assert call["view"] == "anterior" and call["shape"] == (H, W, 3), "the upright full-resolution photo"
    assert "reduced" not in call, "the detector makes its own reduced copy, as the command line does"
    # the calibration comes from the two plumb marks: vertical and scale in one step
    assert set(vs.doc.calibration.vertical) == {det.vertical[0], det.vertical[1]}
    assert isinstance(vs.doc.calibration.scale, DistanceScale) and vs.doc.calibration.scale.distance_cm == 100.0
    assert vs.scale_mode == "plumb" and set(vs.marks) == {"@v1", "@v2"}
    # suggestions wait in the document; nothing is measured
    assert set(vs.doc.extra["suggestions"]) == set(det.suggestions)
    assert vs.doc.landmarks == {}
    assert "Nothing measured yet" in _table(at)
    assert any("12 suggestions waiting: 10 from markers, 2 from the pose model" in i.value for i in at.info)
    # another run (or the same photo again) does not detect again
    at.run()
    _ok(at)
    assert len(detector["calls"]) == 1


def test_accept_all_markers_then_all(detector):
    at = _uploaded(detector)
    vs = _assessment(at).view
    det = detector["det"]
    at.button(key="accept_markers_anterior").click().run()
    _ok(at)
    lms = vs.doc.landmarks
    markers = {i for i, s in det.suggestions.items() if s.origin == "marker"}
    assert set(lms) == markers
    assert all(lm.source == "auto" and lm.extra.get("from") == "marker" for lm in lms.values())
    assert set(vs.waiting()) == set(POSE_IDS), "the pose model's suggestions still wait"
    assert any("2 suggestions waiting: 2 from the pose model" in i.value for i in at.info)
    # the table shows what the core measures from the accepted points, and only from them
    expected = analysis.analyze(vs.doc, _assessment(at).settings)
    assert f'data-placed="{len(markers)}"' in _table(at)
    for mid, m in expected["measurements"].items():
        assert f'data-mid="{mid}"' in _table(at) and f'data-value="{m["value"]!r}"' in _table(at)
    at.button(key="accept_all_anterior").click().run()
    _ok(at)
    assert set(vs.doc.landmarks) == set(det.suggestions) and not vs.waiting()
    assert {vs.doc.landmarks[i].extra["from"] for i in POSE_IDS} == {"pose"}


def test_editor_accepts_one_corrects_one_and_undo_brings_a_suggestion_back(detector):
    at = _uploaded(detector)
    vs = _assessment(at).view
    det = detector["det"]
    marks = {k: list(v) for k, v in vs.marks.items()}
    first = next(i for i in landmarks.landmark_ids("anterior") if i in det.suggestions)
    s = det.suggestions[first]
    # Enter: the editor sends the prompted landmark exactly on its suggestion → accepted
    at = _send(at, {**marks, first: [s.x, s.y]}, 1)
    _ok(at)
    assert vs.doc.landmarks[first].source == "auto" and vs.doc.landmarks[first].extra["from"] == s.origin
    assert first not in vs.waiting() and len(vs.waiting()) == len(det.suggestions) - 1
    # a pose suggestion dragged elsewhere before accepting → auto_edited, keeping where it came from
    p = det.suggestions["tragus_r"]
    at = _send(at, {**marks, first: [s.x, s.y], "tragus_r": [p.x + 6.0, p.y + 4.0]}, 2)
    _ok(at)
    tr = vs.doc.landmarks["tragus_r"]
    assert (tr.source, tr.extra["from"], tr.xy) == ("auto_edited", "pose", (p.x + 6.0, p.y + 4.0))
    # moving the accepted one → auto_edited; a landmark with no suggestion → manual
    free = next(i for i in landmarks.landmark_ids("anterior") if i not in det.suggestions)
    at = _send(at, {**marks, first: [s.x + 2.0, s.y], "tragus_r": [p.x + 6.0, p.y + 4.0], free: [300.0, 400.0]}, 3)
    _ok(at)
    assert vs.doc.landmarks[first].source == "auto_edited" and vs.doc.landmarks[free].source == "manual"
    # undo in the editor sends the points without them: their suggestions wait again, and are not measured
    at = _send(at, marks, 4)
    _ok(at)
    assert vs.doc.landmarks == {} and set(vs.waiting()) == set(det.suggestions)
    assert "Nothing measured yet" in _table(at)


def test_the_editor_gets_suggestions_markers_and_one_step_calibration(detector):
    from ui.editor import editor_data

    at = _uploaded(detector)
    vs = _assessment(at).view
    det = detector["det"]
    data = editor_data(vs)
    assert set(data["suggestions"]) == set(det.suggestions)
    assert {v["from"] for v in data["suggestions"].values()} == {"marker", "pose"}
    assert [40.5, 60.5] in data["markers"], "unlabelled markers reach the editor"
    assert [t["id"] for t in data["vertical"]] == ["@v1", "@v2"] and data["scale"] == [] and data["scale_on_plumb"]
    assert data["points"]["@v1"] and "glabella" not in data["points"]


def test_detection_uses_the_practice_capture_settings(detector, tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    monkeypatch.setenv("POSTURE_SETTINGS", str(path))
    save_settings(replace(default_settings(), marker_color=(0, 200, 60), mark_distance_cm=80.0), path)
    _uploaded(detector)
    call = detector["calls"][0]
    assert call["marker_color"] == (0, 200, 60) and call["mark_distance_cm"] == 80.0


def test_capture_settings_round_trip_and_old_files_load(tmp_path):
    old = settings_from_dict({"bands": {}})
    assert old.marker_color is None and old.mark_distance_cm is None
    assert "capture" not in settings_to_dict(old), "files without capture settings stay as they were"
    s = settings_from_dict({"capture": {"marker_color": "#00c83c", "mark_distance_cm": 90}})
    assert (s.marker_color, s.mark_distance_cm) == ((0, 200, 60), 90.0)
    path = tmp_path / "s.json"
    save_settings(s, path)
    back = load_settings(path)
    assert (back.marker_color, back.mark_distance_cm) == ((0, 200, 60), 90.0)
    for bad in ({"marker_color": "red"}, {"marker_color": "#12345"}, {"mark_distance_cm": 0}, {"other": 1}):
        with pytest.raises(SettingsError):
            settings_from_dict({"capture": bad})


def test_a_detection_without_scale_leaves_the_scale_to_the_therapist():
    from ui.model import Assessment

    _, det = _photo_and_detection()
    a = Assessment()
    jpeg, _ = _photo_and_detection()
    a.ingest("anterior", "front.jpg", jpeg)
    vs = a.views["anterior"]
    vs.apply_detection(replace(det, scale=None, plumb_marks=(), warnings=("Only one plumb mark found: no scale.",)))
    assert vs.doc.calibration.vertical is not None and vs.doc.calibration.scale is None
    assert vs.scale_mode == "height", "two points on the line are not two marks"
    assert vs.detection_record()["warnings"] == ["Only one plumb mark found: no scale."]
    # what the core would write for the same finding, accepted, measures the same as accepting in the app
    vs.accept()
    direct = with_detection(replace(vs.doc, landmarks={}, extra={}), det, accept=True)
    assert set(direct.landmarks) == set(vs.doc.landmarks)


def test_the_capture_settings_are_edited_and_saved_in_the_app(tmp_path, monkeypatch):
    path = tmp_path / "settings.json"
    monkeypatch.setenv("POSTURE_SETTINGS", str(path))
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.toggle(key="capture_auto").set_value(False).run()
    at.color_picker(key="capture_color").set_value("#00C83C")
    at.number_input(key="capture_distance").set_value(90.0)
    at.button(key="save_capture").click().run()
    _ok(at)
    saved = load_settings(path)
    assert (saved.marker_color, saved.mark_distance_cm) == ((0, 200, 60), 90.0)
    assert (_assessment(at).settings.marker_color, _assessment(at).mark_distance_cm()) == ((0, 200, 60), 90.0)
    # restoring the default bands keeps them
    at.button(key="reset_bands").click().run()
    _ok(at)
    assert _assessment(at).mark_distance_cm() == 90.0


# --- a side photo in a frontal slot (issue 11) ----------------------------------------------------------------


def test_a_side_photo_in_the_front_slot_is_not_graded_and_one_click_moves_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from posture.frame import CHECK_VIEW

    jpeg, det = _photo_and_detection()
    calls: list[str] = []

    def fake_detect(rgb: np.ndarray, view: str, **kwargs: object) -> Detection:
        calls.append(view)
        if view == "anterior":  # the pose model sees the body from the side, facing the image's left
            return replace(det, shows="side", side_facing="left")
        return Detection(view, W, H, shows="side", side_facing="left")

    monkeypatch.setattr(detect, "detect", fake_detect, raising=False)
    monkeypatch.setattr(detect, "load_pose_model", lambda: None, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader[0].upload("side.jpg", jpeg, "image/jpeg").run()
    _ok(at)
    assert any("looks like a side view" in w.value for w in at.warning), [w.value for w in at.warning]
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("accept_all"))).click().run()
    _ok(at)
    a = _assessment(at)
    result = a.views["anterior"].analyze(a.settings)
    assert result is not None and result["measurements"]
    assert all(m["severity"] is None and m["direction"] == CHECK_VIEW for m in result["measurements"].values())
    assert CHECK_VIEW in _table(at)

    move = next(b for b in at.button if b.key and b.key.startswith("move_side_") and b.key.endswith("left_lateral"))
    assert "left lateral" in move.label
    move.click().run()
    _ok(at)
    a = _assessment(at)
    assert a.current == "left_lateral"
    assert a.views["left_lateral"].photo is not None and a.views["anterior"].photo is None
    assert a.views["left_lateral"].doc.view == "left_lateral" and not a.views["left_lateral"].doc.landmarks
    assert calls == ["anterior", "left_lateral"], "detection runs again for the photo's new view"
    assert not any("looks like a side view" in w.value for w in at.warning)


def test_it_is_a_front_photo_makes_the_view_graded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    jpeg, det = _photo_and_detection()
    monkeypatch.setattr(detect, "detect", lambda rgb, view, **kw: replace(det, shows="side"), raising=False)
    monkeypatch.setattr(detect, "load_pose_model", lambda: None, raising=False)
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.file_uploader[0].upload("front.jpg", jpeg, "image/jpeg").run()
    at.button(key=next(b.key for b in at.button if b.key and b.key.startswith("accept_all"))).click().run()
    assert len([b for b in at.button if b.key and b.key.startswith("move_side_")]) == 2, "no facing known: both slots"
    next(b for b in at.button if b.key and b.key.startswith("not_side_")).click().run()
    _ok(at)
    a = _assessment(at)
    result = a.views["anterior"].analyze(a.settings)
    assert result is not None
    assert any(m["severity"] is not None for m in result["measurements"].values())
    assert not any("looks like a side view" in w.value for w in at.warning)
