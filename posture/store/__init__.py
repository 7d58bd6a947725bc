"""Client files: clients, visits and their revisions, kept on this machine.

One data folder (``POSTURE_DATA_DIR``, else the per-user data folder; see
:func:`default_data_dir`) holds, readable by the user only (folders 0700,
files 0600)::

    posture.db                       SQLite (WAL): clients, visits, revisions, views, files
    files/<client id>/<revision id>/ one immutable folder per saved revision:
        anterior.jpg                 the photo, orientation applied, no EXIF/GPS/metadata
        anterior_annotated.jpg       the annotated image
        report.pdf                   the PDF report, when given
    staging/                         saves in progress (cleaned up when a store opens)
    erasing/<client id>              erasures begun and not finished (finished when a store opens)
    exporting/<id>                   where a running export keeps its temp file (removed after a kill)
    drafts/<draft id>/               the unsaved assessment of a browser session (:mod:`~posture.store.drafts`)
    .lock                            keeps the clean-up away from saves in progress

Folder and file names come only from UUIDs and the fixed view names, never
from anything a user typed.

**Atomic saves.** A save writes its files into ``staging/``, fsyncs them,
renames the folder into ``files/`` and then references it in one database
transaction. After a crash at any point the store holds the whole revision or
none of it; an unreferenced folder is removed the next time a store opens.

**Revisions.** Saving a visit never overwrites it: each save adds revision
``n + 1``; the visit shows the latest and every earlier one stays readable
(:meth:`Store.list_revisions`, :meth:`Store.get_visit` with ``revision``). A
save whose documents, photos, date and notes are the latest revision's adds
nothing (:meth:`Store.revise_visit`).

**Damage** is reported, not fatal: a missing photo or an unreadable row shows
up in the ``problems`` of the record concerned (one sentence each) while the
rest of the client file keeps working; calls that cannot proceed raise a
:class:`StoreError` (one sentence, fit to show).

**Erasure.** :meth:`Store.delete_client` is journaled (``erasing/<client id>``)
and removes every draft linked to the client, every file and every row (SQLite
``secure_delete`` overwrites them), then checkpoints and truncates the WAL,
waiting for other connections' reads; a kill at any point is finished when a
store next opens (``docs/decisions.md`` §41 says exactly what holds).

**Client records** carry a ``revision``: :meth:`Store.update_client` with
``base_revision`` refuses a save based on an older one (:class:`ConflictError`).

**Drafts.** :meth:`Store.save_draft` keeps a browser session's unsaved
assessment (its state as plain JSON and its photos as clean JPEGs) under
``drafts/``, replaced atomically on every change; :meth:`Store.list_drafts`,
:meth:`Store.get_draft` and :meth:`Store.discard_draft` offer it back and remove it.

**Grading.** A view saved without a result is analysed under the shipped
grading bands (:func:`posture.settings.default_settings`); the store never
reads a practice's settings file. A caller grading with its own bands passes
the result it computed (the app always does); the values of a given result
are checked against the document, whatever bands graded it.

Typical use (the app keeps one ``Store`` for the process)::

    store = Store(default_data_dir())
    client = store.create_client("Łucja Żółć", consent_photography=True, consent_date=date.today())
    draft = VisitDraft(date.today(), notes="", views=[ViewDraft(doc, result, photo=upload_bytes, annotated=jpeg_bytes)])
    visit = store.add_visit(client.id, draft)
    # reopen and edit: the draft carries the stored files, so only what changed is given again
    draft = visit.to_draft().with_view(ViewDraft(new_doc, new_result, photo=visit.views["anterior"].photo, annotated=new_jpeg))
    visit = store.revise_visit(visit.id, draft, base_revision=visit.revision)
    store.list_clients("zolc")  # → [ClientSummary(...)]; accent- and case-insensitive, e-mail and phone too
    store.similar_clients("lucja ZOLC")  # → the possible duplicates of a new name, with their dates of birth

The package, one idea per module (callers use the names exported here, in ``__all__``; the modules are the store's own):

* :mod:`~posture.store.records`: the dataclasses a caller gives and gets back, labels and limits;
* :mod:`~posture.store.validation`: the checks on what goes in, and the reading of rows that may be damaged;
* :mod:`~posture.store.schema`, :mod:`~posture.store.migrations`: the tables and the frozen steps that build them;
* :mod:`~posture.store.database`: the data folder (private folders, engine, transactions, lock, file layout);
* :mod:`~posture.store.revisions`: planning, staging and committing a revision, imports;
* :mod:`~posture.store.clients`, :mod:`~posture.store.visits`: client records; reading visits back;
* :mod:`~posture.store.drafts`: the unsaved assessments the app keeps between reloads;
* :mod:`~posture.store.housekeeping`: the clean-up after crashes and the full check;
* :mod:`~posture.store.facade`: :class:`Store`, the list of operations over all of these.
"""

from posture.errors import ConflictError, CorruptRecordError, MissingFileError, NotFoundError, SchemaError, StoreError

from .database import DATA_DIR_ENV, default_data_dir
from .drafts import Draft, DraftInfo, new_draft_id
from .facade import Store
from .records import (
    CLIENT_FIELDS,
    MAX_HEIGHT_CM,
    MIN_HEIGHT_CM,
    PRECAUTION_KEYS,
    PRECAUTION_LABELS,
    SEX_LABELS,
    Client,
    ClientSummary,
    ImportedRevision,
    ImportSummary,
    Precautions,
    RevisionSummary,
    StoredFile,
    ViewDraft,
    ViewRecord,
    Visit,
    VisitDraft,
    VisitSummary,
    age_years,
)
from .schema import fold_name, phone_digits
from .validation import canonical_json

__all__ = [
    "DATA_DIR_ENV", "PRECAUTION_KEYS", "PRECAUTION_LABELS", "SEX_LABELS", "CLIENT_FIELDS",
    "Store", "default_data_dir", "Precautions", "Client", "ClientSummary", "Visit", "VisitSummary",
    "RevisionSummary", "ViewRecord", "StoredFile", "ViewDraft", "VisitDraft", "ImportedRevision", "ImportSummary",
    "StoreError", "NotFoundError", "ConflictError", "MissingFileError", "CorruptRecordError", "SchemaError", "fold_name",
    "canonical_json", "Draft", "DraftInfo", "new_draft_id", "MIN_HEIGHT_CM", "MAX_HEIGHT_CM", "age_years", "phone_digits",
]  # fmt: skip
