"""Keeping a data folder tidy and honest: the clean-up after interrupted saves, and a full check.

:func:`collect_garbage` runs when a store opens: it removes what a crash left
(a folder in ``staging/``, a revision folder no row references, the folder of
an erased client). It takes the data folder's lock exclusively without
waiting, so it never touches a save in progress in another process; where
advisory locks do not exist (Windows) it only removes leftovers older than
:data:`ORPHAN_GRACE_S`. Anything in ``files/`` not named like an id is not
ours and is left alone.

:func:`verify` lists every problem as one sentence (nothing is changed).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select

from posture import document as docs
from posture.atomic import is_abandoned, write_new_file
from posture.errors import DocumentError, ResultError
from posture.result import check_result

from . import schema as t  # the tables
from .database import Database, remove_tree
from .validation import client_from_row, new_id, sha256
from .visits import stored_file

#: Without advisory locks (Windows), unreferenced folders younger than this are left alone.
ORPHAN_GRACE_S = 3600.0


def collect_garbage(db: Database) -> int:
    """Remove leftovers of interrupted saves and erasures; return how many folders went.

    Runs when a store opens. Skipped (returns 0) while another process is
    saving into this folder.
    """
    removed = 0
    with db.lock.exclusive_nowait() as locked:
        if locked is False:
            return 0
        min_age = ORPHAN_GRACE_S if locked is None else 0.0
        started = time.time()

        def old_enough(p: Path) -> bool:
            try:
                return started - p.lstat().st_mtime >= min_age
            except OSError:
                return False

        with db.read() as conn:
            client_ids = set(conn.execute(select(t.clients.c.id)).scalars())
            pairs = select(t.visits.c.client_id, t.revisions.c.id).join(t.revisions, t.revisions.c.visit_id == t.visits.c.id)
            referenced = {(c, r) for c, r in conn.execute(pairs)}
        for entry in list(db.staging_dir.iterdir()):
            if old_enough(entry):
                remove_tree(entry)
                removed += 1
        for cdir in list(db.files_dir.iterdir()):
            if not t.ID_RE.match(cdir.name) or not cdir.is_dir() or cdir.is_symlink():
                continue  # not ours: leave it alone
            if cdir.name not in client_ids:
                if old_enough(cdir):
                    db.discard(cdir)
                    removed += 1
                continue
            for rdir in list(cdir.iterdir()):
                if t.ID_RE.match(rdir.name) and (cdir.name, rdir.name) not in referenced and old_enough(rdir):
                    db.discard(rdir)
                    removed += 1
    return removed


@contextlib.contextmanager
def temp_journal(db: Database) -> Iterator[Callable[[Path], None]]:
    """Record where a write outside the data folder keeps its temp file (an export), for as long as it runs.

    Yields the function to call with the temp file's path (``atomic_writer``'s
    ``on_temp``); the record goes when the block ends. After a kill the record
    stays, and :func:`remove_abandoned_exports` removes the temp file.
    """
    entry = db.exporting_dir / new_id()

    def note(tmp: Path) -> None:
        write_new_file(entry, os.fsencode(tmp))

    try:
        yield note
    finally:
        entry.unlink(missing_ok=True)


def remove_abandoned_exports(db: Database) -> int:
    """Remove the temp files of exports that were killed (no live writer holds them); return how many went."""
    removed = 0
    try:
        entries = [e for e in db.exporting_dir.iterdir() if t.ID_RE.match(e.name)]
    except OSError:
        return 0
    for entry in entries:
        try:
            tmp = Path(os.fsdecode(entry.read_bytes()))
        except OSError:
            continue
        if tmp.exists() and not is_abandoned(tmp):
            continue  # an export in progress
        if tmp.exists():
            tmp.unlink(missing_ok=True)
            removed += 1
        entry.unlink(missing_ok=True)
    return removed


def verify(db: Database, deep: bool = False) -> list[str]:
    """Check the whole client file; return one sentence per problem (empty when all is well).

    Checks every row is readable, every visit's revisions are complete and
    numbered 1..n, every file exists with its size (``deep``: its SHA-256),
    and nothing is left in ``files/`` or ``staging/`` that no row references
    (a save in progress in another process shows up as a leftover).
    """
    problems: list[str] = []
    with db.read() as conn:
        for row in conn.execute(select(t.clients)).all():
            problems += [f"Client {row.id}: {p}" for p in client_from_row(row).problems]
        visit_rows = conn.execute(select(t.visits)).all()
        rev_rows = conn.execute(select(t.revisions)).all()
        view_rows = conn.execute(select(t.views)).all()
        file_rows = conn.execute(select(t.files)).all()
    revs_by_visit: dict[str, list[int]] = {}
    rev_visit: dict[str, Any] = {}
    visits_by_id = {v.id: v for v in visit_rows}
    for r in rev_rows:
        revs_by_visit.setdefault(r.visit_id, []).append(r.number)
        rev_visit[r.id] = visits_by_id.get(r.visit_id)
    for v in visit_rows:
        numbers = sorted(revs_by_visit.get(v.id, []))
        if numbers != list(range(1, v.revision_count + 1)):
            problems.append(f"Visit {v.id}: revisions {numbers} do not match its count {v.revision_count}.")
    for vr in view_rows:
        try:
            doc = docs.loads(vr.document)
            if doc.view != vr.view:
                raise ValueError
            check_result(json.loads(vr.result), vr.view)
        except (DocumentError, TypeError, ValueError, ResultError):
            problems.append(f"Revision {vr.revision_id}: the {vr.view} view is damaged.")
    referenced: set[tuple[str, str]] = set()
    for fr in file_rows:
        visit = rev_visit.get(fr.revision_id)
        if visit is None:
            problems.append(f"File {fr.name} belongs to no revision.")
            continue
        referenced.add((visit.client_id, fr.revision_id))
        stored = stored_file(db, visit.client_id, fr.revision_id, fr)
        if stored.problem:
            problems.append(f"Revision {fr.revision_id}: {stored.problem}")
        elif deep:
            try:
                ok = sha256(stored.path.read_bytes()) == fr.sha256
            except OSError:
                ok = False
            if not ok:
                problems.append(f"Revision {fr.revision_id}: the stored file {fr.name} does not match its checksum.")
    for cdir in db.files_dir.iterdir():
        if not cdir.is_dir():
            problems.append(f"{cdir} is not a folder of the client file (left over).")
            continue
        for rdir in cdir.iterdir():
            if (cdir.name, rdir.name) not in referenced:
                problems.append(f"{rdir} is referenced by no revision (left over).")
    leftovers = list(db.staging_dir.iterdir())
    if leftovers:
        problems.append(f"{len(leftovers)} interrupted save(s) left in {db.staging_dir}.")
    return problems
