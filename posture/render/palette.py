"""How the annotations look: the one place a severity's colour is defined, and the other colours.

Colours encode severity, the same everywhere: the annotated photo, the app's
measurement table (:mod:`ui.format`) and the PDF report read them here.
Normal green, mild amber, moderate orange, marked red, not graded grey. The
order and the words of the severities are not here: they are
:data:`posture.result.SEVERITIES` and :data:`posture.formatting.SEVERITY_LABELS`.

Every colour is an ``(r, g, b)`` tuple of 0–255 ints.
"""

from __future__ import annotations

from posture.result import SEVERITIES, Severity

RGB = tuple[int, int, int]

#: Severity → RGB colour (``None`` = not graded).
SEVERITY_COLORS: dict[Severity | None, RGB] = {
    "normal": (46, 160, 67),
    "mild": (245, 190, 20),
    "moderate": (243, 118, 18),
    "marked": (213, 36, 36),
    None: (150, 150, 150),
}

#: The postural plumb line.
PLUMB_COLOR: RGB = (40, 190, 235)
#: True-horizontal references and the 10 cm grid.
REFERENCE_COLOR: RGB = (250, 250, 250)
#: The dark outline under every line, dot and leader, so they read on any photo.
HALO_COLOR: RGB = (20, 20, 24)
#: The calibration marks (plumb-line clicks, scale marks).
CALIBRATION_COLOR: RGB = (40, 190, 235)
#: The grid's white lines are blended in at this opacity.
GRID_ALPHA = 0.35
#: Dark text (on light fills: the amber of mild, the grey of not graded), and white text (on the others).
INK: RGB = (33, 37, 41)
WHITE: RGB = (255, 255, 255)


def text_color_on(fill: RGB) -> RGB:
    """:data:`INK` or :data:`WHITE`, whichever reads on ``fill`` (its luma, ITU-R 601, at least 150 → ink).

    >>> text_color_on(SEVERITY_COLORS["mild"]) == INK, text_color_on(SEVERITY_COLORS[None]) == INK
    (True, True)
    >>> text_color_on(SEVERITY_COLORS["marked"]) == WHITE
    True
    """
    r, g, b = fill
    return INK if (0.299 * r + 0.587 * g + 0.114 * b) >= 150 else WHITE


def severity_color(severity: str | None) -> RGB:
    """The RGB colour of a severity (``None`` or unknown = not graded, grey)."""
    for s in SEVERITIES:
        if s == severity:
            return SEVERITY_COLORS[s]
    return SEVERITY_COLORS[None]


#: The grid drawn with ``grid=True``: lines this far apart along the true vertical and horizontal.
GRID_SPACING_CM = 10.0
