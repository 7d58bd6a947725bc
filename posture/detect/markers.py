"""Adhesive markers: round blobs of one saturated colour, found and measured to a fraction of a pixel.

Search on a reduced copy (a few ms), refine every candidate in a small
full-resolution crop. A blob's centre is its coverage-weighted centroid: each
pixel's coverage ``α`` is unmixed from the blob's own colour and the colour
around it, sector by sector (``α = (p − B)·(C − B) / |C − B|²``), so the
anti-aliased edge counts in proportion to how much of the pixel the dot
covers, whatever the dot sits on (skin, cloth, their border). Holes inside a
blob (a specular highlight on a bead) and its interior count as fully covered
(shading does not matter); only the edge is unmixed.

Conventions (pixels, colours, the pixel-centre rule) are those of
:mod:`posture.detect.base`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import cv2
import numpy as np

from posture.errors import DetectError, SettingsError
from posture.settings import parse_hex_color

from .base import MARKER_DIAMETER_MM, RGB, Blob, Point

#: A marker's diameter window is ``MARKER_DIAMETER_MM`` widened by these factors (scale error, foreshortening).
SIZE_TOLERANCE = (0.8, 1.25)
#: Without a scale, a standing adult is taken to be this tall (cm) ...
STATURE_RANGE_CM = (150.0, 200.0)
#: ... and to fill this fraction of the frame's height.
FRAME_FILL = (0.5, 0.95)
#: Saturation (HSV, 0–1) a pixel needs to count as "saturated colour" while searching.
MIN_SATURATION = 0.5
#: Brightness (max channel, 0–255) under which hue means nothing (hair, shadows, the string).
MIN_VALUE = 80.0
#: Hue distance (degrees) within which a pixel or a blob has "the" colour.
HUE_TOLERANCE_DEG = 22.0
#: A marker's minor/major axis ratio must be at least this (a disc is 1; foreshortening lowers it a little).
MIN_ROUNDNESS = 0.72
#: A given marker colour must be at least this saturated (HSV): white or grey markers are not looked for.
MIN_COLOR_SATURATION = 0.35
#: Finding the colour needs at least this many round blobs of it (one stray blob is not a set of markers).
MIN_AUTO_MARKERS = 3
#: When the colour is found, a marker's core must be at least this saturated (HSV; skin in shade is about 0.45).
MIN_MARKER_SATURATION = 0.6
#: A marker's core colour has at least this fraction of the markers' median chroma (max − min channel).
MIN_CHROMA_RATIO = 0.6
#: The reduced copy's long side when :func:`find_markers` makes its own.
REDUCED_LONG_SIDE = 1008


def parse_color(text: str) -> RGB:
    """``"#RRGGBB"`` (the ``#`` optional, any case) → ``(r, g, b)``; :class:`DetectError` otherwise.

    >>> parse_color("#00C83C")
    (0, 200, 60)
    """
    t = text.strip() if isinstance(text, str) else ""
    try:  # the #RRGGBB rule has one home: the practice settings' parser
        return parse_hex_color(t if t.startswith("#") else f"#{t}")
    except SettingsError:
        raise DetectError(f"{text!r} is not a colour: give it as #RRGGBB, e.g. #00C83C.") from None


def marker_diameter_window(
    cm_per_px: float | None, image_height: int, body_height_px: float | None = None
) -> tuple[float, float]:
    """The markers' plausible diameter range ``(min_px, max_px)``: ``MARKER_DIAMETER_MM`` with a tolerance.

    From the scale when known (``cm_per_px``); else from the client's height in
    pixels (``body_height_px``, a stature of ``STATURE_RANGE_CM``); else from the
    frame's height (a standing adult filling ``FRAME_FILL`` of it).
    """
    lo_mm, hi_mm = MARKER_DIAMETER_MM
    lo_tol, hi_tol = SIZE_TOLERANCE
    if cm_per_px is not None and cm_per_px > 0:
        lo_ppcm = hi_ppcm = 1.0 / cm_per_px
    else:
        if body_height_px is not None and body_height_px > 0:
            body_lo = body_hi = float(body_height_px)
        else:
            body_lo, body_hi = FRAME_FILL[0] * image_height, FRAME_FILL[1] * image_height
        lo_ppcm = body_lo / STATURE_RANGE_CM[1]
        hi_ppcm = body_hi / STATURE_RANGE_CM[0]
    return (lo_mm / 10.0 * lo_ppcm * lo_tol, hi_mm / 10.0 * hi_ppcm * hi_tol)


# --------------------------------------------------------------------------- colour helpers


def hue_saturation_value(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """HSV of an ``(..., 3)`` RGB ``uint8`` array: hue in degrees [0, 360) (steps of 360/256), saturation in [0, 1], value 0–255."""
    a = np.asarray(rgb)
    if a.dtype != np.uint8:
        a = np.clip(np.round(a), 0, 255).astype(np.uint8)
    flat = a.reshape(-1, 1, 3) if a.ndim != 3 else a
    hsv = cv2.cvtColor(np.ascontiguousarray(flat), cv2.COLOR_RGB2HSV_FULL).reshape(a.shape)
    h = hsv[..., 0].astype(np.float32) * np.float32(360.0 / 256.0)
    s = hsv[..., 1].astype(np.float32) * np.float32(1.0 / 255.0)
    return h, s, hsv[..., 2].astype(np.float32)


def hue_of(color: Sequence[int]) -> float:
    """Hue (degrees) of one RGB colour."""
    h, _, _ = hue_saturation_value(np.asarray(color, np.float32).reshape(1, 3))
    return float(h[0])


def hue_gap(a: np.ndarray | float, b: float) -> np.ndarray:
    """Circular hue distance in degrees [0, 180]."""
    d = np.abs(np.asarray(a, np.float32) - np.float32(b))
    d = np.where(d > 360.0, d % 360.0, d)
    out: np.ndarray = np.minimum(d, 360.0 - d)
    return out


def _hue_levels(deg: float) -> int:
    """A hue tolerance in degrees as OpenCV ``HSV_FULL`` hue levels (256 per turn)."""
    return int(round(deg * 256.0 / 360.0))


def color_mask(rgb: np.ndarray, color: RGB | None) -> np.ndarray:
    """Pixels of a saturated colour (``color=None``) or of ``color``'s hue, as a boolean mask (``rgb``: ``uint8``).

    With ``color=None``, touching regions of different hues are cut apart (a
    marker beside hair, a dot on a coloured print).
    """
    hsv = cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2HSV_FULL)
    h = hsv[..., 0].astype(np.int16)
    sat, val = hsv[..., 1], hsv[..., 2]
    tol = _hue_levels(HUE_TOLERANCE_DEG)
    if color is not None:
        _, cs, _ = hue_saturation_value(np.asarray(color, np.uint8).reshape(1, 1, 3))
        s_min = int(round(255 * max(0.3, 0.55 * float(cs.ravel()[0]))))
        ch = int(round(hue_of(color) * 256.0 / 360.0)) % 256
        d = np.abs(h - ch)
        d = np.minimum(d, 256 - d)
        given: np.ndarray = (sat >= s_min) & (val >= MIN_VALUE) & (d <= tol)
        return given
    m = (sat >= int(round(255 * MIN_SATURATION))) & (val >= MIN_VALUE)
    cut = np.zeros_like(m)
    for axis in (0, 1):
        a = h[1:, :] if axis == 0 else h[:, 1:]
        b = h[:-1, :] if axis == 0 else h[:, :-1]
        ma = m[1:, :] if axis == 0 else m[:, 1:]
        mb = m[:-1, :] if axis == 0 else m[:, :-1]
        d = np.abs(a - b)
        jump = ma & mb & (np.minimum(d, 256 - d) > tol)
        if axis == 0:
            cut[1:, :] |= jump
            cut[:-1, :] |= jump
        else:
            cut[:, 1:] |= jump
            cut[:, :-1] |= jump
    found: np.ndarray = m & ~cut
    return found


def reduce_image(rgb: np.ndarray, long_side: int = REDUCED_LONG_SIDE) -> tuple[np.ndarray, float]:
    """A reduced copy (area-averaged, an integer factor) and its factor (original px per reduced px)."""
    h, w = rgb.shape[:2]
    f = max(1, int(max(h, w) // long_side))
    if f == 1:
        return rgb, 1.0
    small = cv2.resize(rgb, (w // f, h // f), interpolation=cv2.INTER_AREA)
    return small, float(f)


# --------------------------------------------------------------------------- one blob, sub-pixel


def refine_blob(rgb: np.ndarray, x: float, y: float, diameter_px: float, color: RGB | None = None) -> Blob | None:
    """Measure the round blob near ``(x, y)`` (full-resolution px) to a fraction of a pixel.

    ``diameter_px``: a rough diameter (a factor of 1.5 off is fine). ``color``:
    the blob's colour (its hue selects the blob's pixels; ``None``: the hue at
    its centre). Returns ``None`` when no blob of that colour is there. The
    centre is the coverage-weighted centroid (see the module docstring); the
    diameter the equivalent disc's; the roundness the minor/major axis ratio of
    the coverage's second moments.
    """
    H, W = rgb.shape[:2]
    r0 = max(1.5, diameter_px / 2)
    hs = int(math.ceil(1.5 * r0 + 5))
    x0, y0 = max(0, int(x) - hs), max(0, int(y) - hs)
    x1, y1 = min(W, int(x) + hs + 1), min(H, int(y) + hs + 1)
    if x1 - x0 < 3 or y1 - y0 < 3:
        return None
    crop8 = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    hsv = cv2.cvtColor(crop8, cv2.COLOR_RGB2HSV_FULL)
    hue = hsv[..., 0].astype(np.int16)
    sat, val = hsv[..., 1], hsv[..., 2]
    gx = (np.arange(x0, x1, dtype=np.float32) + 0.5)[None, :]
    gy = (np.arange(y0, y1, dtype=np.float32) + 0.5)[:, None]
    centre = (gx - x) ** 2 + (gy - y) ** 2 <= max(1.0, 0.4 * r0) ** 2
    bright = val >= MIN_VALUE
    if color is not None:
        ref = int(round(hue_of(color) * 256.0 / 360.0)) % 256
    else:
        core0 = centre & bright & (sat >= int(255 * MIN_SATURATION))
        if not core0.any():
            return None
        ang = hue[core0].astype(np.float32) * np.float32(2 * math.pi / 256)
        ref = int(round(math.atan2(float(np.sin(ang).mean()), float(np.cos(ang).mean())) * 256 / (2 * math.pi))) % 256
    d = np.abs(hue - ref)
    hue_ok = bright & (np.minimum(d, 256 - d) <= _hue_levels(HUE_TOLERANCE_DEG))
    sel = centre & hue_ok
    if not sel.any():
        return None
    s_ref = float(np.median(sat[sel]))
    if s_ref < 0.3 * 255:
        return None
    member = (hue_ok & (sat >= 0.5 * s_ref)).astype(np.uint8)
    n, labels, stats, cents = cv2.connectedComponentsWithStats(member, connectivity=8)
    if n <= 1:
        return None
    dist = np.hypot(cents[1:, 0] + x0 + 0.5 - x, cents[1:, 1] + y0 + 0.5 - y)
    k = int(np.argmin(dist)) + 1
    if dist[k - 1] > max(3.0, 0.7 * r0):
        return None
    blob = labels == k
    filled = _fill_holes(blob.astype(np.uint8))
    fb = filled.astype(bool)
    inner = cv2.erode(filled, _K3, iterations=2).astype(bool)
    core = inner & blob
    if core.sum() < 3:
        core = blob
    crop = crop8.astype(np.float32)
    c_col = np.median(crop[core], axis=0)
    # the background around it, in 8 sectors; merged when alike
    bx, by = gx - float(cents[k, 0] + x0 + 0.5), gy - float(cents[k, 1] + y0 + 0.5)
    rr2 = bx**2 + by**2
    r_est = math.sqrt(float(stats[k, cv2.CC_STAT_AREA] + (filled.sum() - blob.sum())) / math.pi)
    near = cv2.dilate(filled, _K7).astype(bool)
    ring = (rr2 >= (r_est + 3.0) ** 2) & (rr2 <= (r_est + 5.5) ** 2) & ~near
    outside = ring if ring.sum() >= 8 else ~near
    if not outside.any():
        return None
    bgs = [np.median(crop[outside], axis=0)]
    sector = ((np.arctan2(by, bx) + math.pi) * (4 / math.pi)).astype(np.int32) % 8
    for m in _sector_medians(crop8[ring], sector[ring]):
        if min(float(np.abs(m - b).max()) for b in bgs) > 12:
            bgs.append(m)
    # per pixel, the background that best explains it as a mix of the blob's colour and that background
    alpha = np.zeros(crop.shape[:2], np.float32)
    best = np.full(crop.shape[:2], np.inf, np.float32)
    for bgc in bgs:
        diff = (c_col - bgc).astype(np.float32)
        dd = float(diff @ diff)
        if dd < 1.0:
            continue
        rel = crop - bgc.astype(np.float32)
        a_k = np.clip(rel @ (diff / dd), 0.0, 1.0)
        res = (rel * rel).sum(axis=2) - a_k * (2 * (rel @ diff)) + a_k * a_k * dd
        better = res < best
        alpha[better] = a_k[better]
        best[better] = res[better]
    # only this blob and its soft edge count; holes in it are covered
    alpha[~near] = 0.0
    alpha[fb & ~blob] = 1.0
    alpha[inner] = 1.0  # shading and highlights inside do not matter
    total = float(alpha.sum())
    if total < 3:
        return None
    cx = float((alpha.sum(axis=0) * gx[0]).sum() / total)
    cy = float((alpha.sum(axis=1) * gy[:, 0]).sum() / total)
    dx, dy = gx - cx, gy - cy
    sxx = float((alpha.sum(axis=0) * dx[0] ** 2).sum() / total)
    syy = float((alpha.sum(axis=1) * dy[:, 0] ** 2).sum() / total)
    sxy = float((alpha * dx * dy).sum() / total)
    tr, det = sxx + syy, sxx * syy - sxy * sxy
    disc = math.sqrt(max(tr * tr / 4 - det, 0.0))
    l1, l2 = tr / 2 + disc, max(tr / 2 - disc, 0.0)
    roundness = math.sqrt(l2 / l1) if l1 > 0 else 0.0
    col = [int(round(float(v))) for v in c_col]
    return Blob(cx, cy, 2.0 * math.sqrt(total / math.pi), (col[0], col[1], col[2]), roundness)


def _sector_medians(pix: np.ndarray, sector: np.ndarray, n: int = 8, min_count: int = 3) -> list[np.ndarray]:
    """Per-sector median colour of ``pix`` (``(N, 3)`` uint8) for every sector with ``min_count`` pixels or more."""
    counts = np.bincount(sector, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    meds = np.empty((n, 3), np.float32)
    for c in range(3):
        keys = np.sort(sector.astype(np.int32) * 256 + pix[:, c].astype(np.int32))
        idx = np.minimum(starts + counts // 2, max(len(keys) - 1, 0))
        meds[:, c] = (keys[idx] % 256) if len(keys) else 0
    return [meds[k] for k in range(n) if counts[k] >= min_count]


_K3 = np.ones((3, 3), np.uint8)
_K7 = np.ones((7, 7), np.uint8)


def _fill_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` (uint8 0/1) with every hole filled."""
    h, w = mask.shape
    pad = np.zeros((h + 2, w + 2), np.uint8)
    pad[1:-1, 1:-1] = mask
    flood = pad.copy()
    ff = np.zeros((h + 4, w + 4), np.uint8)
    cv2.floodFill(flood, ff, (0, 0), 1)
    holes = (flood[1:-1, 1:-1] == 0).astype(np.uint8)
    filled: np.ndarray = mask | holes
    return filled


# --------------------------------------------------------------------------- candidates on a reduced copy


def blob_candidates(
    small: np.ndarray, mask: np.ndarray, diameter_small: tuple[float, float]
) -> list[tuple[float, float, float, float]]:
    """Round components of ``mask`` whose equivalent diameter lies in ``diameter_small`` (reduced px).

    Returns ``(x, y, diameter, hue)`` per candidate, in reduced px (pixel-centre
    convention), hue in degrees (the component's circular mean).
    """
    dmin, dmax = diameter_small
    n, labels, stats, cents = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return []
    area = stats[:, cv2.CC_STAT_AREA].astype(np.float64)
    bw = stats[:, cv2.CC_STAT_WIDTH].astype(np.float64)
    bh = stats[:, cv2.CC_STAT_HEIGHT].astype(np.float64)
    eq = 2.0 * np.sqrt(area / math.pi)
    aspect = np.minimum(bw, bh) / np.maximum(bw, bh)
    fill = area / (bw * bh)
    ok = (eq >= dmin) & (eq <= dmax) & (aspect >= 0.5) & (fill >= 0.45)
    ok[0] = False
    if not ok.any():
        return []
    hsv = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2HSV_FULL)
    on = labels > 0
    lab = labels[on]
    ang = hsv[..., 0][on].astype(np.float32) * np.float32(2 * math.pi / 256)
    sx = np.bincount(lab, np.cos(ang), minlength=n)
    sy = np.bincount(lab, np.sin(ang), minlength=n)
    hue = np.rad2deg(np.arctan2(sy, sx)) % 360.0
    return [(float(cents[i, 0]) + 0.5, float(cents[i, 1]) + 0.5, float(eq[i]), float(hue[i])) for i in np.flatnonzero(ok)]


def _near_line(p: Point, line: tuple[Point, Point], tol: float) -> bool:
    """Is ``p`` within ``tol`` px of the segment ``line`` (extended by ``tol`` at both ends)?"""
    (ax, ay), (bx, by) = line
    vx, vy = bx - ax, by - ay
    length = math.hypot(vx, vy)
    if length == 0:
        return math.hypot(p[0] - ax, p[1] - ay) <= tol
    ux, uy = vx / length, vy / length
    t = (p[0] - ax) * ux + (p[1] - ay) * uy
    if t < -tol or t > length + tol:
        return False
    return abs((p[0] - ax) * uy - (p[1] - ay) * ux) <= tol


def _chroma(c: Sequence[int]) -> float:
    return float(max(c) - min(c))


def _consistent(found: list[Blob]) -> list[Blob]:
    """Drop blobs whose colour is much duller than the markers' (a tiny print dot blurred into its cloth).

    A marker's core shows the sticker's own colour; a dot smaller than the
    smallest marker, blurred, shows a mix of it and what is around it.
    """
    if len(found) < 2:
        return found
    ref = float(np.median([_chroma(b.color) for b in found]))
    return [b for b in found if _chroma(b.color) >= MIN_CHROMA_RATIO * ref]


def find_markers(
    rgb: np.ndarray,
    *,
    diameter_px: tuple[float, float],
    color: RGB | None = None,
    reduced: tuple[np.ndarray, float] | None = None,
    exclude: Sequence[Blob] = (),
    line: tuple[Point, Point] | None = None,
) -> tuple[tuple[Blob, ...], RGB | None]:
    """Every adhesive marker in the photo, with sub-pixel centres, and the colour looked for.

    ``diameter_px``: the markers' ``(min, max)`` diameter in full-resolution px
    (:func:`marker_diameter_window`). ``color``: the markers' colour; ``None``
    finds it (the hue with the most round, right-sized, saturated blobs away from
    the plumb line). ``reduced``: a reduced copy and its factor (original px per
    reduced px), as the caller may have one. ``exclude``: blobs that are not
    markers (the plumb line's marks); anything on ``line`` (the plumb line, two
    points) is not a marker either. Rejected: skin highlights (unsaturated),
    clothes' patterns (wrong size, not round, wrong colour), noise.

    Returns the markers sorted top to bottom (then left to right) and the colour
    used (the given one, or the found one; ``None`` when no colour has at least
    ``MIN_AUTO_MARKERS`` markers). A given colour that is not saturated (white,
    grey, black markers) raises :class:`DetectError`: such markers cannot be told
    from skin highlights and clothes by colour.
    """
    if color is not None:
        _, cs, _ = hue_saturation_value(np.asarray(color, np.uint8).reshape(1, 1, 3))
        if float(cs.ravel()[0]) < MIN_COLOR_SATURATION:
            hexa = "#{:02X}{:02X}{:02X}".format(*color)
            raise DetectError(f"{hexa} is not a saturated colour: markers are found by their colour, so use coloured ones.")
    small, f = reduced if reduced is not None else reduce_image(rgb)
    dmin, dmax = diameter_px
    cands = blob_candidates(small, color_mask(small, color), (max(1.5, 0.7 * dmin / f), 1.4 * dmax / f + 1.0))

    def excluded(x: float, y: float, d: float) -> bool:
        for b in exclude:
            if math.hypot(b.x - x, b.y - y) <= (b.diameter_px + d) / 2 + 2:
                return True
        return line is not None and _near_line((x, y), line, max(0.6 * d, 3.0))

    full = [(x * f, y * f, d * f, hh) for x, y, d, hh in cands]
    full = [c for c in full if not excluded(c[0], c[1], c[2])]
    if color is None:
        if not full:
            return (), None
        hues = np.array([c[3] for c in full], np.float32)
        counts = [(int((hue_gap(hues, h) <= HUE_TOLERANCE_DEG).sum()), -i) for i, h in enumerate(hues)]
        best = full[-max(counts)[1]]
        seed_h = best[3]
        members = hue_gap(hues, seed_h) <= HUE_TOLERANCE_DEG
        ang = np.deg2rad(hues[members])
        ref_h = float(np.rad2deg(math.atan2(float(np.sin(ang).mean()), float(np.cos(ang).mean()))) % 360.0)
        full = [c for c in full if float(hue_gap(c[3], ref_h)) <= HUE_TOLERANCE_DEG]
        if len(full) < MIN_AUTO_MARKERS:
            return (), None
    else:
        ref_h = hue_of(color)
    if color is not None:
        _, cs, _ = hue_saturation_value(np.asarray(color, np.uint8).reshape(1, 1, 3))
        core_s_min = 0.65 * float(cs.ravel()[0])
    else:
        core_s_min = MIN_MARKER_SATURATION
    found: list[Blob] = []
    for x, y, d, _ in full:
        b = refine_blob(rgb, x, y, d, color)
        if b is None or not (dmin <= b.diameter_px <= dmax) or b.roundness < MIN_ROUNDNESS:
            continue
        _, bs, _ = hue_saturation_value(np.asarray(b.color, np.uint8).reshape(1, 1, 3))
        if float(bs.ravel()[0]) < core_s_min:  # skin in shadow, hair, a dull print: not a sticker's colour
            continue
        if float(hue_gap(hue_of(b.color), ref_h)) > HUE_TOLERANCE_DEG or excluded(b.x, b.y, b.diameter_px):
            continue
        if any(math.hypot(b.x - o.x, b.y - o.y) < 0.5 * (b.diameter_px + o.diameter_px) for o in found):
            continue
        found.append(b)
    found = _consistent(found)
    found.sort(key=lambda b: (b.y, b.x))
    if color is not None:
        return tuple(found), color
    if len(found) < MIN_AUTO_MARKERS:
        return (), None
    med = np.median(np.array([b.color for b in found], np.float64), axis=0)
    return tuple(found), (int(round(med[0])), int(round(med[1])), int(round(med[2])))
