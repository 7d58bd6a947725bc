"""The records of the client file: what a caller gives the store and what it gets back.

Frozen dataclasses, no I/O: a :class:`Client` with its :class:`Precautions`, a
:class:`Visit` (one revision) with its :class:`ViewRecord` per view and the
:class:`StoredFile` s it references, the drafts a save takes
(:class:`VisitDraft`, :class:`ViewDraft`), the summaries of the lists and
timelines, and what an import takes and says (:class:`ImportedRevision`,
:class:`ImportSummary`). Also the checklist labels and the field limits the
validation enforces.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from posture import document as docs
from posture import naming
from posture.errors import CorruptRecordError, StoreError
from posture.landmarks import VIEWS
from posture.result import Result

MAX_NAME_CHARS = 200
MAX_CONTACT_CHARS = 2_000
MAX_NOTES_CHARS = 50_000
MAX_REPORT_BYTES = 100 * 1024 * 1024
#: The plausible range of a client's recorded height (cm); the height calibration starts at it.
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 50.0, 250.0
#: JPEG quality of a new annotated image (a photo that must be re-encoded gets :data:`posture.images.PHOTO_QUALITY`).
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

#: View → its place in the display order (anterior, posterior, right lateral, left lateral).
VIEW_ORDER = {v: i for i, v in enumerate(VIEWS)}


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
    height_cm: float | None = None  # MIN_HEIGHT_CM..MAX_HEIGHT_CM; the default of a height calibration
    contact: str = ""
    notes: str = ""
    precautions: Precautions = field(default_factory=Precautions)
    consent_photography: bool = False
    consent_date: date | None = None
    created_at: str = ""  # ISO-8601 UTC
    updated_at: str = ""
    revision: int = 1  # +1 on every change; pass it back as ``base_revision`` to refuse a stale save
    problems: tuple[str, ...] = ()

    def age_on(self, day: date) -> int | None:
        """The client's age in whole years on ``day`` (``None`` without a date of birth): :func:`age_years`."""
        return age_years(self.date_of_birth, day)


def age_years(date_of_birth: date | None, day: date) -> int | None:
    """Age in whole years on ``day`` (a birthday on 29 February counts from 1 March in other years); ``None`` without one.

    Examples
    --------
    >>> age_years(date(1980, 3, 14), date(2026, 3, 13)), age_years(date(1980, 3, 14), date(2026, 3, 14))
    (45, 46)
    >>> age_years(date(2000, 2, 29), date(2025, 2, 28)), age_years(None, date(2025, 1, 1))
    (24, None)
    """
    return None if date_of_birth is None else naming.age_years(date_of_birth, day)


#: Fields a caller may set with :meth:`Store.create_client` / :meth:`Store.update_client`.
CLIENT_FIELDS = (
    "name", "date_of_birth", "sex", "height_cm", "contact", "notes", "precautions", "consent_photography", "consent_date",
)  # fmt: skip


@dataclass(frozen=True)
class ClientSummary:
    """One line of the client list (and of the possible duplicates of a new client's name)."""

    id: str
    name: str
    last_visit_date: date | None
    visit_count: int
    precautions: Precautions
    problems: tuple[str, ...] = ()
    date_of_birth: date | None = None


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
    result: Result | None
    photo: StoredFile | None = None
    annotated: StoredFile | None = None
    problems: tuple[str, ...] = ()


ImageInput = bytes | bytearray | np.ndarray | os.PathLike[str] | StoredFile | None


@dataclass(frozen=True)
class ViewDraft:
    """One view to save.

    ``result`` is the :func:`posture.analysis.analyze` output for ``document``,
    graded under the bands the caller works with (the app passes its
    practice's); a given result must have been computed from this document
    (its measured values are checked; the bands are the caller's). When it is
    ``None`` the store analyses the document under the **shipped** bands
    (:func:`posture.settings.default_settings`) and never reads a settings
    file: each stored measurement's ``band.source`` says what it was graded
    against. ``photo`` and ``annotated`` take image bytes in any accepted
    format, an RGB ``uint8`` array, a path, or a :class:`StoredFile` of this
    client (kept as it is, not re-encoded); ``None`` means no such file. New
    images are stored as JPEG with the orientation applied and no metadata.
    A stored annotated image is refused when the landmarks or calibration
    changed since it was drawn: render it again.
    """

    document: docs.ViewDocument
    result: Result | None = None
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
        return replace(self, views=tuple(sorted([*others, view_draft], key=lambda vd: VIEW_ORDER.get(vd.document.view, 99))))

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
    def results(self) -> dict[str, Result]:
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
