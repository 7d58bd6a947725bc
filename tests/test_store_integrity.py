"""Issue 12, the client file's half: no lost update of a client record, and erasure that leaves no trace.

Two real processes (forked from the warm test process) edit one record; an
erasure runs with another connection holding a read transaction, and is
killed with SIGKILL before, around and after its commit. Each erasure probe
greps every file of the data folder (the database with its free pages, the
write-ahead log, the drafts) as raw bytes for the client's name, its folded
search key, a unique note and the id.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_store import new_client, sample_photo, visit_draft

from posture.errors import ConflictError, NotFoundError
from posture.store import Precautions, Store
from posture.store import clients as store_clients
from posture.store.database import Database

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")  # POSIX only, as the store's locking

NAME = "Quillon Zephyrine-Oakhart"
NOTE = "UNIQUE-NOTE-7f3a9e bruised left hip"
VISIT_NOTE = "VISIT-NOTE-c41d02 follow up"


def _fork(target, *args) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            code = int(target(*args) or 0)
        finally:
            os._exit(code)
    return pid


def _wait(pid: int) -> int:
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


# --- record updates ---------------------------------------------------------------------


def _edit(root: Path, client_id: str, base: int, changes: dict, go_fd: int, out_fd: int) -> int:
    """Open a store, wait for the go byte, save ``changes`` on ``base``; report "ok" or the refusal."""
    with Store(root, collect_garbage=False) as s:
        os.read(go_fd, 1)
        try:
            s.update_client(client_id, base_revision=base, **changes)
            os.write(out_fd, b"ok\n")
        except ConflictError as e:
            os.write(out_fd, f"conflict:{e}\n".encode())
    return 0


def _race(root: Path, client_id: str, base: int, edits: list[dict]) -> list[str]:
    """Two processes save on the same base revision at the same moment; their reports."""
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()
    pids = [_fork(_edit, root, client_id, base, e, go_r, out_w) for e in edits]
    os.write(go_w, b"x" * len(edits))
    assert all(_wait(p) == 0 for p in pids)
    os.close(out_w)
    with os.fdopen(out_r) as fh:
        reports = fh.read().splitlines()
    os.close(go_r)
    os.close(go_w)
    return reports


def test_a_stale_record_save_from_another_process_is_refused_and_overwrites_nothing(tmp_path):
    root = tmp_path / "data"
    with Store(root) as s:
        client = s.create_client("Ada Window", notes="first", consent_photography=True, consent_date=date(2026, 1, 2))
    base = client.revision
    # window A ticks Pregnancy, window B (opened before) changes only the notes
    a = {"precautions": Precautions(frozenset({"pregnancy"}))}
    b = {"notes": "B's notes", "precautions": Precautions(), "consent_photography": True}
    reports = _race(root, client.id, base, [a, b])
    assert sorted(r.split(":", 1)[0] for r in reports) == ["conflict", "ok"], reports
    (refusal,) = [r.split(":", 1)[1] for r in reports if r.startswith("conflict")]
    assert refusal.startswith("This record was changed in another window at ") and refusal.endswith(": reload it.")
    assert refusal.count(".") == 1  # one sentence
    with Store(root) as s:
        now = s.get_client(client.id)
    assert now.revision == base + 1
    won_a = now.precautions.checked == {"pregnancy"}
    assert won_a != (now.notes == "B's notes")  # exactly one edit landed, whole, and the other changed nothing
    assert now.notes == ("first" if won_a else "B's notes")


def test_a_withdrawn_consent_does_not_come_back_from_an_older_form(tmp_path):
    root = tmp_path / "data"
    with Store(root) as s:
        client = s.create_client("Bea Consent", consent_photography=True, consent_date=date(2026, 1, 2))
        withdrawn = s.update_client(client.id, base_revision=client.revision, consent_photography=False, consent_date=None)
    # the older form (revision 1, consent ticked) saves its notes from another process
    go_r, go_w = os.pipe()
    out_r, out_w = os.pipe()
    pid = _fork(_edit, root, client.id, client.revision, {"notes": "stale", "consent_photography": True}, go_r, out_w)
    os.write(go_w, b"x")
    assert _wait(pid) == 0
    os.close(out_w)
    with os.fdopen(out_r) as fh:
        (report,) = fh.read().splitlines()
    assert report.startswith("conflict:This record was changed in another window at ")
    with Store(root) as s:
        now = s.get_client(client.id)
        assert (now.consent_photography, now.notes, now.revision) == (False, "", withdrawn.revision)
        # reloading (the current revision) then saving works
        assert s.update_client(client.id, base_revision=now.revision, notes="fresh").notes == "fresh"
    for fd in (go_r, go_w):
        os.close(fd)


def test_saving_into_a_client_erased_in_another_window_says_one_plain_sentence(tmp_path):
    root = tmp_path / "data"
    with Store(root) as a, Store(root) as b:
        cid = new_client(a, "Cleo Gone")
        visit = a.add_visit(cid, visit_draft(("anterior",)))
        record = a.get_client(cid)
        b.delete_client(cid)
        with pytest.raises(NotFoundError) as e1:
            a.revise_visit(visit.id, visit.to_draft(), base_revision=visit.revision)
        with pytest.raises(NotFoundError) as e2:
            a.add_visit(cid, visit_draft(("anterior",)))
        with pytest.raises(NotFoundError) as e3:
            a.update_client(cid, base_revision=record.revision, notes="x")
    for e in (e1, e2, e3):
        text = str(e.value)
        assert "erased" in text and "nothing was saved" in text and "No visit with id" not in text and cid not in text
        assert text.count(".") == 1


def test_imports_and_saves_move_the_record_revision_on():
    from posture.store.validation import now

    assert "reload it" in store_clients.conflict_message(now())
    assert store_clients.conflict_message("garbage") == "This record was changed in another window: reload it."


# --- erasure ------------------------------------------------------------------------------


def _fill(root: Path) -> str:
    """A data folder with 40 other clients, and the client to erase: edited, two visits with revisions, a draft."""
    with Store(root) as s:
        for i in range(40):
            s.create_client(f"Other Person {i:02d}", notes=f"other notes {i} " * 20)
        cid = new_client(s, NAME, notes="first version of the notes " * 10)
        s.update_client(cid, notes=NOTE + " " + "padding " * 300, contact="qz@example.org")  # an overflow page
        for day in (date(2025, 1, 1), date(2025, 2, 1)):
            v = s.add_visit(cid, visit_draft(day=day, notes=VISIT_NOTE))
            s.revise_visit(v.id, replace(v.to_draft(), notes=VISIT_NOTE + " revised"))
        photo = sample_photo()
        digest = "ab" * 32
        s.save_draft("cd" * 16, {"note": NOTE}, {digest: lambda: photo}, client_id=cid, client_name=NAME, views=1)
        for i in range(40, 60):
            s.create_client(f"Other Person {i:02d}", notes=f"other notes {i} " * 20)
    return cid


def _traces(root: Path, client_id: str) -> list[str]:
    """Files of the data folder whose raw bytes hold the name, its search key, a unique note or the id."""
    needles = [NAME.lower().encode(), b"quillon zephyrine", NOTE.lower().encode(), VISIT_NOTE.lower().encode(), b"qz@example"]
    needles.append(client_id.encode())
    found = []
    for p in sorted(root.rglob("*")):
        if client_id in p.name:
            found.append(f"{p} (named for the client)")
        if p.is_file():
            data = p.read_bytes().lower()
            found += [f"{p}: {n!r}" for n in needles if n in data]
    return found


def reading(root: Path) -> sqlite3.Connection:
    """Another window's connection to the data folder's database, holding a read transaction (a snapshot) open."""
    reader = sqlite3.connect(root / "posture.db", isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM clients").fetchone()
    return reader


def _assert_gone(root: Path, client_id: str) -> None:
    with Store(root) as s:  # opening finishes an interrupted erasure
        assert s.pending_erasures() == []
        with pytest.raises(NotFoundError):
            s.get_client(client_id)
        assert s.count_clients() == 60 and s.list_drafts(limit=None) == []
        assert s.verify(deep=True) == []
    assert _traces(root, client_id) == []


def test_erasure_leaves_no_trace_in_the_database_its_log_or_free_pages(tmp_path):
    root = tmp_path / "data"
    cid = _fill(root)
    assert _traces(root, cid)  # the probe finds them before
    with Store(root) as s:
        assert s.delete_client(cid) is True
    assert _traces(root, cid) == []
    _assert_gone(root, cid)


def test_erasure_waits_for_another_connection_reading_and_leaves_no_trace(tmp_path):
    root = tmp_path / "data"
    cid = _fill(root)
    reader = sqlite3.connect(root / "posture.db", check_same_thread=False, isolation_level=None)
    reader.execute("BEGIN")
    assert reader.execute("SELECT name FROM clients WHERE id = ?", (cid,)).fetchone() == (NAME,)  # holds a snapshot
    released = threading.Event()

    def release() -> None:
        released.wait(30)
        reader.execute("COMMIT")  # the transaction ends; the connection stays open

    t = threading.Thread(target=release)
    t.start()
    with Store(root) as s:
        timer = threading.Timer(1.0, released.set)
        timer.start()
        assert s.delete_client(cid) is True  # waited for the reader, then truncated the log
        timer.join()
    t.join()
    try:
        assert _traces(root, cid) == []
        assert reader.execute("SELECT count(*) FROM clients WHERE id = ?", (cid,)).fetchone() == (0,)
    finally:
        reader.close()
    _assert_gone(root, cid)


def test_a_reader_that_never_lets_go_leaves_the_erasure_pending_until_the_next_open(tmp_path, monkeypatch):
    root = tmp_path / "data"
    cid = _fill(root)
    reader = reading(root)
    monkeypatch.setattr("posture.store.database.BUSY_TIMEOUT_S", 0.2)
    try:
        with Store(root) as s:
            assert s.delete_client(cid) is False
            assert s.pending_erasures() == [cid]
            with pytest.raises(NotFoundError):
                s.get_client(cid)  # the rows are gone at once; only the log's old copies wait
    finally:
        reader.close()
    _assert_gone(root, cid)


def _kill_at(root: Path, client_id: str, point: str) -> int:
    """Erase in this (child) process and SIGKILL it at ``point``."""

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    real_discard, real_checkpoint, real_write = Database.discard, Database.checkpoint, Database.write
    if point == "before anything":  # journaled, nothing removed yet
        Database.discard = lambda self, path: die()  # type: ignore[method-assign]
    elif point == "files gone, rows not":
        calls = {"n": 0}

        def discard(self: Database, path: Path) -> None:
            real_discard(self, path)
            calls["n"] += 1
            if calls["n"] == 1:
                die()

        Database.discard = discard  # type: ignore[method-assign]
    elif point == "rows deleted, not committed":
        import contextlib

        @contextlib.contextmanager
        def write(self: Database):  # noqa: ANN202
            with real_write(self) as conn:
                yield conn
                die()

        Database.write = write  # type: ignore[method-assign]
    elif point == "committed, log not checkpointed":
        Database.checkpoint = lambda self: die()  # type: ignore[method-assign, assignment, return-value]
    elif point == "checkpointed, journal kept":

        def checkpoint(self: Database) -> bool:
            real_checkpoint(self)
            die()
            return True

        Database.checkpoint = checkpoint  # type: ignore[method-assign]
    s = Store(root, collect_garbage=False)
    s.delete_client(client_id)
    return 3  # not killed: the point was never reached


@pytest.mark.parametrize(
    "point",
    [
        "before anything",
        "files gone, rows not",
        "rows deleted, not committed",
        "committed, log not checkpointed",
        "checkpointed, journal kept",
    ],
)
def test_an_erasure_killed_at_any_point_is_finished_on_the_next_open(tmp_path, point):
    root = tmp_path / "data"
    cid = _fill(root)
    code = _wait(_fork(_kill_at, root, cid, point))
    assert code == -signal.SIGKILL, f"the erasure was not killed at {point!r} (exit {code})"
    assert (root / "erasing" / cid).exists()  # the journal says an erasure is pending
    _assert_gone(root, cid)


def test_a_reader_that_lets_go_later_lets_the_open_store_finish_the_erasure(tmp_path, monkeypatch):
    """The app keeps its store open for days: once the long reader ends, its next call finishes the erasure."""
    root = tmp_path / "data"
    cid = _fill(root)
    reader = reading(root)
    monkeypatch.setattr("posture.store.database.BUSY_TIMEOUT_S", 0.2)
    monkeypatch.setattr("posture.store.facade.RETRY_ERASURE_S", 0.0)
    try:
        with Store(root) as s:
            assert s.delete_client(cid) is False
            s.list_clients()  # the reader still holds its snapshot: nothing can be done yet, and nothing waits
            assert s.pending_erasures() == [cid] and _traces(root, cid)
            reader.execute("COMMIT")  # the read ends; its connection stays open
            assert s.count_clients() == 60  # any later call of the open store finishes the job
            assert s.pending_erasures() == []
            assert _traces(root, cid) == []
    finally:
        reader.close()
    _assert_gone(root, cid)


def test_another_window_autosaving_after_the_erasure_brings_no_trace_back(tmp_path):
    root = tmp_path / "data"
    cid = _fill(root)
    photo = sample_photo()
    with Store(root) as window_a, Store(root) as window_b:
        assert window_b.delete_client(cid) is True
        with pytest.raises(NotFoundError) as exc:  # window A still shows the client's assessment, and autosaves it
            window_a.save_draft("ef" * 16, {"note": NOTE}, {"12" * 32: lambda: photo}, client_id=cid, client_name=NAME)
        assert "erased" in str(exc.value) and str(exc.value).count(".") == 1 and cid not in str(exc.value)
        assert _traces(root, cid) == [] and window_a.list_drafts(limit=None) == []
    # a draft written just as the erasure ran (a kill before its check) goes when a store next opens
    from posture.store.drafts import Drafts

    Drafts(root).save("ef" * 16, {"note": NOTE}, {"12" * 32: lambda: photo}, client_id=cid, client_name=NAME)
    assert _traces(root, cid)
    _assert_gone(root, cid)
