"""The plumb line and its two marks: the true vertical and, with the marks' distance, the scale.

A plumb line is a *thin dark* string hanging within 30° of the image vertical:
dark with light on both sides, which a body's edge, a door frame or hair is
not. Found on a reduced copy (a ridge response, then a Hough transform limited
to ±30° of vertical, each candidate scored by how many rows support it),
refined on the full image (the string's sub-pixel centre on a few hundred rows,
a robust least-squares fit), then its marks: round blobs of one colour threaded
on it (sub-pixel centres by :func:`posture.detect.markers.refine_blob`).

Conventions (pixels, colours, the pixel-centre rule) are those of
:mod:`posture.detect.base`; ``roll_deg`` is spec §3's ``vertical_roll_deg``.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from .base import RGB, Blob, PlumbFinding, Point
from .markers import MIN_ROUNDNESS, blob_candidates, color_mask, hue_gap, hue_of, reduce_image, refine_blob

#: The line may lean at most this far from the image vertical (spec §3).
MAX_TILT_DEG = 30.0
#: A string is darker than the wall on both sides by at least this (grey levels, reduced copy).
MIN_RIDGE_CONTRAST = 28
#: ... over at least this fraction of the reduced copy's height.
MIN_SUPPORT = 0.2
#: Rows sampled on the full image for the sub-pixel fit.
FIT_ROWS = 240
#: Marks are searched within this fraction of the image height from the string (either side).
MARK_BAND = 0.012

WARN_NO_LINE = "No plumb line found: the image's vertical is taken as true and there is no scale."
WARN_NO_MARKS = "No marks found on the plumb line: the vertical comes from the line alone and there is no scale."
WARN_ONE_MARK = "Only one mark found on the plumb line: the vertical comes from the line alone and there is no scale."


def find_plumb_line(
    rgb: np.ndarray,
    *,
    reduced: tuple[np.ndarray, float] | None = None,
    mark_color: RGB | None = None,
) -> PlumbFinding:
    """The plumb line, its marks and the camera's roll in the upright photo ``rgb``.

    ``reduced``: a reduced copy and its factor (original px per reduced px) the
    caller already has; one is made when ``None``. ``mark_color``: the marks'
    colour (any saturated colour threaded on the string when ``None``).

    ``line``: two points of the fitted string, the upper first, at the ends of
    its visible part. ``roll_deg``: the angle of the line's upper end from
    image-up, positive when it is to the image-right (clockwise). ``marks``: 0,
    1 or 2 blobs, top first (more candidates are reduced to the two most alike,
    with a warning). Never raises on a photo without a line: it says so.
    """
    small, f = reduced if reduced is not None else reduce_image(rgb)
    coarse = _coarse_line(small)
    if coarse is None:
        return PlumbFinding(None, (), None, (WARN_NO_LINE,))
    fit = _refine_line(rgb, coarse, f)
    if fit is None:
        return PlumbFinding(None, (), None, (WARN_NO_LINE,))
    a, b, y_top, y_bot = fit  # x = a + b * y on the full image
    line = ((a + b * y_top, y_top), (a + b * y_bot, y_bot))
    roll = math.degrees(math.atan2(line[0][0] - line[1][0], line[1][1] - line[0][1]))
    marks, warnings = _marks(rgb, small, f, (a, b, y_top, y_bot), mark_color)
    return PlumbFinding(line, marks, roll, warnings)


# --------------------------------------------------------------------------- the line


def _ridge(gray: np.ndarray) -> np.ndarray:
    """Dark-thin-line response along rows: how much darker a pixel is than *both* its neighbours 2–3 px away."""
    g = gray.astype(np.int16)
    best = np.zeros_like(g)
    for k in (1, 2, 3):
        side = np.minimum(g[:, : -2 * k], g[:, 2 * k :]) - g[:, k:-k]
        np.maximum(best[:, k:-k], side, out=best[:, k:-k])
    return best


def _coarse_line(small: np.ndarray) -> tuple[float, float, float, float] | None:
    """``(a, b, y0, y1)``: ``x = a + b·y`` on the reduced copy, and the supported rows' extent."""
    h, w = small.shape[:2]
    gray = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY)
    ridge = _ridge(gray)
    # dark with light within 3 px on both sides: a wide dark band (hair, a door's jamb) or an edge is not a string
    mask = (ridge >= MIN_RIDGE_CONTRAST).astype(np.uint8)
    pts = int(mask.sum())
    if pts < MIN_SUPPORT * h:
        return None
    t = math.radians(MAX_TILT_DEG)
    thr = int(MIN_SUPPORT * h * 0.8)
    found: list[tuple[float, float]] = []
    for lo, hi in ((0.0, t), (math.pi - t, math.pi)):
        lines = cv2.HoughLines(mask, 1, math.pi / 720, thr, min_theta=lo, max_theta=hi)
        if lines is not None:
            found.extend((float(r), float(th)) for r, th in lines[:12, 0])
    if not found:
        return None
    ys = np.arange(h, dtype=np.float64)
    dil = cv2.dilate(mask, np.ones((1, 3), np.uint8))
    best = None
    for rho, theta in found:
        # rho = x cos θ + y sin θ  →  x = (rho − y sin θ) / cos θ
        c, s = math.cos(theta), math.sin(theta)
        xs = (rho - ys * s) / c
        inside = (xs >= 0) & (xs < w - 0.5)
        xi = np.clip(np.round(xs - 0.5).astype(int), 0, w - 1)
        hit = inside & (dil[ys.astype(int), xi] > 0)
        score = int(hit.sum())
        if best is None or score > best[0]:
            rows = np.flatnonzero(hit)
            best = (score, rho / c, -s / c, float(rows[0]), float(rows[-1]) + 1.0)
    if best is None or best[0] < MIN_SUPPORT * h:
        return None
    _, a, b, y0, y1 = best
    # Hough's x is the pixel index; the pixel-area convention puts its centre at +0.5
    return (a + 0.5, b, y0, y1)


def _refine_line(
    rgb: np.ndarray, coarse: tuple[float, float, float, float], f: float
) -> tuple[float, float, float, float] | None:
    """Sub-pixel fit of the string on the full image: ``(a, b, y_top, y_bottom)`` with ``x = a + b·y``."""
    H, W = rgb.shape[:2]
    a_r, b_r, y0_r, y1_r = coarse
    a, b = a_r * f, b_r  # x_full = f·x_red, y_full = f·y_red
    y_top, y_bot = y0_r * f, y1_r * f
    rows = np.unique(np.linspace(y_top, y_bot - 1, FIT_ROWS).astype(int))
    rows = rows[(rows >= 0) & (rows < H)]
    half = int(math.ceil(2 * f + 4))
    xc = a + b * (rows + 0.5)
    cols = np.floor(xc).astype(int)[:, None] + np.arange(-half, half + 1)[None, :]
    valid = (cols[:, 0] >= 0) & (cols[:, -1] < W)
    rows, cols, xc = rows[valid], cols[valid], xc[valid]
    if len(rows) < 10:
        return None
    prof = rgb[rows[:, None], cols].astype(np.float32).mean(axis=2)  # (n, 2·half+1)
    base = np.median(prof, axis=1)
    sm = prof.copy()
    sm[:, 1:-1] = (prof[:, :-2] + 2 * prof[:, 1:-1] + prof[:, 2:]) / 4
    j0 = np.argmin(sm, axis=1)
    depth = base - sm[np.arange(len(rows)), j0]
    dark = np.clip(base[:, None] - prof, 0, None)
    width = (dark > depth[:, None] / 2).sum(axis=1).astype(np.float64)
    med_w = float(np.median(width)) if len(width) else 1.0
    hw = int(math.ceil(med_w)) + 2
    idx = np.arange(prof.shape[1])[None, :]
    win = np.abs(idx - j0[:, None]) <= hw
    wts = dark * win
    sw = wts.sum(axis=1)
    ok = (depth >= MIN_RIDGE_CONTRAST * 0.6) & (sw > 0) & (width <= 3 * med_w + 2)
    if ok.sum() < 10:
        return None
    x = (wts * (cols + 0.5)).sum(axis=1) / np.where(sw > 0, sw, 1)
    y = rows + 0.5
    x, y = x[ok], y[ok]
    keep = np.ones(len(x), bool)
    for _ in range(3):
        A = np.stack([np.ones(keep.sum()), y[keep]], axis=1)
        sol, *_ = np.linalg.lstsq(A, x[keep], rcond=None)
        res = x - (sol[0] + sol[1] * y)
        mad = float(np.median(np.abs(res[keep]))) * 1.4826
        new = np.abs(res) <= max(3 * mad, 0.3)
        if new.sum() < 10 or np.array_equal(new, keep):
            break
        keep = new
    a, b = float(sol[0]), float(sol[1])
    ys = y[keep]
    return (a, b, float(ys.min() - 0.5), float(ys.max() + 0.5))


# --------------------------------------------------------------------------- the marks


def _marks(
    rgb: np.ndarray, small: np.ndarray, f: float, fit: tuple[float, float, float, float], mark_color: RGB | None
) -> tuple[tuple[Blob, ...], tuple[str, ...]]:
    """The round blobs of one colour threaded on the fitted string, top first, and the warnings."""
    H, W = rgb.shape[:2]
    h, w = small.shape[:2]
    a, b, y_top, y_bot = fit
    band = max(4.0, MARK_BAND * H / f)  # reduced px either side of the string
    ys = np.array([y_top / f, y_bot / f])
    xs = (a + b * ys * f) / f
    x0 = int(max(0, math.floor(min(xs) - band)))
    x1 = int(min(w, math.ceil(max(xs) + band)))
    y0 = int(max(0, math.floor(y_top / f - band)))
    y1 = int(min(h, math.ceil(y_bot / f + band)))
    if x1 - x0 < 3 or y1 - y0 < 3:
        return (), (WARN_NO_MARKS,)
    roi = small[y0:y1, x0:x1]
    mask = color_mask(roi, mark_color)
    gy = np.arange(y0, y1, dtype=np.float32)[:, None] + 0.5
    gx = np.arange(x0, x1, dtype=np.float32)[None, :] + 0.5
    mask &= np.abs(gx - (a + b * gy * f) / f) <= band
    cands = blob_candidates(roi, mask, (1.5, 2 * band))
    blobs: list[Blob] = []
    for cx, cy, d, _ in cands:
        X, Y = (cx + x0) * f, (cy + y0) * f
        blob = refine_blob(rgb, X, Y, d * f, mark_color)
        if blob is None or blob.roundness < MIN_ROUNDNESS:
            continue
        off = abs(blob.x - (a + b * blob.y))
        if off > max(1.5, 0.3 * blob.diameter_px):  # not threaded on the string
            continue
        if any(math.hypot(blob.x - o.x, blob.y - o.y) < 0.5 * (blob.diameter_px + o.diameter_px) for o in blobs):
            continue
        blobs.append(blob)
    warnings: list[str] = []
    if len(blobs) > 2:
        warnings.append(f"{len(blobs)} mark candidates on the plumb line: the two most alike were kept.")
        blobs = list(_most_alike(blobs))
    blobs.sort(key=lambda m: m.y)
    if not blobs:
        warnings.append(WARN_NO_MARKS)
    elif len(blobs) == 1:
        warnings.append(WARN_ONE_MARK)
    return tuple(blobs), tuple(warnings)


def _most_alike(blobs: list[Blob]) -> tuple[Blob, Blob]:
    """The pair of blobs most alike in colour (hue) and size; the farther apart pair on a tie."""
    best: tuple[float, float, int, int] | None = None
    for i in range(len(blobs)):
        for j in range(i + 1, len(blobs)):
            p, q = blobs[i], blobs[j]
            dh = float(hue_gap(hue_of(p.color), hue_of(q.color)))
            ds = abs(math.log(p.diameter_px / q.diameter_px))
            cost = dh / 20.0 + ds / 0.2
            sep = math.hypot(p.x - q.x, p.y - q.y)
            key = (round(cost, 1), -sep, i, j)
            if best is None or key < best:
                best = key
    assert best is not None
    return blobs[best[2]], blobs[best[3]]


def point_on_line(line: tuple[Point, Point], y: float) -> float:
    """The x of ``line`` (two points) at row ``y`` (for callers drawing or checking the string)."""
    (x0, y0), (x1, y1) = line
    if y1 == y0:
        return x0
    return x0 + (x1 - x0) * (y - y0) / (y1 - y0)
