"""The Streamlit app headless (``streamlit.testing.v1.AppTest``) and the UI layer's plain logic (``ui.model`` & co).

Landmark clicks are injected the way the editor sends them: a snapshot under
the component's key (``at.session_state[EDITOR_KEY] = {"edit": {...}}``).
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from posture import analysis, document, grading
from posture.errors import SettingsError
from posture.settings import Settings, default_settings_path, load_settings, save_settings

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
SAMPLE = REPO / "sample_images"


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def _ok(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _assessment(at: AppTest):
    return at.session_state["assessment"]


def _table(at: AppTest) -> str:
    tables = [h.proto.body for h in at.get("html") if 'id="pm-measurements"' in h.proto.body]
    assert len(tables) == 1, "one measurement table"
    return tables[0]


def _send_points(at: AppTest, points: dict, seq: int = 1) -> AppTest:
    from ui.state import EDITOR_KEY

    vs = _assessment(at).view
    at.session_state[EDITOR_KEY] = {"edit": {"doc": vs.doc_id, "nonce": "test", "seq": seq, "points": points}}
    return at.run()


def _truth(view: str) -> dict:
    return json.loads((SAMPLE / f"{view}.json").read_text())


# --- the app --------------------------------------------------------------------------


def test_first_visit_offers_the_sample_and_shows_a_demo():
    at = _app()
    _ok(at)
    assert at.title[0].value == "Posture"
    assert at.file_uploader, "an uploader for the first photo"
    at.button(key="sample_main").click().run()
    _ok(at)
    a = _assessment(at)
    assert [vs.view for vs in a.views_with_photos()] == ["anterior", "posterior", "right_lateral", "left_lateral"]
    table = _table(at)
    assert 'data-mid="shoulder_tilt"' in table and "Shoulder tilt" in table
    assert "°" in table and "±" in table
    # the findings section shows the view's observations (one per pattern), counted as observations
    shown = [h.proto.body for h in at.get("html") if 'class="pm-finding"' in h.proto.body]
    observations = a.view.analyze(a.settings)["observations"]
    assert observations and len(shown) == len(observations), "one entry per observation"
    for o, body in zip(observations, shown, strict=True):
        assert f'data-oid="{o["id"]}"' in body and f'data-mids="{" ".join(o["measurements"])}"' in body
    assert any(c.value.startswith(f"{len(observations)} observation") for c in at.caption)
    assert any("by palpation" in i.value for i in at.info), "the borderline advice under the table"
    assert any("placement error σ = " in c.value and " cm)" in c.value for c in at.caption)
    assert [b.label for b in at.get("download_button")] == [
        "Annotated photo (JPEG)",
        "View document (JSON)",
        "All views (ZIP)",
        "PDF report",
        "Client handout (PDF)",
    ]


def test_upload_then_place_landmarks_through_the_editor_state():
    at = _app()
    at.file_uploader[0].upload("front.jpg", (SAMPLE / "anterior.jpg").read_bytes(), "image/jpeg").run()
    _ok(at)
    vs = _assessment(at).view
    assert vs.photo is not None and (vs.photo.width, vs.photo.height) == (1200, 1600)
    assert vs.photo.display.shape[0] <= 1400, "the browser gets the display copy, not the original"
    assert "Nothing measured yet" in _table(at)

    truth = _truth("anterior")["landmarks"]
    pts = {i: [truth[i]["x"] + 0.25, truth[i]["y"] - 0.125] for i in ("acromion_r", "acromion_l", "tragus_r", "tragus_l")}
    at = _send_points(at, pts)
    _ok(at)
    lms = vs.doc.landmarks
    assert lms["acromion_l"].xy == (truth["acromion_l"]["x"] + 0.25, truth["acromion_l"]["y"] - 0.125), "original px, floats"
    table = _table(at)
    assert 'data-mid="shoulder_tilt"' in table and 'data-mid="head_tilt"' in table
    assert 'data-placed="4"' in table
    expected = analysis.analyze(vs.doc, _assessment(at).settings)["measurements"]["shoulder_tilt"]["value"]
    assert f'data-value="{expected!r}"' in table

    # the same snapshot on another run is not applied twice; a newer one moves the point
    at.run()
    pts["acromion_l"] = [pts["acromion_l"][0], pts["acromion_l"][1] + 40]
    at = _send_points(at, pts, seq=2)
    _ok(at)
    assert "left shoulder lower" in _table(at)


def test_a_snapshot_for_another_photo_is_ignored():
    at = _app()
    at.button(key="sample_main").click().run()
    vs = _assessment(at).view
    before = dict(vs.doc.landmarks)
    from ui.state import EDITOR_KEY

    at.session_state[EDITOR_KEY] = {"edit": {"doc": "anterior:stale:0", "nonce": "x", "seq": 9, "points": {}}}
    at.run()
    _ok(at)
    assert vs.doc.landmarks == before


def test_bad_uploads_say_one_sentence_and_keep_the_assessment():
    at = _app()
    at.button(key="sample_main").click().run()
    a = _assessment(at)
    kept = {v: (vs.photo.digest, dict(vs.doc.landmarks)) for v, vs in a.views.items()}

    at.file_uploader[0].upload("notes.jpg", b"this is not a photo", "image/jpeg").run()
    _ok(at)
    assert len(at.error) == 1
    assert "notes.jpg is not a photo this app can read" in at.error[0].value
    assert at.error[0].value.count(".") <= 2, "one sentence"

    jpeg = (SAMPLE / "posterior.jpg").read_bytes()
    at.file_uploader[0].set_value(("cut.jpg", jpeg[: len(jpeg) // 2], "image/jpeg")).run()
    _ok(at)
    assert len(at.error) == 1 and "damaged or incomplete" in at.error[0].value
    assert {v: (vs.photo.digest, dict(vs.doc.landmarks)) for v, vs in a.views.items()} == kept
    assert 'data-mid="shoulder_tilt"' in _table(at), "the results are still there"


def test_calibration_clicks_become_the_document_calibration():
    at = _app()
    at.file_uploader[0].upload("front.jpg", (SAMPLE / "anterior.jpg").read_bytes(), "image/jpeg").run()
    vs = _assessment(at).view
    cal = _truth("anterior")["calibration"]
    v1, v2 = cal["vertical"]["p1"], cal["vertical"]["p2"]
    truth = _truth("anterior")["landmarks"]
    pts = {"@v1": v1, "@v2": v2, "@s1": v1, "@s2": v2, **{i: [truth[i]["x"], truth[i]["y"]] for i in ("asis_r", "asis_l")}}
    at = _send_points(at, pts)
    _ok(at)
    assert vs.doc.calibration.vertical == (tuple(v1), tuple(v2))
    assert vs.doc.calibration.scale == document.DistanceScale(tuple(v1), tuple(v2), 100.0)
    assert "No scale" not in " ".join(w.value for w in at.warning)
    assert 'data-mid="pelvic_height_diff"' in _table(at) and " cm" in _table(at)

    # switching to "client's height" without head-top/floor clicks leaves the view without a scale
    at.button_group(key=f"smode_anterior_{vs.rev}").set_value("height").run()
    _ok(at)
    assert vs.doc.calibration.scale is None
    assert any("No scale" in w.value for w in at.warning)

    # a "plumb line" 45° off vertical is refused with one sentence, and the rest still works
    at = _send_points(at, {**pts, "@v2": [v1[0] + 800, v1[1] + 800]}, seq=2)
    _ok(at)
    assert vs.doc.calibration.vertical is None
    assert any("Plumb line not used" in w.value for w in at.warning)


def test_switching_views_keeps_each_views_work():
    at = _app()
    at.file_uploader[0].upload("front.jpg", (SAMPLE / "anterior.jpg").read_bytes(), "image/jpeg").run()
    at = _send_points(at, {"glabella": [600.5, 220.25]})
    at.button_group(key="view_picker").set_value("posterior").run()
    _ok(at)
    a = _assessment(at)
    assert a.current == "posterior" and a.view.photo is None
    at.file_uploader[0].upload("back.jpg", (SAMPLE / "posterior.jpg").read_bytes(), "image/jpeg").run()
    at = _send_points(at, {"c7": [610.0, 380.0]})
    at.button_group(key="view_picker").set_value("anterior").run()
    _ok(at)
    assert a.views["anterior"].doc.landmarks["glabella"].xy == (600.5, 220.25)
    assert a.views["posterior"].doc.landmarks["c7"].xy == (610.0, 380.0)
    assert a.views["posterior"].photo.name == "back.jpg"


def test_lateral_view_suggests_the_facing_from_the_landmarks():
    at = _app()
    at.button(key="sample_main").click().run()
    at.button_group(key="view_picker").set_value("right_lateral").run()
    _ok(at)
    vs = _assessment(at).view
    assert vs.suggested_facing() == vs.doc.effective_facing
    at.button_group(key=f"facing_right_lateral_{vs.rev}").set_value("left").run()
    _ok(at)
    assert vs.doc.facing == "left"
    assert any("suggest the client faces right" in w.value for w in at.warning)
    at.button(key=f"use_facing_right_lateral_{vs.rev}").click().run()
    _ok(at)
    assert vs.doc.effective_facing == "right"
    assert not any("suggest the client faces" in w.value for w in at.warning)


def test_a_saved_view_document_can_be_uploaded_back():
    at = _app()
    at.file_uploader[0].upload("anterior.jpg", (SAMPLE / "anterior.jpg").read_bytes(), "image/jpeg").run()
    at.file_uploader[0].set_value(("anterior.json", (SAMPLE / "anterior.json").read_bytes(), "application/json")).run()
    _ok(at)
    vs = _assessment(at).view
    assert len(vs.doc.landmarks) == 20
    assert vs.doc.calibration.vertical is not None and vs.doc.calibration.scale is not None


# --- the UI layer's plain logic -------------------------------------------------------


def test_model_marks_and_sources():
    from ui.model import Assessment

    a = Assessment()
    a.load_sample()
    vs = a.views["anterior"]
    # the sample's scale is its two plumb marks: one step, two clicks (issue 11)
    assert set(vs.marks) == {"@v1", "@v2"} and vs.scale_mode == "plumb"
    pts = vs.editor_points()
    pts["glabella"] = [pts["glabella"][0] + 1.5, pts["glabella"][1]]
    pts["tragus_r"] = [-50.0, 99999.0]  # off the photo: moved onto its edge
    pts["not_a_landmark"] = [1, 2]
    vs.apply_points(pts)
    assert vs.doc.landmarks["tragus_r"].xy == (0.0, 1600.0)
    assert "not_a_landmark" not in vs.doc.landmarks
    assert vs.doc.landmarks["glabella"].source == "manual"
    # an automatic landmark that is moved becomes auto_edited; one left alone stays auto
    from dataclasses import replace

    from posture.document import PlacedLandmark

    auto = {k: PlacedLandmark(v.x, v.y, "auto") for k, v in vs.doc.landmarks.items()}
    vs.doc = replace(vs.doc, landmarks=auto)
    pts = vs.editor_points()
    pts["glabella"] = [pts["glabella"][0], pts["glabella"][1] + 1]
    vs.apply_points(pts)
    assert vs.doc.landmarks["glabella"].source == "auto_edited"
    assert vs.doc.landmarks["glabella"].source != vs.doc.landmarks["sternal_notch"].source == "auto"


def test_model_decodes_each_upload_once():
    from ui import model

    a = model.Assessment()
    data = (SAMPLE / "anterior.jpg").read_bytes()
    calls = []
    real = model.images.decode_image

    def counting(b, name="x", **kw):
        calls.append(name)
        return real(b, name, **kw)

    model.images.decode_image = counting
    try:
        assert a.ingest("anterior", "a.jpg", data) is None
        assert a.ingest("posterior", "a-again.jpg", data) is None
        assert a.ingest("anterior", "junk.png", b"junk") is not None
        assert a.ingest("anterior", "junk.png", b"junk") is not None
    finally:
        model.images.decode_image = real
    assert calls == ["a.jpg", "junk.png"]
    assert a.views["anterior"].photo is a.views["posterior"].photo


def test_documents_zip_is_a_folder_the_cli_reads(tmp_path):
    from ui.model import Assessment

    a = Assessment()
    a.load_sample()
    with zipfile.ZipFile(io.BytesIO(a.documents_zip())) as zf:
        zf.extractall(tmp_path)
    doc = document.load(tmp_path / "posterior.json")
    assert doc.image_file == "posterior.jpg" and len(doc.landmarks) == 20
    img = Image.open(tmp_path / "posterior.jpg")
    assert img.size == (1200, 1600) and not img.getexif()


def test_settings_rows_round_trip_and_refuse_bad_bands(tmp_path):
    from ui import settings_store

    defaults = Settings(grading.default_bands())
    rows = settings_store.table_rows(defaults)
    assert settings_store.settings_from_rows(rows).bands == defaults.bands
    for r in rows:
        if r["id"] == "head_tilt":
            r.update(mild=2.5, moderate=5.0, marked=8.0, source="our clinic")
        if r["id"] == "body_lean":
            r["graded"] = False
    s = settings_store.settings_from_rows(rows)
    path = tmp_path / "cfg" / "settings.json"
    save_settings(s, path)
    saved = json.loads(path.read_text())
    assert saved == {
        "bands": {"head_tilt": {"mild": 2.5, "moderate": 5.0, "marked": 8.0, "source": "our clinic"}, "body_lean": None}
    }
    assert load_settings(path).band("head_tilt").mild == 2.5
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"], "no temp file left behind"
    for r in rows:
        if r["id"] == "head_tilt":
            r.update(mild=9.0)
    with pytest.raises(SettingsError, match="increase"):
        settings_store.settings_from_rows(rows)
    for r in rows:
        if r["id"] == "head_tilt":
            r.update(mild=float("nan"))
    with pytest.raises(SettingsError, match="Head tilt: enter a number for mild"):
        settings_store.settings_from_rows(rows)


def test_settings_path_follows_the_environment(monkeypatch, tmp_path):
    from ui import settings_store

    monkeypatch.setenv("POSTURE_SETTINGS", str(tmp_path / "x.json"))
    assert default_settings_path() == tmp_path / "x.json"
    monkeypatch.delenv("POSTURE_SETTINGS")
    assert default_settings_path().name == "settings.json"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    settings, problem = settings_store.load(bad)
    assert settings.bands == grading.default_bands() and "could not be used" in problem


def test_the_app_reads_and_saves_the_practice_settings(tmp_path, monkeypatch):
    path = tmp_path / "practice.json"
    path.write_text(json.dumps({"bands": {"shoulder_tilt": {"mild": 0.5, "moderate": 1, "marked": 2, "source": "ours"}}}))
    monkeypatch.setenv("POSTURE_SETTINGS", str(path))
    at = _app()
    at.button(key="sample_main").click().run()
    _ok(at)
    assert "ours" in _table(at)
    at.button(key="save_bands").click().run()
    _ok(at)
    assert any("Saved" in s.value for s in at.success)
    assert json.loads(path.read_text())["bands"]["shoulder_tilt"]["source"] == "ours"


def test_editor_data_carries_only_the_display_copy():
    from ui.editor import editor_data
    from ui.model import Assessment

    a = Assessment()
    big = np.zeros((3000, 2000, 3), np.uint8)
    buf = io.BytesIO()
    Image.fromarray(big).save(buf, "PNG")
    assert a.ingest("left_lateral", "side.png", buf.getvalue()) is None
    vs = a.views["left_lateral"]
    data = editor_data(vs)
    assert data["width"] == 2000 and data["height"] == 3000
    assert "image" not in data, "the photo goes once per photo, beside the data (ui.editor.landmark_editor)"
    assert vs.photo is not None
    assert vs.photo.data_url.startswith("data:image/jpeg;base64,") and len(vs.photo.data_url) < 200_000
    assert data["facing"] == "left"
    json.dumps(data)  # the component's data must be JSON


def test_measurement_table_marks_severity_and_borderline():
    from ui import format as fmt

    doc = document.load(SAMPLE / "anterior.json")
    result = analysis.analyze(doc, Settings(grading.default_bands()))
    html = fmt.measurement_table_html(result, placed=20)
    for mid, m in result["measurements"].items():
        assert f'data-mid="{mid}"' in html
        assert fmt.fmt_value(m, mid) in html.replace("&#x27;", "'")
    assert "borderline" in html and 'data-placed="20"' in html
    assert fmt.fmt_value({"value": 2.414, "uncertainty": 0.3, "unit": "deg"}) == "2.4° ± 0.3°"
    assert fmt.fmt_value({"value": -1.06, "uncertainty": 0.25, "unit": "cm"}) == "-1.1 cm ± 0.2 cm"


def test_saving_the_bands_table_keeps_the_practices_muscle_patterns(tmp_path):
    """The settings page edits bands only: a practice's patterns in the same file survive a save from it."""
    from ui import settings_store

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"patterns": {"head_tilt": {"any": {"weak": ["deep neck flexors", "our own"]}}}}))
    current = load_settings(path)
    rows = settings_store.table_rows(current)
    for r in rows:
        if r["id"] == "head_tilt":
            r.update(mild=2.5)
    edited = settings_store.settings_from_rows(rows, current)
    assert edited.patterns == current.patterns and edited.band("head_tilt").mild == 2.5
    save_settings(edited, path)
    saved = json.loads(path.read_text())
    assert set(saved["patterns"]) == {"head_tilt"}
    assert saved["patterns"]["head_tilt"]["any"]["weak"] == ["deep neck flexors", "our own"]
    assert load_settings(path).patterns == current.patterns
    assert saved["bands"]["head_tilt"]["mild"] == 2.5
