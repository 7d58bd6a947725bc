"""Export and import of client files (posture.archive): round trip, idempotence, hostile archives, the CLI."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import struct
import subprocess
import sys
import warnings
import zipfile
from dataclasses import replace
from datetime import date

import numpy as np
import pytest
from helpers_core import REPO
from PIL import Image
from test_store import PDF, exif_jpeg, sample_doc, visit_draft

from posture import cli
from posture import document as docs
from posture.archive import ArchiveError, Limits, export_client, export_client_bytes, import_archive, import_archive_bytes
from posture.errors import PostureError
from posture.store import Precautions, Store, StoreError, ViewDraft, VisitDraft


def _full_client(store: Store) -> str:
    cid = store.create_client(
        "Łucja O'Brien-Żółć 🙂", date_of_birth=date(1979, 3, 4), sex="female", height_cm=164.5, contact="+48 600 100 200",
        notes="Desk worker, left-handed.", precautions=Precautions(frozenset({"pregnancy"}), "wrist splint"),
        consent_photography=True, consent_date=date(2025, 11, 3),
    ).id  # fmt: skip
    store.add_visit(cid, visit_draft(("anterior", "right_lateral"), day=date(2025, 11, 3), notes="first"))
    v = store.add_visit(cid, visit_draft(("anterior", "posterior"), day=date(2026, 1, 5), notes="second", report=False))
    d = v.to_draft()
    v = store.revise_visit(
        v.id,
        replace(d, notes="second, annotated").with_view(
            replace(d.view("anterior"), annotated=np.full((160, 120, 3), 90, np.uint8))
        ),
    )
    store.revise_visit(v.id, replace(v.to_draft(), notes="second, re-checked", report_pdf=PDF))
    return cid


def _snapshot(store: Store, cid: str) -> dict:
    """Everything of a client that must survive an export and import."""
    c = store.get_client(cid)
    out = {"client": replace(c, problems=()), "visits": []}
    for s in sorted(store.list_visits(cid), key=lambda s: s.id):
        revs = []
        for r in store.list_revisions(s.id):
            v = store.get_visit(s.id, r.number)
            revs.append({
                "id": v.revision_id, "number": v.revision, "date": v.visit_date, "notes": v.notes, "saved_at": v.saved_at,
                "report": store.read_file(v.report) if v.report else None,
                "views": {
                    k: (docs.to_dict(rec.document), rec.result,
                        store.read_file(rec.photo) if rec.photo else None, store.read_file(rec.annotated) if rec.annotated else None)
                    for k, rec in v.views.items()
                },
            })  # fmt: skip
        out["visits"].append((s.id, s.visit_date, s.revision_count, revs))
    return out


@pytest.fixture
def source(tmp_path):
    with Store(tmp_path / "source") as s:
        cid = _full_client(s)
        yield s, cid


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A full client's export (built once for the module): ``(client id, ZIP bytes)``."""
    with Store(tmp_path_factory.mktemp("exported") / "data") as s:
        cid = _full_client(s)
        return cid, export_client_bytes(s, cid)


@pytest.fixture
def target(tmp_path):
    with Store(tmp_path / "target") as s:
        yield s


def _assert_untouched(store: Store) -> None:
    assert store.count_clients() == 0
    assert list(store.files_dir.iterdir()) == [] and list(store.staging_dir.iterdir()) == []


# --- round trip -------------------------------------------------------------------------


def test_export_then_import_gives_back_the_same_client(source, target, tmp_path):
    store, cid = source
    out = tmp_path / "client.zip"
    summary = export_client(store, cid, out)
    assert (summary.visits, summary.revisions) == (2, 4)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    result = import_archive(target, out)
    assert (result.client, result.visits_added, result.revisions_added, result.revisions_already_present) == ("created", 2, 4, 0)
    assert str(result).startswith("Imported Łucja O'Brien-Żółć 🙂: new client, 2 new visit(s), 4 revision(s) added")
    assert _snapshot(target, cid) == _snapshot(store, cid)  # record, ids, dates, notes, documents, results, file bytes
    assert target.verify(deep=True) == []


def test_the_archive_is_a_readable_folder_named_by_id_only(source):
    store, cid = source
    data = export_client_bytes(store, cid)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        top = f"posture-client-{cid}/"
        assert all(n.startswith(top) for n in names)
        assert not any("Brien" in n or "Łucja" in n for n in names)
        rel = {n[len(top) :] for n in names}
        assert {"README.txt", "client.json"} <= rel
        visit_dirs = sorted({n.split("/")[1] for n in rel if n.startswith("visits/")})
        assert visit_dirs == [d for d in visit_dirs if d[:10] in ("2025-11-03", "2026-01-05")] and len(visit_dirs) == 2
        second = f"visits/{visit_dirs[1]}/"
        assert {second + f for f in ("visit.json", "anterior.json", "anterior.result.json", "anterior.jpg",
                                     "anterior_annotated.jpg", "posterior.jpg", "report.pdf")} <= rel  # fmt: skip
        assert second + "revisions/1/anterior.json" in rel and second + "revisions/2/posterior.result.json" in rel
        assert not [n for n in rel if n.startswith(second + "revisions/") and n.endswith(".jpg")]  # same bytes: not repeated
        client = json.loads(zf.read(top + "client.json"))
        assert client["client"]["name"] == "Łucja O'Brien-Żółć 🙂" and client["client"]["height_cm"] == 164.5
        assert client["client"]["precautions_shown"] == ["Pregnancy", "Other precaution: wrist splint"]
        visit = json.loads(zf.read(top + second + "visit.json"))
        assert [r["number"] for r in visit["revisions"]] == [1, 2, 3] and visit["revisions"][0]["report"] is None
        first = visit["revisions"][0]["views"][0]
        assert first["photo"]["path"] == "anterior.jpg" and first["document"] == "revisions/1/anterior.json"
        assert visit["revisions"][2]["views"][0]["annotated"]["path"] == "anterior_annotated.jpg"
        assert all(stat.S_IMODE(i.external_attr >> 16) == 0o600 for i in zf.infolist())
        photo = Image.open(io.BytesIO(zf.read(top + second + "anterior.jpg")))
        assert photo.size == (1200, 1600) and not photo.getexif()


def test_import_is_idempotent_and_merges_later_work(source, target, tmp_path):
    store, cid = source
    data = export_client_bytes(store, cid)
    import_archive_bytes(target, data)
    again = import_archive_bytes(target, data)
    assert (again.client, again.visits_added, again.revisions_added, again.revisions_already_present) == ("kept", 0, 0, 4)
    assert target.count_clients() == 1 and len(target.list_visits(cid)) == 2
    assert import_archive_bytes(store, data).revisions_added == 0  # into the store it came from: nothing new
    # later work at the source arrives with the next import: an edited record, a new revision, a new visit
    store.update_client(cid, notes="Now runs twice a week.")
    latest = store.list_visits(cid)[0]
    store.revise_visit(latest.id, replace(store.get_visit(latest.id).to_draft(), notes="third look"))
    store.add_visit(cid, visit_draft(("left_lateral",), day=date(2026, 3, 1)))
    merged = import_archive_bytes(target, export_client_bytes(store, cid))
    assert (merged.client, merged.visits_added, merged.revisions_added) == ("updated", 1, 2)
    assert _snapshot(target, cid) == _snapshot(store, cid) and target.verify(deep=True) == []


def test_damaged_stored_files_stop_the_export_with_one_sentence(source, tmp_path):
    store, cid = source
    visit = store.get_visit(store.list_visits(cid)[-1].id)
    visit.views["anterior"].photo.path.unlink()
    with pytest.raises(StoreError, match="missing from the data folder"):
        export_client(store, cid, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists() and not list(tmp_path.glob(".x.zip*"))


# --- hostile and malformed archives -----------------------------------------------------


def _members(data: bytes) -> list[tuple[zipfile.ZipInfo, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [(i, zf.read(i)) for i in zf.infolist()]


def _zip(members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # duplicate names are one of the hostile cases
        for info, data in members:
            zf.writestr(info, data)
    return buf.getvalue()


def _edit_json(members, suffix: str, change) -> list:
    out = []
    for info, data in members:
        if info.filename.endswith(suffix):
            obj = json.loads(data)
            change(obj)
            data = json.dumps(obj).encode()
        out.append((info, data))
    return out


def _with(members, name_or_info, data: bytes) -> list:
    return [*members, (name_or_info, data)]


def _symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def _client_json(members) -> str:
    return next(i.filename for i, _ in members if i.filename.endswith("/client.json"))


def _first_photo(members) -> str:
    return next(i.filename for i, _ in members if i.filename.endswith("/anterior.jpg"))


def _flip_near_end(data: bytes) -> bytes:
    return data[:-10] + bytes([data[-10] ^ 0xFF]) + data[-9:]


def _replace_member(members, name: str, data: bytes) -> list:
    return [(i, data if i.filename == name else d) for i, d in members]


def _set_photo_sha(members, data: bytes) -> list:
    """A "photo" that is not an image, with a manifest that vouches for it (sha and size): only decoding can tell."""
    import hashlib

    name = _first_photo(members)
    members = _replace_member(members, name, data)

    def fix(visit):
        for rev in visit["revisions"]:
            for v in rev["views"]:
                for ref in (v["photo"], v["annotated"]):
                    if ref and ref["path"] == "anterior.jpg":
                        ref.update(sha256=hashlib.sha256(data).hexdigest(), size=len(data))

    prefix = name[: -len("anterior.jpg")]
    return [(i, d) if i.filename != prefix + "visit.json" else (i, _edit(d, fix)) for i, d in members]


def _edit(data: bytes, fix) -> bytes:
    obj = json.loads(data)
    fix(obj)
    return json.dumps(obj).encode()


def _set(path: list, value):
    def change(obj):
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = value

    return change


def _all_visits(members, fix) -> list:
    return [(i, _edit(d, fix) if i.filename.endswith("/visit.json") else d) for i, d in members]


HOSTILE = {
    "dot-dot": (lambda m: _with(m, "posture-client-x/../../evil.txt", b"x"), "leaves its folder"),
    "absolute": (lambda m: _with(m, "/etc/cron.d/evil", b"x"), "absolute path"),
    "drive letter": (lambda m: _with(m, "C:/Windows/evil.txt", b"x"), "absolute path"),
    "backslash": (lambda m: _with(m, "posture-client-x\\..\\evil.txt", b"x"), "backslashes"),
    "symlink": (lambda m: _with(m, _symlink("posture-client-x/link"), b"/etc/passwd"), "symbolic link"),
    "duplicate": (lambda m: _with(m, m[0][0].filename, b"again"), "appears twice"),
    "zip bomb": (lambda m: _with(m, "posture-client-x/zeros.bin", bytes(20 * 1024 * 1024)), "expands"),
    "client.json not JSON": (lambda m: _replace_member(m, _client_json(m), b"{oops"), "not valid JSON"),
    "NaN in JSON": (lambda m: _replace_member(m, _client_json(m), b'{"format": NaN}'), "not valid JSON"),
    "wrong format": (lambda m: _edit_json(m, "client.json", _set(["format"], "something-else")), "not a Posture client file"),
    "newer format": (lambda m: _edit_json(m, "client.json", _set(["format_version"], 2)), "format version 2"),
    "bad client id": (lambda m: _edit_json(m, "client.json", _set(["client", "id"], "../../x")), "not a Posture id"),
    "bad client field": (
        lambda m: _edit_json(m, "client.json", _set(["client", "consent_photography"], "yes")),
        "consent_photography",
    ),
    "height not a number": (
        lambda m: _edit_json(m, "client.json", _set(["client", "height_cm"], "tall")),
        "height_cm is not a number",
    ),
    "height implausible": (lambda m: _edit_json(m, "client.json", _set(["client", "height_cm"], 1.64)), "not metres"),
    "no client.json": (lambda m: [(i, d) for i, d in m if not i.filename.endswith("client.json")], "no client.json"),
    "manifest path escapes": (
        lambda m: _all_visits(m, lambda v: v["revisions"][0]["views"][0].update(document="../../client.json")),
        "leaves its folder",
    ),
    "manifest absolute path": (
        lambda m: _all_visits(m, lambda v: v["revisions"][0]["views"][0].update(document="/etc/passwd")),
        "not a relative path",
    ),
    "missing member": (
        lambda m: _all_visits(m, lambda v: v["revisions"][0]["views"][0].update(result="nope.json")),
        "not in the archive",
    ),
    "revision numbers": (lambda m: _all_visits(m, lambda v: v["revisions"][0].update(number=7)), "numbered 1, 2, 3"),
    "bad view document": (
        lambda m: _replace_member(
            m,
            _first_photo(m)[: -len("jpg")] + "json",
            json.dumps({**json.loads(docs.dumps(sample_doc())), "landmarks": {"nose": {"x": 1, "y": 2}}}).encode(),
        ),
        "not a valid view document",
    ),
    "result wrong schema": (
        lambda m: _replace_member(
            m,
            _first_photo(m)[: -len("jpg")] + "result.json",
            b'{"view": "anterior", "schema_version": 1, "measurements": {"head_tilt": {"value": "big"}}}',
        ),
        "anterior view is malformed",
    ),
    "altered photo": (
        lambda m: _replace_member(  # one byte of the scan flipped: the header still reads, the digest does not match
            m, _first_photo(m), _flip_near_end(dict((i.filename, d) for i, d in m)[_first_photo(m)])
        ),
        "does not match its SHA-256",
    ),
    "photo not an image": (lambda m: _set_photo_sha(m, b"#!/bin/sh\necho not a photo\n"), "not a photo this app can read"),
}


def test_an_archive_from_before_heights_were_recorded_imports_without_one(exported, target):
    cid, data = exported
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        top = next(n for n in zf.namelist() if n.endswith("/client.json"))
        assert json.loads(zf.read(top))["client"]["height_cm"] == 164.5
    older = _zip(_edit_json(_members(data), "client.json", lambda obj: obj["client"].pop("height_cm")))
    import_archive_bytes(target, older, "older.zip")
    assert target.get_client(cid).height_cm is None and target.verify(deep=True) == []


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_or_malformed_archives_are_refused_with_one_sentence_and_nothing_written(exported, target, case):
    mutate, message = HOSTILE[case]
    bad = _zip(mutate(_members(exported[1])))
    with pytest.raises(PostureError) as err:
        import_archive_bytes(target, bad, "bad.zip")
    text = str(err.value)
    assert message in text and "\n" not in text and len(text) < 400, text
    _assert_untouched(target)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(max_members=10), "has 27 members (the limit is 10)"),
        (Limits(max_member_bytes=50_000), "anterior.jpg' is 123340 bytes (the limit is 50000)"),
        (Limits(max_total_bytes=300_000), "bytes (the limit is 300000)"),
    ],
)
def test_size_and_count_limits(exported, target, limits, message):
    with pytest.raises(ArchiveError, match=re.escape(message)):
        import_archive_bytes(target, exported[1], limits=limits)
    _assert_untouched(target)


def _patch_central(data: bytes, suffix: str, offset: int, fmt: str, change) -> bytes:
    """Change a field of the central-directory entry of the member whose name ends with ``suffix``."""
    out = bytearray(data)
    pos = out.index(b"PK\x01\x02")
    while True:
        name_len = struct.unpack("<H", out[pos + 28 : pos + 30])[0]
        if out[pos + 46 : pos + 46 + name_len].decode().endswith(suffix):
            break
        pos = out.index(b"PK\x01\x02", pos + 4)
    size = struct.calcsize(fmt)
    (value,) = struct.unpack(fmt, out[pos + offset : pos + offset + size])
    out[pos + offset : pos + offset + size] = struct.pack(fmt, change(value))
    return bytes(out)


def test_a_member_holding_more_than_it_declares_is_refused(exported, target):
    _, data = exported
    lying = _patch_central(data, "/client.json", 24, "<L", lambda declared: declared // 2)  # uncompressed size
    with pytest.raises(ArchiveError, match="refused"):
        import_archive_bytes(target, lying)
    _assert_untouched(target)


def test_an_encrypted_member_is_refused(exported, target):
    _, data = exported
    with pytest.raises(ArchiveError, match="is encrypted"):
        import_archive_bytes(target, _patch_central(data, "/client.json", 8, "<H", lambda flags: flags | 0x1))
    _assert_untouched(target)


def test_not_a_zip_and_truncated_zips_are_refused(exported, target, tmp_path):
    for data in (b"", b"PK\x03\x04 not really", os.urandom(4096), exported[1][:-100], exported[1][: len(exported[1]) // 2]):
        with pytest.raises(ArchiveError, match="refused"):
            import_archive_bytes(target, data)
    with pytest.raises(ArchiveError, match="Cannot read the archive"):
        import_archive(target, tmp_path / "missing.zip")
    _assert_untouched(target)


def _hand_made(photo: bytes) -> bytes:
    """A minimal archive written by hand in the documented layout: one visit, one anterior view with this photo."""
    import hashlib

    from posture.analysis import analyze

    doc = docs.ViewDocument("anterior")  # no landmarks yet
    cid, vid, rid = "c" * 32, "d" * 32, "e" * 32
    now = "2026-01-05T10:00:00+00:00"
    client = {"id": cid, "name": "Hand Made", "date_of_birth": None, "sex": "", "contact": "", "notes": "",
              "precautions": {"checked": [], "other_text": ""}, "consent_photography": True, "consent_date": "2026-01-05",
              "created_at": now, "updated_at": now}  # fmt: skip
    visit = {"format": "posture-visit", "format_version": 1, "id": vid, "created_at": now, "revisions": [{
        "number": 1, "id": rid, "visit_date": "2026-01-05", "notes": "", "saved_at": now, "report": None,
        "views": [{"view": "anterior", "document": "anterior.json", "result": "anterior.result.json", "annotated": None,
                   "photo": {"path": "photo.jpg", "sha256": hashlib.sha256(photo).hexdigest(), "size": len(photo)}}],
    }]}  # fmt: skip
    return _zip([
        ("f/client.json", json.dumps({"format": "posture-client-file", "format_version": 1, "client": client,
                                      "visits": ["v/visit.json"]}).encode()),
        ("f/v/visit.json", json.dumps(visit).encode()),
        ("f/v/anterior.json", docs.dumps(doc).encode()),
        ("f/v/anterior.result.json", json.dumps(analyze(doc)).encode()),
        ("f/v/photo.jpg", photo),
    ])  # fmt: skip


def test_a_hand_made_archive_with_an_exif_photo_is_stored_clean(target):
    summary = import_archive_bytes(target, _hand_made(exif_jpeg()))
    assert (summary.client, summary.revisions_added) == ("created", 1)
    visit = target.get_visit("d" * 32)
    stored = target.read_file(visit.views["anterior"].photo)
    assert b"SECRETGPS" not in stored and b"Exif" not in stored and Image.open(io.BytesIO(stored)).size == (32, 64)
    assert visit.views["anterior"].document.image_file == "anterior.jpg" and target.verify(deep=True) == []


# --- command line -----------------------------------------------------------------------


def test_cli_export_then_import(source, tmp_path, capsys, monkeypatch):
    store, cid = source
    store.close()
    out = tmp_path / "c.zip"
    assert cli.main(["export", "--client", cid[:8], "--out", str(out), "--data-dir", str(tmp_path / "source")]) == 0
    assert "2 visit(s), 4 revision(s)" in capsys.readouterr().out
    monkeypatch.setenv("POSTURE_DATA_DIR", str(tmp_path / "fresh"))
    assert cli.main(["import", str(out)]) == 0
    assert "new client, 2 new visit(s), 4 revision(s) added" in capsys.readouterr().out
    assert cli.main(["import", str(out)]) == 0
    assert "0 revision(s) added, 4 already here" in capsys.readouterr().out
    assert cli.main(["clients", "zolc", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["id"] == cid
    assert cli.main(["export", "--client", "ffffff", "--out", str(tmp_path / "n.zip")]) == 2
    assert capsys.readouterr().err.startswith("error: No client with an id starting")


def test_cli_refuses_a_bad_archive_with_exit_2_and_one_line(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(_zip([("posture-client-x/../../evil.txt", b"x")]))
    env = {**os.environ, "PYTHONPATH": str(REPO), "POSTURE_DATA_DIR": str(tmp_path / "d")}
    out = subprocess.run(
        [sys.executable, "-m", "posture", "import", str(bad)], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.count("\n") == 1 and "leaves its folder" in out.stderr and "Traceback" not in out.stderr
    with Store(tmp_path / "d") as s:
        assert s.count_clients() == 0


def test_import_needs_no_photo_to_keep_a_visit_without_photos(target):
    with Store(target.root.parent / "nophotos") as src:
        cid = src.create_client("Bo Lind").id  # no consent: no photos
        src.add_visit(cid, VisitDraft(date(2026, 1, 1), "talk only", [ViewDraft(sample_doc("posterior"))]))
        data = export_client_bytes(src, cid)
    assert import_archive_bytes(target, data).revisions_added == 1
    assert target.list_visits(cid)[0].notes == "talk only"
