"""The client file (posture.store) on real files and a real SQLite database in ``tmp_path``.

Helpers at the top are shared with the archive tests (``from test_store import ...``).
"""

from __future__ import annotations

import io
import os
import sqlite3
import stat
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import platformdirs
import pytest
from helpers_core import REPO
from PIL import Image
from sqlalchemy import create_engine, inspect

from posture import document as docs
from posture.analysis import analyze
from posture.images import clean_jpeg, jpeg_is_clean
from posture.store import (
    DATA_DIR_ENV,
    PRECAUTION_KEYS,
    CorruptRecordError,
    MissingFileError,
    NotFoundError,
    Precautions,
    SchemaError,
    Store,
    StoredFile,
    StoreError,
    ViewDraft,
    VisitDraft,
    default_data_dir,
)
from posture.store.migrations import migrate
from posture.store.schema import SCHEMA_VERSION, metadata

SAMPLES = REPO / "sample_images"
DAY = date(2026, 1, 5)
PDF = b"%PDF-1.4\n% a tiny stand-in for a report\n%%EOF\n"


def sample_doc(view: str = "anterior") -> docs.ViewDocument:
    return docs.load(SAMPLES / f"{view}.json")


def sample_photo(view: str = "anterior") -> bytes:
    return (SAMPLES / f"{view}.jpg").read_bytes()


def view_draft(view: str = "anterior", *, photo: bool = True, annotated: bool = True) -> ViewDraft:
    doc = sample_doc(view)
    return ViewDraft(doc, analyze(doc), sample_photo(view) if photo else None, sample_photo(view) if annotated else None)


def visit_draft(
    views=("anterior", "right_lateral"), *, day: date = DAY, notes: str = "", report: bool = True, **kw
) -> VisitDraft:
    return VisitDraft(day, notes, tuple(view_draft(v, **kw) for v in views), PDF if report else None)


def new_client(store: Store, name: str = "Jane Doe", **kw) -> str:
    kw.setdefault("consent_photography", True)
    kw.setdefault("consent_date", date(2025, 12, 1))
    return store.create_client(name, **kw).id


def exif_jpeg(orientation: int = 6) -> bytes:
    """A 64×32 JPEG, left half red and right half blue as stored, with EXIF orientation, camera make, GPS and a comment."""
    img = Image.new("RGB", (64, 32), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 32, 32))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SECRETCAM"
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 13.0, 30.0), 3: "E", 4: (21.0, 0.0, 0.0), 27: "SECRETGPS"})
    buf = io.BytesIO()
    img.save(buf, "JPEG", exif=exif.tobytes(), quality=95, comment=b"SECRETCOMMENT")
    return buf.getvalue()


def walk(root: Path) -> list[Path]:
    return sorted(root.rglob("*"))


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "data") as s:
        yield s


# --- the data folder --------------------------------------------------------------------


def test_data_dir_from_environment_else_per_user(monkeypatch, tmp_path):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "env-data"))
    assert default_data_dir() == tmp_path / "env-data"
    with Store() as s:
        assert s.root == tmp_path / "env-data" and (tmp_path / "env-data" / "posture.db").is_file()
    monkeypatch.delenv(DATA_DIR_ENV)
    assert default_data_dir() == Path(platformdirs.user_data_dir("posture", appauthor=False))


def test_data_folder_is_private_whatever_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        with Store(tmp_path / "a" / "data") as s:
            cid = new_client(s)
            s.add_visit(cid, visit_draft())
            modes = {p: stat.S_IMODE(p.stat().st_mode) for p in [s.root, *walk(s.root)]}
    finally:
        os.umask(old)
    assert {p.name for p in modes} >= {"posture.db", "posture.db-wal", "files", "staging", "anterior.jpg", "report.pdf"}
    for p, mode in modes.items():
        assert mode == (0o700 if p.is_dir() else 0o600), f"{p} is {oct(mode)}"


def test_existing_empty_folder_is_made_private_but_a_foreign_folder_is_left_alone(tmp_path):
    ours, shared = tmp_path / "ours", tmp_path / "shared"
    ours.mkdir(mode=0o755)
    shared.mkdir(mode=0o755)
    (shared / "someone-elses.txt").write_text("x")
    os.chmod(ours, 0o755)
    os.chmod(shared, 0o755)
    Store(ours).close()
    Store(shared).close()
    assert stat.S_IMODE(ours.stat().st_mode) == 0o700
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    assert stat.S_IMODE((shared / "files").stat().st_mode) == 0o700


def test_a_file_in_place_of_the_data_folder_is_one_sentence(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        Store(tmp_path / "f")


# --- clients ----------------------------------------------------------------------------


def test_client_record_round_trip_and_edit(store):
    pre = Precautions(frozenset({"pregnancy", "blood_clots_or_clotting_disorders"}), "  recent whiplash ")
    c = store.create_client(
        "  Łucja Żółć ", date_of_birth=date(1980, 2, 29), sex="female", contact="+48 600 000 000\nlucja@example.org",
        notes="Desk worker.", precautions=pre, consent_photography=True, consent_date=date(2026, 1, 2),
    )  # fmt: skip
    got = store.get_client(c.id)
    assert got == c and not got.problems
    assert (got.name, got.date_of_birth, got.sex, got.consent_date) == (
        "Łucja Żółć",
        date(1980, 2, 29),
        "female",
        date(2026, 1, 2),
    )
    assert got.precautions.checked == {"pregnancy", "blood_clots_or_clotting_disorders", "other"}
    assert got.precautions.labels() == ["Blood clots or a clotting disorder", "Pregnancy", "Other precaution: recent whiplash"]
    edited = store.update_client(c.id, notes="Runs.", precautions={"checked": ["acute_injury_or_inflammation"], "other_text": ""})
    assert edited.notes == "Runs." and edited.precautions.labels() == ["Acute injury or inflammation"]
    assert edited.updated_at > c.updated_at and edited.created_at == c.created_at and edited.name == "Łucja Żółć"
    assert len(PRECAUTION_KEYS) == 7


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "  "}, "name is empty"),
        ({"name": "a\nb"}, "control characters"),
        ({"name": "x" * 201}, "longer than 200"),
        ({"date_of_birth": "TOMORROW"}, "in the future"),  # worked out when the test runs, not when it is collected
        ({"sex": "f"}, "Sex must be one of"),
        ({"consent_photography": True}, "date the client consented"),
        ({"precautions": Precautions(frozenset({"pregnancy"}))}, None),
        ({"precautions": {"checked": ["flu"]}}, "'flu' is not a precaution"),
    ],
)
def test_client_fields_are_checked_with_one_sentence(store, fields, message):
    fields = {"name": "Jane", **fields}
    if fields.get("date_of_birth") == "TOMORROW":  # a suite collected before midnight still means tomorrow
        fields["date_of_birth"] = date.today() + timedelta(days=1)
    name = fields.pop("name")
    if message is None:
        assert store.create_client(name, **fields).precautions.labels() == ["Pregnancy"]
        return
    with pytest.raises(StoreError, match=message):
        store.create_client(name, **fields)
    assert store.count_clients() == 0


HOSTILE_NAMES = [
    "../../etc/passwd",
    "..\\..\\Windows\\System32",
    "a/b/c",
    "Robert'); DROP TABLE clients;--",
    'Siobhán "Shiv" O\'Neill',
    "Zoë 🙂🧘‍♀️",
    "שלום כהן",
    "عبد الله الحسيني",
    "Łucja Żółć",
    "%_\\ 100% literal",
    "CON",
    ".",
]


def test_hostile_names_are_stored_safely_and_found(store):
    ids = {name: new_client(store, name) for name in HOSTILE_NAMES}
    for cid in ids.values():
        store.add_visit(cid, visit_draft(("anterior",)))
    # nothing on disk is named from a client's name: only ids, view names and the store's own files
    allowed = {
        "posture.db",
        "posture.db-wal",
        "posture.db-shm",
        ".lock",
        "files",
        "staging",
        "drafts",
        "erasing",
        "exporting",
        "report.pdf",
    }
    for p in walk(store.root):
        assert p.name in allowed or len(p.name) == 32 or p.name.startswith("anterior"), p
    for name, cid in ids.items():
        assert store.get_client(cid).name == name
        assert cid in [c.id for c in store.list_clients(name)], name
    assert [c.name for c in store.list_clients("zolc")] == ["Łucja Żółć"]
    assert [c.name for c in store.list_clients("ZÓŁĆ łucja")] == ["Łucja Żółć"]
    assert [c.name for c in store.list_clients("%")] == ["%_\\ 100% literal"]  # LIKE wildcards are literal
    assert [c.name for c in store.list_clients("_")] == ["%_\\ 100% literal"]
    assert [c.name for c in store.list_clients("siobhan")] == ['Siobhán "Shiv" O\'Neill']
    assert [c.name for c in store.list_clients("כה")] == ["שלום כהן"]
    assert [c.name for c in store.list_clients("🧘")] == ["Zoë 🙂🧘‍♀️"]
    assert store.count_clients() == len(HOSTILE_NAMES) and store.verify(deep=True) == []


def test_client_list_pages_in_name_order_with_visit_counts(store):
    for name in ["bob", "Ádám", "alice", "Zed", "émile"]:
        new_client(store, name)
    cid = store.list_clients("zed")[0].id
    store.add_visit(cid, visit_draft(("anterior",), day=date(2025, 3, 1)))
    store.add_visit(cid, visit_draft(("anterior",), day=date(2026, 2, 1)))
    assert [c.name for c in store.list_clients()] == ["Ádám", "alice", "bob", "émile", "Zed"]
    assert [c.name for c in store.list_clients(limit=2, offset=2)] == ["bob", "émile"]
    zed = store.list_clients("ZED")[0]
    assert (zed.visit_count, zed.last_visit_date) == (2, date(2026, 2, 1))
    assert store.resolve_client_id(cid[:8]) == cid
    with pytest.raises(NotFoundError):
        store.resolve_client_id("zzzzzz")


# --- visits -----------------------------------------------------------------------------


def test_visit_round_trip_and_revisions_keep_the_earlier_version(store):
    cid = new_client(store)
    draft = visit_draft(notes="first look")
    v1 = store.add_visit(cid, draft)
    assert (v1.revision, v1.revision_count, v1.visit_date, v1.notes, v1.problems) == (1, 1, DAY, "first look", ())
    assert list(v1.views) == ["anterior", "right_lateral"]
    for vd in draft.views:
        rec = v1.views[vd.view]
        assert docs.to_dict(rec.document) == docs.to_dict(vd.document)
        assert rec.result == analyze(vd.document)
        assert store.read_file(rec.photo) == sample_photo(vd.view)  # a clean JPEG is kept byte for byte
    assert store.read_file(v1.report) == PDF

    # reopen, move a landmark, re-render: only what changed is given again
    moved = v1.views["anterior"].document.with_landmark("acromion_r", (500.0, 420.0))
    rendered = np.full((160, 120, 3), 200, np.uint8)
    edit = v1.to_draft().with_view(ViewDraft(moved, analyze(moved), v1.views["anterior"].photo, rendered))
    v2 = store.revise_visit(v1.id, replace(edit, notes="re-checked", report_pdf=None), base_revision=1)
    assert (v2.revision, v2.notes, v2.report) == (2, "re-checked", None)
    assert v2.views["anterior"].document.landmarks["acromion_r"].xy == (500.0, 420.0)
    assert v2.views["anterior"].photo.sha256 == v1.views["anterior"].photo.sha256
    assert v2.views["anterior"].photo.path.stat().st_ino == v1.views["anterior"].photo.path.stat().st_ino  # shared, not copied
    assert v2.views["right_lateral"].annotated.sha256 == v1.views["right_lateral"].annotated.sha256

    old = store.get_visit(v1.id, revision=1)
    assert old.notes == "first look" and old.views["anterior"].document.landmarks["acromion_r"].xy != (500.0, 420.0)
    assert store.read_file(old.report) == PDF
    assert [(r.number, r.notes) for r in store.list_revisions(v1.id)] == [(1, "first look"), (2, "re-checked")]
    (summary,) = store.list_visits(cid)
    assert (summary.revision_count, summary.notes, summary.views) == (2, "re-checked", ("anterior", "right_lateral"))

    # restoring revision 1 brings back its own files and report
    v3 = store.revise_visit(v1.id, old.to_draft(), base_revision=2)
    assert v3.views["anterior"].annotated.sha256 == v1.views["anterior"].annotated.sha256
    assert store.read_file(v3.report) == PDF
    assert store.verify(deep=True) == []


def test_stale_results_annotations_and_concurrent_edits_are_refused(store):
    cid = new_client(store)
    v = store.add_visit(cid, visit_draft(("anterior",)))
    rec = v.views["anterior"]
    moved = rec.document.with_landmark("glabella", (640.0, 240.0))
    with pytest.raises(StoreError, match="not computed from its document"):
        store.revise_visit(v.id, v.to_draft().with_view(ViewDraft(moved, rec.result, rec.photo)))
    with pytest.raises(StoreError, match="drawn for other landmarks"):
        store.revise_visit(v.id, v.to_draft().with_view(ViewDraft(moved, None, rec.photo, rec.annotated)))
    store.revise_visit(v.id, replace(v.to_draft(), notes="this window"), base_revision=1)
    with pytest.raises(StoreError, match="saved elsewhere since you opened it"):
        store.revise_visit(v.id, replace(v.to_draft(), notes="the other window"), base_revision=1)
    other = new_client(store, "Other")
    with pytest.raises(StoreError, match="another client"):
        store.add_visit(other, VisitDraft(DAY, views=[ViewDraft(rec.document, None, rec.photo)]))
    assert store.get_visit(v.id).revision == 2 and len(store.list_visits(other)) == 0


def test_photos_need_consent_and_must_match_their_document(store):
    cid = store.create_client("No Consent").id
    with pytest.raises(StoreError, match="consent to photography"):
        store.add_visit(cid, visit_draft(("anterior",)))
    assert store.add_visit(cid, visit_draft(("anterior",), photo=False, annotated=False)).views["anterior"].photo is None
    ok = new_client(store)
    with pytest.raises(StoreError, match="1200×1600 px but its view document says"):
        store.add_visit(ok, VisitDraft(DAY, views=[ViewDraft(replace(sample_doc(), image_width=1000.0), None, sample_photo())]))
    with pytest.raises(StoreError, match="not a photo this app can read"):
        store.add_visit(ok, VisitDraft(DAY, views=[ViewDraft(sample_doc(), None, b"GIF89a not really")]))
    with pytest.raises(StoreError, match="must be a PDF"):
        store.add_visit(ok, VisitDraft(DAY, views=[], report_pdf=b"<html>"))
    assert store.list_visits(ok) == [] and store.verify() == []


def test_stored_photos_have_orientation_applied_and_no_exif_gps_or_comment(store):
    raw = exif_jpeg(orientation=6)
    assert not jpeg_is_clean(raw) and b"SECRETGPS" in raw
    cid = new_client(store)
    doc = docs.ViewDocument("anterior")  # no landmarks needed to keep a photo
    v = store.add_visit(cid, VisitDraft(DAY, views=[ViewDraft(doc, None, raw, exif_jpeg(orientation=3))]))
    stored = store.read_file(v.views["anterior"].photo)
    for secret in (b"Exif", b"SECRETCAM", b"SECRETGPS", b"SECRETCOMMENT"):
        assert secret not in stored
    assert jpeg_is_clean(stored)
    img = Image.open(io.BytesIO(stored))
    assert not img.getexif() and img.size == (32, 64)  # rotated upright
    px = np.asarray(img.convert("RGB"), int)
    assert px[8, 16, 0] > 200 and px[8, 16, 2] < 60  # orientation 6: the stored left half (red) ends on top
    assert px[56, 16, 2] > 200 and px[56, 16, 0] < 60
    ann = np.asarray(Image.open(io.BytesIO(store.read_file(v.views["anterior"].annotated))).convert("RGB"), int)
    assert ann.shape == (32, 64, 3) and ann[16, 56, 0] > 200  # orientation 3 (180°): red on the right
    assert v.views["anterior"].document.image_file == "anterior.jpg"


def test_jpeg_cleanliness_check():
    assert jpeg_is_clean(sample_photo())
    assert not jpeg_is_clean(exif_jpeg())
    assert not jpeg_is_clean(sample_photo() + b"hidden after the end")
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "JPEG", comment=b"note")
    assert not jpeg_is_clean(buf.getvalue())
    png = io.BytesIO()
    Image.new("RGB", (8, 6), (10, 20, 30)).save(png, "PNG")
    data, w, h = clean_jpeg(png.getvalue(), "a PNG")
    assert (w, h) == (8, 6) and data[:2] == b"\xff\xd8" and jpeg_is_clean(data)


# --- damage -----------------------------------------------------------------------------


def test_a_missing_photo_or_corrupt_rows_give_clear_messages_while_the_rest_works(store):
    cid = new_client(store, "Damaged")
    bad = store.add_visit(cid, visit_draft(day=date(2025, 1, 1)))
    good = store.add_visit(cid, visit_draft(day=date(2025, 6, 1)))
    photo = bad.views["anterior"].photo
    photo.path.unlink()
    v = store.get_visit(bad.id)
    assert any("anterior photo is missing from the data folder" in p for p in v.problems)
    assert v.views["right_lateral"].problems == () and v.views["anterior"].document is not None
    with pytest.raises(MissingFileError, match="missing from the data folder"):
        store.read_file(v.views["anterior"].photo)
    with pytest.raises(MissingFileError, match="Give it again, or leave it out"):
        store.revise_visit(bad.id, v.to_draft())
    store.revise_visit(bad.id, v.to_draft().with_view(replace(v.to_draft().view("anterior"), photo=sample_photo())))
    assert store.get_visit(bad.id).problems == ()

    # a corrupt document, result and precautions, and a damaged file: reported, the rest keeps working
    ann = good.views["right_lateral"].annotated.path
    ann.write_bytes(ann.read_bytes()[:-10])
    with sqlite3.connect(store.db_path) as db:
        db.execute("UPDATE views SET document = '{not json' WHERE revision_id = ? AND view = 'anterior'", (good.revision_id,))
        db.execute("UPDATE views SET result = '[1]' WHERE revision_id = ? AND view = 'right_lateral'", (good.revision_id,))
        db.execute("UPDATE clients SET precautions = 'garbage', date_of_birth = '31/12/1980' WHERE id = ?", (cid,))
    g = store.get_visit(good.id)
    assert g.views["anterior"].document is None and "document is damaged" in g.views["anterior"].problems[0]
    assert g.views["right_lateral"].result is None and any("result of the right_lateral view is damaged" in p for p in g.problems)
    assert any("annotated image is damaged (size" in p for p in g.problems)
    assert g.views["right_lateral"].document is not None and list(g.results) == ["anterior"]
    with pytest.raises(CorruptRecordError, match="cannot be edited without losing it"):
        g.to_draft()
    c = store.get_client(cid)
    assert c.name == "Damaged" and len(c.problems) == 2 and any("precautions" in p for p in c.problems)
    assert store.list_clients("damaged")[0].problems  # the list still works and says so
    assert [s.id for s in store.list_visits(cid)] == [good.id, bad.id]
    assert store.get_visit(bad.id).problems == ()
    problems = store.verify(deep=True)
    assert len(problems) >= 4 and all(isinstance(p, str) and "\n" not in p for p in problems)


def test_unreadable_or_foreign_or_newer_databases_are_refused_with_one_sentence(tmp_path):
    garbage = tmp_path / "garbage"
    garbage.mkdir()
    (garbage / "posture.db").write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(StoreError, match="damaged|cannot be read"):
        Store(garbage)
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    with sqlite3.connect(foreign / "posture.db") as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(SchemaError, match="not a Posture client file"):
        Store(foreign)
    newer = tmp_path / "newer"
    Store(newer).close()
    with sqlite3.connect(newer / "posture.db") as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(SchemaError, match="newer version of Posture"):
        Store(newer)


# --- schema and migrations --------------------------------------------------------------


def _schema(db: Path) -> dict:
    insp = inspect(create_engine(f"sqlite:///{db}"))
    out = {}
    for t in insp.get_table_names():
        cols = [(c["name"], str(c["type"]), c["nullable"], c["primary_key"]) for c in insp.get_columns(t)]
        idx = sorted((i["name"], tuple(i["column_names"])) for i in insp.get_indexes(t))
        uniq = sorted(tuple(u["column_names"]) for u in insp.get_unique_constraints(t))
        fks = sorted((tuple(f["constrained_columns"]), f["referred_table"]) for f in insp.get_foreign_keys(t))
        out[t] = (cols, idx, uniq, fks)
    return out


def test_migrations_build_exactly_the_tables_the_code_describes(tmp_path):
    Store(tmp_path / "migrated").close()
    described = tmp_path / "described.db"
    metadata.create_all(create_engine(f"sqlite:///{described}"))
    assert _schema(tmp_path / "migrated" / "posture.db") == _schema(described)


def test_a_version_1_database_migrates_forward_and_keeps_its_data(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    engine = create_engine(f"sqlite:///{root / 'posture.db'}")
    with engine.begin() as conn:
        assert migrate(conn, target=1) == 0
        conn.exec_driver_sql(
            "INSERT INTO clients (id, name, precautions, consent_photography, created_at, updated_at) "
            "VALUES (?, 'Łucja Żółć', '{\"checked\": [\"pregnancy\"], \"other_text\": \"\"}', 0, 't', 't')",
            ("ab" * 16,),
        )
    engine.dispose()
    with Store(root) as s:
        assert s.schema_version() == SCHEMA_VERSION == 4
        (found,) = s.list_clients("zolc")
        assert (found.id, found.name, found.precautions.labels()) == ("ab" * 16, "Łucja Żółć", ["Pregnancy"])
        assert s.verify() == []
    with Store(root) as s:  # opening again is a no-op
        assert s.schema_version() == 4 and s.count_clients() == 1


# --- erasure and clean-up ---------------------------------------------------------------


def test_erasing_a_client_leaves_nothing_of_theirs_in_the_data_folder(store):
    keep = new_client(store, "Keeper Person", contact="keeper@example.org")
    store.add_visit(keep, visit_draft())
    marker = "Xanthippe Quokkaworth"
    gone = new_client(store, marker, contact="quokka-contact@example.org", notes="QUOKKA-NOTES", date_of_birth=date(1977, 7, 7))
    for day in (date(2025, 1, 1), date(2025, 2, 1)):
        v = store.add_visit(gone, visit_draft(day=day, notes="QUOKKA-VISIT-NOTES"))
        store.revise_visit(v.id, replace(v.to_draft(), notes="QUOKKA-REVISED"))
    store.delete_client(gone)
    with pytest.raises(NotFoundError):
        store.get_client(gone)
    secrets = [marker.encode(), b"quokka-contact", b"QUOKKA-NOTES", b"QUOKKA-VISIT-NOTES", b"QUOKKA-REVISED", gone.encode()]
    for p in walk(store.root):
        assert gone not in str(p)
        if p.is_file():
            data = p.read_bytes()
            assert not [s for s in secrets if s in data], f"{p} still holds erased data"
    assert store.list_clients() and store.get_client(keep).contact == "keeper@example.org"
    assert len(store.list_visits(keep)) == 1 and store.verify(deep=True) == []


def test_deleting_a_visit_removes_its_revisions_and_files_only(store):
    cid = new_client(store)
    a = store.add_visit(cid, visit_draft())
    b = store.add_visit(cid, visit_draft())
    store.revise_visit(a.id, replace(a.to_draft(), notes="revised"))
    store.delete_visit(a.id)
    assert [v.id for v in store.list_visits(cid)] == [b.id]
    assert not (store.files_dir / cid / a.revision_id).exists()
    with pytest.raises(NotFoundError):
        store.get_visit(a.id)
    assert store.verify(deep=True) == []


def test_leftovers_of_interrupted_saves_are_reported_then_cleaned_on_open(tmp_path):
    with Store(tmp_path / "d") as s:
        cid = new_client(s)
        s.add_visit(cid, visit_draft(("anterior",)))
        orphan = s.files_dir / cid / ("f" * 32)
        orphan.mkdir()
        (orphan / "anterior.jpg").write_bytes(b"half a save")
        (s.staging_dir / ("e" * 32)).mkdir()
        stranger = s.files_dir / "not-ours.txt"
        stranger.write_text("x")
        problems = s.verify()
        assert any("referenced by no revision" in p for p in problems) and any("interrupted save" in p for p in problems)
    with Store(tmp_path / "d") as s:
        assert not orphan.exists() and list(s.staging_dir.iterdir()) == []
        assert stranger.exists()  # not ours: left alone
        stranger.unlink()
        assert s.verify(deep=True) == []


def test_stored_files_of_other_folders_are_refused(store, tmp_path):
    cid = new_client(store)
    other = new_client(store, "Other")
    v = store.add_visit(cid, visit_draft(("anterior",)))
    foreign = replace(v.views["anterior"].photo, path=tmp_path / "elsewhere.jpg")
    with pytest.raises(StoreError, match="not a file of this client file"):
        store.read_file(foreign)
    with pytest.raises(StoreError, match="another client or data folder"):
        store.add_visit(other, VisitDraft(DAY, views=[ViewDraft(sample_doc(), None, v.views["anterior"].photo)]))
    with pytest.raises(StoreError, match="must be a stored photo, not the annotated image file"):
        store.add_visit(cid, VisitDraft(DAY, views=[ViewDraft(sample_doc(), None, v.views["anterior"].annotated)]))
    assert isinstance(v.views["anterior"].photo, StoredFile)


def test_a_result_is_checked_whatever_settings_are_in_force(tmp_path, monkeypatch):
    """The app may point POSTURE_SETTINGS at a file it has not written yet; saving must still work."""
    doc = sample_doc()
    result = analyze(doc)
    monkeypatch.setenv("POSTURE_SETTINGS", str(tmp_path / "not-yet.json"))
    with Store(tmp_path / "data") as store:
        client = store.create_client("Ida", consent_photography=True, consent_date=DAY)
        visit = store.add_visit(client.id, VisitDraft(DAY, views=[ViewDraft(doc, result, sample_photo())]))
        assert visit.views["anterior"].result == result


def _practice_bands(tmp_path: Path) -> Path:
    """A practice settings file that grades every shoulder_tilt as marked (a band the shipped one is far from)."""
    p = tmp_path / "practice.json"
    p.write_text('{"bands": {"shoulder_tilt": {"mild": 0.0001, "moderate": 0.0002, "marked": 0.0003, "source": "our clinic"}}}')
    return p


def test_a_view_saved_without_a_result_is_graded_under_the_shipped_bands_never_a_settings_file(tmp_path, monkeypatch):
    from posture import grading
    from posture.settings import default_settings, load_settings

    practice = _practice_bands(tmp_path)
    monkeypatch.setenv("POSTURE_SETTINGS", str(practice))  # what the CLI would read; the store must not
    doc = sample_doc()
    assert analyze(doc, load_settings(practice)) != analyze(doc)  # the practice's bands do change the grading
    with Store(tmp_path / "data") as store:
        cid = new_client(store)
        stored = store.add_visit(cid, VisitDraft(DAY, views=[ViewDraft(doc)])).views["anterior"].result
    assert stored == analyze(doc, default_settings())
    assert stored["measurements"]["shoulder_tilt"]["band"] == grading.default_bands()["shoulder_tilt"].as_dict()


def test_a_result_graded_under_a_practices_bands_is_kept_as_given(tmp_path):
    from posture.settings import load_settings

    doc = sample_doc()
    graded = analyze(doc, load_settings(_practice_bands(tmp_path)))
    assert graded["measurements"]["shoulder_tilt"]["band"]["source"] == "our clinic"
    with Store(tmp_path / "data") as store:
        cid = new_client(store)
        visit = store.add_visit(cid, VisitDraft(DAY, views=[ViewDraft(doc, graded, sample_photo())]))
        assert visit.views["anterior"].result == graded  # the values match the document; the bands are the caller's
