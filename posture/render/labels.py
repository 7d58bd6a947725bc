"""Text on the photo: the bundled fonts, rendered label/legend/caption patches, and where labels go.

Text is drawn with Pillow and the bundled DejaVu Sans (OpenCV's ``putText``
is ASCII-only), so client names in any Latin, Greek or Cyrillic script
render. Rendered patches are cached, so a redraw after one landmark moved only
re-renders the labels whose text changed.

:class:`Placer` puts each label beside its point, at the first candidate
position that covers no other label (greedy, in the order labels are asked
for). Sizes and positions are output-image pixels.
"""

from __future__ import annotations

import math
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from posture.formatting import SEVERITY_LABELS
from posture.landmarks import VIEW_LABELS
from posture.result import SEVERITIES

from .palette import CALIBRATION_COLOR, GRID_SPACING_CM, PLUMB_COLOR, REFERENCE_COLOR, RGB, severity_color
from .primitives import Point, Rect, Sprite, Style, TextBox

_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
_BG = (22, 24, 28)  # labels' dark background

#: One line of a label: ``(text, size_px, bold)``.
Line = tuple[str, int, bool]


def font_path(bold: bool = False) -> str:
    """Path of the bundled DejaVu Sans TTF (``posture/data/fonts``)."""
    return str(resources.files("posture").joinpath("data/fonts", _FONT_FILES[bold]))


@lru_cache(maxsize=64)
def font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """The bundled DejaVu Sans at ``size_px`` (cached)."""
    return ImageFont.truetype(font_path(bold), size_px)


def caption_text(view: str, date: str | None = None, client: str | None = None) -> str:
    """The caption the CLI and the report put under an image: ``"Anterior (front) · 2025-03-14 · Name"``."""
    parts = [VIEW_LABELS.get(view, view)]
    parts += [p for p in (date, client) if p]
    return " · ".join(parts)


def _sprite(img: Image.Image) -> Sprite:
    return Sprite(np.asarray(img, dtype=np.uint8))


# --- text patches (cached) ------------------------------------------------------------


@lru_cache(maxsize=4096)
def label_patch(lines: tuple[Line, ...], bar: RGB | None, bg_alpha: int = 205) -> Sprite:
    """RGBA label: dark rounded box, optional severity bar on the left, one or more text lines.

    ``lines`` is ``((text, size_px, bold), ...)``; the first line is white,
    the others light grey.
    """
    fonts = [font(size, bold) for _, size, bold in lines]
    size0 = lines[0][1]
    pad_x = max(3, round(size0 * 0.45))
    pad_y = max(2, round(size0 * 0.25))
    bar_w = max(2, round(size0 * 0.28)) if bar is not None else 0
    widths = [math.ceil(f.getlength(t)) for f, (t, _, _) in zip(fonts, lines, strict=True)]
    heights = [sum(f.getmetrics()) for f in fonts]
    w = bar_w + 2 * pad_x + max(widths)
    h = 2 * pad_y + sum(heights)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    radius = max(2, round(size0 * 0.3))
    d.rounded_rectangle((0, 0, w - 1, h - 1), radius=radius, fill=(*_BG, bg_alpha))
    if bar is not None:
        d.rounded_rectangle((0, 0, bar_w + radius, h - 1), radius=radius, fill=(*bar, 255))
        d.rectangle((bar_w, 0, bar_w + radius, h - 1), fill=(*_BG, bg_alpha))
    y = pad_y
    for i, (f, (text, _, _)) in enumerate(zip(fonts, lines, strict=True)):
        d.text((bar_w + pad_x, y), text, font=f, fill=(250, 250, 250, 255) if i == 0 else (208, 210, 214, 255))
        y += heights[i]
    return _sprite(img)


@lru_cache(maxsize=16)
def legend_patch(font_px: int, grid: bool, calibration: bool = False) -> Sprite:
    """The legend: severity colours, plumb line, true horizontal (and the calibration marks and grid when shown)."""
    f = font(font_px)
    fb = font(font_px, True)
    line_h = round(sum(f.getmetrics()) * 1.15)
    pad = max(4, round(font_px * 0.6))
    sw = round(font_px * 1.8)  # swatch width
    rows: list[tuple[str, str, RGB]] = [("dot", SEVERITY_LABELS[s], severity_color(s)) for s in (*SEVERITIES, None)]
    rows += [("line", "Plumb line", PLUMB_COLOR), ("dash", "True horizontal", REFERENCE_COLOR)]
    if calibration:
        rows.append(("cross", "Calibration mark", CALIBRATION_COLOR))
    if grid:
        rows.append(("grid", f"Grid {GRID_SPACING_CM:g} cm", REFERENCE_COLOR))
    title = "Severity"
    text_w = max([math.ceil(f.getlength(t)) for _, t, _ in rows] + [math.ceil(fb.getlength(title)) - sw - pad // 2])
    w = 2 * pad + sw + pad // 2 + text_w
    h = 2 * pad + line_h * (len(rows) + 1)
    img = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(2, round(font_px * 0.35)), fill=(*_BG, 205))
    d.text((pad, pad), title, font=fb, fill=(250, 250, 250, 255))
    lw = max(1, round(font_px / 7))
    for i, (kind, text, color) in enumerate(rows, start=1):
        y = pad + i * line_h
        cy = y + line_h / 2 - 1
        x0, x1 = pad, pad + sw
        if kind == "dot":
            r = font_px * 0.36
            cx = (x0 + x1) / 2
            d.ellipse((cx - r - lw, cy - r - lw, cx + r + lw, cy + r + lw), fill=(255, 255, 255, 255))
            d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(*color, 255))
        elif kind == "line":
            d.line((x0, cy, x1, cy), fill=(*color, 255), width=lw + 1)
        elif kind == "cross":
            cx, r = (x0 + x1) / 2, font_px * 0.42
            d.line((cx - r, cy, cx + r, cy), fill=(*color, 255), width=lw + 1)
            d.line((cx, cy - r, cx, cy + r), fill=(*color, 255), width=lw + 1)
        elif kind == "dash":
            seg = sw / 5
            for k in (0, 2, 4):
                d.line((x0 + k * seg, cy, x0 + (k + 1) * seg, cy), fill=(*color, 255), width=lw)
        else:
            d.rectangle((x0, cy - sw / 3, x1, cy + sw / 3), outline=(*color, 160), width=1)
            d.line(((x0 + x1) / 2, cy - sw / 3, (x0 + x1) / 2, cy + sw / 3), fill=(*color, 160), width=1)
        d.text((x1 + pad // 2, y), text, font=f, fill=(235, 236, 238, 255))
    return _sprite(img)


@lru_cache(maxsize=64)
def caption_patch(text: str, width: int, font_px: int) -> Sprite:
    """A full-width translucent band with the caption text."""
    f = font(font_px)
    pad = max(3, round(font_px * 0.45))
    h = sum(f.getmetrics()) + 2 * pad
    img = Image.new("RGBA", (width, h), (*_BG, 190))
    d = ImageDraw.Draw(img)
    max_w = width - 2 * pad
    if f.getlength(text) > max_w:  # shorten with an ellipsis rather than spill
        while text and f.getlength(text + "…") > max_w:
            text = text[:-1]
        text += "…"
    d.text((pad, pad), text, font=f, fill=(250, 250, 250, 255))
    return _sprite(img)


# --- label placement ----------------------------------------------------------------


def _overlaps(cands: NDArray[np.float64], rects: NDArray[np.float64]) -> NDArray[np.float64]:
    """Total overlap area of each candidate rect ``(C, 4)`` with ``rects`` ``(R, 4)``, shape ``(C,)``."""
    if not len(rects):
        return np.zeros(len(cands))
    w = np.minimum(cands[:, None, 2], rects[None, :, 2]) - np.maximum(cands[:, None, 0], rects[None, :, 0])
    h = np.minimum(cands[:, None, 3], rects[None, :, 3]) - np.maximum(cands[:, None, 1], rects[None, :, 1])
    area: NDArray[np.float64] = (np.maximum(w, 0) * np.maximum(h, 0)).sum(axis=1)
    return area


class _Rects:
    """A growing ``(N, 4)`` array of rectangles ``(x0, y0, x1, y1)``."""

    def __init__(self) -> None:
        self._a: NDArray[np.float64] = np.empty((64, 4))
        self.n = 0

    def add(self, rect: Rect) -> None:
        if self.n == len(self._a):
            self._a = np.concatenate([self._a, np.empty_like(self._a)])
        self._a[self.n] = rect
        self.n += 1

    @property
    def array(self) -> NDArray[np.float64]:
        return self._a[: self.n]


class Placer:
    """Greedy label placement: the first candidate position that covers no other label.

    ``block`` a rectangle no label may cover (another label, the legend, the
    caption); ``avoid`` one labels keep off when they can (a dot, an arrow).
    """

    _STEPS = np.array([0.0, -0.6, 0.6, -1.2, 1.2, -1.8, 1.8, -2.4, 2.4, -3.2, 3.2, -4.0, 4.0])

    def __init__(self, width: int, height: int, style: Style):
        self.w, self.h, self.s = width, height, style
        self.hard, self.soft = _Rects(), _Rects()

    def block(self, rect: Rect) -> None:
        self.hard.add(rect)

    def avoid(self, rect: Rect) -> None:
        self.soft.add(rect)

    def place(self, anchor: Point, patch: Sprite, side: float, key: str = "") -> TextBox:
        """Place ``patch`` beside ``anchor``, preferring the ``side`` (+1 image-right, -1 left)."""
        bh, bw = patch.shape[:2]
        ax, ay = anchor
        gap = self.s.gap + self.s.dot_radius
        side = 1.0 if side >= 0 else -1.0
        n = len(self._STEPS)
        beside_y = ay - bh / 2 + self._STEPS * bh

        def x_beside(sd: float, dist: float) -> float:
            return ax + dist if sd > 0 else ax - dist - bw

        # candidates in order of preference: beside on the preferred side, a little further out, above/below,
        # on the other side, well out on the preferred side
        xs = np.repeat(
            [x_beside(side, gap), x_beside(side, gap + 3 * self.s.gap), ax - bw / 2, x_beside(-side, gap),
             x_beside(side, gap + 0.6 * bw + 6 * self.s.gap)],
            [n, n, 2, 7, n],
        )  # fmt: skip
        ys = np.concatenate([beside_y, beside_y, [ay - gap - bh, ay + gap], beside_y[:7], beside_y])
        rects = np.empty((len(xs), 4))
        rects[:, 0] = np.round(np.clip(xs, 0, max(0, self.w - bw)))
        rects[:, 1] = np.round(np.clip(ys, 0, max(0, self.h - bh)))
        rects[:, 2] = rects[:, 0] + bw
        rects[:, 3] = rects[:, 1] + bh
        cands = rects[:, :2]
        score = _overlaps(rects, self.hard.array) + 0.25 * _overlaps(rects, self.soft.array)
        free = np.flatnonzero(score < 1e-3)
        best = int(free[0]) if len(free) else int(np.argmin(score))  # argmin: the first of equals
        x0, y0 = int(cands[best, 0]), int(cands[best, 1])
        self.block((x0, y0, x0 + bw, y0 + bh))
        # a leader line when the box ended up away from its point
        nx, ny = min(max(ax, x0), x0 + bw), min(max(ay, y0), y0 + bh)
        leader = None
        if math.hypot(nx - ax, ny - ay) > gap * 1.6:
            leader = ((ax, ay), (nx, ny))
        return TextBox((x0, y0), patch, key, leader)
