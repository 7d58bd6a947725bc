"""Plane geometry in pure numpy.

Conventions (written once, used everywhere):

* **Image pixels** ``(x, y)``: x to the right, y *down*, origin top-left, floats.
* **Corrected frame** ``(X, Y)``: the image rotated so the plumb line is
  vertical, then ``X = x'``, ``Y = -y'`` (Y *up*). Still in pixels; scale to cm
  only at the end (``cm_per_px``).
* Points are arrays of shape ``(..., 2)``; every function broadcasts over the
  leading axes, so one call evaluates a measurement for a whole batch of
  perturbed landmark sets (used for the uncertainty).
* Angles are degrees. Ranges are stated per function.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

Array = NDArray[np.float64]


def _xy(p: ArrayLike) -> tuple[Array, Array]:
    a = np.asarray(p, dtype=np.float64)
    return a[..., 0], a[..., 1]


def roll_deg_from_line(p1_px: ArrayLike, p2_px: ArrayLike) -> float:
    """Camera roll read from two points on a truly vertical line, in image pixels.

    Returns the angle of the line's *upper* end from the image's up direction,
    in ``(-90, 90]``: positive when the upper end lies to the image-right of the
    lower end (the line leans clockwise on screen). Point order does not matter.

    Examples
    --------
    >>> roll_deg_from_line((100, 0), (0, 100))  # upper end to the image-right: clockwise
    45.0
    >>> roll_deg_from_line((0, 100), (100, 0))  # the order of the points does not matter
    45.0
    """
    (x1, y1), (x2, y2) = np.asarray(p1_px, dtype=np.float64), np.asarray(p2_px, dtype=np.float64)
    if y1 > y2 or (y1 == y2 and x1 > x2):
        (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
    # (x1, y1) is now the upper end (smaller y).
    return float(np.degrees(np.arctan2(x1 - x2, y2 - y1)))


def rotate_px(points_px: ArrayLike, angle_deg: float, center_px: ArrayLike = (0.0, 0.0)) -> Array:
    """Rotate image points about ``center_px`` by ``angle_deg`` *clockwise on screen*.

    (With y pointing down, a positive angle turns the picture clockwise as the
    viewer sees it.) Shape ``(..., 2)`` in, same shape out.

    Examples
    --------
    >>> rotate_px((10.0, 0.0), 90.0).round(9).tolist()  # image-right turns to image-down
    [0.0, 10.0]
    """
    pts = np.asarray(points_px, dtype=np.float64)
    c = np.asarray(center_px, dtype=np.float64)
    t = np.radians(angle_deg)
    cos, sin = np.cos(t), np.sin(t)
    d = pts - c
    out = np.empty_like(d)
    out[..., 0] = d[..., 0] * cos - d[..., 1] * sin
    out[..., 1] = d[..., 0] * sin + d[..., 1] * cos
    return out + c


def to_corrected(points_px: ArrayLike, roll_deg: float, center_px: ArrayLike = (0.0, 0.0)) -> Array:
    """Image pixels → corrected frame (roll removed, Y up). Shape ``(..., 2)``.

    Examples
    --------
    >>> to_corrected((3.0, 4.0), 0.0).tolist()  # no roll: only Y flips to point up
    [3.0, -4.0]
    >>> from_corrected(to_corrected((3.0, 4.0), 7.0, (1.0, 2.0)), 7.0, (1.0, 2.0)).round(9).tolist()
    [3.0, 4.0]
    """
    rotated = rotate_px(points_px, -roll_deg, center_px)
    rotated[..., 1] *= -1.0
    return rotated


def from_corrected(points_XY: ArrayLike, roll_deg: float, center_px: ArrayLike = (0.0, 0.0)) -> Array:
    """Corrected frame → image pixels; the inverse of :func:`to_corrected`."""
    pts = np.array(points_XY, dtype=np.float64)
    pts[..., 1] *= -1.0
    return rotate_px(pts, roll_deg, center_px)


def midpoint(a: ArrayLike, b: ArrayLike) -> Array:
    """Midpoint of two points (broadcasts)."""
    return (np.asarray(a, dtype=np.float64) + np.asarray(b, dtype=np.float64)) / 2.0


def distance(a: ArrayLike, b: ArrayLike) -> Array:
    """Euclidean distance of two points, same unit as the inputs."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return np.hypot(d[..., 0], d[..., 1])


# --- the spec's primitives (corrected frame) -------------------------------------


def atan2_deg(y: ArrayLike, x: ArrayLike) -> Array:
    """``atan2(y, x)`` in degrees, ``(-180, 180]``; **NaN when both are zero**.

    The direction of a zero-length vector is undefined (``numpy`` would say 0°,
    which a report would show as "level"); the caller turns NaN into
    "not measured".

    Examples
    --------
    >>> float(atan2_deg(1.0, 1.0))
    45.0
    >>> float(atan2_deg(0.0, 0.0))
    nan
    """
    y, x = np.asarray(y, dtype=np.float64), np.asarray(x, dtype=np.float64)
    return np.where((x == 0) & (y == 0), np.nan, np.degrees(np.arctan2(y, x)))


def tilt_deg(right: ArrayLike, left: ArrayLike) -> Array:
    """``atan2(Y_L - Y_R, |X_L - X_R|)`` in ``[-90, 90]``; **positive = right side lower**.

    NaN when the two points coincide.

    Examples
    --------
    >>> float(tilt_deg((0.0, 0.0), (100.0, 100.0)).round(9))  # the left point higher: right side lower
    45.0
    >>> float(tilt_deg((100.0, 0.0), (0.0, -100.0)).round(9))  # mirrored photo, left point lower
    -45.0
    """
    (xr, yr), (xl, yl) = _xy(right), _xy(left)
    return atan2_deg(yl - yr, np.abs(xl - xr))


def height_diff_px(right: ArrayLike, left: ArrayLike) -> Array:
    """``Y_L - Y_R`` (pixels); **positive = right side lower**.

    Examples
    --------
    >>> float(height_diff_px((0.0, 10.0), (50.0, 14.0)))  # right 4 px lower than left
    4.0
    """
    return _xy(left)[1] - _xy(right)[1]


def shift_px(point: ArrayLike, x0: ArrayLike, r: float) -> Array:
    """``(X_P - X0) * r``; **positive = toward the client's right** (``r`` = client's-right sign).

    Examples
    --------
    >>> float(shift_px((12.0, 0.0), 10.0, -1.0))  # anterior view: the client's right is image-left (r = -1)
    -2.0
    """
    return (_xy(point)[0] - np.asarray(x0, dtype=np.float64)) * r


def ant_px(point: ArrayLike, x0: ArrayLike, f: float) -> Array:
    """``(X_P - X0) * f``; **positive = anterior** (``f`` = anterior sign).

    Examples
    --------
    >>> float(ant_px((12.0, 0.0), 10.0, -1.0))  # client facing left (f = -1): +X is posterior
    -2.0
    """
    return (_xy(point)[0] - np.asarray(x0, dtype=np.float64)) * f


def lean_deg(top: ArrayLike, bottom: ArrayLike, f: float) -> Array:
    """``atan2((X_top - X_bot) * f, Y_top - Y_bot)`` in ``(-180, 180]``; **positive = top anterior**.

    NaN when the two points coincide.

    Examples
    --------
    >>> float(lean_deg((1.0, 1.0), (0.0, 0.0), 1.0).round(9))  # top 45° forward, facing right
    45.0
    >>> float(lean_deg((1.0, 1.0), (0.0, 0.0), -1.0).round(9))  # the same points, facing left: backward
    -45.0
    """
    (xt, yt), (xb, yb) = _xy(top), _xy(bottom)
    return atan2_deg((xt - xb) * f, yt - yb)


def bend_deg(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """``180 - interior angle at b``, unsigned, in ``[0, 180]`` (0 = a, b, c in a straight line).

    NaN when b coincides with a or c (the angle is undefined).

    Examples
    --------
    >>> float(bend_deg((0.0, 0.0), (1.0, 0.0), (2.0, 0.0)))  # straight
    0.0
    >>> float(bend_deg((0.0, 0.0), (1.0, 0.0), (1.0, 1.0)).round(9))  # a right angle at b
    90.0
    """
    (ax, ay), (bx, by), (cx, cy) = _xy(a), _xy(b), _xy(c)
    ux, uy = bx - ax, by - ay
    vx, vy = cx - bx, cy - by
    degenerate = (np.hypot(ux, uy) == 0) | (np.hypot(vx, vy) == 0)
    ang = np.degrees(np.arctan2(np.abs(ux * vy - uy * vx), ux * vx + uy * vy))
    return np.where(degenerate, np.nan, ang)


def side_of_chord_px(a: ArrayLike, b: ArrayLike, c: ArrayLike) -> Array:
    """Signed distance of ``b`` from the line through ``a`` and ``c`` (pixels).

    The sign is fixed by the frame, not by the order of ``a`` and ``c``:
    **positive = b lies on the +X side of the chord** (image-right of it in the
    corrected frame). For a horizontal chord +X is undefined and the +Y side
    counts as positive. NaN when ``a == c``.

    Examples
    --------
    >>> float(side_of_chord_px((0.0, 0.0), (3.0, 5.0), (0.0, 10.0)))  # b to the +X side of a vertical chord
    3.0
    >>> float(side_of_chord_px((0.0, 10.0), (3.0, 5.0), (0.0, 0.0)))  # whichever way the chord runs
    3.0
    """
    (ax, ay), (bx, by), (cx, cy) = _xy(a), _xy(b), _xy(c)
    ux, uy = cx - ax, cy - ay
    norm = np.hypot(ux, uy)
    with np.errstate(invalid="ignore", divide="ignore"):
        # normal (uy, -ux) / norm, oriented so that it points to +X (or +Y).
        nx, ny = uy / norm, -ux / norm
        flip = np.where((nx < 0) | ((nx == 0) & (ny < 0)), -1.0, 1.0)
        return ((bx - ax) * nx + (by - ay) * ny) * flip


def perpendicular_offset_px(point: ArrayLike, line_bottom: ArrayLike, line_top: ArrayLike) -> Array:
    """Signed distance of ``point`` from the line ``line_bottom → line_top`` (pixels).

    Positive when the point is to the +X side of the line (see
    :func:`side_of_chord_px`); used for the spine's lateral deviation.

    Examples
    --------
    >>> float(perpendicular_offset_px((-2.0, 5.0), (0.0, 0.0), (0.0, 10.0)))
    -2.0
    """
    return side_of_chord_px(line_bottom, point, line_top)
