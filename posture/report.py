"""The PDF report of a session: its layout and its wording (fpdf2, bundled DejaVu Sans so names in any script print).

:func:`build_report` turns analysed views into PDF bytes; it does no file I/O,
so the app can call it on what it holds in memory; :func:`annotate_for_report`
draws a photo as the report prints it, and :func:`write_report` saves the
bytes atomically; :func:`load_session` reads a session folder (the format is
:mod:`posture.session`'s), analyses and draws it for ``posture report``. What is ranked, referred and planned across the
views comes from :mod:`posture.findings`; this module only lays it out.

Contents: a header (client, date, notes, precautions), the key observations
of every view ranked together and any referral prompts; then per view the
annotated photo, the calibration used, its findings and a table of every
measurement (value ± uncertainty, unit, severity in its colour, band and its
source); the treatment-planning starter (NMT stages in order, by region); and
"How this was measured" (conventions, calibration, the limits of a 2-D photo,
not a diagnosis). Findings are phrased as observations to consider, never as
diagnoses.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from fpdf import FPDF, XPos, YPos
from fpdf.fonts import FontFace

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
from .render.palette import INK as _INK
from .result import Measurement, RankedFinding, Result, Severity
from .settings import Settings

__all__ = [
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
    "unprintable_characters",
    "write_report",
]

#: (document, result, annotated RGB image or None) for one view.
ReportView = tuple[ViewDocument, Result, np.ndarray | None]

PAPERS = {"a4": "A4", "letter": "Letter"}
#: Long side (px) of the annotated photos embedded in the PDF (≈ 330 dpi at the printed size).
EMBED_MAX_SIDE = 1500
#: Text size of the report's annotated photos relative to the screen's (they print about 15 cm tall).
REPORT_TEXT_SCALE = 1.35
_FAMILY = "DejaVu"

_MUTED = (100, 106, 115)
_RULE = (205, 210, 216)
_ACCENT = (28, 94, 140)
_HEAD_FILL = (234, 238, 242)


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


class _PDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(_FAMILY, "", 7.5)
        self.set_text_color(*_MUTED)
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")


def _embed_jpeg(image: np.ndarray) -> io.BytesIO:
    h, w = image.shape[:2]
    scale = min(1.0, EMBED_MAX_SIDE / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return io.BytesIO(images.encode_jpeg(image, quality=85))


class _Writer:
    def __init__(self, paper: str, client: str | None, date: str):
        fmt = PAPERS.get(paper.lower())
        if fmt is None:
            raise ReportError(f"Unknown paper size {paper!r}: use a4 or letter.")
        pdf = _PDF(orientation="P", unit="mm", format=fmt)
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=16)
        pdf.add_font(_FAMILY, "", render.font_path(False))
        pdf.add_font(_FAMILY, "B", render.font_path(True))
        pdf.set_creator("Posture")
        pdf.set_title("Postural assessment" + (f": {client}" if client else ""))
        pdf.footer_text = " · ".join(
            p for p in ("Postural assessment", client, date, "observations to consider, not a diagnosis") if p
        )
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = _INK) -> None:
        self.pdf.set_font(_FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def heading(self, text: str, size: float = 13.0, space: float = 3.0) -> None:
        pdf = self.pdf
        if pdf.get_y() > pdf.h - pdf.b_margin - 25:  # keep a heading with what follows
            pdf.add_page()
        pdf.ln(space)
        self.font(size, True, _ACCENT)
        pdf.cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*_ACCENT)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.l_margin + self.width, pdf.get_y() + 0.8)
        pdf.ln(2.5)

    def para(self, text: str, size: float = 9.5, color: tuple[int, int, int] = _INK, bold: bool = False, h: float = 4.6) -> None:
        self.font(size, bold, color)
        self._lines(self.pdf.w - self.pdf.r_margin - self.pdf.get_x(), h, text)

    def _lines(self, w: float, h: float, text: str) -> None:
        """``multi_cell`` for text that may wrap; a plain ``cell`` (no line breaking, which is slow in fpdf2) when it fits on one line."""
        pdf = self.pdf
        if "\n" not in text and pdf.get_string_width(text) <= w - 2 * pdf.c_margin:
            pdf.cell(w, h, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.multi_cell(w, h, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para_height(self, text: str, size: float = 9.5, indent: float = 0.0, h: float = 4.6) -> float:
        """Height (mm) :meth:`para` (or :meth:`bullet`, with its ``indent`` + 4) would take for ``text``, or a little more.

        Estimated from the text's width rather than by a dry run of
        ``multi_cell`` (fpdf2's line breaking is slow: a dry run per item
        doubled the time of a report). Word wrapping leaves at most about a
        word's width free per line, so the estimate allows 15 % of each line
        for it; it is only used to keep an item from being split across pages,
        where too much is harmless.
        """
        self.font(size)
        usable = self.width - indent - 2 * self.pdf.c_margin
        lines = sum(max(1, math.ceil(self.pdf.get_string_width(part) / (0.85 * usable))) for part in text.split("\n"))
        return lines * h

    def bullet(self, text: str, size: float = 9.5, indent: float = 3.0) -> None:
        pdf = self.pdf
        if pdf.get_y() + self.para_height(text, size, indent + 4) > pdf.h - pdf.b_margin:  # never split an item
            pdf.add_page()
        self.font(size)
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(4, 4.6, "•")
        self._lines(self.width - indent - 4, 4.6, text)

    def boxed(self, title: str, body: str, color: tuple[int, int, int]) -> None:
        """A text block with a coloured bar on the left."""
        pdf = self.pdf
        pdf.ln(1.5)
        y0 = pdf.get_y()
        pdf.set_x(pdf.l_margin + 4)
        self.font(9.5, True, color)
        pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_x(pdf.l_margin + 4)
        self.font(9.5)
        pdf.multi_cell(self.width - 4, 4.6, body, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        y1 = pdf.get_y()
        if pdf.page == pdf.pages_count and y1 > y0:
            pdf.set_fill_color(*color)
            pdf.rect(pdf.l_margin, y0, 1.6, y1 - y0, style="F")
        pdf.ln(1.5)

    def chip(self, severity: Severity | None, w: float = 20.0, h: float = 4.6, borderline: bool = False) -> None:
        color = render.severity_color(severity)
        self.pdf.set_fill_color(*color)
        self.font(8, True, render.text_color_on(color))
        self.pdf.cell(w, h, severity_label(severity, borderline), align="C", fill=True)


def _finding_rows(w: _Writer, found: Sequence[RankedFinding], with_view: bool) -> None:
    pdf = w.pdf
    for i, f in enumerate(found, 1):
        if pdf.get_y() > pdf.h - pdf.b_margin - 10:
            pdf.add_page()
        y = pdf.get_y()
        w.font(9.5, False, _MUTED)
        pdf.cell(7, 5, f"{i}.")
        w.chip(f["severity"], 21, 4.6)
        pdf.set_x(pdf.get_x() + 2)
        w.font(9.5)
        text = f["text"] + (f"  ({VIEW_LABELS[f['view']].split(' (')[0].lower()} view)" if with_view else "")
        pdf.multi_cell(w.width - 30, 4.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 5.5))


def _measurement_table(w: _Writer, result: Result) -> None:
    pdf = w.pdf
    relative = (50, 22, 10, 19, 27, 52)
    scale = w.width / sum(relative)
    widths = tuple(c * scale for c in relative)
    w.font(7.8)
    heading_style = FontFace(family=_FAMILY, emphasis="BOLD", size_pt=7.5, color=_INK, fill_color=_HEAD_FILL)
    with pdf.table(
        col_widths=widths,
        width=w.width,
        text_align=("LEFT", "RIGHT", "CENTER", "CENTER", "CENTER", "LEFT"),
        line_height=3.5,
        headings_style=heading_style,
        cell_fill_color=(255, 255, 255),
        cell_fill_mode="ALL",
        markdown=True,
        borders_layout="HORIZONTAL_LINES",
        padding=(0.9, 1.2, 0.9, 1.2),
        v_align="MIDDLE",
    ) as table:
        table.row(("Measurement", "Value ± SD", "Unit", "Severity", "Band: mild / moderate / marked", "Band source"))
        pdf.set_draw_color(*_RULE)
        for mid, m in result["measurements"].items():
            row = table.row()
            row.cell(f"**{_md(m['label'])}**\n{_md(m['direction'])}")
            row.cell(format_value(m, mid))
            row.cell(unit_symbol(m["unit"]))
            color = render.severity_color(m["severity"])
            row.cell(
                severity_label(m["severity"], m["borderline"]),
                style=FontFace(emphasis="BOLD", color=render.text_color_on(color), fill_color=color),
            )
            row.cell(format_band(mid, m))
            row.cell(_md(band_source(m, mid)), style=FontFace(size_pt=6.8, color=_MUTED))


def _label(view: str, mid: str) -> str:
    """The measurement's label (its id when the registry does not know it)."""
    try:
        return measurement_definition(view, mid).label
    except KeyError:
        return mid


def _md(text: str) -> str:
    """Escape fpdf2's markdown markers (``**``, ``__``, ``--``, ``~~``) in free text."""
    for mark in ("**", "__", "--", "~~"):
        text = text.replace(mark, mark[0] + "\u200b" + mark[1])
    return text


def _view_section(w: _Writer, doc: ViewDocument, result: Result, annotated: np.ndarray | None) -> None:
    pdf = w.pdf
    pdf.add_page()
    w.heading(f"{VIEW_LABELS[doc.view]} view", size=14, space=0)
    top = pdf.get_y()
    img_w = 0.0
    if annotated is not None:
        h, wpx = annotated.shape[:2]
        max_w, max_h = w.width * 0.62, 160.0
        img_w = min(max_w, max_h * wpx / h)
        img_h = img_w * h / wpx
        pdf.image(_embed_jpeg(annotated), x=pdf.l_margin, y=top, w=img_w, h=img_h, alt_text=f"Annotated {doc.view} photo")
        bottom = top + img_h
    else:
        w.para(
            "The photo of this view is not included in this report; the measurements below come from its landmarks.", 9, _MUTED
        )
        top = bottom = pdf.get_y() + 2  # the findings go below this line, full width
    col_x = pdf.l_margin + img_w + (5 if img_w else 0)
    col_w = w.width - img_w - (5 if img_w else 0)

    def col_text(text: str, size: float = 9.0, bold: bool = False, color: tuple[int, int, int] = _INK, h: float = 4.3) -> None:
        w.font(size, bold, color)
        pdf.set_x(col_x)
        pdf.multi_cell(col_w, h, text, align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)

    pdf.set_xy(col_x, top)
    col_text("Findings in this view", 10.5, True, _ACCENT, 5.5)
    found = result["findings"]
    if not found:
        col_text("No measurement outside its normal band.", 9, False, _MUTED)
    for f in found:
        y = pdf.get_y()
        pdf.set_x(col_x)
        w.chip(f["severity"], 19, 4.3)
        w.font(9)
        pdf.set_xy(col_x + 21, y)
        pdf.multi_cell(col_w - 21, 4.3, f["text"], align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + 4.8) + 0.8)
    pdf.ln(2)
    col_text("Calibration", 10.5, True, _ACCENT, 5.5)
    for line in calibration_lines(doc, result):
        col_text(line, 8.5, False, _INK, 4.1)
    if result["warnings"]:
        pdf.ln(1.5)
        col_text("Check", 10.5, True, render.SEVERITY_COLORS["moderate"], 5.5)
        for warn in result["warnings"]:
            col_text(warn, 8.5, False, _INK, 4.1)
    if doc.notes:
        pdf.ln(1.5)
        col_text("Notes", 10.5, True, _ACCENT, 5.5)
        col_text(doc.notes, 8.5)
    pdf.set_y(max(bottom, pdf.get_y()) + 4)
    pdf.set_x(pdf.l_margin)
    rows_mm = 12 + 10.5 * len(result["measurements"])  # generous: a split table reads badly
    if result["measurements"] and pdf.get_y() + rows_mm > pdf.h - pdf.b_margin:
        pdf.add_page()
        w.heading(f"{VIEW_LABELS[doc.view]} view: measurements", size=12, space=0)
    if result["measurements"]:
        _measurement_table(w, result)
        if any(m["borderline"] for m in result["measurements"].values()):
            w.para(
                "* borderline: within two uncertainties of a band edge, so the severity could be one step either way.",
                7.5,
                _MUTED,
                h=3.8,
            )
    if result["not_measured"]:
        pdf.ln(1)
        missing = "; ".join(f"{_label(doc.view, mid)} ({why})" for mid, why in result["not_measured"].items())
        w.para(f"Not measured: {missing}.", 7.5, _MUTED, h=3.8)


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
    which the treatment-planning starter of all views is drawn up. Raises
    :class:`ReportError` for an unknown paper, no views, or free text the
    bundled font cannot print (see :func:`unprintable_characters`), a
    practice's muscle patterns included.
    """
    if not views:
        raise ReportError("There is no view to report on.")
    check_printable("The client name", client)
    check_printable("The notes", notes)
    check_printable("The precautions", precautions)
    for doc, result, _ in views:
        check_printable(f"The notes of the {doc.view} view document", doc.notes)
        for mid, m in result["measurements"].items():
            band = m["band"]
            check_printable(f"The band source of {mid}", band["source"] if band else None)
    views = sorted(views, key=lambda v: VIEWS.index(v[0].view))
    results = [r for _, r, _ in views]
    plan = words.combined_plan(results, patterns)
    for stage in plan:
        for item in stage["items"]:
            check_printable("The treatment-planning starter (from the muscle patterns)", item)
    date = date or _dt.date.today().isoformat()
    w = _Writer(paper, client, date)
    pdf = w.pdf
    pdf.add_page()

    # --- header
    w.font(20, True, _INK)
    pdf.cell(0, 10, "Postural assessment", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    w.font(11, False, _MUTED)
    pdf.cell(0, 6, " · ".join(p for p in (client, date) if p), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(*_ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.l_margin + w.width, pdf.get_y() + 1.5)
    pdf.ln(5)
    w.font(9.5)
    views_text = ", ".join(VIEW_LABELS[d.view] for d, _, _ in views)
    w.para(f"Views assessed: {views_text}.")
    if settings_path:
        w.para(f"Grading bands: defaults with the practice settings in {Path(settings_path).name}.", 8.5, _MUTED)
    if precautions:
        w.boxed("Precautions", precautions, render.SEVERITY_COLORS["marked"])
    if notes:
        w.boxed("Notes", notes, _ACCENT)

    # --- key observations
    found = words.ranked_findings(results)
    w.heading("Key observations")
    counts = {s: sum(1 for f in found if f["severity"] == s) for s in ("marked", "moderate", "mild")}
    if found:
        summary = ", ".join(f"{n} {s}" for s, n in counts.items() if n)
        w.para(
            f"{len(found)} observation{'s' if len(found) != 1 else ''} outside the normal bands ({summary}), most important first:",
            9.5,
            _MUTED,
        )
        pdf.ln(1)
        _finding_rows(w, found, with_view=len(views) > 1)
    else:
        w.para("Every graded measurement lies within its normal band.", 9.5, _MUTED)
    referrals = words.all_referrals(results)
    w.heading("Referral prompts")
    if referrals:
        for r in referrals:
            w.boxed("Refer", r, render.SEVERITY_COLORS["marked"])
    else:
        w.para("None: nothing in these views calls for a referral outside massage scope.", 9.5, _MUTED)

    # --- views
    for doc, result, annotated in views:
        _view_section(w, doc, result, annotated)

    # --- plan
    pdf.add_page()
    w.heading("Treatment-planning starter", size=14, space=0)
    w.para(
        "Muscles commonly implicated in the observations above, grouped by region and ordered by the stages of "
        "neuromuscular therapy. Consider assessing them; this is a starting point for planning, not a prescription.",
        9,
        _MUTED,
    )
    if not plan:
        w.para("No observation outside the normal bands, so there is nothing to plan from these photos.", 9.5)
    for stage in plan:
        w.heading(f"Stage {stage['stage']}: {stage['title']}", size=10.5, space=2)
        for item in stage["items"]:
            w.bullet(item, 9)

    # --- how this was measured: on one page when it fits there, and no paragraph split from its title
    how = how_measured(views)
    calibration = [f"{VIEW_LABELS[doc.view]}: {calibration_summary(doc, result)}" for doc, result, _ in views]
    needed = 20 + sum(w.para_height(text, 9) + 7.5 for _, text in how) + 6 + sum(w.para_height(t, 8.5, 7) for t in calibration)
    if pdf.get_y() + needed > pdf.h - pdf.b_margin:
        pdf.add_page()
        w.heading("How this was measured", size=14, space=0)
    else:
        w.heading("How this was measured", size=14, space=6)
    for title, text in how:
        if pdf.get_y() + 6 + w.para_height(text, 9) > pdf.h - pdf.b_margin:
            pdf.add_page()
        w.para(title, 10, bold=True, color=_INK)
        w.para(text, 9)
        pdf.ln(1.5)
    w.para("Calibration used", 10, bold=True, color=_INK)
    for line in calibration:
        w.bullet(line, 8.5)
    return bytes(pdf.output())


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
