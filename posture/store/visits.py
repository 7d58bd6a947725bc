"""Reading visits back: a revision with its views and files, a client's timeline, a visit's revisions, deleting one.

**Damage is reported, not fatal.** A missing or wrong-sized file, a view
document or result that no longer reads, or a damaged date becomes one
sentence in the ``problems`` of the record concerned (and of the visit); the
rest of the visit still reads. Only a visit whose rows are missing raises.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import Connection, and_, delete, func, select

from posture import document as docs
from posture.errors import CorruptRecordError, DocumentError, MissingFileError, NotFoundError, ResultError, StoreError
from posture.result import Result, check_result

from . import schema as t  # the tables
from .database import FILE_NAME_RE, Database
from .records import VIEW_ORDER, RevisionSummary, StoredFile, ViewRecord, Visit, VisitSummary
from .validation import check_id, parse_date, sha256, text_or_empty


def stored_file(db: Database, client_id: str, revision_id: str, row: Any) -> StoredFile:
    """The :class:`StoredFile` of a ``files`` row, its ``problem`` set when the file is missing or of the wrong size."""
    what = "the report" if row.role == "report" else f"the {row.view} {'photo' if row.role == 'photo' else 'annotated image'}"
    if not isinstance(row.name, str) or not FILE_NAME_RE.match(row.name):
        return StoredFile(
            str(row.name)[:40], row.role, row.view, row.sha256, row.size, db.files_dir, revision_id,
            f"The record of {what} is damaged.",
        )  # fmt: skip
    path = db.folder(client_id, revision_id) / row.name
    problem = None
    try:
        size = path.stat().st_size
        if size != row.size:
            problem = f"The stored file of {what} is damaged (size {size} bytes, expected {row.size})."
    except OSError:
        problem = f"The stored file of {what} is missing from the data folder ({path})."
    return StoredFile(row.name, row.role, row.view, row.sha256, row.size, path, revision_id, problem)


def _view_record(row: Any, stored: list[StoredFile]) -> ViewRecord:
    """One view of a revision from its ``views`` row and the revision's files; damage in its ``problems``."""
    problems: list[str] = []
    doc: docs.ViewDocument | None = None
    try:
        doc = docs.loads(row.document)
        if doc.view != row.view:
            raise DocumentError("view", f"is {doc.view}, stored as the {row.view} view.")
    except (DocumentError, TypeError) as e:
        doc = None
        problems.append(f"The {row.view} view document is damaged in the database ({e}).")
    result: Result | None = None
    if row.result is not None:
        try:
            result = check_result(json.loads(row.result), row.view)
        except (TypeError, ValueError, ResultError):
            result = None
            problems.append(f"The stored result of the {row.view} view is damaged (not a valid result): analyse it again.")
    photo = next((f for f in stored if f.role == "photo" and f.view == row.view), None)
    annotated = next((f for f in stored if f.role == "annotated" and f.view == row.view), None)
    problems += [f.problem for f in (photo, annotated) if f is not None and f.problem]
    return ViewRecord(row.view, doc, result, photo, annotated, tuple(problems))


def load_revision(db: Database, conn: Connection, visit_row: Any, rev_row: Any) -> Visit:
    """A :class:`Visit` at the revision of ``rev_row``, its views in view order."""
    problems: list[str] = []
    view_rows = conn.execute(select(t.views).where(t.views.c.revision_id == rev_row.id)).all()
    file_rows = conn.execute(select(t.files).where(t.files.c.revision_id == rev_row.id)).all()
    stored = [stored_file(db, visit_row.client_id, rev_row.id, f) for f in file_rows]
    by_view: dict[str, ViewRecord] = {}
    for vr in sorted(view_rows, key=lambda r: VIEW_ORDER.get(r.view, 99)):
        by_view[vr.view] = record = _view_record(vr, stored)
        problems += record.problems
    report = next((f for f in stored if f.role == "report"), None)
    if report is not None and report.problem:
        problems.append(report.problem)
    visit_date = parse_date(rev_row.visit_date, "visit date", problems) or date(1900, 1, 1)
    return Visit(
        id=visit_row.id,
        client_id=visit_row.client_id,
        visit_date=visit_date,
        notes=text_or_empty(rev_row.notes),
        revision=rev_row.number,
        revision_id=rev_row.id,
        revision_count=visit_row.revision_count,
        saved_at=rev_row.saved_at,
        created_at=visit_row.created_at,
        views=by_view,
        report=report,
        problems=tuple(problems),
    )


def get_visit(db: Database, visit_id: str, revision: int | None = None) -> Visit:
    """A visit at its latest revision or at ``revision``; :class:`NotFoundError` / :class:`CorruptRecordError`."""
    check_id(visit_id, "visit")
    with db.read() as conn:
        v = conn.execute(select(t.visits).where(t.visits.c.id == visit_id)).first()
        if v is None:
            raise NotFoundError(f"No visit with id {visit_id!r}.")
        number = v.revision_count if revision is None else revision
        r = conn.execute(select(t.revisions).where(t.revisions.c.visit_id == visit_id, t.revisions.c.number == number)).first()
        if r is None:
            if revision is not None:
                raise NotFoundError(f"Visit {visit_id} has no revision {revision} (it has {v.revision_count}).")
            raise CorruptRecordError(f"The latest revision of visit {visit_id} is missing from the database.")
        return load_revision(db, conn, v, r)


def list_visits(db: Database, client_id: str) -> list[VisitSummary]:
    """A client's visit timeline, newest first (latest revision of each); :class:`NotFoundError`."""
    check_id(client_id, "client")
    visits, views, r = t.visits, t.views, t.revisions.alias("r")
    q = (
        select(
            visits.c.id, visits.c.visit_date, visits.c.revision_count, visits.c.updated_at, r.c.id.label("rev_id"),
            r.c.notes, func.group_concat(views.c.view).label("views"),
        )
        .select_from(visits)
        .outerjoin(r, and_(r.c.visit_id == visits.c.id, r.c.number == visits.c.revision_count))
        .outerjoin(views, views.c.revision_id == r.c.id)
        .where(visits.c.client_id == client_id)
        .group_by(visits.c.id)
        .order_by(visits.c.visit_date.desc(), visits.c.created_at.desc())
    )  # fmt: skip
    with db.read() as conn:
        if conn.execute(select(t.clients.c.id).where(t.clients.c.id == client_id)).first() is None:
            raise NotFoundError(f"No client with id {client_id!r}.")
        rows = conn.execute(q).all()
    out = []
    for row in rows:
        problems: list[str] = []
        if row.rev_id is None:
            problems.append("The latest revision of this visit is missing from the database.")
        out.append(
            VisitSummary(
                row.id, client_id, parse_date(row.visit_date, "visit date", problems), text_or_empty(row.notes),
                row.revision_count, view_names(row.views), row.updated_at, tuple(problems),
            )
        )  # fmt: skip
    return out


def list_revisions(db: Database, visit_id: str) -> list[RevisionSummary]:
    """Every revision of a visit, oldest first; :class:`NotFoundError`."""
    check_id(visit_id, "visit")
    revisions, views = t.revisions, t.views
    q = (
        select(revisions, func.group_concat(views.c.view).label("views"))
        .outerjoin(views, views.c.revision_id == revisions.c.id)
        .where(revisions.c.visit_id == visit_id)
        .group_by(revisions.c.id)
        .order_by(revisions.c.number)
    )
    with db.read() as conn:
        rows = conn.execute(q).all()
    if not rows:
        raise NotFoundError(f"No visit with id {visit_id!r}.")
    return [
        RevisionSummary(
            r.id, r.number, parse_date(r.visit_date, "visit date", []), text_or_empty(r.notes), r.saved_at, view_names(r.views)
        )
        for r in rows
    ]


def read_file(db: Database, stored: StoredFile) -> bytes:
    """The bytes of a stored file of this data folder, checked against its SHA-256; :class:`MissingFileError`."""
    if stored.problem:
        raise MissingFileError(stored.problem)
    try:
        inside = stored.path.resolve().is_relative_to(db.files_dir.resolve())
    except OSError:
        inside = False
    if not inside:
        raise StoreError(f"{stored.path} is not a file of this client file.")
    try:
        data = stored.path.read_bytes()
    except OSError:
        raise MissingFileError(f"The stored file {stored.path} is missing from the data folder.") from None
    if sha256(data) != stored.sha256:
        raise MissingFileError(f"The stored file {stored.path} is damaged (its content does not match the record).")
    return data


def delete_visit(db: Database, visit_id: str) -> None:
    """Remove a visit's rows in one transaction, then its revision folders, then checkpoint the log."""
    check_id(visit_id, "visit")
    with db.write() as conn:
        v = conn.execute(select(t.visits.c.client_id).where(t.visits.c.id == visit_id)).first()
        if v is None:
            raise NotFoundError(f"No visit with id {visit_id!r}.")
        rev_ids = conn.execute(select(t.revisions.c.id).where(t.revisions.c.visit_id == visit_id)).scalars().all()
        conn.execute(delete(t.files).where(t.files.c.revision_id.in_(rev_ids)))
        conn.execute(delete(t.views).where(t.views.c.revision_id.in_(rev_ids)))
        conn.execute(delete(t.revisions).where(t.revisions.c.visit_id == visit_id))
        conn.execute(delete(t.visits).where(t.visits.c.id == visit_id))
    for rid in rev_ids:
        if t.ID_RE.match(rid):
            db.discard(db.files_dir / v.client_id / rid)
    db.checkpoint()


def view_names(concatenated: str | None) -> tuple[str, ...]:
    """The views of a ``group_concat`` column, in view order."""
    return tuple(sorted(set((concatenated or "").split(",")) - {""}, key=lambda v: VIEW_ORDER.get(v, 99)))
