"""The :class:`Store`: one object per data folder, the operations of the client file in one list.

Each method checks its arguments and hands the work to the module that owns
it: :mod:`~posture.store.clients` (client records), :mod:`~posture.store.revisions`
(saving and importing), :mod:`~posture.store.visits` (reading back),
:mod:`~posture.store.housekeeping` (clean-up and checks), all on the
:class:`~posture.store.database.Database` of the folder.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from posture.errors import ConflictError, NotFoundError, StoreError

from . import clients, housekeeping, revisions, visits
from .database import Database, default_data_dir
from .drafts import Draft, DraftInfo, Drafts, PhotoSource
from .records import (
    Client,
    ClientSummary,
    ImportedRevision,
    ImportSummary,
    RevisionSummary,
    StoredFile,
    Visit,
    VisitDraft,
    VisitSummary,
)
from .validation import new_id

#: How often (seconds) an open store tries again to finish an erasure a long reader kept from completing.
RETRY_ERASURE_S = 2.0
#: What a draft linked to a client erased meanwhile (in another window) says.
DRAFT_ERASED_MESSAGE = "This client has been erased (in another window, perhaps), so their unsaved assessment was not kept."


class Store:
    """The client file in one data folder. Thread-safe; several processes may share a folder.

    ``Store(root)`` (default :func:`default_data_dir`) creates the folder
    (0700) and database (0600) when missing, migrates an older database
    forward (raising :class:`SchemaError` for a newer or foreign one), and
    removes leftovers of interrupted saves and erasures. Every method raises
    :class:`StoreError` (or a subclass) with one sentence fit to show.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, collect_garbage: bool = True):
        self._db = Database(Path(root if root is not None else default_data_dir()).expanduser())
        self.root = self._db.root
        self.files_dir = self._db.files_dir
        self.staging_dir = self._db.staging_dir
        self.db_path = self._db.db_path
        self._drafts = Drafts(self.root)
        self.drafts_dir = self._drafts.dir
        self._next_retry = 0.0
        if collect_garbage:
            self.collect_garbage()

    # --- the store itself ---

    def close(self) -> None:
        """Release the database connections (the store can be reopened with a new ``Store``)."""
        self._db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    def schema_version(self) -> int:
        """The schema version of the database (:data:`posture.store.schema.SCHEMA_VERSION` once opened)."""
        return self._db.schema_version()

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        """A read transaction on the database (for :mod:`posture.bench_store`, which fills a fresh store in bulk)."""
        return self._db.read()

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        """A write transaction on the database (see :meth:`_read`)."""
        return self._db.write()

    # --- clients ---

    def _finish_erasures(self) -> None:
        """Finish, without waiting, an erasure whose log another connection's long read kept (at most every
        :data:`RETRY_ERASURE_S`): a store that stays open (the app) needs no restart for the old copies to go."""
        now = time.monotonic()
        if now < self._next_retry:
            return
        self._next_retry = now + RETRY_ERASURE_S
        for client_id in clients.pending_erasures(self._db):
            with contextlib.suppress(StoreError):  # busy: the next call tries again
                clients.retry_erasure(self._db, client_id, self._drafts.discard_for_client)

    def create_client(self, name: str, **fields: Any) -> Client:
        """Add a client; return the stored record.

        Keyword fields (all optional): ``date_of_birth`` (date), ``sex`` (a key
        of :data:`SEX_LABELS`), ``height_cm`` (50–250, the default of a height
        calibration), ``contact`` (phone, e-mail, address: searched too), ``notes`` (text),
        ``precautions`` (:class:`Precautions` or its dict), ``consent_photography``
        (bool; True needs ``consent_date``), ``consent_date`` (date).
        """
        self._finish_erasures()
        return clients.create_client(self._db, name, fields)

    def update_client(self, client_id: str, *, base_revision: int | None = None, **changes: Any) -> Client:
        """Change some fields of a client (the keywords of :meth:`create_client`, and ``name``); return the new record.

        ``base_revision``: the :attr:`Client.revision` the edit started from
        (a form passes the one it was opened with); when another window or
        process changed the record since, :class:`ConflictError` ("This record
        was changed in another window at 10:42: reload it.") and nothing is
        written. A client erased meanwhile gives :class:`NotFoundError` with one sentence.
        """
        self._finish_erasures()
        return clients.update_client(self._db, client_id, changes, base_revision)

    def get_client(self, client_id: str) -> Client:
        """The client record; raise :class:`NotFoundError`."""
        return clients.get_client(self._db, client_id)

    def list_clients(self, search: str = "", limit: int = 50, offset: int = 0) -> list[ClientSummary]:
        """A page of clients by name, with their visit count and last visit date.

        ``search`` is case- and accent-insensitive and matches anywhere in the
        name or the contact details; every word must match (``"zolc"`` finds
        "Łucja Żółć", ``"luc zol"`` too, ``"maria@example"`` her e-mail). A phone
        number matches whatever its spacing: ``"0791234567"`` finds "079 123 45 67".
        """
        self._finish_erasures()
        return clients.list_clients(self._db, search, limit, offset)

    def similar_clients(self, name: str) -> list[ClientSummary]:
        """The clients a new client called ``name`` may duplicate: the same name up to case, accents, spacing and
        word order ("Müller" is "muller", "  maria KELLER" is "Keller Maria"), each with its date of birth."""
        return clients.similar_clients(self._db, name)

    def count_clients(self, search: str = "") -> int:
        """How many clients :meth:`list_clients` pages through for ``search``."""
        self._finish_erasures()
        return clients.count_clients(self._db, search)

    def resolve_client_id(self, text: str) -> str:
        """A full client id from a full id or a unique prefix of at least 6 hex digits (command-line use)."""
        return clients.resolve_client_id(self._db, text)

    def delete_client(self, client_id: str) -> bool:
        """Erase a client: their drafts, files and rows, leaving no trace in the data folder; True when complete.

        Journaled first (``erasing/<id>``), so a kill at any point is finished
        the next time a store opens on the folder. The database overwrites the
        erased rows and freed pages (``secure_delete``) and its write-ahead log
        is checkpointed and truncated, waiting up to the busy timeout for other
        connections' reads to end; if one reads on for longer, False is returned
        and the log keeps old copies until the next open finishes the job.
        """
        return clients.delete_client(self._db, client_id, self._drafts.discard_for_client)

    def pending_erasures(self) -> list[str]:
        """Ids of clients whose erasure began and is not finished yet (finished when a store opens)."""
        return clients.pending_erasures(self._db)

    # --- visits: saving ---

    def add_visit(self, client_id: str, draft: VisitDraft) -> Visit:
        """Save a new visit (revision 1) for a client; return it as stored.

        Refused with :class:`StoreError` when the draft is malformed, a given
        result does not match its document, an image is not a photo, or new
        photos are given for a client without consent to photography. A view
        without a result is analysed under the shipped bands (see :class:`ViewDraft`).
        """
        self._finish_erasures()
        try:
            client = self.get_client(client_id)
        except NotFoundError:
            raise NotFoundError(clients.ERASED_MESSAGE) from None
        visit_id = new_id()
        plan = revisions.plan(self._db, client, draft, visit_id)
        plan.new_visit = True
        revisions.commit(self._db, [plan])
        return self.get_visit(visit_id)

    def revise_visit(self, visit_id: str, draft: VisitDraft, *, base_revision: int | None = None) -> Visit:
        """Save ``draft`` as a new revision of a visit (earlier ones stay readable); return it.

        Start from ``visit.to_draft()`` so the stored files are carried over;
        a draft of an earlier revision saved again restores it as the newest.
        ``base_revision``: the latest revision when the edit started (when an
        earlier one was opened, still the latest, not the one opened); when
        given and another save came in meanwhile, raise :class:`ConflictError`
        instead of silently superseding it.

        **Nothing changed, no revision**: when the draft's view documents,
        photos, date and notes are those of the latest revision
        (:func:`~posture.store.revisions.same_content`), nothing is written and
        the latest revision is returned as it is (its ``revision_count`` is
        then still ``base_revision``). What is drawn from those is no change
        of its own: a result graded under other bands, an annotated image or a
        report drawn again. A latest revision with a problem (a file
        missing or damaged) always gets a new one: giving the same photo again repairs it.
        """
        try:
            base = self.get_visit(visit_id)
        except NotFoundError:
            raise NotFoundError(clients.VISIT_GONE_MESSAGE) from None
        if base_revision is not None and base.revision != base_revision:
            raise ConflictError(revisions.conflict_message(base.revision, base_revision))
        plan = revisions.plan(self._db, self.get_client(base.client_id), draft, visit_id)
        if self._adds_nothing(base, plan):
            return base
        plan.new_visit = False
        plan.base_number = base_revision
        revisions.commit(self._db, [plan])
        return self.get_visit(visit_id)

    def unchanged(self, visit_id: str, draft: VisitDraft, *, base_revision: int | None = None) -> bool:
        """True when :meth:`revise_visit` would add no revision for ``draft`` (nothing is written either way).

        ``draft`` may leave out the annotated images and the report (they are
        not compared), so a caller can ask before drawing them. False when the
        latest revision is no longer ``base_revision`` (the save would be
        refused), or has a problem (a new revision repairs it).
        """
        try:
            base = self.get_visit(visit_id)
        except NotFoundError:
            raise NotFoundError(clients.VISIT_GONE_MESSAGE) from None
        if base_revision is not None and base.revision != base_revision:
            return False
        return self._adds_nothing(base, revisions.plan(self._db, self.get_client(base.client_id), draft, visit_id))

    def _adds_nothing(self, latest: Visit, plan: revisions.RevisionPlan) -> bool:
        """The planned revision says what ``latest`` says; a latest revision with a problem (a file missing) never
        counts as the same: a new one repairs it, even with the same bytes."""
        return not latest.problems and revisions.same_content(self._db, plan, latest.revision_id)

    def import_client(self, client: Client, revisions_: Iterable[ImportedRevision]) -> ImportSummary:
        """Add a client file that came from elsewhere, keeping its ids; atomic and idempotent.

        ``client`` carries its ``id``, ``created_at`` and ``updated_at``. The
        client row is created, or updated when ``client.updated_at`` is newer
        than the local copy's. Each revision whose id is already stored is
        skipped; the others are appended to their visit (created when new) in
        the order given, so a fresh import keeps the revision numbers. Either
        everything is added or nothing (a bad photo in the last visit leaves
        the store as it was). An imported result whose measured values differ
        from what its document gives is refused (a crafted archive cannot plant measurements). :mod:`posture.archive` builds
        the arguments from an export ZIP.
        """
        self._finish_erasures()
        return revisions.import_client(self._db, client, revisions_)

    # --- visits: reading ---

    def get_visit(self, visit_id: str, revision: int | None = None) -> Visit:
        """A visit at its latest revision, or at revision ``revision`` (1 = first save); raise :class:`NotFoundError`.

        Damage (a missing photo, an unreadable view) does not raise: it is in
        ``visit.problems`` and the ``problems`` of the view concerned.
        """
        return visits.get_visit(self._db, visit_id, revision)

    def list_visits(self, client_id: str) -> list[VisitSummary]:
        """A client's visit timeline, newest first (latest revision of each); raise :class:`NotFoundError`."""
        return visits.list_visits(self._db, client_id)

    def list_revisions(self, visit_id: str) -> list[RevisionSummary]:
        """Every revision of a visit, oldest first; raise :class:`NotFoundError`."""
        return visits.list_revisions(self._db, visit_id)

    def history(self, client_id: str) -> list[Visit]:
        """Every visit of a client at its latest revision, oldest first (input of :func:`posture.compare.trends`).

        A visit whose rows cannot be read is left out; its problem shows in :meth:`list_visits`.
        """
        out = []
        for summary in reversed(self.list_visits(client_id)):
            try:
                out.append(self.get_visit(summary.id))
            except StoreError:
                continue
        return out

    def read_file(self, stored: StoredFile) -> bytes:
        """The bytes of a stored photo, annotated image or report, checked against its SHA-256.

        Raises :class:`MissingFileError` (one sentence) when it is missing or damaged.
        """
        return visits.read_file(self._db, stored)

    def delete_visit(self, visit_id: str) -> None:
        """Remove a visit with every revision and file (rows first, then files); raise :class:`NotFoundError`."""
        visits.delete_visit(self._db, visit_id)

    # --- drafts: the unsaved assessment of each browser session (posture.store.drafts) ---

    def save_draft(
        self,
        draft_id: str,
        state: dict[str, Any],
        photos: dict[str, PhotoSource],
        *,
        client_id: str | None = None,
        client_name: str = "",
        views: int = 0,
        landmarks: int = 0,
    ) -> DraftInfo:
        """Write the draft ``draft_id`` atomically: ``state`` (plain JSON data) and each photo (digest → bytes
        function, called only for a photo not stored yet; kept as a clean JPEG without EXIF).

        A draft linked to a client (``client_id``) erased meanwhile, even while it is written, is not kept:
        :class:`NotFoundError` (one sentence), so another window's autosave cannot bring the name back."""
        self._finish_erasures()
        if client_id is not None and not clients.client_exists(self._db, client_id):
            raise NotFoundError(DRAFT_ERASED_MESSAGE)
        info = self._drafts.save(
            draft_id, state, photos, client_id=client_id, client_name=client_name, views=views, landmarks=landmarks
        )
        if client_id is not None and not clients.client_exists(self._db, client_id):  # erased while it was written
            self._drafts.discard(draft_id)
            raise NotFoundError(DRAFT_ERASED_MESSAGE)
        return info

    def get_draft(self, draft_id: str) -> Draft:
        """The draft ``draft_id``; raise :class:`NotFoundError` when there is none."""
        return self._drafts.get(draft_id)

    def has_draft(self, draft_id: str) -> bool:
        return self._drafts.exists(draft_id)

    def read_draft_photo(self, draft_id: str, digest: str) -> bytes:
        """The clean JPEG bytes of photo ``digest`` (SHA-256 hex) of draft ``draft_id``."""
        return self._drafts.read_photo(draft_id, digest)

    def list_drafts(self, limit: int | None = 10) -> list[DraftInfo]:
        """The drafts' summaries, newest first."""
        self._finish_erasures()
        return self._drafts.summaries(limit)

    def move_draft(self, old_id: str, new_id: str) -> None:
        """Give draft ``old_id`` the id ``new_id`` (a session taking it over)."""
        self._drafts.move(old_id, new_id)

    def discard_draft(self, draft_id: str) -> None:
        """Remove draft ``draft_id`` and its photos (no error when there is none)."""
        self._drafts.discard(draft_id)

    # --- housekeeping ---

    def collect_garbage(self) -> int:
        """Remove leftovers of interrupted saves and erasures; return how many folders went.

        Runs when a store opens: first it finishes erasures a kill interrupted
        (the pending-erasure journal). The folder clean-up is skipped (returns 0)
        while another process is saving into this folder.
        """
        for client_id in clients.pending_erasures(self._db):
            clients.finish_erasure(self._db, client_id, self._drafts.discard_for_client)
        removed = housekeeping.remove_abandoned_exports(self._db) + self._discard_orphan_drafts()
        return removed + housekeeping.collect_garbage(self._db) + self._drafts.collect_garbage()

    def _discard_orphan_drafts(self) -> int:
        """Remove drafts linked to a client who is no longer in the file (a kill between a draft's write and its check)."""
        removed = 0
        for info in self._drafts.summaries(None):
            try:
                gone = info.client_id is not None and not clients.client_exists(self._db, info.client_id)
            except StoreError:  # not an id: a damaged summary, left to the draft's own checks
                continue
            if gone:
                self._drafts.discard(info.id)
                removed += 1
        return removed

    def temp_journal(self) -> contextlib.AbstractContextManager[Callable[[Path], None]]:
        """Record a temp file written outside the data folder (an export) while the block runs; the next open
        removes it if the writer was killed (see :func:`posture.store.housekeeping.temp_journal`)."""
        return housekeeping.temp_journal(self._db)

    def verify(self, deep: bool = False) -> list[str]:
        """Check the whole client file; return one sentence per problem (empty when all is well).

        Checks every row is readable, every visit's revisions are complete and
        numbered 1..n, every file exists with its size (``deep``: its SHA-256),
        and nothing is left in ``files/`` or ``staging/`` that no row references
        (a save in progress in another process shows up as a leftover).
        """
        return housekeeping.verify(self._db, deep)
