"""The PDF report of a session: its layout and its wording (fpdf2, bundled DejaVu Sans so names in any script print).

:func:`build_report` turns analysed views into PDF bytes; it does no file I/O,
so the app can call it on what it holds in memory; :func:`annotate_for_report`
draws a photo as the report prints it, and :func:`write_report` saves the
bytes atomically; :func:`load_session` reads a session folder (the format is
:mod:`posture.session`'s), analyses and draws it for ``posture report``. What is ranked, referred and planned across the
views comes from :mod:`posture.findings` and :mod:`posture.precautions`; this module only lays it out, with the
writer it shares with the client handout (:mod:`posture.pdf_writer`).

Contents: page 1 is an overview (the practice, the client with their age,
the precautions and notes, the annotated views side by side, the key
observations of every view ranked together, the referral prompts and each
view's calibration quality); then per view the annotated photo with its
observations and calibration beside it and a table of every measurement
(value ± uncertainty, unit, severity in its colour, band and its source); the
treatment-planning starter (NMT stages in order, by region, each item that
touches a precaution marked); and "How this was measured" (conventions,
calibration, the limits of a 2-D photo, not a diagnosis). Findings are phrased
as observations to consider, never as diagnoses.
"""

from __future__ import annotations

import datetime as _dt
import io
import os
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import numpy as np
from fpdf import XPos, YPos

from . import findings as words
from . import grading, images, render, session
from .analysis import analyze
from .atomic import atomic_write_bytes
from .document import DistanceScale, HeightScale, ViewDocument
from .errors import ReportError
from .formatting import format_measurement, format_number, origins_text, placement_error, severity_label, unit_suffix, unit_symbol
from .frame import PLUMB_LANDMARKS
from .landmarks import VIEW_LABELS, VIEWS
from .landmarks import get as landmark
from .measurements import definition as measurement_definition
from .naming import born_text
from .pdf_writer import ACCENT, EMBED_MAX_SIDE, INK, MUTED, PAPERS, Cell, Writer, embed_jpeg
from .precautions import CautionedPlan, PrecautionTable, cautioned_plan
from .result import Measurement, RankedObservation, Result, Severity
from .settings import Practice, Settings

__all__ = [
    "CAUTION_MARK",
    "EMBED_MAX_SIDE",
    "PAPERS",
    "REPORT_TEXT_SCALE",
    "ReportView",
    "annotate_for_report",
    "band_source",
    "build_report",
    "calibration_lines",
    "calibration_summary",
    "check_printable",
    "format_band",
    "format_value",
    "how_measured",
    "load_session",
    "plan_section",
    "section_photo_height",
    "unprintable_characters",
    "write_report",
]

#: (document, result, annotated RGB image or None) for one view.
ReportView = tuple[ViewDocument, Result, np.ndarray | None]

#: Text size of the report's annotated photos relative to the screen's (they print about 15 cm tall).
REPORT_TEXT_SCALE = 1.35


@lru_cache(maxsize=1)
def _printable_codepoints() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]  # fpdf2's own dependency, which ships no type hints

    with TTFont(render.font_path(False), lazy=True) as font:
        return frozenset(font.getBestCmap())


def unprintable_characters(text: str) -> str:
    """The distinct characters of ``text`` the bundled DejaVu Sans has no glyph for (whitespace aside), in order.

    DejaVu Sans covers Latin, Greek, Cyrillic and more, but not Chinese,
    Japanese, Korean or emoji; fpdf2 would silently leave those out.
    """
    known = _printable_codepoints()
    return "".join(dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in known))


def check_printable(what: str, text: str | None) -> None:
    """Raise :class:`ReportError` (one sentence naming ``what``) when ``text`` has characters the font cannot print."""
    bad = unprintable_characters(text or "")
    if bad:
        shown = " ".join(bad[:8]) + (" …" if len(bad) > 8 else "")
        raise ReportError(
            f"{what} has characters the bundled font (DejaVu Sans) cannot print ({shown}): "
            "use Latin, Greek or Cyrillic letters there, or leave it out."
        )


def format_value(m: Measurement, mid: str | None = None) -> str:
    """``"+2.4 ± 0.3"`` as the report's table prints it: signed, one decimal (whole pixels), the unit in its own column.

    With ``mid`` (the measurement's id) a value near a band edge gets the decimals it needs to read as graded.
    """
    return format_measurement(m, digits=0 if m["unit"] == "px" else 1, symbol=False, mid=mid)


def format_band(mid: str, m: Measurement) -> str:
    """The band's thresholds as the grading applies them (mild / moderate / marked)."""
    band = m["band"]
    if not band:
        return "–"
    return grading.rule_for(mid).band_text(grading.Band(**band), unit_suffix(m["unit"]))


def band_source(m: Measurement, mid: str | None = None) -> str:
    """Where the band of ``m`` (measurement ``mid``) comes from, or why it is not graded."""
    if m["band"]:
        return m["band"]["source"]
    if m["unit"] == "px":
        return "not graded: no scale in this view"
    if mid in grading.NOT_GRADED_BY_DEFAULT and mid not in grading.default_bands():
        return grading.NOT_GRADED_BY_DEFAULT[mid]
    return "not graded by default (for information)"


def _roll(result: Result) -> str:
    return format_number(result["vertical_roll_deg"], "deg", digits=2, sign=True)


def calibration_lines(doc: ViewDocument, result: Result) -> list[str]:
    """How the view was calibrated, in plain words."""
    lines = []
    if result["vertical_source"] == "line":
        lines.append(f"True vertical: the plumb line marked in the photo (camera roll {_roll(result)}).")
    else:
        lines.append("True vertical: the photo's own vertical (no plumb line marked; camera roll not corrected).")
    sc = doc.calibration.scale
    if isinstance(sc, HeightScale):
        lines.append(f"Scale: the client's height ({sc.height_cm:g} cm), {result['cm_per_px']:.4f} cm per pixel.")
    elif isinstance(sc, DistanceScale):
        lines.append(f"Scale: two marks {sc.distance_cm:g} cm apart, {result['cm_per_px']:.4f} cm per pixel.")
    else:
        lines.append("Scale: none, so distances are in pixels and are not graded.")
    if doc.calibration.plumb_anchor is not None:
        lines.append("Postural plumb line: pinned by the therapist.")
    elif result["plumb_line"]:
        names = [landmark(doc.view, i).label.lower() for i in PLUMB_LANDMARKS[doc.view]]
        where = f"midway between the {names[0]} and {names[1]}" if len(names) == 2 else f"through the {names[0]}"
        lines.append(f"Postural plumb line: {where}.")
    else:
        lines.append("Postural plumb line: not placed (its landmarks are missing).")
    if result.get("facing"):
        lines.append(f"Client faces the image {result['facing']}.")
    lines.append(f"Landmark placement error assumed: {placement_error(result)} (one standard deviation).")
    origins = origins_text(result)
    if origins:
        lines.append(f"Landmarks: {origins}.")
    return lines


def calibration_summary(doc: ViewDocument, result: Result) -> str:
    """One line: vertical, scale, plumb line and placement error of a view."""
    vertical = (
        f"plumb line marked (roll {_roll(result)})" if result["vertical_source"] == "line" else "image vertical (no plumb line)"
    )
    sc = doc.calibration.scale
    if isinstance(sc, HeightScale):
        scale = f"client height {sc.height_cm:g} cm ({result['cm_per_px']:.4f} cm/px)"
    elif isinstance(sc, DistanceScale):
        scale = f"marks {sc.distance_cm:g} cm apart ({result['cm_per_px']:.4f} cm/px)"
    else:
        scale = "no scale (pixels)"
    plumb = "pinned" if doc.calibration.plumb_anchor is not None else ("from the landmarks" if result["plumb_line"] else "none")
    return f"vertical: {vertical}; scale: {scale}; postural plumb line: {plumb}; placement error {placement_error(result)}."


def _day(date: str | None) -> _dt.date:
    """The visit's day from the report's ``date`` text (ISO), else today."""
    try:
        return _dt.date.fromisoformat(date) if date else _dt.date.today()
    except ValueError:
        return _dt.date.today()


# --- the parts of the report ----------------------------------------------------------------


def _view_name(view: str) -> str:
    """``"front"`` for the anterior view: how an observation names its view."""
    return VIEW_LABELS[view].split(" (")[0].lower() if view in VIEW_LABELS else view


def _observation_views(o: RankedObservation) -> list[str]:
    """The views an observation stands for: ``views`` when the ranking merged several, else its ``view``."""
    many = cast(Mapping[str, Any], o).get("views")
    return [str(v) for v in many] if isinstance(many, (list, tuple)) and many else [o["view"]]


def _views_text(views: Sequence[str]) -> str:
    names = [_view_name(v) for v in views]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"{joined} view{'s' if len(names) > 1 else ''}"


def _observation_rows(w: Writer, observations: Sequence[RankedObservation], with_view: bool) -> None:
    """The key observations, numbered, each with its severity chip and the view(s) it is seen in."""
    pdf = w.pdf
    text_w = w.width - 30
    for i, o in enumerate(observations, 1):
        text = o["text"] + (f"  ({_views_text(_observation_views(o))})" if with_view else "")
        height = max(5.5, w.text_height(text, text_w, 9.5) + 0.9)
        w.keep(height)
        y = pdf.get_y()
        pdf.set_x(pdf.l_margin)
        w.font(9.5, False, MUTED)
        pdf.cell(7, 5, f"{i}.")
        w.chip(o["severity"], 21, 4.6)
        w.text(text, pdf.l_margin + 30, text_w, 9.5)
        pdf.set_xy(pdf.l_margin, max(pdf.get_y(), y + 5.5))


def _photo_row(w: Writer, photos: Sequence[tuple[str, io.BytesIO, float]], max_h: float) -> None:
    """The annotated views side by side, each at most ``max_h`` mm tall, named under the photo."""
    pdf = w.pdf
    gap = 4.0
    cell_w = (w.width - gap * (len(photos) - 1)) / len(photos)
    sizes = [(min(cell_w, max_h / aspect), min(cell_w, max_h / aspect) * aspect) for _, _, aspect in photos]
    img_h = max(h for _, h in sizes)
    w.keep(img_h + 6)
    top = pdf.get_y()
    for i, ((view, jpeg, _), (iw, ih)) in enumerate(zip(photos, sizes, strict=True)):
        x = pdf.l_margin + i * (cell_w + gap) + (cell_w - iw) / 2
        pdf.image(jpeg, x=x, y=top + img_h - ih, w=iw, h=ih, alt_text=f"Annotated {view} photo")
        pdf.set_xy(pdf.l_margin + i * (cell_w + gap), top + img_h + 0.8)
        w.font(7.5, False, MUTED)
        pdf.cell(cell_w, 3.6, VIEW_LABELS[view], align="C")
    pdf.set_xy(pdf.l_margin, top + img_h + 6)


def _measurement_table(w: Writer, view: str, result: Result) -> None:
    relative = (50, 22, 10, 19, 27, 52)
    scale = w.width / sum(relative)
    rows = []
    for mid, m in result["measurements"].items():
        color = render.severity_color(m["severity"])
        rows.append(
            (
                Cell(m["label"], bold=True, sub=m["direction"]),
                Cell(format_value(m, mid)),
                Cell(unit_symbol(m["unit"])),
                Cell(severity_label(m["severity"], m["borderline"]), bold=True, color=render.text_color_on(color), fill=color),
                Cell(format_band(mid, m)),
                Cell(band_source(m, mid), size=6.8, color=MUTED),
            )
        )
    w.table(
        [c * scale for c in relative],
        ("L", "R", "C", "C", "C", "L"),
        ("Measurement", "Value ± SD", "Unit", "Severity", "Band: mild / moderate / marked", "Band source"),
        rows,
        title=f"{VIEW_LABELS[view]} view: measurements",
    )


def _label(view: str, mid: str) -> str:
    """The measurement's label (its id when the registry does not know it)."""
    try:
        return measurement_definition(view, mid).label
    except KeyError:
        return mid


#: One line of a view's side column: (kind, text, severity); kinds "title", "item" (with a chip), "line", "muted",
#: "check" (a warning title) and "gap".
_ColumnLine = tuple[str, str, Severity | None]
_COLUMN_STYLE = {  # kind: (size pt, bold, line height mm)
    "title": (10.5, True, 5.5),
    "check": (10.5, True, 5.5),
    "item": (9.0, False, 4.3),
    "line": (8.5, False, 4.1),
    "muted": (9.0, False, 4.3),
}
_CHIP_W = 21.0


def _view_column(doc: ViewDocument, result: Result) -> list[_ColumnLine]:
    """What a view's section prints beside its photo: its observations, calibration, checks and notes."""
    out: list[_ColumnLine] = [("title", "Observations in this view", None)]
    observations = result.get("observations")
    # a result read from a file written before observations existed: its findings
    seen = (
        [(f["text"], f["severity"]) for f in result["findings"]]
        if observations is None
        else [(o["text"], o["severity"]) for o in observations]
    )
    if not seen:
        out.append(("muted", "No measurement outside its normal band.", None))
    out += [("item", text, severity) for text, severity in seen]
    out += [("gap", "", None), ("title", "Calibration", None)]
    out += [("line", line, None) for line in calibration_lines(doc, result)]
    if result["warnings"]:
        out += [("gap", "", None), ("check", "Check", None)]
        out += [("line", warn, None) for warn in result["warnings"]]
    if doc.notes:
        out += [("gap", "", None), ("title", "Notes", None), ("line", doc.notes, None)]
    return out


def _column_height(w: Writer, lines: Sequence[_ColumnLine], col_w: float) -> float:
    total = 0.0
    for kind, text, _ in lines:
        if kind == "gap":
            total += 2.0
        elif kind == "item":
            size, _, h = _COLUMN_STYLE[kind]
            total += max(w.text_height(text, col_w - _CHIP_W, size, h), 4.8) + 0.8
        else:
            size, bold, h = _COLUMN_STYLE[kind]
            total += w.text_height(text, col_w, size, h, bold)
    return total


def _draw_column(w: Writer, lines: Sequence[_ColumnLine], x: float, col_w: float) -> None:
    pdf = w.pdf
    for kind, text, severity in lines:
        if kind == "gap":
            pdf.ln(2.0)
            continue
        size, bold, h = _COLUMN_STYLE[kind]
        color = (
            ACCENT
            if kind == "title"
            else render.SEVERITY_COLORS["moderate"]
            if kind == "check"
            else MUTED
            if kind == "muted"
            else INK
        )
        if kind == "item":
            y = pdf.get_y()
            pdf.set_x(x)
            w.chip(severity, _CHIP_W - 2, 4.3)
            pdf.set_y(y)
            w.text(text, x + _CHIP_W, col_w - _CHIP_W, size, h=h)
            pdf.set_y(max(pdf.get_y(), y + 4.8) + 0.8)
        else:
            w.text(text, x, col_w, size, bold, color, h)


#: A view's photo in its section: this share of the text width, at most this tall (mm), and no smaller than
#: this share of that size when it is shrunk to finish a page (:func:`section_photo_height`).
SECTION_PHOTO_SHARE = 0.5
SECTION_PHOTO_MAX_H = 125.0
SECTION_PHOTO_MIN_SHARE = 0.7


def section_photo_height(aspect: float, width: float, room: float, column: float) -> float | None:
    """The height (mm) of a view's photo (``aspect`` = height / width) in its section when ``room`` mm are left on the
    page and the text beside it takes ``column`` mm; ``None`` when the section should start a new page instead.

    The photo is :data:`SECTION_PHOTO_SHARE` of the text ``width`` wide (at most
    :data:`SECTION_PHOTO_MAX_H` tall); it is shrunk to fit the page, down to
    :data:`SECTION_PHOTO_MIN_SHARE` of that size, so a page is not left with a
    large empty band because the next photo was a little too tall for it.

    >>> section_photo_height(4 / 3, 180.0, 250.0, 60.0)
    120.0
    >>> section_photo_height(4 / 3, 180.0, 100.0, 60.0)
    100.0
    >>> section_photo_height(4 / 3, 180.0, 80.0, 60.0) is None
    True
    """
    full = min(SECTION_PHOTO_MAX_H, width * SECTION_PHOTO_SHARE * aspect)
    if max(full, column) <= room:
        return full
    if column <= room and room >= SECTION_PHOTO_MIN_SHARE * full:
        return room
    return None


def _view_section(w: Writer, doc: ViewDocument, result: Result, photo: tuple[io.BytesIO, float] | None) -> None:
    """One view: its photo with its observations and calibration beside it, then its measurement table.

    The section follows the one before on the same page when it fits there
    (the photo shrunk a little if that makes it fit); the table's rows follow
    the photo and continue on the next page, its heading repeated.
    """
    pdf = w.pdf
    lines = _view_column(doc, result)
    title_h = 7.0 + 3.3
    gap = 5.0
    if photo is not None:
        jpeg, aspect = photo
        col_w = w.width * (1 - SECTION_PHOTO_SHARE) - gap
        column = _column_height(w, lines, col_w)
        at_top = pdf.get_y() <= pdf.t_margin + 1
        img_h = section_photo_height(aspect, w.width, w.room - title_h - (0 if at_top else 6), column)
        if img_h is None and not at_top:
            pdf.add_page()
            img_h = section_photo_height(aspect, w.width, w.room - title_h, column)
        if img_h is None:  # taller than a page even at the top of one (a very long column): the photo at its size
            img_h = min(SECTION_PHOTO_MAX_H, w.width * SECTION_PHOTO_SHARE * aspect)
        w.heading(f"{VIEW_LABELS[doc.view]} view", size=14, space=6, keep=0)
        top = pdf.get_y()
        img_w = img_h / aspect
        pdf.image(jpeg, x=pdf.l_margin, y=top, w=img_w, h=img_h, alt_text=f"Annotated {doc.view} photo")
        x = pdf.l_margin + w.width * SECTION_PHOTO_SHARE + gap
        pdf.set_xy(x, top)
        _draw_column(w, lines, x, col_w)
        pdf.set_xy(pdf.l_margin, max(top + img_h, pdf.get_y()) + 4)
    else:
        w.heading(f"{VIEW_LABELS[doc.view]} view", size=14, space=6, keep=40)
        w.para("The photo of this view is not included in this report; the measurements below come from its landmarks.", 9, MUTED)
        pdf.ln(2)
        _draw_column(w, lines, pdf.l_margin, w.width)
        pdf.ln(4)
    if result["measurements"]:
        _measurement_table(w, doc.view, result)
        if any(m["borderline"] for m in result["measurements"].values()):
            w.para(
                "* borderline: within two uncertainties of a band edge, so the severity could be one step either way.",
                7.5,
                MUTED,
                h=3.8,
            )
    if result["not_measured"]:
        pdf.ln(1)
        missing = "; ".join(f"{_label(doc.view, mid)} ({why})" for mid, why in result["not_measured"].items())
        w.para(f"Not measured: {missing}.", 7.5, MUTED, h=3.8)


#: The mark under a plan item that touches a precaution (the caution's own sentence follows it).
CAUTION_MARK = "⚠ Caution"


def plan_section(w: Writer, plan: CautionedPlan) -> None:
    """The treatment-planning starter: the NMT stages in order, each item with its cautions marked under it in the
    marked severity's colour, and the plan's general precaution lines in a box before the stages."""
    pdf = w.pdf
    w.heading("Treatment-planning starter", size=14, space=8)
    w.para(
        "Muscles commonly implicated in the observations above, grouped by region and ordered by the stages of "
        "neuromuscular therapy. Consider assessing them; this is a starting point for planning, not a prescription.",
        9,
        MUTED,
    )
    caution_color = render.SEVERITY_COLORS["marked"]
    if plan.general:
        w.boxed("Precautions for planning", "\n".join(plan.general), caution_color)
    if not plan.stages:
        w.para("No observation outside the normal bands, so there is nothing to plan from these photos.", 9.5)
    item_w = w.width - 7
    for stage in plan.stages:
        first = stage["items"][0] if stage["items"] else None
        first_h = w.text_height(first["text"], item_w, 9) + 4.6 * len(first["cautions"]) if first else 0
        w.heading(f"Stage {stage['stage']}: {stage['title']}", size=10.5, space=2, keep=first_h)
        for item in stage["items"]:
            cautions = [f"{CAUTION_MARK}: {c}" for c in item["cautions"]]
            w.keep(w.text_height(item["text"], item_w, 9) + sum(w.text_height(c, item_w - 3, 8.5, 4.2) for c in cautions))
            w.bullet(item["text"], 9)
            for c in cautions:
                w.text(c, pdf.l_margin + 10, item_w - 3, 8.5, True, caution_color, 4.2)
            pdf.set_x(pdf.l_margin)


def _reference_rules(views: Sequence[ReportView]) -> str:
    """The measurements of these views graded against a reference rather than by their size, in words."""
    seen: dict[str, list[str]] = {}
    for _doc, result, _ in views:
        for mid, m in result["measurements"].items():
            if not m["band"]:
                continue
            what = grading.rule_for(mid).graded_against(unit_symbol(m["unit"]))
            if what is None:
                continue
            label = m["label"].split(" (")[0]  # "Q angle (right)" and "Q angle (left)" are one rule
            if label[1:2].islower():  # mid-sentence: "pelvic tilt", but "Q angle"
                label = label[0].lower() + label[1:]
            if label not in seen.setdefault(what, []):
                seen[what].append(label)
    if not seen:
        return ""
    parts = [f"{' and '.join(labels)} {what}" for what, labels in seen.items()]
    return " Some are graded against a reference instead: " + "; ".join(parts) + "."


def how_measured(views: Sequence[ReportView]) -> list[tuple[str, str]]:
    """The "How this was measured" section as ``(title, paragraph)`` pairs (what the code does, in plain words)."""
    return [
        (
            "Reference lines",
            "Right and left are always the client's own sides, whichever way the photo shows them. The landmarks of each "
            "photo are first turned so that the plumb line marked in it is exactly vertical (when none was marked, the "
            "photo's own vertical is trusted and the view says so); 'horizontal' means square to that true vertical. Tilts and "
            "height differences are measured against the true horizontal. Shifts and offsets are measured from the "
            "postural plumb line, a true vertical through the midpoint of the medial malleoli (front view), of the "
            "heels (back view) or through the lateral malleolus (side views), unless the therapist pinned it elsewhere. "
            "The segment shifts of the front view are measured from the segment below instead (head from the sternal "
            "notch, sternal notch from the middle of the pelvis), and the centre of gravity, estimated from a segment-mass "
            "model of the head, trunk and legs, from the midpoint of the lateral malleoli. The spinal curves of the side "
            "views are the bend at the curve's apex of the line from C7 through the thoracic apex to T12, and from T12 "
            "through the lumbar apex to S1.",
        ),
        (
            "Units and signs",
            "Angles are in degrees. Distances are in centimetres, scaled from two marks a known distance apart or from "
            "the client's height (head top to floor); a view without a scale gives pixels, which are not graded. Tilts "
            "and height differences are + when the client's right side is lower, shifts + toward the client's right, "
            "offsets and leans in the side views + when anterior; joint angles are 0° when straight. The words beside "
            "each value say the same plainly, including which way a joint angle bends.",
        ),
        (
            "Uncertainty",
            "Each value is shown ± one standard deviation: the spread expected if every landmark were placed a few "
            "pixels off (the placement error listed for each view, by default 0.2 % of the photo's height and at least "
            "2 px), carried through the formula. The calibration marks are taken as exact, so errors in them are not "
            "included.",
        ),
        (
            "Grading",
            "Each graded value is compared with a band of mild, moderate and marked thresholds, printed beside it with "
            "its source. Most values are graded by their size in either direction." + _reference_rules(views) + " Most "
            "bands are screening heuristics, not population norms, and a practice can set its own. A value marked * is "
            "borderline: within two uncertainties of a threshold, so its grade could be one step either way.",
        ),
        (
            "Limits of a 2-D photo",
            "A photo flattens a 3-D body. Rotation of the body or pelvis, a camera that is not level with the client or "
            "not square to the view, lens distortion, clothing and hair, and the stance on the day all change the "
            "numbers. Distances are only true in the plane of the scale, and every value depends on where the "
            "landmarks were placed. Compare sessions taken the same way, and confirm what matters by palpation and "
            "hands-on assessment.",
        ),
        (
            "Not a diagnosis",
            "This report describes posture as it appears in the photos. It lists observations and muscles to consider "
            "assessing; it does not diagnose a condition. Where a referral prompt appears, the finding is outside the "
            "scope of massage therapy and should be assessed by a qualified practitioner.",
        ),
    ]


def build_report(
    views: Sequence[ReportView],
    *,
    client: str | None = None,
    date: str | None = None,
    notes: str | None = None,
    precautions: str | None = None,
    paper: str = "a4",
    settings_path: str | None = None,
    patterns: words.PatternTable | None = None,
    precaution_table: PrecautionTable | None = None,
    precaution_keys: Iterable[str] = (),
    other_precaution: str = "",
    practice: Practice | None = None,
    client_dob: _dt.date | None = None,
) -> bytes:
    """The session report as PDF bytes.

    ``views``: ``(ViewDocument, analyze() result, annotated RGB image or None)``
    per view (any order; printed in the order anterior, posterior, right,
    left); the annotated image may be full resolution or the display copy,
    it is downscaled to :data:`EMBED_MAX_SIDE` for the PDF. ``client``,
    ``notes`` and ``precautions`` are free text (any script); ``date`` is
    printed as given (default: today, ISO); ``paper`` is ``"a4"`` or
    ``"letter"``; ``settings_path`` names the practice settings file when one
    graded the results, and ``patterns`` are the muscle patterns the results
    were analysed with (``Settings.patterns``; default: the shipped ones), from
    which the treatment-planning starter of all views is drawn up, with the
    cautions of the client's checked ``precaution_keys``
    (``posture.store.PRECAUTION_KEYS``) and their ``other_precaution`` text
    (:func:`posture.precautions.cautioned_plan`, from ``precaution_table``, the
    practice's table: ``Settings.precautions``; the shipped one when ``None``). ``practice`` (the settings'
    :class:`~posture.settings.Practice`) is printed in the header and the
    footer, ``client_dob`` beside the client's name with their age on ``date``.

    Page 1 is an overview: the header, the precautions and notes, the
    annotated views side by side, the key observations of every view ranked
    together (:func:`posture.findings.ranked_observations`), the referral
    prompts and each view's calibration. Then each view's section, the
    planning starter and "How this was measured", one after the other (a new
    page only where the next block does not fit). Raises :class:`ReportError`
    for an unknown paper, no views, or free text the bundled font cannot print
    (see :func:`unprintable_characters`), a practice's muscle patterns and
    details included.
    """
    if not views:
        raise ReportError("There is no view to report on.")
    practice = practice or Practice()
    check_printable("The client name", client)
    check_printable("The notes", notes)
    check_printable("The precautions", precautions)
    check_printable("The other precaution", other_precaution)
    for line in practice.lines():
        check_printable("The practice details (settings)", line)
    for doc, result, _ in views:
        check_printable(f"The notes of the {doc.view} view document", doc.notes)
        for mid, m in result["measurements"].items():
            band = m["band"]
            check_printable(f"The band source of {mid}", band["source"] if band else None)
    views = sorted(views, key=lambda v: VIEWS.index(v[0].view))
    results = [r for _, r, _ in views]
    plan = cautioned_plan(words.combined_plan(results, patterns), precaution_keys, other_precaution, table=precaution_table)
    for stage in plan.stages:
        for item in stage["items"]:
            check_printable("The treatment-planning starter (from the muscle patterns)", item["text"])
    date = date or _dt.date.today().isoformat()
    born = born_text(client_dob, _day(date)) if client_dob else None
    w = Writer(
        paper,
        "Postural assessment" + (f": {client}" if client else ""),
        " · ".join(p for p in ("Postural assessment", client, date, "observations to consider, not a diagnosis") if p),
        practice.name,
    )
    pdf = w.pdf
    pdf.add_page()
    photos = {doc.view: (embed_jpeg(img), img.shape[0] / img.shape[1]) for doc, _, img in views if img is not None}

    # --- page 1: the overview
    _header(w, "Postural assessment", " · ".join(p for p in (client, born, date) if p), practice)
    views_text = ", ".join(VIEW_LABELS[d.view] for d, _, _ in views)
    w.para(f"Views assessed: {views_text}.")
    if settings_path:
        w.para(f"Grading bands: defaults with the practice settings in {Path(settings_path).name}.", 8.5, MUTED)
    if precautions:
        w.boxed("Precautions", precautions, render.SEVERITY_COLORS["marked"])
    if notes:
        w.boxed("Notes", notes, ACCENT)
    if photos:
        pdf.ln(2)
        _photo_row(w, [(v, jpeg, aspect) for v, (jpeg, aspect) in photos.items()], OVERVIEW_PHOTO_MAX_H)

    observations = words.ranked_observations(results)
    w.heading("Key observations", space=2, keep=6)
    if observations:
        counts = {s: sum(1 for o in observations if o["severity"] == s) for s in ("marked", "moderate", "mild")}
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        n = len(observations)
        w.para(f"{n} observation{'s' if n != 1 else ''} outside the normal bands ({summary}), most important first:", 9.5, MUTED)
        pdf.ln(1)
        _observation_rows(w, observations, with_view=len(views) > 1)
    else:
        w.para("Every graded measurement lies within its normal band.", 9.5, MUTED)
    referrals = words.all_referrals(results)
    w.heading("Referral prompts", space=2, keep=6)
    if referrals:
        for r in referrals:
            w.boxed("Refer", r, render.SEVERITY_COLORS["marked"])
    else:
        w.para("None: nothing in these views calls for a referral outside massage scope.", 9.5, MUTED)
    w.heading("Calibration quality", space=2, keep=10)
    for doc, result, _ in views:
        w.bullet(f"{VIEW_LABELS[doc.view]}: {calibration_summary(doc, result)}", 8.5)
        advice = words.borderline_advice(result)
        if advice:
            w.text(advice, pdf.l_margin + 7, w.width - 7, 8.5, False, render.SEVERITY_COLORS["moderate"], 4.2)
            pdf.set_x(pdf.l_margin)

    # --- the views, one after the other from page 2 (or below the overview when it ran over page 1)
    if pdf.page == 1:
        pdf.add_page()
    for doc, result, _ in views:
        _view_section(w, doc, result, photos.get(doc.view))

    plan_section(w, plan)

    # --- how this was measured: no paragraph split from its title
    w.heading("How this was measured", size=14, space=8, keep=30)
    for title, text in how_measured(views):
        w.keep(6 + w.text_height(text, w.width, 9))
        w.para(title, 10, bold=True, color=INK)
        w.para(text, 9)
        pdf.ln(1.5)
    w.keep(6 + 2 * 4.6)
    w.para("Calibration used", 10, bold=True, color=INK)
    for doc, result, _ in views:
        w.bullet(f"{VIEW_LABELS[doc.view]}: {calibration_summary(doc, result)}", 8.5)
    return bytes(pdf.output())


#: The tallest an annotated view is printed on the overview page (mm).
OVERVIEW_PHOTO_MAX_H = 62.0


def _header(w: Writer, title: str, subtitle: str, practice: Practice) -> None:
    """The title and the client line on the left, the practice's details on the right, an accent rule under them."""
    pdf = w.pdf
    top = pdf.get_y()
    details = practice.lines()
    right_w = 70.0 if details else 0.0
    for i, line in enumerate(details):
        pdf.set_xy(pdf.w - pdf.r_margin - right_w, top + 1 + i * 4.3)
        w.font(9 if i == 0 else 8.5, i == 0, INK if i == 0 else MUTED)
        pdf.cell(right_w, 4.3, line[:90], align="R")
    pdf.set_xy(pdf.l_margin, top)
    w.font(20, True, INK)
    pdf.cell(w.width - right_w, 10, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    w.text(subtitle, pdf.l_margin, w.width - right_w, 11, False, MUTED, 6)
    pdf.set_y(max(pdf.get_y(), top + 1 + len(details) * 4.3))
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.l_margin + w.width, pdf.get_y() + 1.5)
    pdf.set_x(pdf.l_margin)
    pdf.ln(5)


# --- the photos as the report prints them --------------------------------------------


def annotate_for_report(
    image: np.ndarray,
    doc: ViewDocument,
    result: Result,
    *,
    display_scale: float = 1.0,
    grid: bool = False,
    client: str | None = None,
    date: str | None = None,
) -> np.ndarray:
    """The annotated image as the report prints it: at most :data:`EMBED_MAX_SIDE` px, larger text, a caption.

    ``image`` is the photo (RGB), either the original (``display_scale=1``) or
    the app's display copy with its ``display_scale``; it is downscaled further
    only when it is larger than :data:`EMBED_MAX_SIDE`.
    """
    small, scale = images.display_copy(image, EMBED_MAX_SIDE)
    caption = render.caption_text(doc.view, date, client)
    return render.render_annotated(
        small, doc, result, display_scale=display_scale * scale, grid=grid, caption=caption, text_scale=REPORT_TEXT_SCALE
    )


def write_report(path: str | os.PathLike[str], pdf: bytes) -> None:
    """Save the PDF atomically (temp file, fsync, rename)."""
    atomic_write_bytes(path, pdf)


def load_session(
    session_dir: str | os.PathLike[str],
    settings: Settings | None = None,
    *,
    grid: bool = False,
    client: str | None = None,
    date: str | None = None,
    photos: bool = True,
) -> list[ReportView]:
    """Read, analyse (under ``settings``, default the shipped ones) and draw every view of ``session_dir`` for the report.

    Each photo is annotated as the report prints it
    (:func:`posture.report.annotate_for_report`, with ``grid``, ``client`` and
    ``date`` in its caption). ``photos=False`` reports the measurements without
    any photo (for sharing the numbers without the images).
    """
    out: list[ReportView] = []
    for view in session.read_session(session_dir, photos=photos):
        result = analyze(view.doc, settings)
        annotated = None
        if view.photo is not None:
            image = view.photo
            scale = render.display_scale_for(view.doc, image.shape[1], image.shape[0])
            annotated = annotate_for_report(image, view.doc, result, display_scale=scale, grid=grid, client=client, date=date)
        out.append((view.doc, result, annotated))
    return out
