"""Client files in the app (AppTest, headless) with a real store in a temporary data folder.

Covers: create a client with precautions, start an assessment for them, save it
as a visit, reopen it and save a revision (the first stays readable), compare
two visits, link an unlinked assessment, erase the client; and the plain logic
of ``ui.client_file`` against the real store.
"""

from __future__ import annotations

import io
import json
import os
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from posture.store import Precautions, Store
from ui.state import SESSION_KEY

REPO = Path(__file__).resolve().parents[1]
APP = str(REPO / "app.py")
SAMPLE = REPO / "sample_images"


@pytest.fixture
def store():
    """The store the app opens (conftest points ``POSTURE_DATA_DIR`` at a fresh folder)."""
    with Store(os.environ["POSTURE_DATA_DIR"]) as s:
        yield s


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _app() -> AppTest:
    return _ok(AppTest.from_file(APP, default_timeout=60).run())


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += (
        [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info] + [s.value for s in at.success]
    )
    return "\n".join(str(p) for p in parts)


def _create_client(at: AppTest, name: str, precautions: tuple[str, ...] = ()) -> AppTest:
    at.switch_page("pages/clients.py").run()
    _ok(at)
    at.text_input(key="new_client_name").input(name)
    for key in precautions:
        at.checkbox(key=f"new_client_pre_{key}").check()
    at.checkbox(key="new_client_consent").check()
    at.button(key="new_client_submit").click().run()
    return _ok(at)


def _follow(at: AppTest, page: str = "pages/assessment.py") -> AppTest:
    """AppTest does not follow an ``st.switch_page`` made by the script into later runs: follow it by hand."""
    return _ok(at.switch_page(page).run())


def _move(at: AppTest, landmark: str, dy: float, seq: int) -> AppTest:
    from ui.state import EDITOR_KEY

    vs = at.session_state["assessment"].view
    pts = vs.editor_points()
    pts[landmark] = [pts[landmark][0], pts[landmark][1] + dy]
    at.session_state[EDITOR_KEY] = {"edit": {"doc": vs.doc_id, "nonce": "test", "seq": seq, "points": pts}}
    return _ok(at.run())


def test_client_record_visit_reopen_revision_compare_erase(store):
    at = _create_client(_app(), "Łucja Żółć", ("pregnancy", "acute_injury_or_inflammation"))
    # the new client's page: name, precautions shown prominently, no visits yet
    assert at.title[0].value == "Łucja Żółć"
    assert any("Pregnancy" in e.value and "Acute injury" in e.value for e in at.error), "precautions in red"
    assert "No visits yet" in _texts(at)
    (client,) = store.list_clients("zolc")
    assert client.name == "Łucja Żółć" and client.precautions.checked == {"pregnancy", "acute_injury_or_inflammation"}

    # new assessment for her: the assessment page shows whose it is and the precautions
    at.button(key="new_visit").click().run()
    _follow(at)
    a = at.session_state["assessment"]
    assert a.link.client_id == client.id
    assert "Łucja Żółć" in _texts(at) and any("Pregnancy" in e.value for e in at.error)
    at.button(key="sample_main").click().run()
    _ok(at)
    assert len(at.session_state["assessment"].views_with_photos()) == 4

    # save to her file: one visit with all four views, photos and annotated images without EXIF, a report
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    (summary,) = store.list_visits(client.id)
    assert set(summary.views) == {"anterior", "posterior", "right_lateral", "left_lateral"}
    visit = store.get_visit(summary.id)
    assert visit.revision == 1 and visit.report is not None
    assert store.read_file(visit.report)[:5] == b"%PDF-"
    for rec in visit.views.values():
        photo = Image.open(io.BytesIO(store.read_file(rec.photo)))
        assert photo.format == "JPEG" and not photo.getexif()
        annotated = Image.open(io.BytesIO(store.read_file(rec.annotated)))
        assert annotated.size == photo.size
    first_tilt = visit.views["anterior"].result["measurements"]["shoulder_tilt"]["value"]
    truth = json.loads((SAMPLE / "anterior.json").read_text())["landmarks"]
    assert visit.views["anterior"].document.landmarks["acromion_l"].xy == (truth["acromion_l"]["x"], truth["acromion_l"]["y"])

    # reopen it from her page (a fresh session, as another day), move the left acromion down, save: revision 2
    at = _app()
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    at.run()
    at.button(key=f"open_visit_{summary.id}").click().run()
    _follow(at)
    a = at.session_state["assessment"]
    assert a.link.visit_id == summary.id and a.link.revision == 1
    assert a.views["anterior"].doc.landmarks["acromion_l"].xy == (truth["acromion_l"]["x"], truth["acromion_l"]["y"])
    assert not a.unsaved, "a visit just opened has nothing unsaved"
    at.session_state[SESSION_KEY].pending_view = "anterior"
    at.run()
    _move(at, "acromion_l", 60.0, seq=1)
    assert at.session_state["assessment"].unsaved
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    revised = store.get_visit(summary.id)
    assert revised.revision == 2
    assert revised.views["anterior"].result["measurements"]["shoulder_tilt"]["value"] < first_tilt - 2
    assert (
        store.get_visit(summary.id, revision=1).views["anterior"].result["measurements"]["shoulder_tilt"]["value"] == first_tilt
    )
    # the unchanged photo is shared, not stored again
    assert revised.views["posterior"].photo.sha256 == visit.views["posterior"].photo.sha256

    # a second visit (a new assessment from the sample, left acromion raised) → compare the two
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    at.run()
    at.button(key="new_visit").click().run()
    _follow(at)
    at.button(key="sample_main").click().run()
    at.session_state[SESSION_KEY].pending_view = "anterior"
    at.run()
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    assert len(store.list_visits(client.id)) == 2

    at.switch_page("pages/compare.py").run()
    _ok(at)
    tables = [h.proto.body for h in at.get("html") if "pm-compare" in h.proto.body]
    assert tables, "a change table per view"
    anterior = next(t for t in tables if 'data-view="anterior"' in t)
    # revision 2 of the first visit has the left shoulder 60 px lower: the second visit (the sample) is back to
    # a mild right-low tilt, which is closer to level: improved
    assert 'data-mid="shoulder_tilt" data-verdict="improved"' in anterior
    assert 'data-mid="head_tilt" data-verdict="unchanged"' in anterior, "same landmarks → unchanged"
    assert len(at.get("vega_lite_chart")) == 1, "a trend chart"

    # erase her: confirm by typing the name
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    at.run()
    at.text_input(key=f"erase_confirm_{client.id}").input("Łucja Żółć").run()
    at.button(key=f"erase_{client.id}").click().run()
    _ok(at)
    assert store.list_clients() == []
    assert not any((Path(store.root) / "files").rglob("*.jpg")), "no file of hers is left"


def test_unlinked_assessment_can_be_linked_and_saved(store):
    store.create_client("Ana Ruiz", consent_photography=True, consent_date=date.today())
    at = _app()
    at.button(key="sample_main").click().run()
    _ok(at)
    assert "Link this assessment to a client" in _texts(at)
    at.text_input(key="link_search").input("ruiz").run()
    at.button(key="link_client").click().run()
    _ok(at)
    assert at.session_state["assessment"].link.client_name == "Ana Ruiz"
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    (row,) = store.list_clients("ana")
    assert row.visit_count == 1


def test_unsaved_work_is_not_dropped_without_asking(store):
    client = store.create_client("Bo Lind")
    at = _app()
    at.button(key="sample_main").click().run()  # unlinked work in progress
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    at.run()
    at.button(key="new_visit").click().run()
    _ok(at)
    assert "not saved in a client file" in _texts(at)
    assert at.session_state["assessment"].link is None, "the open assessment is untouched until confirmed"
    assert len(at.session_state["assessment"].views_with_photos()) == 4
    at.button(key="discard_go").click().run()
    _follow(at)
    a = at.session_state["assessment"]
    assert a.link is not None and a.link.client_name == "Bo Lind" and not a.views_with_photos()


def test_client_list_search_and_edit(store):
    for name in ("Zoë Adams", "Marta Núñez", "O'Brien / ../etc", "🙂 Smile"):
        store.create_client(name)
    at = _app()
    at.switch_page("pages/clients.py").run()
    at.text_input(key="client_search").input("nunez").run()
    _ok(at)
    assert "Marta Núñez" in _texts(at) and "Zoë Adams" not in _texts(at)
    at.text_input(key="client_search").input("../").run()
    assert "O'Brien / ../etc" in _texts(at).replace("\\", "")
    (row,) = store.list_clients("o'brien")
    at.session_state[SESSION_KEY].open_client = row.id
    at.text_input(key="client_search").input("").run()
    _ok(at)
    key = f"edit_client_{row.id}_g0"  # the record form of generation 0 (bumped by "Reload the record")
    at.text_input(key=f"{key}_name").input("Seán O'Brien")
    at.checkbox(key=f"{key}_pre_severe_osteoporosis_or_fragile_bones").check()
    at.button(key=f"{key}_submit").click().run()
    _ok(at)
    updated = store.get_client(row.id)
    assert updated.name == "Seán O'Brien"
    assert updated.precautions == Precautions(frozenset({"severe_osteoporosis_or_fragile_bones"}))
    assert any("osteoporosis" in e.value for e in at.error)


def test_a_client_needs_a_name(store):
    at = _create_client(_app(), "   ")
    assert any("needs a name" in e.value for e in at.error)
    assert store.count_clients() == 0


def test_open_visit_with_a_missing_photo_says_so_and_keeps_the_rest(store, tmp_path):
    from ui import client_file
    from ui.model import Assessment

    a = Assessment()
    a.load_sample()
    client = store.create_client("Kim", consent_photography=True, consent_date=date(2026, 1, 5))
    client_file.link_client(a, client)
    visit, _ = client_file.save(a, store, date(2026, 1, 5), "first", with_report=False)
    visit.views["posterior"].photo.path.unlink()  # damage: a photo file disappears

    fresh = Assessment()
    problems = client_file.open_visit(fresh, store, client, store.get_visit(visit.id))
    assert any("posterior" in p for p in problems), problems
    assert fresh.views["posterior"].photo is None
    assert fresh.views["anterior"].photo is not None and fresh.views["anterior"].placed_count == 20
    assert fresh.link.visit_id == visit.id and fresh.link.notes == "first"


def test_export_then_import_through_the_app(store):
    from posture import archive
    from ui import client_file
    from ui.model import Assessment

    client = store.create_client("Noor Haddad", consent_photography=True, consent_date=date(2026, 2, 1))
    a = Assessment()
    a.load_sample()
    client_file.link_client(a, client)
    client_file.save(a, store, date(2026, 2, 1), "baseline", with_report=False)
    data = archive.export_client_bytes(store, client.id)
    store.delete_client(client.id)
    assert store.count_clients() == 0

    at = _app()
    at.switch_page("pages/clients.py").run()
    at.file_uploader(key="import_zip").upload("noor.zip", data, "application/zip").run()
    _ok(at)
    assert at.success and "Noor Haddad" in at.success[0].value
    (row,) = store.list_clients("haddad")
    assert row.visit_count == 1
    (visit,) = store.history(row.id)
    assert visit.notes == "baseline" and len(visit.views) == 4

    at.file_uploader(key="import_zip").upload("junk.zip", b"not a zip at all", "application/zip").run()
    _ok(at)
    assert at.error and "junk.zip" in at.error[0].value and "\n" not in at.error[0].value
    assert store.count_clients() == 1, "a bad archive changes nothing"


def test_starting_afresh_asks_before_dropping_unsaved_work():
    at = _app()
    at.button(key="sample_main").click().run()
    _ok(at)
    assert at.session_state["assessment"].unsaved
    at.button(key="new_assessment").click().run()
    _ok(at)
    assert len(at.session_state["assessment"].views_with_photos()) == 4, "one click does not discard"
    assert any("Unsaved work will be lost" in w.value for w in at.warning)
    at.button(key="new_assessment_confirm").click().run()
    _ok(at)
    assert not at.session_state["assessment"].views_with_photos()


def test_an_unusable_data_folder_is_one_sentence_and_the_assessment_still_works(tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should be")
    monkeypatch.setenv("POSTURE_DATA_DIR", str(blocker))
    at = _app()
    at.switch_page("pages/clients.py").run()
    _ok(at)
    assert len(at.error) == 1 and "client file cannot be opened" in at.error[0].value
    at.switch_page("pages/assessment.py").run()
    at.button(key="sample_main").click().run()
    _ok(at)
    assert at.session_state["assessment"].views_with_photos(), "the assessment works without a client file"
    assert any("client file cannot be opened" in e.value for e in at.error)
    assert "use the downloads instead" in _texts(at)
    assert blocker.read_text() == "a file where the data folder should be", "nothing overwritten"


# --- issue 14: duplicates, search by contact, height, revisions, unchanged saves ----------------


def test_a_duplicate_name_warns_with_the_date_of_birth_before_creating(store):
    keller = store.create_client("Maria Keller", date_of_birth=date(1980, 3, 14))
    at = _create_client(_app(), "  maria KELLER")
    warning = next(w.value for w in at.warning if "already holds a client" in w.value)
    assert "Maria Keller (born 1980-03-14 · " in warning and " years)" in warning
    assert store.count_clients() == 1, "nothing is created before the therapist says so"
    at.button(key=f"duplicate_open_{keller.id}").click().run()
    _ok(at)
    assert at.title[0].value == "Maria Keller" and store.count_clients() == 1, "the existing client's page"

    at = _create_client(_app(), "Müller Anna")
    assert store.count_clients() == 2 and not any("already holds" in w.value for w in at.warning), "a new name: no question"
    at = _create_client(_app(), "anna muller")
    assert any("Müller Anna (date of birth not recorded)" in w.value for w in at.warning)
    at.button(key="duplicate_create").click().run()
    _ok(at)
    assert store.count_clients() == 3 and at.title[0].value == "anna muller", "created anyway, and opened"
    assert not any("already holds" in w.value for w in at.warning)


def test_the_client_list_finds_phone_and_e_mail_and_the_page_shows_age_and_height(store):
    store.create_client(
        "Maria Keller", date_of_birth=date(1980, 3, 14), height_cm=168.5, contact="079 123 45 67\nmaria.keller@example.org"
    )
    store.create_client("Tom Berg", contact="tom@example.net")
    at = _app()
    at.switch_page("pages/clients.py").run()
    box = at.text_input(key="client_search")
    assert box.proto.type == box.proto.SEARCH, "a search box"
    for query, shown, hidden in (("0791234567", "Maria Keller", "Tom Berg"), ("TOM@example", "Tom Berg", "Maria Keller")):
        at.text_input(key="client_search").input(query).run()
        _ok(at)
        assert shown in _texts(at) and hidden not in _texts(at), query
    (row,) = store.list_clients("keller")
    at.session_state[SESSION_KEY].open_client = row.id
    at.run()
    years = date.today().year - 1980 - ((date.today().month, date.today().day) < (3, 14))
    assert f"born 1980-03-14 · {years} years" in _texts(at) and "168.5 cm" in _texts(at)


def _scale_by_height(at: AppTest) -> float:
    """Switch the anterior view's scale to the client's height; the value the height input starts at."""
    at.session_state[SESSION_KEY].pending_view = "anterior"
    at.run()
    vs = at.session_state["assessment"].views["anterior"]
    k = f"anterior_{vs.rev}"
    at.segmented_control(key=f"smode_{k}").set_value("height").run()
    _ok(at)
    return at.number_input(key=f"height_{k}").value


@pytest.mark.parametrize(("height", "expected"), [(182.5, 182.5), (None, 170.0)])
def test_a_height_calibration_starts_at_the_clients_recorded_height(store, height, expected):
    client = store.create_client("Ida Lund", height_cm=height, consent_photography=True, consent_date=date(2026, 1, 5))
    at = _app()
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    at.run()
    at.button(key="new_visit").click().run()
    _follow(at)
    at.button(key="sample_main").click().run()
    _ok(at)
    assert _scale_by_height(at) == expected
    vs = at.session_state["assessment"].views["anterior"]
    assert (vs.scale_mode, vs.height_cm) == ("height", expected), "the calibration uses it"


def test_every_revision_opens_and_an_unchanged_save_adds_none(store):
    from ui import client_file
    from ui.model import Assessment

    client = store.create_client("Kai Moreau", consent_photography=True, consent_date=date(2026, 1, 5))
    a = Assessment()
    a.load_sample()
    client_file.link_client(a, client)
    visit, _ = client_file.save(a, store, date(2026, 1, 5), "baseline", with_report=False)

    def open_page() -> AppTest:
        at = _app()
        at.switch_page("pages/clients.py").run()
        at.session_state[SESSION_KEY].open_client = client.id
        return _ok(at.run())

    # reopen, save without changing anything: no revision, and the therapist is told so
    at = open_page()
    at.button(key=f"open_visit_{visit.id}").click().run()
    _follow(at)
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    assert store.get_visit(visit.id).revision_count == 1
    assert [t.value for t in at.toast] == ["Nothing changed since the saved revision."]

    # a second revision (other notes), then revision 1 from the list of revisions
    at.text_input(key=f"visit_notes_{visit.id}").input("re-checked").run()
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    assert store.get_visit(visit.id).revision_count == 2
    at = open_page()
    assert any("All 2 revisions" in e.label for e in at.expander)
    assert "Revision 1" in _texts(at) and "baseline" in _texts(at) and "(latest)" in _texts(at)
    at.button(key=f"open_revision_{visit.id}_1").click().run()
    assert any("Revision 1 of the visit of 2026-01-05 opened (the latest is 2)" in t.value for t in at.toast)
    _follow(at)
    link = at.session_state["assessment"].link
    assert (link.revision, link.latest_revision, link.notes) == (1, 2, "baseline")
    assert "revision 1 of 2" in _texts(at) and "saving it makes it the newest (revision 3)" in _texts(at)
    # saved again, revision 1 becomes the newest (revision 3); 2 stays readable
    at.button(key="save_visit_submit").click().run()
    _ok(at)
    latest = store.get_visit(visit.id)
    assert (latest.revision, latest.notes) == (3, "baseline")
    assert store.get_visit(visit.id, revision=2).notes == "re-checked"


def test_saving_a_reopened_visit_unchanged_keeps_its_revision_and_nothing_is_left_unsaved(store):
    from ui import client_file
    from ui.model import Assessment

    a = Assessment()
    a.load_sample()
    client = store.create_client("Lea Roth", height_cm=171.0, consent_photography=True, consent_date=date(2026, 1, 5))
    client_file.link_client(a, client)
    assert a.link.height_cm == 171.0
    visit, _ = client_file.save(a, store, date(2026, 1, 5), "first")

    fresh = Assessment()
    assert client_file.open_visit(fresh, store, client, store.get_visit(visit.id)) == []
    vs = fresh.views["anterior"]
    pts = vs.editor_points()
    x, y = pts["acromion_l"]
    vs.apply_points({**pts, "acromion_l": [x, y + 30.0]})  # moved, then moved back: the same as saved
    assert fresh.unsaved
    vs.apply_points({**pts, "acromion_l": [x, y]})
    before = fresh.link
    again, warning = client_file.save(fresh, store, date(2026, 1, 5), "first")
    assert client_file.nothing_changed(before, again) and warning is None
    assert (again.revision_count, again.revision_id) == (1, visit.revision_id)
    assert not fresh.unsaved and fresh.link.latest_revision == 1
    before = fresh.link
    changed, _ = client_file.save(fresh, store, date(2026, 1, 5), "first, re-read")
    assert not client_file.nothing_changed(before, changed)
    assert changed.revision_count == 2 and store.get_visit(visit.id, revision=1).notes == "first"


def test_an_erasure_held_up_by_another_reader_says_so_rather_than_erased(store, monkeypatch):
    from test_store_integrity import reading

    client = store.create_client("Nadia Reads", consent_photography=True, consent_date=date.today())
    monkeypatch.setattr("posture.store.database.BUSY_TIMEOUT_S", 0.2)
    at = _app()
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client.id
    _ok(at.run())
    reader = reading(Path(store.root))  # another window, reading on
    try:
        at.text_input(key=f"erase_confirm_{client.id}").input("Nadia Reads").run()
        at.button(key=f"erase_{client.id}").click().run()
        _ok(at)
        assert store.list_clients() == []
        toasts = [t.value for t in at.toast]
        assert len(toasts) == 1 and toasts[0].startswith("Nadia Reads erased from the client file; another window is")
    finally:
        reader.close()
