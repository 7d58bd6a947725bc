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
    .lock                            keeps the clean-up away from saves in progress

Folder and file names come only from UUIDs and the fixed view names, never
from anything a user typed.

**Atomic saves.** A save writes its files into ``staging/``, fsyncs them,
renames the folder into ``files/`` and then references it in one database
transaction. After a crash at any point the store holds the whole revision or
none of it; an unreferenced folder is removed the next time a store opens.

**Revisions.** Saving a visit never overwrites it: each save adds revision
``n + 1``; the visit shows the latest and every earlier one stays readable.

**Damage** is reported, not fatal: a missing photo or an unreadable row shows
up in the ``problems`` of the record concerned (one sentence each) while the
rest of the client file keeps working; calls that cannot proceed raise a
:class:`StoreError` (one sentence, fit to show).

**Erasure.** :meth:`Store.delete_client` removes every row (SQLite
``secure_delete`` overwrites them, the WAL is checkpointed and truncated) and
every file of the client.

Typical use (the app keeps one ``Store`` for the process)::

    store = Store(default_data_dir())
    client = store.create_client("Łucja Żółć", consent_photography=True, consent_date=date.today())
    draft = VisitDraft(date.today(), notes="", views=[ViewDraft(doc, result, photo=upload_bytes, annotated=jpeg_bytes)])
    visit = store.add_visit(client.id, draft)
    # reopen and edit: the draft carries the stored files, so only what changed is given again
    draft = visit.to_draft().with_view(ViewDraft(new_doc, new_result, photo=visit.views["anterior"].photo, annotated=new_jpeg))
    visit = store.revise_visit(visit.id, draft, base_revision=visit.revision)
    store.list_clients("zolc")  # → [ClientSummary(...)]; accent- and case-insensitive
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import shutil
import time
import unicodedata
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs
from PIL import Image
from sqlalchemy import Connection, Engine, and_, create_engine, delete, event, exc, func, insert, select, update
from sqlalchemy.engine import URL

from . import document as docs
from . import images
from .atomic import fsync_dir, write_new_file
from .errors import (
    ConflictError,
    CorruptRecordError,
    ImageError,
    MissingFileError,
    NotFoundError,
    ResultError,
    SchemaError,
    StoreError,
)
from .landmarks import VIEWS
from .migrations import current_version, migrate
from .result import check_result
from .store_schema import (
    ID_RE,
    SCHEMA_VERSION,
    clients,
    files,
    fold_name,
    revisions,
    views,
    visits,
)

try:  # POSIX: advisory locks keep the clean-up away from saves in progress
    import fcntl
except ImportError:  # pragma: no cover - Windows: the clean-up only removes leftovers older than an hour
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "DATA_DIR_ENV", "PRECAUTION_KEYS", "PRECAUTION_LABELS", "SEX_LABELS", "CLIENT_FIELDS",
    "Store", "default_data_dir", "Precautions", "Client", "ClientSummary", "Visit", "VisitSummary",
    "RevisionSummary", "ViewRecord", "StoredFile", "ViewDraft", "VisitDraft", "ImportedRevision", "ImportSummary",
    "StoreError", "NotFoundError", "ConflictError", "MissingFileError", "CorruptRecordError", "SchemaError", "fold_name",
    "jpeg_is_clean", "clean_jpeg",
]  # fmt: skip

DATA_DIR_ENV = "POSTURE_DATA_DIR"
DB_NAME = "posture.db"
BUSY_TIMEOUT_S = 30.0
#: Without advisory locks (Windows), unreferenced folders younger than this are left alone.
ORPHAN_GRACE_S = 3600.0
MAX_NAME_CHARS = 200
MAX_CONTACT_CHARS = 2_000
MAX_NOTES_CHARS = 50_000
MAX_REPORT_BYTES = 100 * 1024 * 1024
PHOTO_QUALITY = 95
ANNOTATED_QUALITY = 90

#: NMT precautions checklist: key → label to show prominently (app, report). Order is display order.
PRECAUTION_LABELS: dict[str, str] = {
    "acute_injury_or_inflammation": "Acute injury or inflammation",
    "recent_surgery_without_clearance": "Recent surgery without medical clearance",
    "severe_osteoporosis_or_fragile_bones": "Severe osteoporosis or fragile bones",
    "blood_clots_or_clotting_disorders": "Blood clots or a clotting disorder",
    "uncontrolled_high_blood_pressure": "Uncontrolled high blood pressure",
    "pregnancy": "Pregnancy",
    "other": "Other precaution",
}
PRECAUTION_KEYS: tuple[str, ...] = tuple(PRECAUTION_LABELS)
#: Recorded sex → label ("" = not recorded).
SEX_LABELS: dict[str, str] = {"": "Not recorded", "female": "Female", "male": "Male", "other": "Other"}

_FILE_NAME_RE = re.compile(r"^(?:(anterior|posterior|right_lateral|left_lateral)(_annotated)?\.jpg|report\.pdf)$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_VIEW_ORDER = {v: i for i, v in enumerate(VIEWS)}


def default_data_dir() -> Path:
    """``$POSTURE_DATA_DIR`` when set, else the per-user data folder (e.g. ``~/.local/share/posture``)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("posture", appauthor=False))


# --- records --------------------------------------------------------------------------


@dataclass(frozen=True)
class Precautions:
    """The precautions checklist of a client: checked keys of :data:`PRECAUTION_KEYS` and the "other" text.

    Giving ``other_text`` checks ``"other"``. Show :meth:`labels` prominently
    on every visit and in the report whenever :attr:`any` is true.
    """

    checked: frozenset[str] = frozenset()
    other_text: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.checked, str) or not isinstance(self.checked, Iterable):
            raise StoreError("Precautions must be a set of checklist keys.")
        checked = frozenset(self.checked)
        unknown = sorted(str(k) for k in checked if k not in PRECAUTION_LABELS)
        if unknown:
            raise StoreError(f"{unknown[0][:40]!r} is not a precaution (expected one of: {', '.join(PRECAUTION_KEYS)}).")
        if not isinstance(self.other_text, str):
            raise StoreError("The text of the other precaution must be text.")
        text = unicodedata.normalize("NFC", self.other_text.strip())
        if len(text) > MAX_CONTACT_CHARS:
            raise StoreError(f"The text of the other precaution is longer than {MAX_CONTACT_CHARS} characters.")
        if text:
            checked |= {"other"}
        object.__setattr__(self, "checked", checked)
        object.__setattr__(self, "other_text", text)

    @property
    def any(self) -> bool:
        return bool(self.checked)

    def labels(self) -> list[str]:
        """Human labels of the checked precautions in checklist order (``"Other precaution: …"`` with its text)."""
        out = []
        for key in PRECAUTION_KEYS:
            if key in self.checked:
                label = PRECAUTION_LABELS[key]
                out.append(f"{label}: {self.other_text}" if key == "other" and self.other_text else label)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"checked": [k for k in PRECAUTION_KEYS if k in self.checked], "other_text": self.other_text}

    @classmethod
    def from_dict(cls, raw: Any) -> Precautions:
        """From ``{"checked": [...], "other_text": "..."}``; raise :class:`StoreError`."""
        if not isinstance(raw, dict) or not isinstance(raw.get("checked", []), list):
            raise StoreError('Precautions must be an object {"checked": [...], "other_text": "..."}.')
        if not all(isinstance(k, str) for k in raw.get("checked", [])):
            raise StoreError("Precautions must list checklist keys as text.")
        return cls(frozenset(raw.get("checked", [])), raw.get("other_text", "") or "")


@dataclass(frozen=True)
class Client:
    """A client record. ``problems`` lists damaged fields (each one sentence); empty when all is well."""

    id: str
    name: str
    date_of_birth: date | None = None
    sex: str = ""  # a key of SEX_LABELS
    contact: str = ""
    notes: str = ""
    precautions: Precautions = field(default_factory=Precautions)
    consent_photography: bool = False
    consent_date: date | None = None
    created_at: str = ""  # ISO-8601 UTC
    updated_at: str = ""
    problems: tuple[str, ...] = ()


#: Fields a caller may set with :meth:`Store.create_client` / :meth:`Store.update_client`.
CLIENT_FIELDS = ("name", "date_of_birth", "sex", "contact", "notes", "precautions", "consent_photography", "consent_date")


@dataclass(frozen=True)
class ClientSummary:
    """One line of the client list."""

    id: str
    name: str
    last_visit_date: date | None
    visit_count: int
    precautions: Precautions
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredFile:
    """A file of a stored revision. ``problem`` is set (one sentence) when it is missing or has the wrong size.

    Read it with :meth:`Store.read_file`; put it in a :class:`ViewDraft` or
    :class:`VisitDraft` to keep it in a new revision without sending the bytes again.
    """

    name: str  # "anterior.jpg", "anterior_annotated.jpg", "report.pdf"
    role: str  # "photo" | "annotated" | "report"
    view: str | None
    sha256: str
    size: int
    path: Path
    revision_id: str
    problem: str | None = None


@dataclass(frozen=True)
class ViewRecord:
    """One view of a stored revision. ``document``/``result`` are ``None`` when their row is damaged."""

    view: str
    document: docs.ViewDocument | None
    result: dict[str, Any] | None
    photo: StoredFile | None = None
    annotated: StoredFile | None = None
    problems: tuple[str, ...] = ()


ImageInput = bytes | bytearray | np.ndarray | os.PathLike[str] | StoredFile | None


@dataclass(frozen=True)
class ViewDraft:
    """One view to save.

    ``result`` is the :func:`posture.analysis.analyze` output for ``document``
    (computed with the default/env settings when ``None``); a given result
    must have been computed from this document (its measured values are
    checked). ``photo`` and ``annotated`` take image bytes in any accepted
    format, an RGB ``uint8`` array, a path, or a :class:`StoredFile` of this
    client (kept as it is, not re-encoded); ``None`` means no such file. New
    images are stored as JPEG with the orientation applied and no metadata.
    A stored annotated image is refused when the landmarks or calibration
    changed since it was drawn: render it again.
    """

    document: docs.ViewDocument
    result: Mapping[str, Any] | None = None
    photo: ImageInput = None
    annotated: ImageInput = None

    @property
    def view(self) -> str:
        return self.document.view


@dataclass(frozen=True)
class VisitDraft:
    """What to save as a visit revision: the complete set of views (a view left out is not in the new revision)."""

    visit_date: date
    notes: str = ""
    views: Sequence[ViewDraft] = ()
    report_pdf: bytes | os.PathLike[str] | StoredFile | None = None  # None: no report

    def view(self, view: str) -> ViewDraft | None:
        """The draft of ``view``, or ``None``."""
        return next((vd for vd in self.views if vd.document.view == view), None)

    def with_view(self, view_draft: ViewDraft) -> VisitDraft:
        """A copy with ``view_draft`` replacing the draft of the same view (or added)."""
        others = [vd for vd in self.views if vd.document.view != view_draft.document.view]
        return replace(self, views=tuple(sorted([*others, view_draft], key=lambda vd: _VIEW_ORDER.get(vd.document.view, 99))))

    def without_view(self, view: str) -> VisitDraft:
        """A copy without ``view``."""
        return replace(self, views=tuple(vd for vd in self.views if vd.document.view != view))


@dataclass(frozen=True)
class Visit:
    """One revision of a visit (the latest unless asked otherwise); ``views`` in view order."""

    id: str
    client_id: str
    visit_date: date
    notes: str
    revision: int
    revision_id: str
    revision_count: int
    saved_at: str
    created_at: str
    views: dict[str, ViewRecord]
    report: StoredFile | None = None
    problems: tuple[str, ...] = ()

    @property
    def is_latest(self) -> bool:
        return self.revision == self.revision_count

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        """View → stored result, for the views whose result is readable (input of :mod:`posture.compare`)."""
        return {v: rec.result for v, rec in self.views.items() if rec.result is not None}

    def to_draft(self) -> VisitDraft:
        """A draft that saves this revision again unchanged, stored files included by reference.

        Edit it with :meth:`VisitDraft.with_view` / :func:`dataclasses.replace`.
        Raises :class:`CorruptRecordError` when a view's document is damaged
        (saving would silently drop it).
        """
        damaged = [v for v, rec in self.views.items() if rec.document is None]
        if damaged:
            raise CorruptRecordError(
                f"The {damaged[0]} view of this visit is damaged, so the visit cannot be edited without losing it."
            )
        return VisitDraft(
            self.visit_date,
            self.notes,
            tuple(ViewDraft(rec.document, rec.result, rec.photo, rec.annotated) for rec in self.views.values() if rec.document),
            self.report,
        )


@dataclass(frozen=True)
class VisitSummary:
    """One line of a client's visit timeline (latest revision)."""

    id: str
    client_id: str
    visit_date: date | None
    notes: str
    revision_count: int
    views: tuple[str, ...]
    updated_at: str
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevisionSummary:
    """One saved revision of a visit (``number`` 1 = the first save)."""

    id: str
    number: int
    visit_date: date | None
    notes: str
    saved_at: str
    views: tuple[str, ...]


@dataclass(frozen=True)
class ImportedRevision:
    """A revision to add with :meth:`Store.import_client`, with the ids and times it had where it came from.

    ``load`` returns its :class:`VisitDraft`; it is called only for revisions
    the store does not hold yet. ``label`` says where it came from (prefixed
    to error messages).
    """

    visit_id: str
    visit_created_at: str
    revision_id: str
    saved_at: str
    load: Callable[[], VisitDraft]
    label: str = ""


@dataclass(frozen=True)
class ImportSummary:
    """What :meth:`Store.import_client` did. ``client`` is ``"created"``, ``"updated"`` or ``"kept"`` (local copy newer)."""

    client_id: str
    name: str
    client: str
    visits_added: int
    revisions_added: int
    revisions_already_present: int

    def __str__(self) -> str:
        record = {
            "created": "new client",
            "updated": "client record updated",
            "kept": "the client record here kept (it is as new or newer)",
        }
        parts = [f"Imported {self.name}: {record.get(self.client, self.client)}", f"{self.visits_added} new visit(s)"]
        parts.append(f"{self.revisions_added} revision(s) added")
        if self.revisions_already_present:
            parts.append(f"{self.revisions_already_present} already here")
        return ", ".join(parts) + "."


# --- small helpers --------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


def _new_id() -> str:
    return uuid.uuid4().hex


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def canonical_json(obj: Any) -> str:
    """The compact JSON text the store keeps for results and records."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _check_id(value: Any, what: str) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise NotFoundError(f"No {what} with id {str(value)[:40]!r}.")
    return value


def _tighten(path: Path, mode: int) -> None:
    """Remove group/other permissions from a folder or file of ours."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)


def _make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by the user only; refuse a file in the way."""
    if path.exists():
        if not path.is_dir():
            raise StoreError(f"{path} is a file, not a folder: choose another data folder.")
        return
    try:
        path.mkdir(mode=0o700, parents=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    except FileExistsError:
        pass
    except OSError as e:
        raise StoreError(f"Cannot create the data folder {path}: {e.strerror}.") from None


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        path.unlink()  # a stray file rather than a folder


# APPn (EXIF, XMP, ICC, MPF...) and COM markers; any of them after the first scan means re-encode.
_STRAY_METADATA_RE = re.compile(rb"\xff[\xe0-\xef\xfe]")


def jpeg_is_clean(data: bytes) -> bool:
    """True for a JPEG carrying no metadata: at most a bare JFIF header (no thumbnail), no APP1–APP15
    segment (EXIF with GPS and orientation, XMP, ICC, MPF...), no comment, and nothing after the end marker.

    Conservative: a false "not clean" only costs a re-encode.
    """
    data = bytes(data)
    if not data.startswith(b"\xff\xd8") or not data.endswith(b"\xff\xd9"):
        return False
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:
            # Entropy-coded data follows, in which 0xFF is only followed by 0x00, a restart or a real marker.
            return _STRAY_METADATA_RE.search(data, i + 2 + length) is None
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            return False
        if marker == 0xE0 and (length != 16 or data[i + 4 : i + 9] != b"JFIF\x00"):
            return False
        i += 2 + length
    return False


def _probe_clean_jpeg(data: bytes, what: str) -> tuple[int, int]:
    """Size of a clean JPEG, after proving it decodes (at 1/8 scale: the whole scan is read, a fraction of the work)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if img.format != "JPEG" or w * h > images.MAX_PIXELS:
                raise ValueError("not a JPEG of an accepted size")
            img.draft("RGB", (max(1, w // 8), max(1, h // 8)))
            img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        images.decode_image(data, what)  # the full decode gives the one-sentence reason
        raise StoreError(f"{what} could not be decoded.") from None  # pragma: no cover - decode_image raised
    return w, h


def clean_jpeg(data: bytes, what: str, quality: int = PHOTO_QUALITY) -> tuple[bytes, int, int]:
    """Validated JPEG bytes without metadata, orientation applied, and the size ``(width, height)``.

    A JPEG that is already clean (:func:`jpeg_is_clean`) is kept byte for
    byte (no second compression) once it is proven to decode; anything else
    is decoded (:func:`posture.images.decode_image`, which applies the EXIF
    orientation) and re-encoded. Raises :class:`StoreError` for a file that
    is not a photo.
    """
    data = bytes(data)
    try:
        if jpeg_is_clean(data):
            w, h = _probe_clean_jpeg(data, what)
            return data, w, h
        image = images.decode_image(data, what)
    except ImageError as e:
        raise StoreError(str(e)) from None
    h, w = image.shape[:2]
    return images.encode_jpeg(image, quality), w, h


def _image_bytes(value: Any, what: str, quality: int) -> tuple[bytes, int, int]:
    if isinstance(value, np.ndarray):
        if value.ndim != 3 or value.shape[2] != 3 or value.dtype != np.uint8 or 0 in value.shape:
            raise StoreError(f"{what} must be an RGB uint8 array of shape (H, W, 3).")
        return images.encode_jpeg(value, quality), value.shape[1], value.shape[0]
    if isinstance(value, os.PathLike):
        try:
            value = Path(value).read_bytes()
        except OSError as e:
            raise StoreError(f"Cannot read {what} ({Path(value).name}): {e.strerror}.") from None
    if isinstance(value, (bytes, bytearray)):
        return clean_jpeg(bytes(value), what, quality)
    raise StoreError(f"{what} must be image bytes, an RGB array, a path or a stored file.")


def _pdf_bytes(value: Any) -> bytes:
    if isinstance(value, os.PathLike):
        try:
            value = Path(value).read_bytes()
        except OSError as e:
            raise StoreError(f"Cannot read the report {Path(value).name}: {e.strerror}.") from None
    if not isinstance(value, (bytes, bytearray)) or not bytes(value[:5]) == b"%PDF-":
        raise StoreError("The report must be a PDF file.")
    if len(value) > MAX_REPORT_BYTES:
        raise StoreError(f"The report is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB.")
    return bytes(value)


def _as_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise StoreError(f"The {what} must be a date.")
    if value.year < 1900:
        raise StoreError(f"The {what} {value.isoformat()} is before 1900.")
    return value


def _timestamp(value: Any, what: str) -> str:
    """An ISO-8601 timestamp normalised to UTC with microseconds (the store's own format)."""
    try:
        t = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise StoreError(f"The {what} {str(value)[:40]!r} is not an ISO-8601 timestamp.") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def _text(value: Any, what: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StoreError(f"The {what} must be text.")
    value = unicodedata.normalize("NFC", value)
    if len(value) > limit:
        raise StoreError(f"The {what} is longer than {limit} characters.")
    if "\x00" in value:
        raise StoreError(f"The {what} contains a NUL character.")
    return value


def _parse_date(value: Any, what: str, problems: list[str]) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append(f"The stored {what} is damaged ({str(value)[:20]!r}) and is not shown.")
        return None


def _client_values(c: Client) -> dict[str, Any]:
    """Validate a client record; return its column values (``id`` and timestamps excluded)."""
    name = _text(c.name, "client's name", MAX_NAME_CHARS).strip()
    if not name:
        raise StoreError("The client's name is empty.")
    if _CONTROL_RE.search(name) or "\n" in name or "\t" in name:
        raise StoreError("The client's name contains control characters (line breaks, tabs…).")
    dob = None if c.date_of_birth is None else _as_date(c.date_of_birth, "date of birth")
    if dob is not None and dob > date.today():
        raise StoreError(f"The date of birth {dob.isoformat()} is in the future.")
    if not isinstance(c.sex, str) or c.sex not in SEX_LABELS:
        raise StoreError(f"Sex must be one of {', '.join(repr(s) for s in SEX_LABELS)}, got {str(c.sex)[:20]!r}.")
    precautions = c.precautions
    if isinstance(precautions, dict):
        precautions = Precautions.from_dict(precautions)
    if not isinstance(precautions, Precautions):
        raise StoreError("Precautions must be a Precautions record.")
    if not isinstance(c.consent_photography, bool):
        raise StoreError("Consent to photography must be True or False.")
    consent_date = None if c.consent_date is None else _as_date(c.consent_date, "date of consent")
    if c.consent_photography and consent_date is None:
        raise StoreError("Give the date the client consented to photography.")
    return {
        "name": name,
        "name_fold": fold_name(name),
        "date_of_birth": dob.isoformat() if dob else None,
        "sex": c.sex,
        "contact": _text(c.contact, "contact details", MAX_CONTACT_CHARS),
        "notes": _text(c.notes, "notes", MAX_NOTES_CHARS),
        "precautions": canonical_json(precautions.to_dict()),
        "consent_photography": int(c.consent_photography),
        "consent_date": consent_date.isoformat() if consent_date else None,
    }


def _precautions_from_row(raw: Any, problems: list[str]) -> Precautions:
    try:
        return Precautions.from_dict(json.loads(raw))
    except (TypeError, ValueError, StoreError):
        problems.append("The precautions of this client are damaged in the database and cannot be shown: re-enter them.")
        return Precautions()


def _client_from_row(row: Any) -> Client:
    problems: list[str] = []
    if row.sex not in SEX_LABELS:
        problems.append("The recorded sex of this client is damaged and is not shown.")
    if not isinstance(row.name, str):
        problems.append("The name of this client is damaged in the database: re-enter it.")
    return Client(
        id=row.id,
        name=row.name if isinstance(row.name, str) else "(unreadable name)",
        date_of_birth=_parse_date(row.date_of_birth, "date of birth", problems),
        sex=row.sex if row.sex in SEX_LABELS else "",
        contact=row.contact if isinstance(row.contact, str) else "",
        notes=row.notes if isinstance(row.notes, str) else "",
        precautions=_precautions_from_row(row.precautions, problems),
        consent_photography=bool(row.consent_photography),
        consent_date=_parse_date(row.consent_date, "date of consent", problems),
        created_at=row.created_at,
        updated_at=row.updated_at,
        problems=tuple(problems),
    )


def _result_json(result: Any, view: str) -> str:
    """The JSON text the store keeps for a result of ``view``, after :func:`posture.result.check_result`."""
    try:
        checked = check_result(result, view)
    except ResultError as e:
        raise StoreError(str(e)) from None
    try:
        return canonical_json(dict(checked))
    except (TypeError, ValueError) as e:
        raise StoreError(f"The result of the {view} view cannot be stored as JSON ({e}).") from None


def _check_result_matches(result: Mapping[str, Any], doc: docs.ViewDocument) -> None:
    """Refuse a result that was not computed from ``doc`` (e.g. a stale one after the landmarks moved)."""
    from .analysis import analyze  # local: analysis pulls in the whole measurement core

    # the values do not depend on the grading bands: check them under the defaults, whatever settings are in force
    fresh = analyze(doc)["measurements"]
    given = result["measurements"]
    same = set(fresh) == set(given) and all(
        math.isclose(fresh[k]["value"], given[k]["value"], rel_tol=1e-9, abs_tol=1e-9) for k in fresh
    )
    if not same:
        raise StoreError(
            f"The result given for the {doc.view} view was not computed from its document (landmarks or calibration "
            "changed since): analyse it again, or pass no result to have it computed."
        )


def _geometry_key(doc: docs.ViewDocument) -> str:
    """What an annotated image depends on: landmarks, calibration, facing and image size (not notes)."""
    d = docs.to_dict(doc)
    return canonical_json(
        {k: d.get(k) for k in ("landmarks", "calibration", "facing")} | {"size": [doc.image_width, doc.image_height]}
    )


def _file_name(role: str, view: str | None) -> str:
    return "report.pdf" if role == "report" else f"{view}{'_annotated' if role == 'annotated' else ''}.jpg"


# --- internal plans -------------------------------------------------------------------


@dataclass
class _FileWrite:
    name: str
    role: str
    view: str | None
    sha256: str
    size: int
    data: bytes | None = None  # new bytes, or
    source: StoredFile | None = None  # a stored file of the same client to share (hard link)


@dataclass
class _RevisionPlan:
    client_id: str
    visit_id: str
    revision_id: str
    visit_date: str
    notes: str
    saved_at: str
    visit_created_at: str
    views: list[tuple[str, str, str]]  # view, document JSON, result JSON
    files: list[_FileWrite]
    new_visit: bool | None = None  # True: must not exist; False: must exist; None: either (import)
    base_number: int | None = None  # raise when the visit's latest revision is no longer this one


class _RootLock:
    """Advisory lock on ``<root>/.lock``: saves hold it shared, the clean-up exclusive (never waiting)."""

    def __init__(self, path: Path):
        self.path = path

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def exclusive_nowait(self) -> Iterator[bool | None]:
        """Yield True with the lock held, False when a save is in progress, None without lock support."""
        if fcntl is None:  # pragma: no cover
            yield None
            return
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            yield True
        finally:
            os.close(fd)


def _make_engine(db_path: Path) -> Engine:
    engine = create_engine(
        URL.create("sqlite", database=str(db_path)),
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")  # a committed save survives a power cut
        cur.execute("PRAGMA secure_delete = ON")  # erased rows are overwritten, not just unlinked
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two processes never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("posture_write") else "BEGIN")

    return engine


# --- the store ------------------------------------------------------------------------


class Store:
    """The client file in one data folder. Thread-safe; several processes may share a folder.

    ``Store(root)`` (default :func:`default_data_dir`) creates the folder
    (0700) and database (0600) when missing, migrates an older database
    forward (raising :class:`SchemaError` for a newer or foreign one), and
    removes leftovers of interrupted saves and erasures. Every method raises
    :class:`StoreError` (or a subclass) with one sentence fit to show.
    """

    def __init__(self, root: str | os.PathLike[str] | None = None, *, collect_garbage: bool = True):
        self.root = Path(root if root is not None else default_data_dir()).expanduser()
        _make_private_dir(self.root)
        self.files_dir = self.root / "files"
        self.staging_dir = self.root / "staging"
        self.db_path = self.root / DB_NAME
        if self.db_path.exists() or not any(self.root.iterdir()):
            _tighten(self.root, 0o700)  # our folder: private (a folder holding other things is left as it is)
        for d in (self.files_dir, self.staging_dir):
            _make_private_dir(d)
            _tighten(d, 0o700)
        if not self.db_path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        _tighten(self.db_path, 0o600)  # SQLite gives its -wal and -shm files the database's mode
        self._lock = _RootLock(self.root / ".lock")
        self._engine = _make_engine(self.db_path)
        try:
            self._migrate()
        except BaseException:
            self._engine.dispose()
            raise
        if collect_garbage:
            self.collect_garbage()

    # --- plumbing ---

    def close(self) -> None:
        """Release the database connections (the store can be reopened with a new ``Store``)."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    @contextlib.contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        try:
            with self._engine.connect() as conn:
                if write:
                    conn.execution_options(posture_write=True)
                with conn.begin():
                    yield conn
        except exc.OperationalError as e:
            text = str(e.orig).lower()
            if "locked" in text or "busy" in text:
                raise StoreError("The client file is busy (another Posture window is saving): try again in a moment.") from None
            raise StoreError(f"The client file cannot be read or written ({e.orig}).") from None
        except exc.IntegrityError as e:
            raise StoreError(f"The change conflicts with what the client file holds ({e.orig}).") from None
        except exc.DatabaseError as e:
            raise CorruptRecordError(f"The client file's database {self.db_path} is damaged ({e.orig}).") from None

    def _read(self) -> contextlib.AbstractContextManager[Connection]:
        return self._tx(write=False)

    def _write(self) -> contextlib.AbstractContextManager[Connection]:
        return self._tx(write=True)

    def _migrate(self) -> None:
        with self._read() as conn:
            found = current_version(conn)  # raises SchemaError for a foreign database
        if found != SCHEMA_VERSION:
            with self._write() as conn:
                migrate(conn)  # re-reads the version (another process may have migrated meanwhile); refuses a newer one

    def schema_version(self) -> int:
        with self._read() as conn:
            return current_version(conn)

    def _folder(self, client_id: str, revision_id: str) -> Path:
        return self.files_dir / _check_id(client_id, "client") / _check_id(revision_id, "revision")

    # --- clients ---

    def create_client(self, name: str, **fields_: Any) -> Client:
        """Add a client; return the stored record.

        Keyword fields (all optional): ``date_of_birth`` (date), ``sex`` (a key
        of :data:`SEX_LABELS`), ``contact``, ``notes`` (text),
        ``precautions`` (:class:`Precautions` or its dict), ``consent_photography``
        (bool; True needs ``consent_date``), ``consent_date`` (date).
        """
        unknown = sorted(set(fields_) - set(CLIENT_FIELDS))
        if unknown:
            raise TypeError(f"create_client() got an unknown field {unknown[0]!r}")
        client = Client(id=_new_id(), name=name, **fields_)
        values = _client_values(client)
        now = _now()
        with self._write() as conn:
            conn.execute(insert(clients).values(id=client.id, created_at=now, updated_at=now, **values))
        return self.get_client(client.id)

    def update_client(self, client_id: str, **changes: Any) -> Client:
        """Change some fields of a client (the keywords of :meth:`create_client`, and ``name``); return the new record."""
        unknown = sorted(set(changes) - set(CLIENT_FIELDS))
        if unknown:
            raise TypeError(f"update_client() got an unknown field {unknown[0]!r}")
        current = self.get_client(client_id)
        values = _client_values(replace(current, **changes))
        with self._write() as conn:
            n = conn.execute(update(clients).where(clients.c.id == client_id).values(updated_at=_now(), **values)).rowcount
        if n != 1:
            raise NotFoundError(f"No client with id {client_id!r} (erased meanwhile?).")
        return self.get_client(client_id)

    def get_client(self, client_id: str) -> Client:
        """The client record; raise :class:`NotFoundError`."""
        _check_id(client_id, "client")
        with self._read() as conn:
            row = conn.execute(select(clients).where(clients.c.id == client_id)).first()
        if row is None:
            raise NotFoundError(f"No client with id {client_id!r}.")
        return _client_from_row(row)

    @staticmethod
    def _name_filter(search: str) -> Any:
        conds = []
        for w in fold_name(search or "").split():
            escaped = w.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            conds.append(clients.c.name_fold.like(f"%{escaped}%", escape="\\"))
        return and_(*conds) if conds else None

    def list_clients(self, search: str = "", limit: int = 50, offset: int = 0) -> list[ClientSummary]:
        """A page of clients by name, with their visit count and last visit date.

        ``search`` is case- and accent-insensitive and matches anywhere in the
        name; every word must match (``"zolc"`` finds "Łucja Żółć", ``"luc zol"`` too).
        """
        limit = max(1, min(int(limit), 1000))
        offset = max(0, int(offset))
        page = select(clients.c.id, clients.c.name, clients.c.name_fold, clients.c.precautions)
        cond = self._name_filter(search)
        if cond is not None:
            page = page.where(cond)
        page_sq = page.order_by(clients.c.name_fold, clients.c.id).limit(limit).offset(offset).subquery()
        count_q = select(func.count()).where(visits.c.client_id == page_sq.c.id).scalar_subquery()
        last_q = select(func.max(visits.c.visit_date)).where(visits.c.client_id == page_sq.c.id).scalar_subquery()
        q = select(page_sq.c.id, page_sq.c.name, page_sq.c.precautions, count_q.label("n"), last_q.label("last")).order_by(
            page_sq.c.name_fold, page_sq.c.id
        )
        with self._read() as conn:
            rows = conn.execute(q).all()
        out = []
        for r in rows:
            problems: list[str] = []
            precautions = _precautions_from_row(r.precautions, problems)
            last = _parse_date(r.last, "last visit date", problems)
            name = r.name if isinstance(r.name, str) else "(unreadable name)"
            out.append(ClientSummary(r.id, name, last, int(r.n), precautions, tuple(problems)))
        return out

    def count_clients(self, search: str = "") -> int:
        """How many clients :meth:`list_clients` pages through for ``search``."""
        q = select(func.count()).select_from(clients)
        cond = self._name_filter(search)
        if cond is not None:
            q = q.where(cond)
        with self._read() as conn:
            return int(conn.execute(q).scalar_one())

    def resolve_client_id(self, text: str) -> str:
        """A full client id from a full id or a unique prefix of at least 6 hex digits (command-line use)."""
        t = (text or "").strip().lower().replace("-", "")
        if not re.fullmatch(r"[0-9a-f]{6,32}", t):
            raise NotFoundError(f"{str(text)[:40]!r} is not a client id (32 hex digits, or at least the first 6).")
        with self._read() as conn:
            ids = conn.execute(select(clients.c.id).where(clients.c.id.like(f"{t}%")).limit(2)).scalars().all()
        if not ids:
            raise NotFoundError(f"No client with an id starting {t!r}.")
        if len(ids) > 1:
            raise NotFoundError(f"Several clients have ids starting {t!r}: give more digits.")
        return ids[0]

    def delete_client(self, client_id: str) -> None:
        """Erase a client: every row in one transaction, then every file (leftovers go on the next open).

        The database overwrites the erased rows (``secure_delete``) and its
        write-ahead log is checkpointed and truncated, so the client's data does
        not linger in the data folder (unless another process is reading at
        that moment; the log is then overwritten by later saves).
        """
        _check_id(client_id, "client")
        with self._write() as conn:
            if conn.execute(select(clients.c.id).where(clients.c.id == client_id)).first() is None:
                raise NotFoundError(f"No client with id {client_id!r}.")
            visit_ids = select(visits.c.id).where(visits.c.client_id == client_id)
            rev_ids = select(revisions.c.id).where(revisions.c.visit_id.in_(visit_ids))
            conn.execute(delete(files).where(files.c.revision_id.in_(rev_ids)))
            conn.execute(delete(views).where(views.c.revision_id.in_(rev_ids)))
            conn.execute(delete(revisions).where(revisions.c.visit_id.in_(visit_ids)))
            conn.execute(delete(visits).where(visits.c.client_id == client_id))
            conn.execute(delete(clients).where(clients.c.id == client_id))
        self._discard(self.files_dir / client_id)
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Move the write-ahead log into the database and truncate it (best effort)."""
        raw = self._engine.raw_connection()
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        except Exception:  # noqa: BLE001 - a busy checkpoint is retried by SQLite's own later checkpoints
            pass
        finally:
            raw.close()

    def _discard(self, path: Path) -> None:
        """Remove a folder whose rows are gone: rename it out of ``files/`` first, then delete it."""
        if not path.exists():
            return
        trash = self.staging_dir / f"{_new_id()}.trash"
        try:
            os.rename(path, trash)
        except OSError:
            trash = path
        _remove_tree(trash)

    # --- visits: saving ---

    def add_visit(self, client_id: str, draft: VisitDraft) -> Visit:
        """Save a new visit (revision 1) for a client; return it as stored.

        Refused with :class:`StoreError` when the draft is malformed, a given
        result does not match its document, an image is not a photo, or new
        photos are given for a client without consent to photography.
        """
        client = self.get_client(client_id)
        visit_id = _new_id()
        plan = self._plan(client, draft, visit_id)
        plan.new_visit = True
        self._commit([plan])
        return self.get_visit(visit_id)

    def revise_visit(self, visit_id: str, draft: VisitDraft, *, base_revision: int | None = None) -> Visit:
        """Save ``draft`` as a new revision of a visit (earlier ones stay readable); return it.

        Start from ``visit.to_draft()`` so the stored files are carried over.
        ``base_revision``: the revision the edit started from; when given and
        another save came in meanwhile, raise :class:`StoreError` instead of
        silently superseding it.
        """
        base = self.get_visit(visit_id)
        if base_revision is not None and base.revision != base_revision:
            raise ConflictError(self._conflict_message(base.revision, base_revision))
        client = self.get_client(base.client_id)
        plan = self._plan(client, draft, visit_id)
        plan.new_visit = False
        plan.base_number = base_revision
        self._commit([plan])
        return self.get_visit(visit_id)

    @staticmethod
    def _conflict_message(latest: int, base: int) -> str:
        return f"This visit was saved elsewhere since you opened it (revision {latest} is newer than your {base}): reopen it and edit again."

    def _reuse(self, client_id: str, stored: StoredFile, role: str, view: str | None, what: str) -> _FileWrite:
        """A stored file of this client to carry into a new revision (as the ``role`` file of ``view``)."""
        if stored.role != role:
            names = {"photo": "photo", "annotated": "annotated image", "report": "report"}
            raise StoreError(f"{what} must be a stored {names[role]}, not the {names.get(stored.role, 'other')} file.")
        if not ID_RE.match(stored.revision_id or "") or stored.path != self._folder(client_id, stored.revision_id) / stored.name:
            raise StoreError(f"{what} is a stored file of another client or data folder.")
        if stored.problem:
            raise MissingFileError(f"{stored.problem} Give it again, or leave it out, to save.")
        return _FileWrite(_file_name(role, view), role, view, stored.sha256, stored.size, source=stored)

    def _view_document(self, revision_id: str, view: str) -> docs.ViewDocument | None:
        with self._read() as conn:
            text = conn.execute(
                select(views.c.document).where(views.c.revision_id == revision_id, views.c.view == view)
            ).scalar_one_or_none()
        try:
            return docs.loads(text) if text is not None else None
        except docs.DocumentError:
            return None

    def _plan(self, client: Client, draft: VisitDraft, visit_id: str, *, ids: ImportedRevision | None = None) -> _RevisionPlan:
        """Validate a draft and prepare its rows and files (nothing is written yet).

        ``ids``: the identity of an imported revision (its results are kept as
        archived, not re-checked against this version's analysis).
        """
        if not isinstance(draft, VisitDraft):
            raise StoreError("Save a VisitDraft.")
        visit_date = _as_date(draft.visit_date, "visit date")
        notes = _text(draft.notes, "therapist notes", MAX_NOTES_CHARS)
        seen: set[str] = set()
        view_rows: list[tuple[str, str, str]] = []
        writes: list[_FileWrite] = []
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
            doc = vd.document
            for role, value, quality in (("photo", vd.photo, PHOTO_QUALITY), ("annotated", vd.annotated, ANNOTATED_QUALITY)):
                what = f"The {view} {'photo' if role == 'photo' else 'annotated image'}"
                if value is None:
                    continue
                name = _file_name(role, view)
                if isinstance(value, StoredFile):
                    w = self._reuse(client.id, value, role, view, what)
                    if role == "annotated":
                        drawn_on = self._view_document(value.revision_id, value.view or "")
                        if drawn_on is None or _geometry_key(drawn_on) != _geometry_key(doc):
                            raise StoreError(
                                f"{what} was drawn for other landmarks or calibration: render it again (or leave it out)."
                            )
                else:
                    data, width, height = _image_bytes(value, what, quality)
                    w = _FileWrite(name, role, view, _sha256(data), len(data), data=data)
                    new_images = True
                    if role == "photo":
                        size_known = doc.image_width is not None and doc.image_height is not None
                        if size_known and (round(doc.image_width), round(doc.image_height)) != (width, height):
                            raise StoreError(
                                f"The {view} photo is {width}×{height} px but its view document says "
                                f"{doc.image_width:g}×{doc.image_height:g} px: the landmarks would not line up."
                            )
                writes.append(w)
                if role == "photo":
                    doc = replace(doc, image_file=name)
            try:
                doc = docs.validated(doc)
            except docs.DocumentError as e:
                raise StoreError(f"The {view} view document is invalid ({e}).") from None
            result = vd.result
            if result is None:
                from .analysis import analyze  # local: analysis pulls in the whole measurement core

                result = analyze(doc)
            result_json = _result_json(result, view)
            if ids is None and vd.result is not None:
                _check_result_matches(result, doc)
            view_rows.append((view, docs.dumps(doc), result_json))
        if draft.report_pdf is not None:
            if isinstance(draft.report_pdf, StoredFile):
                writes.append(self._reuse(client.id, draft.report_pdf, "report", None, "The report"))
            else:
                data = _pdf_bytes(draft.report_pdf)
                writes.append(_FileWrite("report.pdf", "report", None, _sha256(data), len(data), data=data))
        if new_images and not client.consent_photography:
            raise StoreError("Record the client's consent to photography before saving photos of them.")
        view_rows.sort(key=lambda r: _VIEW_ORDER[r[0]])
        now = _now()
        return _RevisionPlan(
            client_id=client.id,
            visit_id=visit_id,
            revision_id=ids.revision_id if ids else _new_id(),
            visit_date=visit_date.isoformat(),
            notes=notes,
            saved_at=ids.saved_at if ids else now,
            visit_created_at=ids.visit_created_at if ids else now,
            views=view_rows,
            files=writes,
        )

    def _stage(self, plan: _RevisionPlan) -> Path:
        """Write a revision's files into a new folder under ``staging/`` (fsynced); return it."""
        folder = self.staging_dir / _new_id()
        folder.mkdir(mode=0o700)
        for f in plan.files:
            target = folder / f.name
            if f.data is not None:
                write_new_file(target, f.data)
                continue
            assert f.source is not None
            try:
                os.link(f.source.path, target)  # stored files are immutable: share them
            except FileNotFoundError:
                raise MissingFileError(f"The stored {f.source.name} to keep is missing from the data folder.") from None
            except OSError:  # no hard links here: copy
                write_new_file(target, f.source.path.read_bytes())
            if _sha256(target.read_bytes()) != f.sha256:
                raise MissingFileError(f"The stored {f.source.name} to keep is damaged (its content does not match the record).")
        fsync_dir(folder)
        return folder

    def _commit(self, plans: Iterable[_RevisionPlan], client_row: Mapping[str, Any] | None = None) -> str | None:
        """Stage, publish and reference revisions (and upsert a client row) atomically.

        ``plans`` may be a generator: each plan's bytes are dropped once they
        are on disk. Returns what happened to ``client_row`` (``"created"``,
        ``"updated"``, ``"kept"``) or ``None``.
        """
        with self._lock.shared():
            done: list[_RevisionPlan] = []
            published: list[Path] = []
            staged: Path | None = None
            try:
                for plan in plans:
                    if plan.files:
                        staged = self._stage(plan)
                        final = self._folder(plan.client_id, plan.revision_id)
                        if not final.parent.exists():
                            final.parent.mkdir(mode=0o700, exist_ok=True)
                            fsync_dir(self.files_dir)
                        os.rename(staged, final)
                        staged = None
                        published.append(final)
                        fsync_dir(final.parent)
                        for f in plan.files:
                            f.data = None
                    done.append(plan)
                with self._write() as conn:
                    outcome = self._upsert_client_row(conn, client_row) if client_row is not None else None
                    for plan in done:
                        self._insert_revision(conn, plan)
                return outcome
            except BaseException as e:
                for folder in [*published, *([staged] if staged else [])]:
                    _remove_tree(folder)
                if isinstance(e, OSError):
                    raise StoreError(f"Cannot write the visit into the data folder {self.root} ({e.strerror}).") from None
                raise

    @staticmethod
    def _upsert_client_row(conn: Connection, row: Mapping[str, Any]) -> str:
        existing = conn.execute(select(clients.c.updated_at).where(clients.c.id == row["id"])).first()
        if existing is None:
            conn.execute(insert(clients).values(**row))
            return "created"
        if row["updated_at"] > existing.updated_at:
            conn.execute(update(clients).where(clients.c.id == row["id"]).values(**{k: v for k, v in row.items() if k != "id"}))
            return "updated"
        return "kept"

    def _insert_revision(self, conn: Connection, plan: _RevisionPlan) -> None:
        if conn.execute(select(clients.c.id).where(clients.c.id == plan.client_id)).first() is None:
            raise NotFoundError(f"No client with id {plan.client_id!r} (erased meanwhile?).")
        v = conn.execute(select(visits.c.client_id, visits.c.revision_count).where(visits.c.id == plan.visit_id)).first()
        if v is None:
            if plan.new_visit is False:
                raise NotFoundError(f"No visit with id {plan.visit_id!r} (deleted meanwhile?).")
            number = 1
            conn.execute(
                insert(visits).values(
                    id=plan.visit_id, client_id=plan.client_id, visit_date=plan.visit_date, revision_count=1,
                    created_at=plan.visit_created_at, updated_at=plan.saved_at,
                )
            )  # fmt: skip
        else:
            if plan.new_visit is True or v.client_id != plan.client_id:
                raise StoreError(f"Visit {plan.visit_id} already exists for another client.")
            if plan.base_number is not None and v.revision_count != plan.base_number:
                raise ConflictError(self._conflict_message(v.revision_count, plan.base_number))
            number = v.revision_count + 1
            conn.execute(
                update(visits)
                .where(visits.c.id == plan.visit_id)
                .values(visit_date=plan.visit_date, revision_count=number, updated_at=plan.saved_at)
            )
        conn.execute(
            insert(revisions).values(
                id=plan.revision_id, visit_id=plan.visit_id, number=number, visit_date=plan.visit_date,
                notes=plan.notes, saved_at=plan.saved_at,
            )
        )  # fmt: skip
        if plan.views:
            conn.execute(
                insert(views),
                [{"revision_id": plan.revision_id, "view": v, "document": d, "result": r} for v, d, r in plan.views],
            )
        if plan.files:
            conn.execute(
                insert(files),
                [
                    {
                        "revision_id": plan.revision_id,
                        "name": f.name,
                        "role": f.role,
                        "view": f.view,
                        "sha256": f.sha256,
                        "size": f.size,
                    }
                    for f in plan.files
                ],
            )

    # --- import (archives, backups) ---

    def import_client(self, client: Client, revisions_: Iterable[ImportedRevision]) -> ImportSummary:
        """Add a client file that came from elsewhere, keeping its ids; atomic and idempotent.

        ``client`` carries its ``id``, ``created_at`` and ``updated_at``. The
        client row is created, or updated when ``client.updated_at`` is newer
        than the local copy's. Each revision whose id is already stored is
        skipped; the others are appended to their visit (created when new) in
        the order given, so a fresh import keeps the revision numbers. Either
        everything is added or nothing (a bad photo in the last visit leaves
        the store as it was). :mod:`posture.archive` builds the arguments from
        an export ZIP.
        """
        _check_id(client.id, "client")
        row = {
            "id": client.id,
            "created_at": _timestamp(client.created_at, "client's creation time"),
            "updated_at": _timestamp(client.updated_at, "client's update time"),
            **_client_values(client),
        }
        with self._read() as conn:
            present = set(
                conn.execute(
                    select(revisions.c.id)
                    .join(visits, visits.c.id == revisions.c.visit_id)
                    .where(visits.c.client_id == client.id)
                ).scalars()
            )
            known_visits = set(conn.execute(select(visits.c.id).where(visits.c.client_id == client.id)).scalars())
        counts = {"added": 0, "present": 0}
        new_visits: set[str] = set()

        def plans() -> Iterator[_RevisionPlan]:
            seen: set[str] = set()
            for rev in revisions_:
                _check_id(rev.visit_id, "visit")
                _check_id(rev.revision_id, "revision")
                if rev.revision_id in seen:
                    raise StoreError(f"Revision {rev.revision_id} is given twice.")
                seen.add(rev.revision_id)
                if rev.revision_id in present:
                    counts["present"] += 1
                    continue
                ids = replace(
                    rev,
                    saved_at=_timestamp(rev.saved_at, "revision's save time"),
                    visit_created_at=_timestamp(rev.visit_created_at, "visit's creation time"),
                )
                try:
                    plan = self._plan(client, rev.load(), rev.visit_id, ids=ids)
                except StoreError as e:
                    raise type(e)(f"{rev.label}: {e}" if rev.label else str(e)) from None
                counts["added"] += 1
                if rev.visit_id not in known_visits:
                    new_visits.add(rev.visit_id)
                yield plan

        outcome = self._commit(plans(), client_row=row)
        return ImportSummary(client.id, row["name"], outcome or "kept", len(new_visits), counts["added"], counts["present"])

    # --- visits: reading ---

    def _stored_file(self, client_id: str, revision_id: str, row: Any) -> StoredFile:
        what = "the report" if row.role == "report" else f"the {row.view} {'photo' if row.role == 'photo' else 'annotated image'}"
        if not isinstance(row.name, str) or not _FILE_NAME_RE.match(row.name):
            return StoredFile(
                str(row.name)[:40], row.role, row.view, row.sha256, row.size, self.files_dir, revision_id,
                f"The record of {what} is damaged.",
            )  # fmt: skip
        path = self._folder(client_id, revision_id) / row.name
        problem = None
        try:
            size = path.stat().st_size
            if size != row.size:
                problem = f"The stored file of {what} is damaged (size {size} bytes, expected {row.size})."
        except OSError:
            problem = f"The stored file of {what} is missing from the data folder ({path})."
        return StoredFile(row.name, row.role, row.view, row.sha256, row.size, path, revision_id, problem)

    def _load_revision(self, conn: Connection, visit_row: Any, rev_row: Any) -> Visit:
        problems: list[str] = []
        view_rows = conn.execute(select(views).where(views.c.revision_id == rev_row.id)).all()
        file_rows = conn.execute(select(files).where(files.c.revision_id == rev_row.id)).all()
        stored = [self._stored_file(visit_row.client_id, rev_row.id, f) for f in file_rows]
        by_view: dict[str, ViewRecord] = {}
        for vr in sorted(view_rows, key=lambda r: _VIEW_ORDER.get(r.view, 99)):
            vp: list[str] = []
            doc = None
            try:
                doc = docs.loads(vr.document)
                if doc.view != vr.view:
                    raise docs.DocumentError("view", f"is {doc.view}, stored as the {vr.view} view.")
            except (docs.DocumentError, TypeError) as e:
                doc = None
                vp.append(f"The {vr.view} view document is damaged in the database ({e}).")
            result = None
            if vr.result is not None:
                try:
                    result = json.loads(vr.result)
                    check_result(result, vr.view)
                except (TypeError, ValueError, ResultError):
                    result = None
                    vp.append(f"The stored result of the {vr.view} view is damaged (not a valid result): analyse it again.")
            photo = next((f for f in stored if f.role == "photo" and f.view == vr.view), None)
            annotated = next((f for f in stored if f.role == "annotated" and f.view == vr.view), None)
            vp += [f.problem for f in (photo, annotated) if f is not None and f.problem]
            by_view[vr.view] = ViewRecord(vr.view, doc, result, photo, annotated, tuple(vp))
            problems += vp
        report = next((f for f in stored if f.role == "report"), None)
        if report is not None and report.problem:
            problems.append(report.problem)
        visit_date = _parse_date(rev_row.visit_date, "visit date", problems) or date(1900, 1, 1)
        return Visit(
            id=visit_row.id,
            client_id=visit_row.client_id,
            visit_date=visit_date,
            notes=rev_row.notes if isinstance(rev_row.notes, str) else "",
            revision=rev_row.number,
            revision_id=rev_row.id,
            revision_count=visit_row.revision_count,
            saved_at=rev_row.saved_at,
            created_at=visit_row.created_at,
            views=by_view,
            report=report,
            problems=tuple(problems),
        )

    def get_visit(self, visit_id: str, revision: int | None = None) -> Visit:
        """A visit at its latest revision, or at revision ``revision`` (1 = first save); raise :class:`NotFoundError`.

        Damage (a missing photo, an unreadable view) does not raise: it is in
        ``visit.problems`` and the ``problems`` of the view concerned.
        """
        _check_id(visit_id, "visit")
        with self._read() as conn:
            v = conn.execute(select(visits).where(visits.c.id == visit_id)).first()
            if v is None:
                raise NotFoundError(f"No visit with id {visit_id!r}.")
            number = v.revision_count if revision is None else revision
            r = conn.execute(select(revisions).where(revisions.c.visit_id == visit_id, revisions.c.number == number)).first()
            if r is None:
                if revision is not None:
                    raise NotFoundError(f"Visit {visit_id} has no revision {revision} (it has {v.revision_count}).")
                raise CorruptRecordError(f"The latest revision of visit {visit_id} is missing from the database.")
            return self._load_revision(conn, v, r)

    def list_visits(self, client_id: str) -> list[VisitSummary]:
        """A client's visit timeline, newest first (latest revision of each); raise :class:`NotFoundError`."""
        _check_id(client_id, "client")
        r = revisions.alias("r")
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
        with self._read() as conn:
            if conn.execute(select(clients.c.id).where(clients.c.id == client_id)).first() is None:
                raise NotFoundError(f"No client with id {client_id!r}.")
            rows = conn.execute(q).all()
        out = []
        for row in rows:
            problems: list[str] = []
            if row.rev_id is None:
                problems.append("The latest revision of this visit is missing from the database.")
            out.append(
                VisitSummary(
                    row.id, client_id, _parse_date(row.visit_date, "visit date", problems),
                    row.notes if isinstance(row.notes, str) else "", row.revision_count, _view_names(row.views),
                    row.updated_at, tuple(problems),
                )
            )  # fmt: skip
        return out

    def list_revisions(self, visit_id: str) -> list[RevisionSummary]:
        """Every revision of a visit, oldest first; raise :class:`NotFoundError`."""
        _check_id(visit_id, "visit")
        q = (
            select(revisions, func.group_concat(views.c.view).label("views"))
            .outerjoin(views, views.c.revision_id == revisions.c.id)
            .where(revisions.c.visit_id == visit_id)
            .group_by(revisions.c.id)
            .order_by(revisions.c.number)
        )
        with self._read() as conn:
            rows = conn.execute(q).all()
        if not rows:
            raise NotFoundError(f"No visit with id {visit_id!r}.")
        return [
            RevisionSummary(
                r.id, r.number, _parse_date(r.visit_date, "visit date", []), r.notes if isinstance(r.notes, str) else "",
                r.saved_at, _view_names(r.views),
            )
            for r in rows
        ]  # fmt: skip

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
        if stored.problem:
            raise MissingFileError(stored.problem)
        try:
            inside = stored.path.resolve().is_relative_to(self.files_dir.resolve())
        except OSError:
            inside = False
        if not inside:
            raise StoreError(f"{stored.path} is not a file of this client file.")
        try:
            data = stored.path.read_bytes()
        except OSError:
            raise MissingFileError(f"The stored file {stored.path} is missing from the data folder.") from None
        if _sha256(data) != stored.sha256:
            raise MissingFileError(f"The stored file {stored.path} is damaged (its content does not match the record).")
        return data

    def delete_visit(self, visit_id: str) -> None:
        """Remove a visit with every revision and file (rows first, then files); raise :class:`NotFoundError`."""
        _check_id(visit_id, "visit")
        with self._write() as conn:
            v = conn.execute(select(visits.c.client_id).where(visits.c.id == visit_id)).first()
            if v is None:
                raise NotFoundError(f"No visit with id {visit_id!r}.")
            rev_ids = conn.execute(select(revisions.c.id).where(revisions.c.visit_id == visit_id)).scalars().all()
            conn.execute(delete(files).where(files.c.revision_id.in_(rev_ids)))
            conn.execute(delete(views).where(views.c.revision_id.in_(rev_ids)))
            conn.execute(delete(revisions).where(revisions.c.visit_id == visit_id))
            conn.execute(delete(visits).where(visits.c.id == visit_id))
        for rid in rev_ids:
            if ID_RE.match(rid):
                self._discard(self.files_dir / v.client_id / rid)
        self._checkpoint()

    # --- housekeeping ---

    def collect_garbage(self) -> int:
        """Remove leftovers of interrupted saves and erasures; return how many folders went.

        Runs when a store opens. Skipped (returns 0) while another process is
        saving into this folder.
        """
        removed = 0
        with self._lock.exclusive_nowait() as locked:
            if locked is False:
                return 0
            min_age = ORPHAN_GRACE_S if locked is None else 0.0
            now = time.time()

            def old_enough(p: Path) -> bool:
                try:
                    return now - p.lstat().st_mtime >= min_age
                except OSError:
                    return False

            with self._read() as conn:
                client_ids = set(conn.execute(select(clients.c.id)).scalars())
                pairs = select(visits.c.client_id, revisions.c.id).join(revisions, revisions.c.visit_id == visits.c.id)
                referenced = {(c, r) for c, r in conn.execute(pairs)}
            for entry in list(self.staging_dir.iterdir()):
                if old_enough(entry):
                    _remove_tree(entry)
                    removed += 1
            for cdir in list(self.files_dir.iterdir()):
                if not ID_RE.match(cdir.name) or not cdir.is_dir() or cdir.is_symlink():
                    continue  # not ours: leave it alone
                if cdir.name not in client_ids:
                    if old_enough(cdir):
                        self._discard(cdir)
                        removed += 1
                    continue
                for rdir in list(cdir.iterdir()):
                    if ID_RE.match(rdir.name) and (cdir.name, rdir.name) not in referenced and old_enough(rdir):
                        self._discard(rdir)
                        removed += 1
        return removed

    def verify(self, deep: bool = False) -> list[str]:
        """Check the whole client file; return one sentence per problem (empty when all is well).

        Checks every row is readable, every visit's revisions are complete and
        numbered 1..n, every file exists with its size (``deep``: its SHA-256),
        and nothing is left in ``files/`` or ``staging/`` that no row references
        (a save in progress in another process shows up as a leftover).
        """
        problems: list[str] = []
        with self._read() as conn:
            for row in conn.execute(select(clients)).all():
                problems += [f"Client {row.id}: {p}" for p in _client_from_row(row).problems]
            visit_rows = conn.execute(select(visits)).all()
            rev_rows = conn.execute(select(revisions)).all()
            view_rows = conn.execute(select(views)).all()
            file_rows = conn.execute(select(files)).all()
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
            except (docs.DocumentError, TypeError, ValueError, ResultError):
                problems.append(f"Revision {vr.revision_id}: the {vr.view} view is damaged.")
        referenced: set[tuple[str, str]] = set()
        for fr in file_rows:
            visit = rev_visit.get(fr.revision_id)
            if visit is None:
                problems.append(f"File {fr.name} belongs to no revision.")
                continue
            referenced.add((visit.client_id, fr.revision_id))
            stored = self._stored_file(visit.client_id, fr.revision_id, fr)
            if stored.problem:
                problems.append(f"Revision {fr.revision_id}: {stored.problem}")
            elif deep:
                try:
                    ok = _sha256(stored.path.read_bytes()) == fr.sha256
                except OSError:
                    ok = False
                if not ok:
                    problems.append(f"Revision {fr.revision_id}: the stored file {fr.name} does not match its checksum.")
        for cdir in self.files_dir.iterdir():
            if not cdir.is_dir():
                problems.append(f"{cdir} is not a folder of the client file (left over).")
                continue
            for rdir in cdir.iterdir():
                if (cdir.name, rdir.name) not in referenced:
                    problems.append(f"{rdir} is referenced by no revision (left over).")
        leftovers = list(self.staging_dir.iterdir())
        if leftovers:
            problems.append(f"{len(leftovers)} interrupted save(s) left in {self.staging_dir}.")
        return problems


def _view_names(concatenated: str | None) -> tuple[str, ...]:
    return tuple(sorted(set((concatenated or "").split(",")) - {""}, key=lambda v: _VIEW_ORDER.get(v, 99)))
