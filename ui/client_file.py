"""The assessment ↔ the client file: link a client, save the assessment as a visit, reopen a visit.

Plain Python (no Streamlit), tested with a real :class:`posture.store.Store`
in a temporary folder. The store keeps immutable revisions, so saving a
reopened visit adds a revision and the earlier one stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from posture import handout, naming, render, report
from posture.errors import PostureError
from posture.result import Result
from posture.store import PRECAUTION_KEYS, Client, Store, ViewDraft, Visit, VisitDraft

from .model import Assessment, ViewState


@dataclass(frozen=True)
class Link:
    """Which client (and, once saved or reopened, which visit revision) the assessment belongs to."""

    client_id: str
    client_name: str
    precautions: tuple[str, ...] = ()  # the labels, as the report's header shows them
    #: The checked precaution keys (``posture.store.PRECAUTION_KEYS``) and the "other" text: what the
    #: precaution-aware treatment-planning starter reads (``posture.precautions.cautioned_plan``).
    precaution_keys: tuple[str, ...] = ()
    other_precaution: str = ""
    consent: bool = False  # consent to photography recorded (the store refuses photos without it)
    height_cm: float | None = None  # the client's recorded height: where a height calibration starts
    date_of_birth: date | None = None  # printed on the report with the age at the visit
    visit_id: str | None = None
    revision: int | None = None  # the revision opened or last saved
    #: The visit's latest revision when it was opened or last saved: the base of the store's lost-update check
    #: (an earlier revision opened and saved becomes the newest; ``None`` in drafts written before: ``revision``).
    latest_revision: int | None = None
    #: The visit's date and notes as being edited (the save step writes them here as they are typed).
    visit_date: date | None = None
    notes: str = ""
    #: The visit's date and notes as stored in the revision opened or last saved (``None``/``""`` for a new visit).
    saved_date: date | None = None
    saved_notes: str = ""

    @property
    def changed(self) -> bool:
        """True when the date or the notes differ from the stored revision's."""
        return self.visit_id is not None and (self.visit_date != self.saved_date or self.notes != self.saved_notes)


def _client_fields(client: Client) -> dict[str, Any]:
    """What the link keeps of the client record."""
    return {
        "client_id": client.id,
        "client_name": client.name,
        "precautions": tuple(client.precautions.labels()),
        "precaution_keys": tuple(k for k in PRECAUTION_KEYS if k in client.precautions.checked),
        "other_precaution": client.precautions.other_text,
        "consent": client.consent_photography,
        "height_cm": client.height_cm,
        "date_of_birth": client.date_of_birth,
    }


def _with_visit(link: Link, visit: Visit) -> Link:
    """``link`` pointing at the stored revision ``visit``."""
    return replace(
        link,
        visit_id=visit.id,
        revision=visit.revision,
        latest_revision=visit.revision_count,
        visit_date=visit.visit_date,
        notes=visit.notes,
        saved_date=visit.visit_date,
        saved_notes=visit.notes,
    )


def visit_day(a: Assessment) -> date:
    """The date the assessment's outputs carry: the visit's date (as edited) when linked to one, else today.

    Every caption, preview, report and file name of a reopened visit uses it, so
    they say when the visit took place, not when the file was looked at.
    """
    if a.link is not None and a.link.visit_date is not None:
        day: date = a.link.visit_date
        return day
    return date.today()


def parse_visit_date(text: str, today: date | None = None) -> date | str:
    """The visit date written in ``text`` (ISO ``YYYY-MM-DD``), or one sentence saying why it cannot be used."""
    today = today or date.today()
    raw = text.strip()
    example = today.isoformat()
    if not raw:
        return f"Enter the visit date (YYYY-MM-DD, e.g. {example}) before saving."
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return f"“{raw[:40]}” is not a date: write the visit date as YYYY-MM-DD (e.g. {example}) before saving."
    if day > today:
        return f"The visit date {day.isoformat()} is in the future: enter the day the photos were taken before saving."
    if day.year < 1900:
        return f"The visit date {day.isoformat()} is too long ago: enter the day the photos were taken before saving."
    return day


def set_visit_fields(a: Assessment, *, visit_date: date | None = None, notes: str | None = None) -> None:
    """Keep the date and notes being typed in the save step on the link (so drafts and outputs carry them)."""
    if a.link is None:
        return
    changes: dict[str, Any] = {}
    if visit_date is not None and visit_date != a.link.visit_date:
        changes["visit_date"] = visit_date
    if notes is not None and notes != a.link.notes:
        changes["notes"] = notes
    if changes:
        a.link = replace(a.link, **changes)


def link_client(a: Assessment, client: Client) -> None:
    """Make ``a`` an assessment of ``client`` (a new visit until it is saved)."""
    a.link = Link(**_client_fields(client))
    a.client = client.name
    a.stored_photos = {}


def refresh_client(a: Assessment, client: Client) -> None:
    """Take an edited client record's name, precautions and consent into the linked assessment."""
    if a.link is not None and a.link.client_id == client.id:
        a.link = replace(a.link, **_client_fields(client))
        a.client = client.name


def caption(a: Assessment, vs: ViewState, day: date) -> str:
    return render.caption_text(vs.view, day.isoformat(), a.client or None)


def annotated_full(a: Assessment, vs: ViewState, result: Result, day: date) -> Any:
    """The full-resolution annotated photo of ``vs`` (an RGB array), as saved and downloaded."""
    assert vs.photo is not None
    return render.render_annotated(vs.photo.image, vs.doc, result, caption=caption(a, vs, day))


def _report_views(a: Assessment, day: date) -> list[report.ReportView]:
    """Every view with a photo, analysed and drawn as the report prints it."""
    views = []
    for vs in a.views_with_photos():
        assert vs.photo is not None
        result = vs.analyze(a.settings)
        assert result is not None
        annotated = report.annotate_for_report(
            vs.photo.display, vs.doc, result, display_scale=vs.photo.display_scale, client=a.client or None, date=day.isoformat()
        )
        views.append((vs.doc, result, annotated))
    return views


def report_pdf(a: Assessment, day: date, notes: str = "") -> bytes:
    """The PDF report of every view with a photo, with the client's name, date of birth and precautions when linked
    (the planning starter cautioned by them) and the practice's details from the settings."""
    link = a.link
    precautions = "; ".join(link.precautions) if link and link.precautions else None
    return report.build_report(
        _report_views(a, day),
        client=a.client or None,
        date=day.isoformat(),
        notes=notes or None,
        precautions=precautions,
        patterns=a.settings.patterns,
        precaution_table=a.settings.precautions,
        precaution_keys=link.precaution_keys if link else (),
        other_precaution=link.other_precaution if link else "",
        practice=a.settings.practice,
        client_dob=link.date_of_birth if link else None,
    )


def handout_pdf(a: Assessment, day: date) -> bytes:
    """The short client handout (:func:`posture.handout.build_handout`) of every view with a photo."""
    link = a.link
    return handout.build_handout(
        _report_views(a, day),
        client=a.client or None,
        date=day.isoformat(),
        patterns=a.settings.patterns,
        precaution_table=a.settings.precautions,
        precaution_keys=link.precaution_keys if link else (),
        other_precaution=link.other_precaution if link else "",
        practice=a.settings.practice,
    )


def pdf_name(a: Assessment, day: date, kind: str = "posture") -> str:
    """The file name the app offers a PDF under: ``Keller_Maria_2026-11-03_posture.pdf`` (:func:`posture.naming.file_name`)."""
    return naming.file_name(a.client or None, day, kind)


def visit_draft(a: Assessment, day: date, notes: str, pdf: bytes | None, *, drawn: bool = True) -> VisitDraft:
    """Everything of ``a`` that goes into the client file: each view's document, result, photo and annotated image.

    A photo that came from the file unchanged is passed as its stored file
    (the new revision shares it; it is not re-encoded). ``drawn=False``
    leaves the annotated images out (nothing rendered: enough to ask the
    store whether anything changed).
    """
    drafts = []
    for vs in a.views_with_photos():
        assert vs.photo is not None
        result = vs.analyze(a.settings)
        assert result is not None
        digest, stored = a.stored_photos.get(vs.view, (None, None))
        photo = stored if digest == vs.photo.digest else vs.photo.image
        annotated = annotated_full(a, vs, result, day) if drawn else None
        drafts.append(ViewDraft(vs.doc, result, photo=photo, annotated=annotated))
    return VisitDraft(day, notes, tuple(drafts), report_pdf=pdf)


def report_problem(a: Assessment, notes: str = "") -> str | None:
    """Why no PDF report can be made for ``a`` (text the bundled font cannot print), or ``None``."""
    try:
        report.check_printable("The client's name", a.client)
        report.check_printable("The notes", notes)
        report.check_printable("The precautions", "; ".join(a.link.precautions) if a.link else "")
        report.check_printable("The other precaution", a.link.other_precaution if a.link else "")
        for line in a.settings.practice.lines():
            report.check_printable("The practice details (settings)", line)
    except PostureError as exc:
        return str(exc)
    return None


def save(a: Assessment, store: Store, day: date, notes: str, *, with_report: bool = True) -> tuple[Visit, str | None]:
    """Save ``a`` into the linked client's file: a new visit, or a new revision of the reopened one.

    A reopened visit whose documents, photos, date and notes are unchanged
    gets no new revision (the store's rule, asked before anything is drawn):
    the visit returned is then the latest revision as it was (see
    :func:`nothing_changed`). Returns the stored visit and, when the PDF
    report could not be made (and the visit was saved without it), the
    sentence saying why. Raises
    :class:`posture.store.StoreError` (one sentence) when it cannot save,
    e.g. when the visit was changed in another window since it was opened.
    """
    link = a.link
    if link is None:
        raise ValueError("the assessment is not linked to a client")
    if not a.views_with_photos():
        raise ValueError("nothing to save")
    base = link.latest_revision if link.latest_revision is not None else link.revision
    if (
        link.visit_id is not None
        and _photos_from_file(a)
        and store.unchanged(link.visit_id, visit_draft(a, day, notes, None, drawn=False), base_revision=base)
    ):
        latest = store.get_visit(link.visit_id)  # nothing to draw or save (see nothing_changed)
        _saved(a, link, latest)
        return latest, None
    problem = report_problem(a, notes) if with_report else None
    pdf = None
    if with_report and problem is None:
        try:
            pdf = report_pdf(a, day, notes)
        except PostureError as exc:  # the visit is saved without its report rather than not at all
            problem = str(exc)
    draft = visit_draft(a, day, notes, pdf)
    if link.visit_id is None:
        visit = store.add_visit(link.client_id, draft)
    else:
        visit = store.revise_visit(link.visit_id, draft, base_revision=base)
    _saved(a, link, visit)
    return visit, (f"Saved without a PDF report: {problem}" if problem else None)


def _saved(a: Assessment, link: Link, visit: Visit) -> None:
    """``a`` is now the stored ``visit``: the link points at it, its photos are its stored files, nothing is unsaved."""
    a.link = _with_visit(link, visit)
    _remember_photos(a, visit)
    a.mark_saved()


def _photos_from_file(a: Assessment) -> bool:
    """True when every photo of ``a`` is a stored file of the visit (a new photo is a change, no need to ask)."""
    return all(
        vs.photo is not None and a.stored_photos.get(vs.view, ("", None))[0] == vs.photo.digest for vs in a.views_with_photos()
    )


def nothing_changed(before: Link | None, visit: Visit) -> bool:
    """True when a save from the link ``before`` added no revision to ``visit`` (nothing had changed)."""
    if before is None or before.visit_id != visit.id:
        return False
    latest = before.latest_revision if before.latest_revision is not None else before.revision
    return latest == visit.revision_count


def _remember_photos(a: Assessment, visit: Visit) -> None:
    """Note which stored file holds each view's photo, so saving again shares it."""
    a.stored_photos = {}
    for view, rec in visit.views.items():
        vs = a.views[view]
        if rec.photo is not None and vs.photo is not None:
            a.stored_photos[view] = (vs.photo.digest, rec.photo)


def open_visit(a: Assessment, store: Store, client: Client, visit: Visit) -> list[str]:
    """Load a stored visit into ``a`` (which should be fresh) to look at or edit; the problems met, one sentence each.

    ``visit`` may be any revision (``store.get_visit(id, revision=n)``): saving an earlier one adds a new latest
    revision (it restores it, with the edits), checked against the latest of the moment it was opened.
    """
    problems = list(visit.problems)
    link_client(a, client)
    a.link = _with_visit(a.link, visit)
    for view, rec in visit.views.items():
        problems += list(rec.problems)
        if rec.document is None or rec.photo is None or rec.photo.problem:
            if rec.photo is not None and rec.photo.problem:
                problems.append(rec.photo.problem)
            continue
        vs = a.views[view]
        try:
            photo = a.photo_from_bytes(rec.photo.name, store.read_file(rec.photo))
            vs.set_photo(photo)
            vs.load_document(rec.document)
        except PostureError as exc:  # StoreError, ImageError, DocumentError: each carries one sentence
            problems.append(f"The {view} view could not be opened: {exc}")
            continue
        a.stored_photos[view] = (photo.digest, rec.photo)
    loaded = [v for v in visit.views if v in a.stored_photos]
    if loaded:
        a.current = loaded[0]
    a.mark_saved()
    return problems
