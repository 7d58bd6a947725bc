"""Autosaved drafts (the store's ``drafts/`` area and the app's serialise/restore), facing gating, dates, status.

The store runs on a real temporary data folder; the app runs headless
(``AppTest``) against the same folder, so a "reload" is a new AppTest session
with the same ``?draft=`` id.
"""

from __future__ import annotations

import io
import json
import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from posture import analysis, document, landmarks
from posture.errors import NotFoundError, StoreError
from posture.frame import CHECK_FACING, FACING_CONTRADICTED
from posture.store import Store, new_draft_id

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
SAMPLE = REPO / "sample_images"


@pytest.fixture
def store():
    with Store(os.environ["POSTURE_DATA_DIR"]) as s:
        yield s


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _app(draft: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if draft:
        at.query_params["draft"] = draft
    return _ok(at.run())


def _gps_jpeg(size=(64, 48)) -> bytes:
    """A JPEG carrying EXIF with a GPS position (what a phone writes)."""
    img = Image.new("RGB", size, (120, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", (52.0, 31.0, 12.0), "E", (13.0, 24.0, 0.5)
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes())
    data = buf.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825), "the test photo has GPS"
    return data


# --- the store's drafts ------------------------------------------------------------------


def test_draft_round_trip_is_private_and_carries_no_exif(store):
    did = new_draft_id()
    data = _gps_jpeg()
    digest = "ab" * 32
    calls = []

    def source() -> bytes:
        calls.append(1)
        return data

    state = {"views": {"anterior": {"x": 1.25}}, "client": "Ana"}
    info = store.save_draft(did, state, {digest: source}, client_name="Ana", views=1, landmarks=7)
    got = store.get_draft(did)
    assert got.state == state and got.photos == (digest,)
    assert (got.info.client_name, got.info.views, got.info.landmarks) == ("Ana", 1, 7)
    assert got.info.updated_at == info.updated_at and got.info.updated_at.tzinfo is not None
    photo = store.read_draft_photo(did, digest)
    img = Image.open(io.BytesIO(photo))
    assert img.format == "JPEG" and not img.getexif(), "no EXIF (no GPS) in a draft's photo"
    assert img.size == (64, 48)
    # private: folders 0700, files 0600, whatever the umask
    folder = store.drafts_dir / did
    for p in (store.drafts_dir, folder):
        assert stat.S_IMODE(p.stat().st_mode) == 0o700, p
    for p in folder.iterdir():
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    # the photo is written once per digest: saving again does not ask for its bytes
    store.save_draft(did, {**state, "client": "Ana R."}, {digest: source})
    assert len(calls) == 1 and store.get_draft(did).state["client"] == "Ana R."
    assert sorted(p.name for p in folder.iterdir()) == sorted([f"{digest}.jpg", "draft.json"]), "no temp file left"
    # a photo no longer named goes
    store.save_draft(did, state, {})
    assert [p.name for p in folder.iterdir()] == ["draft.json"]


def test_draft_write_is_atomic(store, monkeypatch):
    did = new_draft_id()
    store.save_draft(did, {"n": 1}, {})
    import posture.store.drafts as drafts_mod

    def crash(path, data):  # the disk fills up while the new draft is written
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(drafts_mod, "atomic_write_bytes", crash)
    with pytest.raises(StoreError, match="No space left"):
        store.save_draft(did, {"n": 2}, {})
    monkeypatch.undo()
    assert store.get_draft(did).state == {"n": 1}, "the previous draft is intact"


def test_drafts_listed_newest_first_discarded_moved_and_checked(store):
    a, b = new_draft_id(), new_draft_id()
    store.save_draft(a, {"k": "a"}, {})
    store.save_draft(b, {"k": "b"}, {})
    assert [i.id for i in store.list_drafts()] == [b, a]
    store.discard_draft(b)
    assert [i.id for i in store.list_drafts()] == [a]
    store.discard_draft(b)  # already gone: no error
    c = new_draft_id()
    store.move_draft(a, c)
    assert store.get_draft(c).state == {"k": "a"} and not store.has_draft(a)
    with pytest.raises(NotFoundError):
        store.get_draft(a)
    for bad in ("../etc", "A" * 32, "", "0" * 31):
        with pytest.raises(StoreError):
            store.save_draft(bad, {}, {})
    with pytest.raises(StoreError, match="SHA-256"):
        store.save_draft(c, {}, {"../x": lambda: b""})
    with pytest.raises(StoreError, match="photo"):
        store.save_draft(c, {}, {"cd" * 32: lambda: b"not a photo"})
    assert store.get_draft(c).state == {"k": "a"}


def test_erasing_a_client_erases_their_drafts(store):
    ana = store.create_client("Ana", consent_photography=True, consent_date=date.today())
    bo = store.create_client("Bo")
    d_ana, d_bo, d_none = new_draft_id(), new_draft_id(), new_draft_id()
    store.save_draft(d_ana, {}, {"ef" * 32: _gps_jpeg}, client_id=ana.id, client_name="Ana")
    store.save_draft(d_bo, {}, {}, client_id=bo.id)
    store.save_draft(d_none, {}, {})
    store.delete_client(ana.id)
    assert not (store.drafts_dir / d_ana).exists(), "the erased client's draft and photo are gone"
    assert {i.id for i in store.list_drafts()} == {d_bo, d_none}


# --- facing gating -----------------------------------------------------------------------


def _lateral_doc(view: str, facing: str):
    """The sample's right-lateral points (client faces right) in ``view`` with ``facing``."""
    raw = json.loads((SAMPLE / "right_lateral.json").read_text())
    raw["view"], raw["facing"] = view, facing
    return document.parse_document(raw)


def test_a_right_facing_photo_in_the_left_slot_is_not_graded():
    res = analysis.analyze(_lateral_doc("left_lateral", "left"))
    assert FACING_CONTRADICTED in res["warning_codes"]
    assert res["measurements"], "the values are kept"
    for mid, m in res["measurements"].items():
        assert m["severity"] is None and m["band"] is None and m["borderline"] is False, mid
        assert m["direction"] == CHECK_FACING, mid
    assert res["findings"] == [] and res["plan"] == []
    assert any("not graded" in w for w in res["warnings"])
    # flipped to what the landmarks say, it is graded again, with the same magnitudes mirrored
    fixed = analysis.analyze(_lateral_doc("left_lateral", "right"))
    assert FACING_CONTRADICTED not in fixed["warning_codes"]
    assert any(m["severity"] is not None for m in fixed["measurements"].values())
    assert all(m["direction"] != CHECK_FACING for m in fixed["measurements"].values())
    right = analysis.analyze(_lateral_doc("right_lateral", "right"))
    assert fixed["measurements"].keys() == right["measurements"].keys()
    for mid, m in fixed["measurements"].items():
        assert m["value"] == pytest.approx(right["measurements"][mid]["value"]), mid


def test_flip_and_move_fix_a_wrong_facing_in_one_click():
    from ui.view_checks import move_lateral, progress

    at = _app()
    at.button(key="sample_main").click().run()
    a = at.session_state["assessment"]
    right = a.views["right_lateral"]
    placed = dict(right.doc.landmarks)
    photo = right.photo
    move_lateral(a, "right_lateral")  # the right side's photo, in the wrong slot on purpose
    moved = a.views["left_lateral"]
    assert moved.photo is photo and moved.doc.landmarks == placed and moved.doc.view == "left_lateral"
    assert a.views["right_lateral"].doc.view == "right_lateral"
    # in the left slot with the left facing it contradicts: not graded, and the page offers both fixes
    moved.set_options(facing="left")
    at.session_state["session"].pending_view = "left_lateral"
    _ok(at.run())
    assert all(m["severity"] is None for m in moved.analyze(a.settings)["measurements"].values())
    assert any("check the facing" in w.value for w in at.warning)
    k = f"left_lateral_{moved.rev}"
    assert at.button(key=f"move_lateral_{k}").label == "Move the photo to the right lateral slot"
    at.button(key=f"move_lateral_{k}").click().run()
    _ok(at)
    assert a.views["right_lateral"].photo is photo and a.views["right_lateral"].doc.effective_facing == "right"
    assert a.views["right_lateral"].doc.landmarks == placed
    # the sample's side view carries the optional spinal points too: progress counts what the view needs
    assert progress(a.views["right_lateral"]).placed == len(landmarks.required_landmark_ids("right_lateral"))
    assert set(landmarks.required_landmark_ids("right_lateral")) <= set(placed)
    res = a.views["right_lateral"].analyze(a.settings)
    assert FACING_CONTRADICTED not in res["warning_codes"]


# --- status and dates --------------------------------------------------------------------


def test_status_counts_calibration_and_landmarks():
    from ui.model import Assessment
    from ui.view_checks import incomplete_sentence, status_text, tab_label

    a = Assessment()
    a.load_sample()
    vs = a.views["anterior"]
    assert status_text(vs) == f"photo ✓ · calibration ✓ · landmarks {vs.total_count}/{vs.total_count}"
    assert tab_label(vs).endswith("✓")
    assert incomplete_sentence(a) is None
    pts = vs.editor_points()
    del pts["glabella"], pts["@v1"]
    vs.apply_points(pts)
    assert status_text(vs) == f"photo ✓ · calibration – · landmarks {vs.total_count - 1}/{vs.total_count}"
    assert "✓" not in tab_label(vs)
    assert (
        incomplete_sentence(a) == f"Not complete: Anterior (front): calibration, landmarks {vs.total_count - 1}/{vs.total_count}."
    )
    # the therapist says the photo is level and goes without a scale (the sample's scale was the plumb marks): done
    vs.set_options(vertical_mode="level", scale_mode="none")
    assert "calibration ✓" in status_text(vs)


def test_visit_dates_are_checked_in_one_sentence():
    from ui.client_file import parse_visit_date

    today = date(2026, 12, 2)
    assert parse_visit_date("2026-11-30", today) == date(2026, 11, 30)
    assert parse_visit_date(" 2026-12-02 ", today) == today
    for bad, words in (("2026-13-40", "is not a date"), ("30/11/2026", "is not a date"), ("", "Enter the visit date"),
                       ("2027-01-01", "in the future"), ("1850-01-01", "too long ago")):  # fmt: skip
        msg = parse_visit_date(bad, today)
        assert isinstance(msg, str) and words in msg and msg.endswith(".") and "\n" not in msg, (bad, msg)


def test_an_invalid_date_blocks_the_save_and_a_reopened_visit_keeps_its_date(store):
    from ui.client_file import Link, caption, visit_day

    client = store.create_client("Ana Ruiz", consent_photography=True, consent_date=date(2026, 1, 1))
    at = _app()
    at.session_state["assessment"].link = Link(client.id, client.name, consent=True)
    at.button(key="sample_main").click().run()
    _ok(at)
    at.text_input(key="visit_date_new").input("2026-02-31").run()
    _ok(at)
    assert any("is not a date" in e.value for e in at.error)
    assert at.button(key="save_visit_submit").disabled
    assert store.list_visits(client.id) == []
    at.text_input(key="visit_date_new").input("2026-03-04").run()
    _ok(at)
    assert not at.button(key="save_visit_submit").disabled
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    (summary,) = store.list_visits(client.id)
    assert summary.visit_date == date(2026, 3, 4)
    a = at.session_state["assessment"]
    assert visit_day(a) == date(2026, 3, 4)
    assert "2026-03-04" in caption(a, a.view, visit_day(a))
    assert not store.list_drafts(), "saving removed the draft"


# --- the app's autosave and restore --------------------------------------------------------


def _send(at: AppTest, points: dict, seq: int) -> AppTest:
    from ui.state import EDITOR_KEY

    vs = at.session_state["assessment"].view
    at.session_state[EDITOR_KEY] = {"edit": {"doc": vs.doc_id, "nonce": "t", "seq": seq, "points": points}}
    return _ok(at.run())


def _snapshot(a) -> dict:
    return {
        v: (
            vs.photo.digest,
            vs.photo.name,
            document.dumps(vs.doc),
            dict(vs.marks),
            vs.vertical_mode,
            vs.scale_mode,
            vs.distance_cm,
            vs.height_cm,
        )  # fmt: skip
        for v, vs in a.views.items()
        if vs.photo is not None
    }


def test_autosave_then_a_new_session_with_the_same_draft_id_restores_exactly(store):
    did = new_draft_id()
    at = _app(did)
    assert at.query_params["draft"] == [did] or at.query_params["draft"] == did
    assert not store.list_drafts(), "nothing to keep yet"
    at.file_uploader[0].upload("front.jpg", (SAMPLE / "anterior.jpg").read_bytes(), "image/jpeg").run()
    _ok(at)
    assert store.has_draft(did), "the photo alone is autosaved"
    truth = json.loads((SAMPLE / "anterior.json").read_text())["landmarks"]
    pts = {i: [truth[i]["x"] + 0.123456789, truth[i]["y"] - 1 / 3] for i in list(truth)[:7]}
    pts["@v1"], pts["@v2"] = [100.25, 150.5], [101.75, 1500.125]
    _send(at, pts, 1)
    at.number_input(key=f"dist_anterior_{at.session_state['assessment'].view.rev}").set_value(87.5).run()
    _ok(at)
    a = at.session_state["assessment"]
    a.view.doc = type(a.view.doc)(**{**a.view.doc.__dict__, "extra": {"suggestions": {"c": [1, 2.5]}}})
    at.text_input(key="client_name").input("Zoë").run()
    _ok(at)  # a change made in code (another helper's extra keys) is kept too
    before = _snapshot(a)
    info = store.get_draft(did).info
    assert (info.views, info.landmarks, info.client_name) == (1, 7, "Zoë")

    # a reload: a new session, the same URL; it offers the draft and restores it exactly
    at2 = _app(did)
    assert not at2.session_state["assessment"].views_with_photos(), "not restored silently"
    offer = " ".join(m.value for m in at2.markdown)
    assert "An unsaved assessment of Zoë from today" in offer and "(1 view, 7 landmarks)" in offer
    at2.button(key=f"restore_{did}").click().run()
    _ok(at2)
    b = at2.session_state["assessment"]
    assert _snapshot(b) == before
    assert b.view.doc.extra["suggestions"] == {"c": [1, 2.5]} and b.client == "Zoë"
    assert b.views["anterior"].photo.image.shape == a.views["anterior"].photo.image.shape
    own = at2.session_state["session"].draft_id
    assert store.has_draft(own) and [i.id for i in store.list_drafts()] == [own]


def test_sessions_do_not_overwrite_each_other_and_discard_removes(store):
    one, two = _app(), _app()
    one.button(key="sample_main").click().run()
    two.file_uploader[0].upload("back.jpg", (SAMPLE / "posterior.jpg").read_bytes(), "image/jpeg").run()
    _ok(one), _ok(two)
    ids = {one.session_state["session"].draft_id, two.session_state["session"].draft_id}
    assert len(ids) == 2 and {i.id for i in store.list_drafts()} == ids
    # "Start a new assessment" discards this session's draft only
    one.button(key="new_assessment").click().run()
    one.button(key="new_assessment_confirm").click().run()
    _ok(one)
    assert {i.id for i in store.list_drafts()} == {two.session_state["session"].draft_id}
    # a fresh tab offers the other one; Discard removes it
    three = _app()
    other = two.session_state["session"].draft_id
    three.button(key=f"discard_{other}").click().run()
    _ok(three)
    assert not store.list_drafts()


def test_restoring_a_reopened_visit_keeps_its_link_and_shares_its_photos(store):
    from ui import client_file
    from ui.drafts import restore_assessment
    from ui.model import Assessment

    client = store.create_client("Ana", consent_photography=True, consent_date=date(2026, 1, 1))
    a = Assessment()
    a.load_sample()
    client_file.link_client(a, client)
    visit, _ = client_file.save(a, store, date(2026, 2, 3), "first", with_report=False)
    b = Assessment()
    client_file.open_visit(b, store, client, store.get_visit(visit.id))
    vs = b.views["posterior"]
    pts = vs.editor_points()
    pts["c7"] = [pts["c7"][0] + 5, pts["c7"][1]]
    vs.apply_points(pts)
    client_file.set_visit_fields(b, notes="second look")
    from ui.drafts import draft_state, photo_sources, summary

    did = new_draft_id()
    store.save_draft(did, draft_state(b), photo_sources(b, store), **summary(b))
    c, problems = restore_assessment(store, did, b.settings)
    assert problems == []
    assert c.link == b.link and c.link.changed and c.unsaved
    assert client_file.visit_day(c) == date(2026, 2, 3)
    assert {v: d for v, (d, _) in c.stored_photos.items()} == {v: d for v, (d, _) in b.stored_photos.items()}
    assert c.views["posterior"].doc.landmarks == vs.doc.landmarks


def test_describe_says_when(store):
    from posture.store import DraftInfo
    from ui.drafts import describe

    now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    info = DraftInfo("0" * 32, now - timedelta(minutes=28), None, "", 3, 41)
    local = info.updated_at.astimezone().strftime("%H:%M")
    assert describe(info, now) == f"An unsaved assessment from today {local} (3 views, 41 landmarks)"
    older = DraftInfo("0" * 32, now - timedelta(days=1), None, "Bo", 1, 1)
    assert describe(older, now).startswith("An unsaved assessment of Bo from yesterday")


def test_posterior_prompts_start_at_the_spine_and_end_at_the_ears():
    order = landmarks.landmark_ids("posterior")
    assert order[:6] == ("c7", "t3", "t7", "t12", "l3", "s1")
    assert order[-2:] == ("tragus_r", "tragus_l")
    assert set(order) == {lm.id for lm in landmarks.view_landmarks("posterior")}
    assert "behind" in landmarks.get("posterior", "tragus_r").hint.lower()
    assert "behind" not in landmarks.get("anterior", "tragus_r").hint.lower()
