"""Saving a revision: plan it (validate, nothing written), stage its files, publish them, reference them in one transaction.

The steps of :func:`commit`, and why a crash at any point leaves the whole
revision or none of it:

1. :func:`plan` checks a :class:`~posture.store.records.VisitDraft` and turns
   it into rows and file writes; new images are cleaned
   (:func:`posture.images.clean_jpeg`), stored files to keep are checked to
   be this client's.
2. :func:`stage` writes the files into a new folder under ``staging/``
   (fsynced; a kept file is hard-linked, stored files being immutable).
3. The folder is renamed into ``files/<client id>/<revision id>/`` (fsynced).
4. One write transaction inserts the revision, its views and its files
   (:func:`insert_revision`); the visit's ``revision_count`` goes to ``n + 1``.

A folder published in step 3 whose transaction never committed is referenced
by nothing; :func:`posture.store.housekeeping.collect_garbage` removes it the
next time a store opens. Saves hold the data folder's lock shared, the
clean-up exclusive, so it never removes a save in progress.

**A view saved without a result** is analysed under the *shipped* grading
bands (:func:`posture.settings.default_settings`), never under a settings file
the store would have to go and read: the store keeps what it is given and does
no hidden I/O, a long-lived store (the app keeps one per process) cannot go
stale when the practice edits its bands, and every stored measurement carries
its ``band`` with its ``source``, so the result says what it was graded
against. A caller grading with its own bands passes the result (the app
always does).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, update

from posture import document as docs
from posture import images
from posture.atomic import fsync_dir, write_new_file
from posture.errors import ConflictError, DocumentError, MissingFileError, NotFoundError, StoreError
from posture.landmarks import VIEWS
from posture.result import Result

from .clients import ERASED_MESSAGE, VISIT_GONE_MESSAGE
from .database import Database, file_name, remove_tree
from .records import (
    ANNOTATED_QUALITY,
    MAX_NOTES_CHARS,
    VIEW_ORDER,
    Client,
    ImageInput,
    ImportedRevision,
    ImportSummary,
    StoredFile,
    ViewDraft,
    VisitDraft,
)
from .schema import ID_RE, clients, files, revisions, views, visits
from .validation import (
    as_date,
    check_id,
    check_result_matches,
    client_values,
    geometry_key,
    image_bytes,
    new_id,
    now,
    pdf_bytes,
    result_json,
    sha256,
    text,
    timestamp,
)


@dataclass
class FileWrite:
    """One file of a planned revision: new bytes to write, or a stored file of the same client to share."""

    name: str
    role: str
    view: str | None
    sha256: str
    size: int
    data: bytes | None = None  # new bytes, or
    source: StoredFile | None = None  # a stored file of the same client to share (hard link)


@dataclass
class RevisionPlan:
    """A validated revision, ready to stage and insert."""

    client_id: str
    visit_id: str
    revision_id: str
    visit_date: str
    notes: str
    saved_at: str
    visit_created_at: str
    views: list[tuple[str, str, str]]  # view, document JSON, result JSON
    files: list[FileWrite]
    new_visit: bool | None = None  # True: must not exist; False: must exist; None: either (import)
    base_number: int | None = None  # raise when the visit's latest revision is no longer this one


def conflict_message(latest: int, base: int) -> str:
    return f"This visit was saved elsewhere since you opened it (revision {latest} is newer than your {base}): reopen it and edit again."


# --- 1. plan --------------------------------------------------------------------------


def plan(db: Database, client: Client, draft: VisitDraft, visit_id: str, *, ids: ImportedRevision | None = None) -> RevisionPlan:
    """Validate a draft and prepare its rows and files (nothing is written yet).

    ``ids``: the identity of an imported revision. A given result (imported
    too) must have the measured values its document gives. Raises
    :class:`StoreError` when the draft is malformed, a given result does not
    match its document, an image is not a photo, or new photos are given for
    a client without consent to photography.
    """
    if not isinstance(draft, VisitDraft):
        raise StoreError("Save a VisitDraft.")
    visit_date = as_date(draft.visit_date, "visit date")
    notes = text(draft.notes, "therapist notes", MAX_NOTES_CHARS)
    seen: set[str] = set()
    view_rows: list[tuple[str, str, str]] = []
    writes: list[FileWrite] = []
    new_images = False
    for vd in draft.views:
        if not isinstance(vd, ViewDraft) or not isinstance(vd.document, docs.ViewDocument):
            raise StoreError("Each view must be a ViewDraft holding a ViewDocument.")
        view = vd.document.view
        if view not in VIEWS:
            raise StoreError(f"Unknown view {view!r}.")
        if view in seen:
            raise StoreError(f"The {view} view is given twice.")
        seen.add(view)
        row, view_writes = _plan_view(db, client.id, vd, imported=ids is not None)
        view_rows.append(row)
        writes += view_writes
        new_images = new_images or any(w.data is not None for w in view_writes)
    if draft.report_pdf is not None:
        if isinstance(draft.report_pdf, StoredFile):
            writes.append(_reuse(db, client.id, draft.report_pdf, "report", None, "The report"))
        else:
            data = pdf_bytes(draft.report_pdf)
            writes.append(FileWrite("report.pdf", "report", None, sha256(data), len(data), data=data))
    if new_images and not client.consent_photography:
        raise StoreError("Record the client's consent to photography before saving photos of them.")
    view_rows.sort(key=lambda r: VIEW_ORDER[r[0]])
    saved = now()
    return RevisionPlan(
        client_id=client.id,
        visit_id=visit_id,
        revision_id=ids.revision_id if ids else new_id(),
        visit_date=visit_date.isoformat(),
        notes=notes,
        saved_at=ids.saved_at if ids else saved,
        visit_created_at=ids.visit_created_at if ids else saved,
        views=view_rows,
        files=writes,
    )


def _plan_view(db: Database, client_id: str, vd: ViewDraft, *, imported: bool) -> tuple[tuple[str, str, str], list[FileWrite]]:
    """The row ``(view, document JSON, result JSON)`` of one view and its photo and annotated image to write."""
    view, doc = vd.document.view, vd.document
    writes: list[FileWrite] = []
    for role, value in (("photo", vd.photo), ("annotated", vd.annotated)):
        if value is None:
            continue
        w = _plan_image(db, client_id, doc, role, value)
        writes.append(w)
        if role == "photo":
            doc = replace(doc, image_file=w.name)
    try:
        doc = docs.validated(doc)
    except DocumentError as e:
        raise StoreError(f"The {view} view document is invalid ({e}).") from None
    result = vd.result if vd.result is not None else _analyse_with_shipped_bands(doc)
    stored_result = result_json(result, view)
    if vd.result is not None:  # imported ones too: an archive cannot plant measurements its landmarks do not give
        check_result_matches(result, doc, imported=imported)
    return (view, docs.dumps(doc), stored_result), writes


def _analyse_with_shipped_bands(doc: docs.ViewDocument) -> Result:
    """The result of a view saved without one: graded under the shipped bands (see the module docstring)."""
    from posture.analysis import analyze  # local: analysis pulls in the whole measurement core
    from posture.settings import default_settings

    return analyze(doc, default_settings())


def _plan_image(db: Database, client_id: str, doc: docs.ViewDocument, role: str, value: ImageInput) -> FileWrite:
    """The photo or annotated image of ``doc``'s view: a stored file to keep, or new bytes (cleaned) to write."""
    view = doc.view
    what = f"The {view} {'photo' if role == 'photo' else 'annotated image'}"
    if isinstance(value, StoredFile):
        kept = _reuse(db, client_id, value, role, view, what)
        if role == "annotated":
            drawn_on = _view_document(db, value.revision_id, value.view or "")
            if drawn_on is None or geometry_key(drawn_on) != geometry_key(doc):
                raise StoreError(f"{what} was drawn for other landmarks or calibration: render it again (or leave it out).")
        return kept
    data, width, height = image_bytes(value, what, images.PHOTO_QUALITY if role == "photo" else ANNOTATED_QUALITY)
    doc_w, doc_h = doc.image_width, doc.image_height
    if role == "photo" and doc_w is not None and doc_h is not None and (round(doc_w), round(doc_h)) != (width, height):
        raise StoreError(
            f"The {view} photo is {width}×{height} px but its view document says "
            f"{doc_w:g}×{doc_h:g} px: the landmarks would not line up."
        )
    return FileWrite(file_name(role, view), role, view, sha256(data), len(data), data=data)


def _reuse(db: Database, client_id: str, stored: StoredFile, role: str, view: str | None, what: str) -> FileWrite:
    """A stored file of this client to carry into a new revision (as the ``role`` file of ``view``)."""
    if stored.role != role:
        names = {"photo": "photo", "annotated": "annotated image", "report": "report"}
        raise StoreError(f"{what} must be a stored {names[role]}, not the {names.get(stored.role, 'other')} file.")
    if not ID_RE.match(stored.revision_id or "") or stored.path != db.folder(client_id, stored.revision_id) / stored.name:
        raise StoreError(f"{what} is a stored file of another client or data folder.")
    if stored.problem:
        raise MissingFileError(f"{stored.problem} Give it again, or leave it out, to save.")
    return FileWrite(file_name(role, view), role, view, stored.sha256, stored.size, source=stored)


def _view_document(db: Database, revision_id: str, view: str) -> docs.ViewDocument | None:
    """The stored document of a view (what a kept annotated image was drawn for), ``None`` when absent or damaged."""
    with db.read() as conn:
        stored: str | None = conn.execute(
            select(views.c.document).where(views.c.revision_id == revision_id, views.c.view == view)
        ).scalar_one_or_none()
    try:
        return docs.loads(stored) if stored is not None else None
    except DocumentError:
        return None


def same_content(db: Database, revision: RevisionPlan, stored_revision_id: str) -> bool:
    """True when a planned revision says what a stored one says: the same date, notes, views with the same
    documents (as JSON values) and the same photos (by SHA-256).

    Left out, being drawn from these: the results (under the grading bands
    of the day; the app grades a reopened visit afresh anyway), the annotated
    images (drawn again on the stored photo, whose re-encoded pixels differ
    from the upload's, they never come out byte for byte the same) and the
    report (which carries the time it was made).
    """
    with db.read() as conn:
        rev = conn.execute(select(revisions.c.visit_date, revisions.c.notes).where(revisions.c.id == stored_revision_id)).first()
        doc_rows = conn.execute(select(views.c.view, views.c.document).where(views.c.revision_id == stored_revision_id)).all()
        file_rows = conn.execute(
            select(files.c.view, files.c.sha256).where(files.c.revision_id == stored_revision_id, files.c.role == "photo")
        ).all()
    if rev is None or (rev.visit_date, rev.notes) != (revision.visit_date, revision.notes):
        return False
    try:
        stored_docs = {r.view: json.loads(r.document) for r in doc_rows}
    except (TypeError, ValueError):
        return False  # a damaged stored document: saving again is a change worth keeping
    planned_docs = {view: json.loads(doc) for view, doc, _ in revision.views}
    planned_photos = {f.view: f.sha256 for f in revision.files if f.role == "photo"}
    return stored_docs == planned_docs and {r.view: r.sha256 for r in file_rows} == planned_photos


# --- 2.-4. stage, publish, reference --------------------------------------------------


def stage(db: Database, revision: RevisionPlan, written: dict[str, Path] | None = None) -> Path:
    """Write a revision's files into a new folder under ``staging/`` (fsynced); return it.

    ``written``: files of the same content (SHA-256 → path) this commit already wrote; a new file with the same
    bytes is hard-linked to it rather than written again (an import whose revisions all show one photo).
    """
    folder = db.staging_dir / new_id()
    folder.mkdir(mode=0o700)
    same: dict[str, Path] = dict(written or {})
    for f in revision.files:
        target = folder / f.name
        if f.data is not None:
            if not _link_same(same.get(f.sha256), target, len(f.data)):
                write_new_file(target, f.data)
            same[f.sha256] = target
            continue
        assert f.source is not None
        try:
            os.link(f.source.path, target)  # stored files are immutable: share them
        except FileNotFoundError:
            raise MissingFileError(f"The stored {f.source.name} to keep is missing from the data folder.") from None
        except OSError:  # no hard links here: copy
            write_new_file(target, f.source.path.read_bytes())
        if sha256(target.read_bytes()) != f.sha256:
            raise MissingFileError(f"The stored {f.source.name} to keep is damaged (its content does not match the record).")
    fsync_dir(folder)
    return folder


def _link_same(existing: Path | None, target: Path, size: int) -> bool:
    """Hard-link ``target`` to ``existing`` (a file of this commit with the same SHA-256); False when not possible."""
    if existing is None:
        return False
    try:
        if existing.stat().st_size != size:
            return False
        os.link(existing, target)
    except OSError:
        return False
    return True


def commit(db: Database, plans: Iterable[RevisionPlan], client_row: Mapping[str, Any] | None = None) -> str | None:
    """Stage, publish and reference revisions (and upsert a client row) atomically.

    ``plans`` may be a generator: each plan's bytes are dropped once they
    are on disk. Returns what happened to ``client_row`` (``"created"``,
    ``"updated"``, ``"kept"``) or ``None``. On any error the folders
    published so far are removed and nothing is referenced.
    """
    with db.lock.shared():
        done: list[RevisionPlan] = []
        published: list[Path] = []
        staged: Path | None = None
        written: dict[str, Path] = {}  # the new files published so far, by SHA-256
        try:
            for revision in plans:
                if revision.files:
                    staged = stage(db, revision, written)
                    final = db.folder(revision.client_id, revision.revision_id)
                    if not final.parent.exists():
                        final.parent.mkdir(mode=0o700, exist_ok=True)
                        fsync_dir(db.files_dir)
                    os.rename(staged, final)
                    staged = None
                    published.append(final)
                    fsync_dir(final.parent)
                    for f in revision.files:
                        if f.data is not None:
                            written.setdefault(f.sha256, final / f.name)
                        f.data = None
                done.append(revision)
            with db.write() as conn:
                outcome = upsert_client_row(conn, client_row) if client_row is not None else None
                for revision in done:
                    insert_revision(conn, revision)
            return outcome
        except BaseException as e:
            for folder in [*published, *([staged] if staged else [])]:
                remove_tree(folder)
            if isinstance(e, OSError):
                raise StoreError(f"Cannot write the visit into the data folder {db.root} ({e.strerror}).") from None
            raise


def upsert_client_row(conn: Connection, row: Mapping[str, Any]) -> str:
    """Insert a client row, or replace it when ``row`` is newer; return ``"created"``, ``"updated"`` or ``"kept"``."""
    existing = conn.execute(select(clients.c.updated_at).where(clients.c.id == row["id"])).first()
    if existing is None:
        conn.execute(insert(clients).values(**row))
        return "created"
    if row["updated_at"] > existing.updated_at:
        values = {k: v for k, v in row.items() if k not in ("id", "revision")}
        conn.execute(update(clients).where(clients.c.id == row["id"]).values(revision=clients.c.revision + 1, **values))
        return "updated"
    return "kept"


def insert_revision(conn: Connection, revision: RevisionPlan) -> None:
    """Reference a published revision: its visit (created or advanced to ``n + 1``), revision, views and files rows."""
    if conn.execute(select(clients.c.id).where(clients.c.id == revision.client_id)).first() is None:
        raise NotFoundError(ERASED_MESSAGE)
    v = conn.execute(select(visits.c.client_id, visits.c.revision_count).where(visits.c.id == revision.visit_id)).first()
    if v is None:
        if revision.new_visit is False:
            raise NotFoundError(VISIT_GONE_MESSAGE)
        number = 1
        conn.execute(
            insert(visits).values(
                id=revision.visit_id, client_id=revision.client_id, visit_date=revision.visit_date, revision_count=1,
                created_at=revision.visit_created_at, updated_at=revision.saved_at,
            )
        )  # fmt: skip
    else:
        if revision.new_visit is True or v.client_id != revision.client_id:
            raise StoreError(f"Visit {revision.visit_id} already exists for another client.")
        if revision.base_number is not None and v.revision_count != revision.base_number:
            raise ConflictError(conflict_message(v.revision_count, revision.base_number))
        number = v.revision_count + 1
        conn.execute(
            update(visits)
            .where(visits.c.id == revision.visit_id)
            .values(visit_date=revision.visit_date, revision_count=number, updated_at=revision.saved_at)
        )
    conn.execute(
        insert(revisions).values(
            id=revision.revision_id, visit_id=revision.visit_id, number=number, visit_date=revision.visit_date,
            notes=revision.notes, saved_at=revision.saved_at,
        )
    )  # fmt: skip
    if revision.views:
        conn.execute(
            insert(views),
            [{"revision_id": revision.revision_id, "view": v, "document": d, "result": r} for v, d, r in revision.views],
        )
    if revision.files:
        conn.execute(
            insert(files),
            [
                {
                    "revision_id": revision.revision_id,
                    "name": f.name,
                    "role": f.role,
                    "view": f.view,
                    "sha256": f.sha256,
                    "size": f.size,
                }
                for f in revision.files
            ],
        )


# --- imports --------------------------------------------------------------------------


def import_client(db: Database, client: Client, imported: Iterable[ImportedRevision]) -> ImportSummary:
    """Add a client file that came from elsewhere, keeping its ids (see :meth:`posture.store.Store.import_client`)."""
    check_id(client.id, "client")
    row = {
        "id": client.id,
        "created_at": timestamp(client.created_at, "client's creation time"),
        "updated_at": timestamp(client.updated_at, "client's update time"),
        **client_values(client),
    }
    with db.read() as conn:
        present = set(
            conn.execute(
                select(revisions.c.id).join(visits, visits.c.id == revisions.c.visit_id).where(visits.c.client_id == client.id)
            ).scalars()
        )
        known_visits = set(conn.execute(select(visits.c.id).where(visits.c.client_id == client.id)).scalars())
    counts = {"added": 0, "present": 0}
    new_visits: set[str] = set()

    def plans() -> Iterator[RevisionPlan]:
        """The revisions not held yet, planned one at a time as :func:`commit` consumes them."""
        seen: set[str] = set()
        for rev in imported:
            check_id(rev.visit_id, "visit")
            check_id(rev.revision_id, "revision")
            if rev.revision_id in seen:
                raise StoreError(f"Revision {rev.revision_id} is given twice.")
            seen.add(rev.revision_id)
            if rev.revision_id in present:
                counts["present"] += 1
                continue
            ids = replace(
                rev,
                saved_at=timestamp(rev.saved_at, "revision's save time"),
                visit_created_at=timestamp(rev.visit_created_at, "visit's creation time"),
            )
            try:
                revision = plan(db, client, rev.load(), rev.visit_id, ids=ids)
            except StoreError as e:
                raise type(e)(f"{rev.label}: {e}" if rev.label else str(e)) from None
            counts["added"] += 1
            if rev.visit_id not in known_visits:
                new_visits.add(rev.visit_id)
            yield revision

    outcome = commit(db, plans(), client_row=row)
    return ImportSummary(client.id, row["name"], outcome or "kept", len(new_visits), counts["added"], counts["present"])
