"""What an overlay is made of: sizes, strokes, dots, rendered labels, all in the output image's pixels.

Coordinates are output-image pixels (x right, y down), floats; the builder
(:mod:`.overlay`) has already multiplied the document's original-image pixels
by the display scale.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from posture.result import Severity

from .palette import RGB, severity_color

Point = tuple[float, float]
#: Points in output px, shape ``(N, 2)`` (or ``(2,)`` for one point).
FloatArray = NDArray[np.float64]
#: A rectangle ``(x0, y0, x1, y1)`` in output px.
Rect = tuple[float, float, float, float]


#: The sizing unit ``u`` is the output image's height / 1000, but never more than this many px / 1000 ...
MAX_UNIT_PX = 10_000
#: ... nor more than this many times the width / 1000: a tall thin strip does not get text taller than it is wide.
MAX_UNIT_PER_WIDTH = 6


@dataclass(frozen=True)
class Style:
    """Sizes in output pixels, derived from the output image's height (``u`` = height / 1000, bounded).

    The height, not the long side: a portrait photo (every ordinary posture photo) is sized as before, and
    a 60000×1 strip cannot make 780 px text (2.4 GB of label patches). ``u`` is at most
    :data:`MAX_UNIT_PX` / 1000 and at most :data:`MAX_UNIT_PER_WIDTH` × width / 1000, so no output size,
    however extreme, makes strokes, dots or text patches larger than those of a 10000 px tall photo.
    """

    u: float
    line: int
    thin: int
    dot_radius: float
    font: int
    small_font: int
    gap: float

    @classmethod
    def for_size(cls, width: int, height: int, text_scale: float = 1.0) -> Style:
        u = min(height, MAX_UNIT_PER_WIDTH * width, MAX_UNIT_PX) / 1000.0
        return cls(
            u=u,
            line=max(1, round(1.8 * u)),
            thin=max(1, round(1.0 * u)),
            dot_radius=max(2.5, 4.6 * u),
            font=max(9, round(13.0 * u * text_scale)),
            small_font=max(8, round(10.5 * u * text_scale)),
            gap=max(3.0, 7.0 * u),
        )


@dataclass(frozen=True)
class Stroke:
    """An open polyline (or a closed filled polygon when ``fill``), ``points`` shape ``(N, 2)`` in output px."""

    points: FloatArray
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
    severity: Severity | None

    @property
    def color(self) -> RGB:
        return severity_color(self.severity)


class Sprite:
    """A rendered RGBA label and what blending it needs (``rgb``, ``alpha`` and ``1 - alpha`` as float32)."""

    __slots__ = ("rgba", "rgb", "alpha", "inverse")

    def __init__(self, rgba: NDArray[np.uint8]):
        self.rgba = rgba
        self.rgb: NDArray[np.uint8] = np.ascontiguousarray(rgba[..., :3])
        self.alpha: NDArray[np.float32] = rgba[..., 3].astype(np.float32) / 255.0
        self.inverse: NDArray[np.float32] = 1.0 - self.alpha

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
    grid: list[FloatArray] = field(default_factory=list)  # (2, 2) segments
    strokes: list[Stroke] = field(default_factory=list)
    dots: list[Dot] = field(default_factory=list)
    texts: list[TextBox] = field(default_factory=list)

    def dot(self, landmark_id: str) -> Dot | None:
        return next((d for d in self.dots if d.landmark == landmark_id), None)
