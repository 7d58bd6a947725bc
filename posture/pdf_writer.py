"""The PDF writer the report and the client handout share: page set-up, the bundled fonts, text, tables, chips.

fpdf2 (bundled DejaVu Sans, so names in any Latin, Greek or Cyrillic script
print). Two costs of fpdf2 are avoided here, because a report is made on every
save:

* **Fonts are parsed once per process**, not per document:
  :func:`_bundled_font` keeps one parsed copy of each bundled face, and every
  new document gets a clone of it (its widths and glyph map shared, its subset
  and a lazily opened font file of its own, since fpdf2 subsets the font in
  place when it writes the PDF).
* **Text is wrapped here** (:meth:`Writer.wrap`: greedy, word by word, each
  word measured once) and printed line by line with ``cell``; fpdf2's
  ``multi_cell`` and its tables measure each line again for every character
  added, which made the line breaking most of a report's time. Because the
  wrapping is ours, a block's height is known exactly before it is drawn
  (:meth:`Writer.text_height`), so layout decisions (keep a block on one page,
  shrink a photo to fill a page) measure rather than guess.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from fontTools import ttLib  # type: ignore[import-untyped]  # fpdf2's own dependency, which ships no type hints
from fpdf import FPDF, XPos, YPos
from fpdf.fonts import SubsetMap, TTFFont

from . import images, render
from .errors import ReportError
from .formatting import severity_label
from .render.palette import INK
from .result import Severity

__all__ = ["ACCENT", "EMBED_MAX_SIDE", "HEAD_FILL", "INK", "MUTED", "PAPERS", "RULE", "Cell", "Writer", "embed_jpeg"]

PAPERS = {"a4": "A4", "letter": "Letter"}
#: Long side (px) of the annotated photos embedded in the PDF (≈ 330 dpi at the printed size).
EMBED_MAX_SIDE = 1500
FAMILY = "DejaVu"

MUTED = (100, 106, 115)
RULE = (205, 210, 216)
ACCENT = (28, 94, 140)
HEAD_FILL = (234, 238, 242)
WHITE = (255, 255, 255)


# --- the bundled fonts, parsed once per process ---------------------------------------------


#: Tables of the bundled font a PDF never uses (text is placed glyph by glyph: no shaping, kerning or maths
#: layout); fpdf2 drops the OpenType ones from its subset anyway, and reading them was most of the subsetting time.
_UNUSED_TABLES = ("GDEF", "GPOS", "GSUB", "MATH", "FFTM", "kern", "hdmx", "LTSH", "VDMX")


@lru_cache(maxsize=2)
def _bundled_font(bold: bool) -> tuple[TTFFont, bytes]:
    """The parsed bundled face (fpdf2's ``TTFFont``, never used in a document itself) and the font file to subset
    for each document: the bundled one without :data:`_UNUSED_TABLES` (the glyphs, their ids and widths unchanged)."""
    path = render.font_path(bold)
    scratch = FPDF()
    scratch.add_font(FAMILY, "B" if bold else "", path)
    with ttLib.TTFont(path, recalcTimestamp=False) as full:
        for tag in _UNUSED_TABLES:
            if tag in full:
                del full[tag]
        out = io.BytesIO()
        full.save(out)
    template = scratch.fonts[f"{FAMILY.lower()}{'B' if bold else ''}"]
    assert isinstance(template, TTFFont)
    return template, out.getvalue()


def _clone_font(template: TTFFont, data: bytes, index: int) -> TTFFont:
    """A font for one document: ``template``'s metrics shared, its own subset, and its own copy of the font file to
    subset (fpdf2 subsets the ``ttfont`` in place on output)."""
    font = TTFFont.__new__(TTFFont)
    for slot in TTFFont.__slots__:
        if hasattr(template, slot):
            setattr(font, slot, getattr(template, slot))
    font.i = index
    font.cw = copy.copy(template.cw)  # a defaultdict: reading an unknown character adds it
    font.glyph_ids = dict(template.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font._hbfont = None
    font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
    font.subset = SubsetMap(font)
    return font


def _add_bundled_fonts(pdf: FPDF) -> None:
    for bold in (False, True):
        style = "B" if bold else ""
        template, data = _bundled_font(bold)
        pdf.fonts[f"{FAMILY.lower()}{style}"] = _clone_font(template, data, len(pdf.fonts) + 1)


# --- the page -------------------------------------------------------------------------------


class _PDF(FPDF):
    footer_left = ""
    footer_right = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, "", 7.5)
        self.set_text_color(*MUTED)
        self.set_draw_color(*RULE)
        self.set_line_width(0.2)
        self.line(self.l_margin, self.get_y() - 1.5, self.w - self.r_margin, self.get_y() - 1.5)
        self.cell(0, 4, self.footer_left, align="L")
        self.set_x(self.l_margin)
        right = " · ".join(p for p in (self.footer_right, f"Page {self.page_no()} of {{nb}}") if p)
        self.cell(0, 4, right, align="R")


def embed_jpeg(image: np.ndarray) -> io.BytesIO:
    """``image`` (RGB) as the JPEG the PDF embeds: at most :data:`EMBED_MAX_SIDE` px, quality 85.

    fpdf2 embeds JPEG bytes as they are (no re-encoding) and only once per
    document however often the same bytes are placed, so encode once and
    place the result wherever the photo appears.
    """
    h, w = image.shape[:2]
    scale = min(1.0, EMBED_MAX_SIDE / max(h, w))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    return io.BytesIO(images.encode_jpeg(image, quality=85))


@dataclass(frozen=True)
class Cell:
    """One table cell: its text (``sub`` below it, not bold), the colours, and how it is aligned."""

    text: str
    bold: bool = False
    size: float = 7.8
    color: tuple[int, int, int] = INK
    fill: tuple[int, int, int] | None = None
    sub: str = ""


class Writer:
    """A document being written: one :class:`fpdf.FPDF` with the house style (sizes in mm, fonts in pt)."""

    def __init__(self, paper: str, title: str, footer_left: str, footer_right: str = ""):
        fmt = PAPERS.get(paper.lower())
        if fmt is None:
            raise ReportError(f"Unknown paper size {paper!r}: use a4 or letter.")
        pdf = _PDF(orientation="P", unit="mm", format=fmt)
        pdf.set_margins(15, 15, 15)
        pdf.set_auto_page_break(True, margin=16)
        _add_bundled_fonts(pdf)
        pdf.set_creator("Posture")
        pdf.set_title(title)
        pdf.footer_left = footer_left
        pdf.footer_right = footer_right
        self.pdf = pdf
        self.width = pdf.w - pdf.l_margin - pdf.r_margin

    # --- measuring

    @property
    def bottom(self) -> float:
        """The lowest y (mm) text may reach on a page."""
        return self.pdf.h - self.pdf.b_margin

    @property
    def room(self) -> float:
        """What is left of the current page (mm)."""
        return self.bottom - self.pdf.get_y()

    @property
    def page_height(self) -> float:
        """The height (mm) a page holds between its margins."""
        return self.bottom - self.pdf.t_margin

    def font(self, size: float, bold: bool = False, color: tuple[int, int, int] = INK) -> None:
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def measure(self, size: float, bold: bool = False) -> Callable[[str], float]:
        """A function giving the width (mm) of a text at ``size`` pt: the bundled face's advance widths summed, as
        fpdf2's ``get_string_width`` does without text shaping, but without its per-call set-up."""
        font = self.pdf.fonts[f"{FAMILY.lower()}{'B' if bold else ''}"]
        assert isinstance(font, TTFFont)
        scale = size / self.pdf.k / 1000.0
        get: Callable[[int], float] = font.cw.__getitem__

        def width(text: str) -> float:
            return sum(map(get, map(ord, text))) * scale

        return width

    def wrap(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        """``text`` broken into lines that fit ``width`` mm at ``size`` pt (its own line breaks kept; a word longer than
        a line is cut). Leaves the font set to ``size``/``bold`` (the colour as it was)."""
        self.pdf.set_font(FAMILY, "B" if bold else "", size)
        measure = self.measure(size, bold)
        space = measure(" ")
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line, line_w = "", 0.0
            for word in paragraph.split(" "):
                word_w = measure(word)
                if line and line_w + space + word_w <= width:
                    line, line_w = f"{line} {word}", line_w + space + word_w
                    continue
                if line:
                    lines.append(line)
                while word_w > width and len(word) > 1:  # a word longer than the line: cut it
                    cut = max(1, int(len(word) * width / word_w))
                    while cut > 1 and measure(word[:cut]) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                    word_w = measure(word)
                line, line_w = word, word_w
            lines.append(line)
        return lines

    def text_height(self, text: str, width: float, size: float = 9.5, h: float = 4.6, bold: bool = False) -> float:
        """The height (mm) :meth:`text` takes for ``text`` in ``width`` mm: exact, the same wrapping."""
        return len(self.wrap(text, width - 2 * self.pdf.c_margin, size, bold)) * h

    # --- drawing

    def text(
        self,
        text: str,
        x: float | None = None,
        width: float | None = None,
        size: float = 9.5,
        bold: bool = False,
        color: tuple[int, int, int] = INK,
        h: float = 4.6,
        align: str = "L",
    ) -> None:
        """``text`` wrapped into ``width`` mm (default: to the right margin) from ``x`` (default: the current x), from
        the current y down; the cursor ends at ``x`` below it."""
        pdf = self.pdf
        x = pdf.get_x() if x is None else x
        width = pdf.w - pdf.r_margin - x if width is None else width
        lines = self.wrap(text, width - 2 * pdf.c_margin, size, bold)
        self.font(size, bold, color)
        measure = self.measure(size, bold)
        for line in lines:
            if pdf.get_y() + h > pdf.page_break_trigger:
                pdf.add_page()
            self.line(line, x, pdf.get_y(), width, h, align, measure)
            pdf.set_y(pdf.get_y() + h)
        pdf.set_x(x)

    def line(self, text: str, x: float, y: float, width: float, h: float, align: str, measure: Callable[[str], float]) -> None:
        """One line of text in the box ``x, y, width, h`` placed as fpdf2's ``cell`` places it (inner margin, the
        baseline 0.3 em below the middle), drawn with the much cheaper ``text``; the font is already set."""
        pdf = self.pdf
        if not text:
            return
        if align == "L":
            dx = pdf.c_margin
        else:
            free = width - measure(text)
            dx = free / 2 if align == "C" else free - pdf.c_margin
        pdf.text(x + dx, y + 0.5 * h + 0.3 * pdf.font_size, text)

    def para(self, text: str, size: float = 9.5, color: tuple[int, int, int] = INK, bold: bool = False, h: float = 4.6) -> None:
        """A paragraph from the left margin, full width."""
        self.text(text, self.pdf.l_margin, self.width, size, bold, color, h)

    def keep(self, height: float) -> None:
        """Start a new page unless ``height`` mm still fit on this one."""
        if height > self.room:
            self.pdf.add_page()

    def heading(self, text: str, size: float = 13.0, space: float = 3.0, keep: float = 25.0) -> None:
        """A title with a rule under it, kept with the ``keep`` mm that follow."""
        pdf = self.pdf
        self.keep(space + size * 0.5 + 3.3 + keep)
        if pdf.get_y() > pdf.t_margin + 0.1:
            pdf.ln(space)
        self.font(size, True, ACCENT)
        pdf.set_x(pdf.l_margin)
        pdf.cell(0, size * 0.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.3)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.l_margin + self.width, pdf.get_y() + 0.8)
        pdf.ln(2.5)

    def bullet(self, text: str, size: float = 9.5, indent: float = 3.0, color: tuple[int, int, int] = INK) -> None:
        """A bullet item, never split across pages."""
        pdf = self.pdf
        self.keep(self.text_height(text, self.width - indent - 4, size))
        self.font(size, False, color)
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(4, 4.6, "•")
        self.text(text, pdf.l_margin + indent + 4, self.width - indent - 4, size, color=color)
        pdf.set_x(pdf.l_margin)

    def boxed(self, title: str, body: str, color: tuple[int, int, int]) -> None:
        """A text block with a coloured bar on the left, kept on one page."""
        pdf = self.pdf
        self.keep(3 + 5 + self.text_height(body, self.width - 4))
        pdf.ln(1.5)
        y0 = pdf.get_y()
        pdf.set_x(pdf.l_margin + 4)
        self.font(9.5, True, color)
        pdf.cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.text(body, pdf.l_margin + 4, self.width - 4)
        pdf.set_fill_color(*color)
        pdf.rect(pdf.l_margin, y0, 1.6, pdf.get_y() - y0, style="F")
        pdf.set_x(pdf.l_margin)
        pdf.ln(1.5)

    def chip(self, severity: Severity | None, w: float = 20.0, h: float = 4.6, borderline: bool = False) -> None:
        """The severity as a coloured label at the cursor."""
        color = render.severity_color(severity)
        self.pdf.set_fill_color(*color)
        self.font(8, True, render.text_color_on(color))
        self.pdf.cell(w, h, severity_label(severity, borderline), align="C", fill=True)

    def table(
        self,
        widths: Sequence[float],
        aligns: Sequence[str],
        heading: Sequence[str],
        rows: Sequence[Sequence[Cell]],
        line_h: float = 3.5,
        pad: tuple[float, float] = (0.9, 1.2),
        title: str = "",
    ) -> None:
        """A table with rules between rows; a row is never split, and on a new page ``title`` (a small heading) and the
        heading row are repeated."""
        pdf = self.pdf
        pad_y, pad_x = pad
        head = [Cell(t, bold=True, size=7.5, fill=HEAD_FILL) for t in heading]

        def layout(row: Sequence[Cell]) -> tuple[list[tuple[list[str], list[str]]], float]:
            cells = []
            for c, w in zip(row, widths, strict=True):
                usable = w - 2 * pad_x
                main = self.wrap(c.text, usable, c.size, c.bold) if c.text else []
                sub = self.wrap(c.sub, usable, c.size) if c.sub else []
                cells.append((main, sub))
            lines = max(len(m) + len(s) for m, s in cells)
            return cells, lines * line_h + 2 * pad_y

        def draw(row: Sequence[Cell], cells: list[tuple[list[str], list[str]]], height: float) -> None:
            x, y = pdf.l_margin, pdf.get_y()
            for c, w, align, (main, sub) in zip(row, widths, aligns, cells, strict=True):
                if c.fill is not None:
                    pdf.set_fill_color(*c.fill)
                    pdf.rect(x, y, w, height, style="F")
                ty = y + (height - (len(main) + len(sub)) * line_h) / 2
                for lines, bold in ((main, c.bold), (sub, False)):
                    self.font(c.size, bold, c.color)
                    measure = self.measure(c.size, bold)
                    for line in lines:
                        self.line(line, x + pad_x - pdf.c_margin, ty, w - 2 * pad_x + 2 * pdf.c_margin, line_h, align, measure)
                        ty += line_h
                x += w
            pdf.set_draw_color(*RULE)
            pdf.set_line_width(0.2)
            pdf.line(pdf.l_margin, y + height, pdf.l_margin + sum(widths), y + height)
            pdf.set_xy(pdf.l_margin, y + height)

        def new_page() -> None:
            pdf.add_page()
            if title:
                self.heading(title, size=12, space=0, keep=0)

        head_cells, head_h = layout(head)
        laid = [layout(r) for r in rows]
        if head_h + (laid[0][1] if laid else 0.0) > self.room:
            new_page()
        draw(head, head_cells, head_h)
        for row, (cells, height) in zip(rows, laid, strict=True):
            if height > self.room:
                new_page()
                draw(head, head_cells, head_h)
            draw(row, cells, height)
