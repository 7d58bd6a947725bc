"""Annotated photos: the analysis drawn over the client's photo (OpenCV + bundled DejaVu text).

Two steps, so the geometry is testable without pixels:

* :func:`build_overlay` works out *where* everything goes, in the output
  image's pixels: the plumb line, true-horizontal references at each
  bilateral pair, plumb-line offsets as arrows, the CVA with its arc, the
  joint chains, the landmark dots and every label (placed so that labels do
  not cover each other). It returns an :class:`Overlay` of plain primitives.
* :func:`paint` draws an :class:`Overlay` onto a **new** copy of an image.

:func:`render_annotated` does both and is what the app and the CLI call.

Coordinates: documents and results are in *original-image* pixels (x right,
y down). ``display_scale`` says the image handed in is a resized copy, with
``display px = original px * display_scale`` (what
:func:`posture.images.display_copy` returns), so the app can redraw on its
~1400 px display copy on every click and render the full-resolution image
only when it saves. Line widths and text sizes follow the *output* image's
size (its long side / 1000 is the unit), so an annotation reads the same at
12 MP and at 1000 px.

Colours encode severity, the same everywhere (the report uses
:data:`SEVERITY_COLORS` too): normal green, mild amber, moderate orange,
marked red, not graded grey. A landmark dot takes the worst severity of the
measurements it takes part in.

Text is drawn with Pillow and the bundled DejaVu Sans (OpenCV's ``putText``
is ASCII-only), so client names in any Latin, Greek or Cyrillic script
render. Rendered labels are cached, so a redraw after one landmark moved only
re-renders the labels whose text changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from .document import ViewDocument
from .errors import ImageError
from .formatting import SEVERITY_LABELS, format_number
from .frame import PLUMB_LANDMARKS
from .landmarks import LATERAL_VIEWS, VIEW_LABELS
from .measurements import definition as measurement_definition
from .result import worst_severity

RGB = tuple[int, int, int]
Point = tuple[float, float]

#: Severity → RGB colour (``None`` = not graded).
SEVERITY_COLORS: dict[str | None, RGB] = {
    "normal": (46, 160, 67),
    "mild": (245, 190, 20),
    "moderate": (243, 118, 18),
    "marked": (213, 36, 36),
    None: (150, 150, 150),
}

PLUMB_COLOR: RGB = (40, 190, 235)
REFERENCE_COLOR: RGB = (250, 250, 250)
HALO_COLOR: RGB = (20, 20, 24)
CALIBRATION_COLOR: RGB = (40, 190, 235)
GRID_ALPHA = 0.35
GRID_SPACING_CM = 10.0

_SUBPIX = 4  # OpenCV fixed-point bits: coordinates are drawn to 1/16 px
_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


def severity_color(severity: str | None) -> RGB:
    """The RGB colour of a severity (``None`` or unknown = not graded, grey)."""
    return SEVERITY_COLORS.get(severity, SEVERITY_COLORS[None])


def font_path(bold: bool = False) -> str:
    """Path of the bundled DejaVu Sans TTF (``posture/data/fonts``)."""
    return str(resources.files("posture").joinpath("data/fonts", _FONT_FILES[bold]))


@lru_cache(maxsize=64)
def _font(size_px: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_path(bold), size_px)


def display_scale_for(doc: ViewDocument, width: int, height: int) -> float:
    """The ``display_scale`` at which a ``width × height`` photo shows ``doc``.

    1.0 when the document gives no size or the same size; the ratio when the
    photo is a resized copy (same aspect within 1 %). Raises
    :class:`~posture.errors.ImageError` when the photo cannot be the
    document's (a different aspect ratio: probably another photo, or rotated).
    """
    if doc.image_width is None or doc.image_height is None:
        return 1.0
    sx, sy = width / doc.image_width, height / doc.image_height
    if abs(sx - sy) > 0.01 * max(sx, sy):
        raise ImageError(
            f"The photo is {width}×{height} px but the view document was placed on a "
            f"{doc.image_width:g}×{doc.image_height:g} px photo: is it the right photo, the right way up?"
        )
    return sx


def caption_text(view: str, date: str | None = None, client: str | None = None) -> str:
    """The caption the CLI and the report put under an image: ``"Anterior (front) · 2025-03-14 · Name"``."""
    parts = [VIEW_LABELS.get(view, view)]
    parts += [p for p in (date, client) if p]
    return " · ".join(parts)


# --- sizes ------------------------------------------------------------------------


@dataclass(frozen=True)
class Style:
    """Sizes in output pixels, derived from the output image's long side (``u`` = long side / 1000)."""

    u: float
    line: int
    thin: int
    dot_radius: float
    font: int
    small_font: int
    gap: float

    @classmethod
    def for_size(cls, width: int, height: int, text_scale: float = 1.0) -> Style:
        u = max(width, height) / 1000.0
        return cls(
            u=u,
            line=max(1, round(1.8 * u)),
            thin=max(1, round(1.0 * u)),
            dot_radius=max(2.5, 4.6 * u),
            font=max(9, round(13.0 * u * text_scale)),
            small_font=max(8, round(10.5 * u * text_scale)),
            gap=max(3.0, 7.0 * u),
        )


# --- primitives -------------------------------------------------------------------


@dataclass(frozen=True)
class Stroke:
    """An open polyline (or a closed filled polygon when ``fill``), ``points`` shape ``(N, 2)`` in output px."""

    points: np.ndarray
    color: RGB
    width: int
    halo: bool = True
    fill: bool = False


@dataclass(frozen=True)
class Dot:
    """A landmark dot: centre in output px, its landmark id and the severity that colours it."""

    landmark: str
    center: Point
    radius: float
    severity: str | None

    @property
    def color(self) -> RGB:
        return severity_color(self.severity)


class Sprite:
    """A rendered RGBA label and what blending it needs (``rgb``, ``alpha`` and ``1 - alpha`` as float32)."""

    __slots__ = ("rgba", "rgb", "alpha", "inverse")

    def __init__(self, rgba: np.ndarray):
        self.rgba = rgba
        self.rgb = np.ascontiguousarray(rgba[..., :3])
        self.alpha = rgba[..., 3].astype(np.float32) / 255.0
        self.inverse = 1.0 - self.alpha

    @property
    def shape(self) -> tuple[int, ...]:
        return self.rgba.shape


@dataclass(frozen=True)
class TextBox:
    """A rendered label (``patch``) whose top-left corner goes at ``origin`` (output px).

    ``leader`` is a thin line from the annotated point to the box, when the box
    had to move away from it.
    """

    origin: tuple[int, int]
    patch: Sprite = field(repr=False)
    key: str = ""
    leader: tuple[Point, Point] | None = None

    @property
    def rect(self) -> tuple[int, int, int, int]:
        """``(x0, y0, x1, y1)`` in output px."""
        x, y = self.origin
        return (x, y, x + self.patch.shape[1], y + self.patch.shape[0])


@dataclass
class Overlay:
    """Everything to draw on one image, in the output image's pixels, in drawing order."""

    width: int
    height: int
    style: Style
    grid: list[np.ndarray] = field(default_factory=list)  # (2, 2) segments
    strokes: list[Stroke] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    texts: list[TextBox] = field(default_factory=list)

    def dot(self, landmark_id: str) -> Dot | None:
        return next((d for d in self.dots if d.landmark == landmark_id), None)


# --- text patches (cached) ------------------------------------------------------------

_BG = (22, 24, 28)


@lru_cache(maxsize=4096)
def _label_patch(lines: tuple[tuple[str, int, bool], ...], bar: RGB | None, bg_alpha: int = 205) -> Sprite:
    """RGBA label: dark rounded box, optional severity bar on the left, one or more text lines.

    ``lines`` is ``((text, size_px, bold), ...)``; the first line is white,
    the others light grey.
    """
    fonts = [_font(size, bold) for _, size, bold in lines]
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
    return Sprite(np.asarray(img, dtype=np.uint8))


@lru_cache(maxsize=16)
def _legend_patch(font_px: int, grid: bool, calibration: bool = False) -> Sprite:
    """The legend: severity colours, plumb line, true horizontal (and the calibration marks and grid when shown)."""
    f = _font(font_px)
    fb = _font(font_px, True)
    line_h = round(sum(f.getmetrics()) * 1.15)
    pad = max(4, round(font_px * 0.6))
    sw = round(font_px * 1.8)  # swatch width
    rows: list[tuple[str, str, Any]] = [("dot", SEVERITY_LABELS[s], severity_color(s)) for s in SEVERITY_COLORS]
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
    return Sprite(np.asarray(img, dtype=np.uint8))


@lru_cache(maxsize=64)
def _caption_patch(text: str, width: int, font_px: int) -> Sprite:
    """A full-width translucent band with the caption text."""
    f = _font(font_px)
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
    return Sprite(np.asarray(img, dtype=np.uint8))


# --- label placement ----------------------------------------------------------------


def _overlaps(cands: np.ndarray, rects: np.ndarray) -> np.ndarray:
    """Total overlap area of each candidate rect ``(C, 4)`` with ``rects`` ``(R, 4)``, shape ``(C,)``."""
    if not len(rects):
        return np.zeros(len(cands))
    w = np.minimum(cands[:, None, 2], rects[None, :, 2]) - np.maximum(cands[:, None, 0], rects[None, :, 0])
    h = np.minimum(cands[:, None, 3], rects[None, :, 3]) - np.maximum(cands[:, None, 1], rects[None, :, 1])
    return (np.maximum(w, 0) * np.maximum(h, 0)).sum(axis=1)


class _Rects:
    """A growing ``(N, 4)`` array of rectangles ``(x0, y0, x1, y1)``."""

    def __init__(self) -> None:
        self._a = np.empty((64, 4))
        self.n = 0

    def add(self, rect: tuple[float, float, float, float]) -> None:
        if self.n == len(self._a):
            self._a = np.concatenate([self._a, np.empty_like(self._a)])
        self._a[self.n] = rect
        self.n += 1

    @property
    def array(self) -> np.ndarray:
        return self._a[: self.n]


class _Placer:
    """Greedy label placement: the first candidate position that covers no other label."""

    _STEPS = np.array([0.0, -0.6, 0.6, -1.2, 1.2, -1.8, 1.8, -2.4, 2.4, -3.2, 3.2, -4.0, 4.0])

    def __init__(self, width: int, height: int, style: Style):
        self.w, self.h, self.s = width, height, style
        self.hard, self.soft = _Rects(), _Rects()

    def block(self, rect: tuple[float, float, float, float]) -> None:
        self.hard.add(rect)

    def avoid(self, rect: tuple[float, float, float, float]) -> None:
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


# --- geometry helpers -------------------------------------------------------------


def _dashes(p1: np.ndarray, p2: np.ndarray, dash: float, gap: float) -> list[np.ndarray]:
    """Dash segments along p1→p2, each ``(2, 2)``."""
    d = p2 - p1
    length = float(np.hypot(*d))
    if length == 0:
        return []
    unit = d / length
    out = []
    t = 0.0
    while t < length:
        out.append(np.array([p1 + unit * t, p1 + unit * min(t + dash, length)]))
        t += dash + gap
    return out


def _clip_line(p: np.ndarray, direction: np.ndarray, w: int, h: int) -> np.ndarray | None:
    """The segment of the infinite line ``p + t·direction`` inside the ``w × h`` image, ``(2, 2)``."""
    ts = []
    for axis, size in ((0, w), (1, h)):
        if abs(direction[axis]) > 1e-12:
            ts += [(0 - p[axis]) / direction[axis], (size - p[axis]) / direction[axis]]
    pts = [p + t * direction for t in ts]
    inside = [q for q in pts if -1e-6 <= q[0] <= w + 1e-6 and -1e-6 <= q[1] <= h + 1e-6]
    if len(inside) < 2:
        return None
    inside.sort(key=lambda q: float(np.dot(q - p, direction)))
    return np.array([inside[0], inside[-1]])


def _arrow_head(tail: np.ndarray, tip: np.ndarray, size: float) -> np.ndarray:
    d = tip - tail
    n = float(np.hypot(*d))
    if n == 0:
        return np.array([tip, tip, tip])
    d = d / n
    perp = np.array([-d[1], d[0]])
    base = tip - d * size
    return np.array([tip, base + perp * size * 0.45, base - perp * size * 0.45])


# --- what each view draws ----------------------------------------------------------

#: (tilt measurement, height-difference measurement or None, right landmark, left landmark, title)
_PAIRS: dict[str, tuple[tuple[str, str | None, str, str, str], ...]] = {
    "anterior": (
        ("head_tilt", None, "tragus_r", "tragus_l", "Head tilt"),
        ("shoulder_tilt", "shoulder_height_diff", "acromion_r", "acromion_l", "Shoulders"),
        ("pelvic_obliquity", "pelvic_height_diff", "asis_r", "asis_l", "Pelvis"),
        ("tibial_tuberosity_tilt", None, "tibial_tuberosity_r", "tibial_tuberosity_l", "Tibial tuberosities"),
    ),
    "posterior": (
        ("head_tilt", None, "tragus_r", "tragus_l", "Head tilt"),
        ("shoulder_tilt", "shoulder_height_diff", "acromion_r", "acromion_l", "Shoulders"),
        ("scapula_tilt", None, "scapula_inferior_angle_r", "scapula_inferior_angle_l", "Scapulae"),
        ("pelvic_obliquity", "pelvic_height_diff", "psis_r", "psis_l", "Pelvis"),
    ),
}

#: (offset measurement, landmark ids whose midpoint is the point, title)
_OFFSETS: dict[str, tuple[tuple[str, tuple[str, ...], str], ...]] = {
    "anterior": (
        ("head_shift", ("glabella",), "Head shift"),
        ("trunk_shift", ("sternal_notch",), "Trunk shift"),
        ("pelvic_shift", ("asis_r", "asis_l"), "Pelvic shift"),
    ),
    "posterior": (("trunk_shift", ("c7",), "Trunk shift"),),
    "lateral": (
        ("ear_plumb_offset", ("tragus",), "Ear"),
        ("shoulder_plumb_offset", ("acromion",), "Shoulder"),
        ("hip_plumb_offset", ("greater_trochanter",), "Hip"),
        ("knee_plumb_offset", ("knee",), "Knee"),
    ),
}

#: The spinal levels ``spine_deviation`` searches (spec §4), top down.
_SPINE_LEVELS = ("t3", "t7", "t12", "l3")

#: Short landmark labels: paired ones get "R "/"L " in front.
_SHORT = {
    "glabella": "Glabella",
    "tragus": "tragus",
    "acromion": "acromion",
    "sternal_notch": "Sternal notch",
    "asis": "ASIS",
    "psis": "PSIS",
    "greater_trochanter": "trochanter",
    "patella": "patella",
    "knee_lateral": "knee (lat.)",
    "tibial_tuberosity": "tib. tuberosity",
    "lateral_malleolus": "lat. malleolus",
    "medial_malleolus": "med. malleolus",
    "scapula_inferior_angle": "scapula angle",
    "leg_midline": "mid-calf",
    "achilles": "Achilles",
    "calcaneus": "heel",
    "eye_canthus": "Eye",
    "knee": "Knee",
    "c7": "C7",
    "t3": "T3",
    "t7": "T7",
    "t12": "T12",
    "l3": "L3",
    "s1": "S1",
}
_SHORT_LATERAL = {
    "tragus": "Tragus",
    "acromion": "Acromion",
    "greater_trochanter": "Trochanter",
    "lateral_malleolus": "Lat. malleolus",
}


def short_label(landmark_id: str) -> str:
    """The short label drawn next to a landmark dot: ``"acromion_r"`` → ``"R acromion"``, ``"c7"`` → ``"C7"``."""
    if landmark_id.endswith(("_r", "_l")):
        return f"{landmark_id[-1].upper()} {_SHORT.get(landmark_id[:-2], landmark_id[:-2])}"
    return _SHORT_LATERAL.get(landmark_id) or _SHORT.get(landmark_id, landmark_id)


def _wrap_direction(text: str) -> list[str]:
    """Direction words on one or two lines (split at the comma when long)."""
    if len(text) > 30 and ", " in text:
        a, b = text.split(", ", 1)
        return [a, b]
    return [text]


def _measured_landmarks(view: str, mid: str, used: Sequence[str], anchors: set[str]) -> list[str]:
    """The landmarks a measurement is *about*: those it uses, minus the plumb anchor it is measured from."""
    try:
        uses_plumb = measurement_definition(view, mid).uses_plumb
        own = set(measurement_definition(view, mid).landmarks)
    except KeyError:
        return list(used)
    if not uses_plumb:
        return list(used)
    return [i for i in used if i not in anchors or i in own]


class _Builder:
    def __init__(self, doc: ViewDocument, result: dict[str, Any], w: int, h: int, scale: float, style: Style):
        self.doc, self.result, self.w, self.h, self.k, self.s = doc, result, w, h, scale, style
        self.m: dict[str, dict[str, Any]] = result.get("measurements", {})
        roll = math.radians(float(result.get("vertical_roll_deg") or 0.0))
        self.up = np.array([math.sin(roll), -math.cos(roll)])  # true "up" in image px
        self.horiz = np.array([math.cos(roll), math.sin(roll)])  # true horizontal (+X) in image px
        self.pts = {i: np.array(lm.xy, float) * scale for i, lm in doc.landmarks.items()}
        self.ov = Overlay(w, h, style)
        self.placer = _Placer(w, h, style)
        self.labels: list[tuple[Point, np.ndarray, float, str]] = []
        # which image side is the client's right (frontal) / anterior (lateral)
        self.lateral = doc.view in LATERAL_VIEWS
        if self.lateral:
            facing = result.get("facing") or doc.effective_facing or "right"
            self.front = 1.0 if facing == "right" else -1.0
            self.right_side = self.front
        else:
            rs = [self.pts[i][0] - self.pts[i[:-2] + "_l"][0] for i in self.pts if i.endswith("_r") and i[:-2] + "_l" in self.pts]
            mean = float(np.mean(rs)) if rs else 0.0
            self.right_side = math.copysign(1.0, mean) if mean else (-1.0 if doc.view == "anterior" else 1.0)
            self.front = 0.0

    # primitives
    def sev(self, mid: str) -> str | None:
        m = self.m.get(mid)
        return m.get("severity") if m else None

    def line(self, pts: Sequence[np.ndarray] | np.ndarray, color: RGB, width: int | None = None, halo: bool = True) -> None:
        self.ov.strokes.append(Stroke(np.asarray(pts, float), color, width or self.s.line, halo))

    def dashed(self, p1: np.ndarray, p2: np.ndarray, color: RGB, width: int | None = None) -> None:
        u = self.s.u
        for seg in _dashes(p1, p2, max(4.0, 9 * u), max(3.0, 6 * u)):
            self.line(seg, color, width or self.s.thin)

    def arrow(self, tail: np.ndarray, tip: np.ndarray, color: RGB, clear: float = 0.0, level: bool = False) -> None:
        """An offset arrow from ``tail`` (on the plumb line) toward ``tip`` (the point it measures).

        The head stops ``clear`` px short of ``tip`` (the rim of the dot drawn
        there), so the dot never hides it. When the gap is too short for a head,
        the head goes just beyond the dot, still pointing away from the line
        (as dimension lines do), so the direction stays readable; ``level``
        (the value shows as zero) draws only a tick across the plumb line.
        """
        size = max(5.0, 9.0 * self.s.u)
        length = float(np.hypot(*(tip - tail)))
        if level or length < 0.5:
            a, b = tail - self.horiz * size * 0.5, tail + self.horiz * size * 0.5
            self.line([a, b], color)
            self._avoid_segment(a, b)
            return
        d = (tip - tail) / length
        if length - clear >= size * 1.2:  # room for a shaft and a head between the line and the dot
            end = tip - d * clear
            head = _arrow_head(tail, end, size)
            self.line([tail, end - d * size * 0.8], color)
        else:  # too short: the shaft runs into the dot, the head sits just beyond it
            base = tip + d * clear
            end = base + d * size
            head = _arrow_head(base, end, size)
            self.line([tail, base], color)
        self.ov.strokes.append(Stroke(head, color, 1, True, fill=True))
        self._avoid_segment(tail, end, size * 0.45)

    def _avoid_segment(self, a: np.ndarray, b: np.ndarray, pad: float = 0.0) -> None:
        """Keep labels off a short segment when they can (its bounding box, ``pad`` px around)."""
        pad = max(pad, float(self.s.line))
        self.placer.avoid((min(a[0], b[0]) - pad, min(a[1], b[1]) - pad, max(a[0], b[0]) + pad, max(a[1], b[1]) + pad))

    def label(self, anchor: np.ndarray, title: str, detail: Sequence[str], severity: str | None, side: float, key: str) -> None:
        lines = [(title, self.s.font, True)] + [(d, self.s.small_font, False) for d in detail if d]
        patch = _label_patch(tuple(lines), severity_color(severity))
        self.labels.append(((float(anchor[0]), float(anchor[1])), patch, side, key))

    def dot_rim(self) -> float:
        """Distance from a dot's centre to just outside its white ring and dark halo (see :func:`paint`)."""
        return self.s.dot_radius + max(1, round(self.s.u * 1.3)) + 1 + self.s.u

    def value(self, mid: str) -> str:
        m = self.m[mid]
        return format_number(abs(m["value"]) if mid != "cva" else m["value"], m["unit"])

    # the parts
    def plumb(self) -> np.ndarray | None:
        pl = self.result.get("plumb_line")
        if not pl:
            return None
        anchor = np.array(pl["p1"], float) * self.k
        seg = _clip_line(anchor, self.up, self.w, self.h)
        if seg is not None:
            self.line(seg, PLUMB_COLOR, self.s.line)
        return anchor

    def grid(self) -> None:
        cm = self.result.get("cm_per_px")
        if not cm:
            return
        step = GRID_SPACING_CM / cm * self.k
        if step < 4:  # would be a grey wash, not a grid
            return
        pl = self.result.get("plumb_line")
        origin = np.array(pl["p1"], float) * self.k if pl else np.array([self.w / 2, self.h / 2])
        reach = math.hypot(self.w, self.h)
        n = int(reach / step) + 2
        for direction, across in ((self.up, self.horiz), (self.horiz, self.up)):
            for i in range(-n, n + 1):
                seg = _clip_line(origin + across * i * step, direction, self.w, self.h)
                if seg is not None:
                    self.ov.grid.append(seg)

    def calibration_marks(self) -> None:
        cal = self.doc.calibration
        pts: list[tuple[float, float]] = []
        if cal.vertical is not None:
            pts += list(cal.vertical)
        sc = cal.scale
        if sc is not None:
            pts += [sc.p1, sc.p2] if hasattr(sc, "p1") else [sc.top, sc.floor]  # type: ignore[union-attr]
        r = max(3.0, 5.0 * self.s.u)
        for x, y in pts:
            c = np.array([x, y]) * self.k
            self.line([c - (r, 0), c + (r, 0)], CALIBRATION_COLOR, self.s.thin)
            self.line([c - (0, r), c + (0, r)], CALIBRATION_COLOR, self.s.thin)

    def pairs(self) -> None:
        left_side = -self.right_side
        for tilt_id, height_id, rid, lid, title in _PAIRS.get(self.doc.view, ()):
            if tilt_id not in self.m or rid not in self.pts or lid not in self.pts:
                continue
            R, L = self.pts[rid], self.pts[lid]
            t_l = float(np.dot(L - R, self.horiz))
            ext = max(abs(t_l) * 0.22, 14 * self.s.u)
            lo, hi = min(0.0, t_l) - ext, max(0.0, t_l) + ext
            self.dashed(R + self.horiz * lo, R + self.horiz * hi, REFERENCE_COLOR)
            sev = worst_severity([self.sev(tilt_id)] + ([self.sev(height_id)] if height_id in self.m else []))
            self.line([R, L], severity_color(sev))
            text = f"{title} {self.value(tilt_id)}"
            if height_id in self.m:
                text += f" · {self.value(height_id)}"
            end = R + self.horiz * (hi if t_l >= 0 else lo)
            detail = self.m[tilt_id].get("direction", "") if self.m[tilt_id]["value"] != 0 else "level"
            self.label(end, text, _wrap_direction(detail), sev, left_side, tilt_id)

    def offsets(self, anchor: np.ndarray | None) -> None:
        if anchor is None:
            return
        table = _OFFSETS["lateral" if self.lateral else self.doc.view]
        side = self.front if self.lateral else self.right_side
        for mid, ids, title in table:
            if mid not in self.m or not all(i in self.pts for i in ids):
                continue
            p = np.mean([self.pts[i] for i in ids], axis=0)
            foot = anchor + self.up * float(np.dot(p - anchor, self.up))
            sev = self.sev(mid)
            m = self.m[mid]
            level = format_number(abs(m["value"]), m["unit"]) == format_number(
                0.0, m["unit"]
            )  # shown as zero: no direction to point
            if len(ids) > 1:  # a derived point (mid-pelvis): a small ring
                ring = self.s.dot_radius * 0.8
                self.arrow(foot, p, severity_color(sev), ring + self.s.thin + self.s.u, level)
                self.ov.strokes.append(
                    Stroke(cv2.ellipse2Poly((0, 0), (1000, 1000), 0, 0, 360, 30).astype(float) / 1000 * ring + p,
                           severity_color(sev), self.s.thin)
                )  # fmt: skip
            else:
                self.arrow(foot, p, severity_color(sev), self.dot_rim(), level)
            outer = p if float(np.dot(p - foot, self.horiz)) * side >= 0 else foot
            self.label(outer, f"{title} {self.value(mid)}", _wrap_direction(self.m[mid].get("direction", "")), sev, side, mid)

    def chain(self, ids: Sequence[str], severities: Sequence[str | None]) -> None:
        """Segments ids[i]–ids[i+1], each coloured by severities[i]."""
        for (a, b), s in zip(zip(ids, ids[1:], strict=False), severities, strict=False):
            if a in self.pts and b in self.pts:
                self.line([self.pts[a], self.pts[b]], severity_color(s))

    def frontal_limbs(self) -> None:
        view = self.doc.view
        for s in ("r", "l"):
            side = self.right_side if s == "r" else -self.right_side
            if view == "anterior":
                q, k = f"q_angle_{s}", f"knee_alignment_{s}"
                if k in self.m:
                    self.chain([f"greater_trochanter_{s}", f"knee_lateral_{s}", f"lateral_malleolus_{s}"], [self.sev(k)] * 2)
                    self.label(self.pts[f"knee_lateral_{s}"], f"Knee {s.upper()} {self.value(k)}",
                               _wrap_direction(self.m[k]["direction"]), self.sev(k), side, k)  # fmt: skip
                if q in self.m:
                    self.chain([f"asis_{s}", f"patella_{s}", f"tibial_tuberosity_{s}"], [self.sev(q)] * 2)
                    self.label(self.pts[f"patella_{s}"], f"Q angle {s.upper()} {self.value(q)}", [], self.sev(q), side, q)
            else:
                hf = f"hindfoot_angle_{s}"
                if hf in self.m:
                    self.chain([f"leg_midline_{s}", f"achilles_{s}", f"calcaneus_{s}"], [self.sev(hf)] * 2)
                    self.label(self.pts[f"achilles_{s}"], f"Hindfoot {s.upper()} {self.value(hf)}",
                               _wrap_direction(self.m[hf]["direction"]), self.sev(hf), side, hf)  # fmt: skip

    def spine(self) -> None:
        if self.doc.view != "posterior":
            return
        levels = [i for i in ("c7", *_SPINE_LEVELS, "s1") if i in self.pts]
        sd = self.m.get("spine_deviation")
        sev = sd.get("severity") if sd else None
        if len(levels) >= 2:
            self.line([self.pts[i] for i in levels], severity_color(sev) if sd else severity_color(None), self.s.thin)
        if sd and "c7" in self.pts and "s1" in self.pts:
            self.dashed(self.pts["c7"], self.pts["s1"], REFERENCE_COLOR)
            level = sd.get("level")
            at = self.pts.get(level, self.pts["c7"])
            title = f"Spine {self.value('spine_deviation')}" + (f" at {level.upper()}" if level else "")
            self.label(at, title, _wrap_direction(sd.get("direction", "")), sev, -self.right_side, "spine_deviation")

    def lateral_parts(self) -> None:
        if not self.lateral:
            return
        f, p, m = self.front, self.pts, self.m
        # head: CVA line, its horizontal and arc
        if "cva" in m and "tragus" in p and "c7" in p:
            c7, tr = p["c7"], p["tragus"]
            sev = self.sev("cva")
            length = float(np.hypot(*(tr - c7)))
            hdir = self.horiz * f
            self.dashed(c7, c7 + hdir * length * 1.05, REFERENCE_COLOR)
            self.line([c7, tr], severity_color(sev))
            a1 = math.degrees(math.atan2(hdir[1], hdir[0]))
            a2 = math.degrees(math.atan2(tr[1] - c7[1], tr[0] - c7[0]))
            d = (a2 - a1 + 180) % 360 - 180
            radius = length * 0.45
            angles = np.radians(np.linspace(a1, a1 + d, max(8, int(abs(d) / 3))))
            arc = c7 + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
            self.line(arc, severity_color(sev), self.s.thin)
            at = c7 + hdir * length * 1.05  # beside the end of the horizontal, clear of the arc
            self.label(at, f"CVA {self.value('cva')}", _wrap_direction(m["cva"].get("direction", "")), sev, f, "cva")
        head = [i for i in ("head_vertical_alignment", "head_forward") if i in m]
        if head:
            sev = worst_severity(self.sev(i) for i in head)
            self.line([p["tragus"], p["acromion"]], severity_color(sev), self.s.thin)
            title = "Head forward " + " · ".join(self.value(i) for i in head)
            at = (p["tragus"] + p["acromion"]) / 2
            self.label(at, title, [m[head[0]].get("direction", "")], sev, -f, "head_forward")
        # pelvis
        if "pelvic_tilt" in m:
            sev = self.sev("pelvic_tilt")
            self.line([p["psis"], p["asis"]], severity_color(sev))
            self.label(p["asis"], f"Pelvic tilt {self.value('pelvic_tilt')}",
                       _wrap_direction(m["pelvic_tilt"].get("direction", "")), sev, f, "pelvic_tilt")  # fmt: skip
        # trunk and leg chain
        chain = ["acromion", "greater_trochanter", "knee", "lateral_malleolus"]
        sevs = [
            self.sev("trunk_lean"),
            worst_severity([self.sev("hip_angle"), self.sev("knee_angle")]),
            worst_severity([self.sev("knee_angle"), self.sev("shank_angle")]),
        ]
        self.chain(chain, sevs)
        if "body_lean" in m:
            self.dashed(p["acromion"], p["lateral_malleolus"], severity_color(self.sev("body_lean")))
        if "trunk_lean" in m:
            at = (p["acromion"] + p["greater_trochanter"]) / 2
            self.label(at, f"Trunk lean {self.value('trunk_lean')}", [m["trunk_lean"].get("direction", "")],
                       self.sev("trunk_lean"), -f, "trunk_lean")  # fmt: skip
        if "hip_angle" in m:
            flexed = m["hip_angle"].get("direction", "").split(", ")[0]  # e.g. "hip extended"; the full words are in the table
            self.label(
                p["greater_trochanter"], f"Hip angle {self.value('hip_angle')}", [flexed], self.sev("hip_angle"), -f, "hip_angle"
            )
        if "knee_angle" in m:
            self.label(p["knee"], f"Knee angle {self.value('knee_angle')}", [m["knee_angle"].get("direction", "")],
                       self.sev("knee_angle"), -f, "knee_angle")  # fmt: skip

    def dots(self) -> None:
        # A plumb-line anchor is the reference of the offsets, not their subject: it does not take their colour.
        anchors = set(PLUMB_LANDMARKS.get(self.doc.view, ()))
        by_landmark: dict[str, list[str | None]] = {}
        for mid, m in self.m.items():
            measured = _measured_landmarks(self.doc.view, mid, m.get("landmarks", ()), anchors)
            if mid == "spine_deviation":  # every spinal level is searched for the largest deviation, not only the one reported
                measured = list(dict.fromkeys([*measured, *(i for i in _SPINE_LEVELS if i in self.pts)]))
            for lm in measured:
                by_landmark.setdefault(lm, []).append(m.get("severity"))
        r = self.s.dot_radius
        for i, xy in self.pts.items():
            sev = worst_severity(by_landmark.get(i, []))
            self.ov.dots.append(Dot(i, (float(xy[0]), float(xy[1])), r, sev))
            self.placer.avoid((xy[0] - r, xy[1] - r, xy[0] + r, xy[1] + r))

    def landmark_labels(self) -> None:
        for d in self.ov.dots:
            i = d.landmark
            if self.lateral:
                side = -self.front
            elif i.endswith("_r"):
                side = self.right_side
            elif i.endswith("_l"):
                side = -self.right_side
            else:
                side = self.right_side
            patch = _label_patch(((short_label(i), self.s.small_font, False),), None, 170)
            self.ov.texts.append(self.placer.place(d.center, patch, side, f"landmark:{i}"))

    def build(self, grid: bool, caption: str | None, legend: bool) -> Overlay:
        s = self.s
        if caption:
            cap = _caption_patch(caption, self.w, s.font)
            y = self.h - cap.shape[0]
            self.ov.texts.append(TextBox((0, y), cap, "caption"))
            self.placer.block((0, y, self.w, self.h))
        if legend:
            cal = self.doc.calibration
            leg = _legend_patch(
                s.small_font, grid and bool(self.result.get("cm_per_px")), cal.vertical is not None or cal.scale is not None
            )
            m = round(s.gap)
            self.ov.texts.append(TextBox((m, m), leg, "legend"))
            self.placer.block((m, m, m + leg.shape[1], m + leg.shape[0]))
        if grid:
            self.grid()
        anchor = self.plumb()
        self.calibration_marks()
        self.pairs()
        self.spine()
        self.frontal_limbs()
        self.lateral_parts()
        self.offsets(anchor)
        self.dots()
        for anchor_xy, patch, side, key in self.labels:
            self.ov.texts.append(self.placer.place(anchor_xy, patch, side, key))
        self.landmark_labels()
        return self.ov


def build_overlay(
    doc: ViewDocument,
    result: dict[str, Any],
    width: int,
    height: int,
    *,
    display_scale: float = 1.0,
    grid: bool = False,
    caption: str | None = None,
    legend: bool = True,
    text_scale: float = 1.0,
) -> Overlay:
    """Where everything goes on a ``width × height`` output image (see :func:`render_annotated`)."""
    if width <= 0 or height <= 0:
        raise ValueError("the image must not be empty")
    if not (display_scale > 0 and math.isfinite(display_scale)):
        raise ValueError(f"display_scale must be a positive number, got {display_scale!r}")
    style = Style.for_size(width, height, text_scale)
    return _Builder(doc, result, width, height, display_scale, style).build(grid, caption, legend)


# --- painting -------------------------------------------------------------------------


def _fixed(points: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(points, float) * (1 << _SUBPIX)).astype(np.int32)


def _blend_patch(out: np.ndarray, patch: Sprite, x: int, y: int) -> None:
    h, w = out.shape[:2]
    ph, pw = patch.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + pw, w), min(y + ph, h)
    if x0 >= x1 or y0 >= y1:
        return
    sy, sx = slice(y0 - y, y1 - y), slice(x0 - x, x1 - x)
    region = out[y0:y1, x0:x1]
    region[:] = cv2.blendLinear(
        np.ascontiguousarray(patch.rgb[sy, sx]),
        np.ascontiguousarray(region),
        np.ascontiguousarray(patch.alpha[sy, sx]),
        np.ascontiguousarray(patch.inverse[sy, sx]),
    )


def _polylines(out: np.ndarray, strokes: Sequence[Stroke], color: RGB | None, extra: int = 0) -> None:
    """Draw open strokes, batched per (colour, width); ``color`` overrides each stroke's (halos)."""
    groups: dict[tuple[RGB, int], list[np.ndarray]] = {}
    for st in strokes:
        groups.setdefault((color or st.color, st.width + extra), []).append(_fixed(st.points))
    for (c, width), pts in groups.items():
        cv2.polylines(out, pts, False, c, width, cv2.LINE_AA, _SUBPIX)


def paint(image_rgb: np.ndarray, overlay: Overlay) -> np.ndarray:
    """Draw ``overlay`` onto a new copy of ``image_rgb`` (``(H, W, 3)`` uint8 RGB); the input is untouched."""
    img = np.asarray(image_rgb)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {img.dtype} {img.shape}")
    if img.shape[:2] != (overlay.height, overlay.width):
        raise ValueError(f"the overlay is for {overlay.width}×{overlay.height}, the image is {img.shape[1]}×{img.shape[0]}")
    out = np.array(img, dtype=np.uint8, order="C", copy=True)  # OpenCV writes the RGB tuples as given
    s = overlay.style
    if overlay.grid:
        layer = out.copy()
        cv2.polylines(layer, [_fixed(seg) for seg in overlay.grid], False, (255, 255, 255), s.thin, cv2.LINE_AA, _SUBPIX)
        cv2.addWeighted(layer, GRID_ALPHA, out, 1.0 - GRID_ALPHA, 0.0, dst=out)
    lines = [st for st in overlay.strokes if not st.fill]
    fills = [st for st in overlay.strokes if st.fill]
    halo_extra = max(2, round(s.u * 1.6))
    _polylines(out, [st for st in lines if st.halo], HALO_COLOR, halo_extra)  # halos under every colour
    leaders = [t.leader for t in overlay.texts if t.leader is not None]
    if leaders:
        segs = [_fixed(np.array(ld)) for ld in leaders]
        cv2.polylines(out, segs, False, HALO_COLOR, s.thin + 2, cv2.LINE_AA, _SUBPIX)
        cv2.polylines(out, segs, False, (235, 235, 235), s.thin, cv2.LINE_AA, _SUBPIX)
    _polylines(out, lines, None)
    for st in fills:
        pts = _fixed(st.points)
        if st.halo:
            cv2.polylines(out, [pts], True, HALO_COLOR, max(1, round(s.u)), cv2.LINE_AA, _SUBPIX)
        cv2.fillConvexPoly(out, pts, st.color, cv2.LINE_AA, _SUBPIX)
    ring = max(1, round(s.u * 1.3))
    for d in overlay.dots:
        c = tuple(int(v) for v in _fixed(d.center))
        rr = int(round(d.radius * (1 << _SUBPIX)))
        cv2.circle(out, c, rr + ((ring + 1) << _SUBPIX), HALO_COLOR, -1, cv2.LINE_AA, _SUBPIX)
        cv2.circle(out, c, rr + (ring << _SUBPIX), (255, 255, 255), -1, cv2.LINE_AA, _SUBPIX)
        cv2.circle(out, c, rr, d.color, -1, cv2.LINE_AA, _SUBPIX)
    for t in overlay.texts:
        _blend_patch(out, t.patch, *t.origin)
    return out


def render_annotated(
    image_rgb: np.ndarray,
    doc: ViewDocument,
    result: dict[str, Any],
    *,
    display_scale: float = 1.0,
    grid: bool = False,
    caption: str | None = None,
    legend: bool = True,
    text_scale: float = 1.0,
) -> np.ndarray:
    """The photo with the analysis drawn on it, as a **new** RGB uint8 array of the same size.

    ``image_rgb``: ``(H, W, 3)`` uint8 RGB, the original photo or a resized copy
    of it; ``doc``/``result``: the view document and its :func:`posture.analyze`
    result, both in original-image pixels; ``display_scale``: output px per
    original px (``1.0`` for the original, the scale returned by
    :func:`posture.images.display_copy` for the display copy); ``grid``: a
    10 cm grid aligned with the true vertical (only when the view has a
    scale); ``caption``: a line of text in a band at the bottom (see
    :func:`caption_text`); ``legend``: the colour legend in the top-left corner;
    ``text_scale``: text size relative to the default (the report uses more,
    since its photos print small).

    The input array is never modified.
    """
    img = np.asarray(image_rgb)
    if img.ndim != 3 or img.shape[2] != 3 or img.dtype != np.uint8:
        raise ValueError(f"expected an RGB uint8 image (H, W, 3), got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    overlay = build_overlay(
        doc, result, w, h, display_scale=display_scale, grid=grid, caption=caption, legend=legend, text_scale=text_scale
    )
    return paint(img, overlay)
