"""The client file's issue-14 additions on a real store in ``tmp_path``: possible duplicates of a name, search by
e-mail and phone, the client's height (and the migration that adds it), every revision of a visit, and no new
revision when nothing changed."""

from __future__ import annotations

import math
import sqlite3
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from sqlalchemy import create_engine
from test_store import PDF, new_client, sample_photo, visit_draft

from posture.analysis import analyze
from posture.store import ConflictError, Store, StoreError, ViewDraft
from posture.store.migrations import migrate
from posture.store.schema import SCHEMA_VERSION

KELLER_CONTACT = "079 123 45 67\nMaria.Keller@Example.org\nBahnhofstrasse 12, 8001 Zürich"


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "data") as s:
        yield s


# --- possible duplicates ------------------------------------------------------------------


def test_a_name_already_in_the_file_is_found_whatever_its_case_accents_spacing_and_word_order(store):
    keller = store.create_client("Maria Keller", date_of_birth=date(1980, 3, 14))
    mueller = store.create_client("Müller")
    store.create_client("Maria Kellermann")
    store.create_client("Anna Keller")
    for typed in ("  maria KELLER", "Maria  Keller", "Keller Maria", "Mária Kéller", "MARIA\u00a0keller"):
        found = store.similar_clients(typed)
        assert [(c.id, c.date_of_birth) for c in found] == [(keller.id, date(1980, 3, 14))], typed
    assert [c.id for c in store.similar_clients("muller")] == [mueller.id]
    assert [c.id for c in store.similar_clients("MÜLLER ")] == [mueller.id]
    assert store.similar_clients("Maria Kellerman") == [], "a longer or shorter name is not the same name"
    assert store.similar_clients("Maria") == [] and store.similar_clients("   ") == []
    twin = store.create_client("maria keller", date_of_birth=date(2011, 7, 1))
    assert {(c.id, c.date_of_birth) for c in store.similar_clients("Maria Keller")} == {
        (keller.id, date(1980, 3, 14)),
        (twin.id, date(2011, 7, 1)),
    }, "namesakes are all listed, each with the date of birth that tells them apart"


# --- search by contact --------------------------------------------------------------------


def _names(store: Store, search: str) -> list[str]:
    rows = store.list_clients(search)
    assert store.count_clients(search) == len(rows)
    return [r.name for r in rows]


def test_search_finds_a_phone_number_however_it_is_written_and_the_e_mail_and_address(store):
    store.create_client("Maria Keller", contact=KELLER_CONTACT)
    store.create_client("Tom Berg", contact="+41 (44) 555-66-77")
    store.create_client("Nadia 079", contact="")
    for query in ("0791234567", "079 123 45 67", "079-123-45-67", "(079) 123 45 67", "079.123.45.67", " 1234567 "):
        assert _names(store, query) == ["Maria Keller"], query
    assert _names(store, "4455566") == ["Tom Berg"]
    assert _names(store, "+41 44 555 66 77") == ["Tom Berg"]
    assert _names(store, "maria.keller@example") == ["Maria Keller"]
    assert _names(store, "KELLER@EXAMPLE.ORG") == ["Maria Keller"]
    assert _names(store, "zurich bahnhof") == ["Maria Keller"], "accents folded, every word somewhere"
    assert _names(store, "keller zurich") == ["Maria Keller"], "a word of the name and one of the contact"
    assert _names(store, "6712") == [], "digits of two different numbers (phone, street) do not run together"
    assert _names(store, "079") == ["Maria Keller", "Nadia 079"], "three digits: the phone, and the name"
    assert _names(store, "%") == [] and _names(store, "") == ["Maria Keller", "Nadia 079", "Tom Berg"]


def test_changing_the_contact_changes_what_finds_the_client(store):
    cid = store.create_client("Maria Keller", contact=KELLER_CONTACT).id
    store.update_client(cid, contact="mk@example.net, 044 999 88 77")
    assert _names(store, "0791234567") == [] and _names(store, "example.org") == []
    assert _names(store, "0449998877") == ["Maria Keller"] and _names(store, "mk@example") == ["Maria Keller"]


# --- height -------------------------------------------------------------------------------


def test_the_height_is_kept_changed_and_cleared(store):
    c = store.create_client("Maria Keller", height_cm=168.5)
    assert store.get_client(c.id).height_cm == 168.5
    assert store.update_client(c.id, height_cm=172).height_cm == 172.0
    assert store.get_client(c.id).height_cm == 172.0 and isinstance(store.get_client(c.id).height_cm, float)
    assert store.update_client(c.id, height_cm=None).height_cm is None
    assert store.create_client("No Height").height_cm is None


@pytest.mark.parametrize(
    ("height", "message"),
    [
        (1.72, "The client's height 1.72 cm is outside 50–250 cm: give it in centimetres, not metres."),
        (300, "The client's height 300 cm is outside 50–250 cm."),
        (49.9, "The client's height 49.9 cm is outside 50–250 cm."),
        ("170", "The client's height must be a number of centimetres."),
        (True, "The client's height must be a number of centimetres."),
        (math.nan, "The client's height must be a number of centimetres."),
    ],
)
def test_an_implausible_height_is_refused_with_one_sentence(store, height, message):
    with pytest.raises(StoreError) as err:
        store.create_client("Maria Keller", height_cm=height)
    assert str(err.value) == message
    assert store.count_clients() == 0


def test_a_damaged_stored_height_is_reported_and_the_record_still_reads(store):
    cid = store.create_client("Maria Keller", height_cm=168.0).id
    with sqlite3.connect(store.db_path) as db:
        db.execute("UPDATE clients SET height_cm = 'tall' WHERE id = ?", (cid,))
    c = store.get_client(cid)
    assert c.height_cm is None and c.name == "Maria Keller"
    assert c.problems == ("The recorded height of this client is damaged and is not shown: re-enter it.",)
    assert any("height" in p for p in store.verify())


def test_a_version_3_database_gains_heights_and_contact_search_and_keeps_its_data(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    engine = create_engine(f"sqlite:///{root / 'posture.db'}")
    with engine.begin() as conn:
        assert migrate(conn, target=3) == 0
        for cid, name, contact in (("ab" * 16, "Maria Keller", KELLER_CONTACT), ("cd" * 16, "Tom Berg", "")):
            conn.exec_driver_sql(
                "INSERT INTO clients (id, name, name_fold, contact, precautions, consent_photography, created_at, "
                "updated_at, revision) VALUES (?, ?, lower(?), ?, '{\"checked\": [], \"other_text\": \"\"}', 0, 't', 't', 2)",
                (cid, name, name, contact),
            )
    engine.dispose()
    with Store(root) as s:
        assert s.schema_version() == SCHEMA_VERSION == 4
        assert [c.name for c in s.list_clients("0791234567")] == ["Maria Keller"], "existing contacts are searchable"
        assert [c.name for c in s.list_clients("zurich")] == ["Maria Keller"]
        old = s.get_client("ab" * 16)
        assert (old.height_cm, old.contact, old.revision, old.problems) == (None, KELLER_CONTACT, 2, ())
        assert s.update_client(old.id, height_cm=165.0, base_revision=2).height_cm == 165.0
        assert s.verify() == []
    with Store(root) as s:  # opening again is a no-op
        assert s.schema_version() == 4 and s.get_client("ab" * 16).height_cm == 165.0


# --- every revision of a visit ----------------------------------------------------------


def test_every_revision_is_listed_and_opens_and_an_earlier_one_saved_again_becomes_the_newest(store):
    cid = new_client(store)
    v1 = store.add_visit(cid, visit_draft(("anterior",), notes="first look"))
    v2 = store.revise_visit(v1.id, replace(v1.to_draft(), notes="re-checked"), base_revision=1)
    moved = v2.views["anterior"].document.with_landmark("acromion_r", (500.0, 420.0))
    rec = v2.views["anterior"]
    v3 = store.revise_visit(v1.id, v2.to_draft().with_view(ViewDraft(moved, analyze(moved), rec.photo)), base_revision=2)
    assert v3.revision == 3 and v3.views["anterior"].annotated is None
    listed = store.list_revisions(v1.id)
    assert [(r.number, r.notes, r.views) for r in listed] == [
        (1, "first look", ("anterior",)),
        (2, "re-checked", ("anterior",)),
        (3, "re-checked", ("anterior",)),
    ]
    assert [r.saved_at for r in listed] == sorted(r.saved_at for r in listed)

    first = store.get_visit(v1.id, revision=1)
    assert (first.revision, first.revision_count, first.is_latest, first.notes) == (1, 3, False, "first look")
    assert first.views["anterior"].document.landmarks["acromion_r"].xy != (500.0, 420.0)
    assert first.views["anterior"].annotated is not None and first.revision_id == listed[0].id

    # opened while 3 was the latest, saved from revision 1: refused against the revision opened, taken against the latest
    with pytest.raises(ConflictError):
        store.revise_visit(v1.id, first.to_draft(), base_revision=1)
    restored = store.revise_visit(v1.id, first.to_draft(), base_revision=3)
    assert (restored.revision, restored.notes) == (4, "first look")
    assert restored.views["anterior"].document.landmarks == first.views["anterior"].document.landmarks
    assert restored.views["anterior"].annotated.sha256 == first.views["anterior"].annotated.sha256
    assert store.verify(deep=True) == []


# --- nothing changed, no revision ---------------------------------------------------------


def test_saving_an_unchanged_visit_adds_no_revision(store):
    cid = new_client(store)
    v = store.add_visit(cid, visit_draft(notes="baseline"))
    folders = sorted((store.files_dir / cid).iterdir())
    again = store.revise_visit(v.id, v.to_draft(), base_revision=1)
    assert (again.revision, again.revision_count, again.revision_id) == (1, 1, v.revision_id)
    # drawn again (a new report, new annotated images, the results graded afresh): no change either
    fresh = v.to_draft()
    redrawn = [replace(vd, result=None, annotated=np.full((160, 120, 3), 90, np.uint8)) for vd in fresh.views]
    again = store.revise_visit(v.id, replace(fresh, views=tuple(redrawn), report_pdf=PDF + b"\n% made later"))
    assert again.revision_count == 1 and len(store.list_revisions(v.id)) == 1
    assert sorted((store.files_dir / cid).iterdir()) == folders, "nothing staged or published"
    assert store.verify(deep=True) == []


@pytest.mark.parametrize("change", ["notes", "date", "landmark", "photo", "view left out"])
def test_any_change_of_what_the_therapist_saves_adds_a_revision(store, change):
    cid = new_client(store)
    v = store.add_visit(cid, visit_draft(notes="baseline", day=date(2026, 1, 5)))
    d = v.to_draft()
    ant = d.view("anterior")
    if change == "notes":
        d = replace(d, notes="baseline, re-checked")
    elif change == "date":
        d = replace(d, visit_date=date(2026, 1, 6))
    elif change == "landmark":
        moved = ant.document.with_landmark("glabella", (640.0, 240.0))
        d = d.with_view(ViewDraft(moved, analyze(moved), ant.photo))
    elif change == "photo":
        black = np.zeros((int(ant.document.image_height), int(ant.document.image_width), 3), np.uint8)
        d = d.with_view(replace(ant, photo=black))
    else:
        d = d.without_view("right_lateral")
    revised = store.revise_visit(v.id, d, base_revision=1)
    assert revised.revision == 2 and len(store.list_revisions(v.id)) == 2


def test_an_unchanged_save_over_a_damaged_revision_repairs_it(store):
    cid = new_client(store)
    v = store.add_visit(cid, visit_draft(("anterior",)))
    v.views["anterior"].photo.path.unlink()
    damaged = store.get_visit(v.id)
    assert damaged.problems
    d = damaged.to_draft()
    repaired = store.revise_visit(v.id, d.with_view(replace(d.view("anterior"), photo=sample_photo())), base_revision=1)
    assert repaired.revision == 2 and repaired.problems == ()
    assert repaired.views["anterior"].photo.sha256 == v.views["anterior"].photo.sha256


def test_whether_a_save_would_change_anything_is_asked_before_drawing(store):
    cid = new_client(store)
    v = store.add_visit(cid, visit_draft(notes="baseline"))
    bare = replace(v.to_draft(), report_pdf=None)
    bare = replace(bare, views=tuple(replace(vd, annotated=None) for vd in bare.views))
    assert store.unchanged(v.id, bare, base_revision=1)
    assert not store.unchanged(v.id, replace(bare, notes="other"), base_revision=1)
    store.revise_visit(v.id, replace(v.to_draft(), notes="elsewhere"), base_revision=1)
    assert not store.unchanged(v.id, bare, base_revision=1), "behind the latest: the save would be refused, not skipped"
    assert len(store.list_revisions(v.id)) == 2, "asking writes nothing"
