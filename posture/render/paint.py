"""Painting: an :class:`~.primitives.Overlay` drawn onto a new copy of a photo, and :func:`render_annotated`.

Lines are antialiased OpenCV polylines at 1/16 px precision, each with a dark
halo underneath so it reads on any photo; labels are alpha-blended patches.
The input array is never modified.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from numpy.typing import ArrayLike, NDArray

from posture.document import ViewDocument
from posture.result import Result

from .overlay import build_overlay
from .palette import GRID_ALPHA, HALO_COLOR, RGB
from .primitives import Overlay, Sprite, Stroke

_SUBPIX = 4  # OpenCV fixed-point bits: coordinates are drawn to 1/16 px

Image = NDArray[np.uint8]


def _fixed(points: ArrayLike) -> NDArray[np.int32]:
    """Points (output px) as OpenCV's fixed-point ints with :data:`_SUBPIX` fractional bits."""
    return np.round(np.asarray(points, dtype=np.float64) * (1 << _SUBPIX)).astype(np.int32)


def _blend_patch(out: Image, patch: Sprite, x: int, y: int) -> None:
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


def _polylines(out: Image, strokes: Sequence[Stroke], color: RGB | None, extra: int = 0) -> None:
    """Draw open strokes, batched per (colour, width); ``color`` overrides each stroke's (halos)."""
    groups: dict[tuple[RGB, int], list[NDArray[np.int32]]] = {}
    for st in strokes:
        groups.setdefault((color or st.color, st.width + extra), []).append(_fixed(st.points))
    for (c, width), pts in groups.items():
        cv2.polylines(out, pts, False, c, width, cv2.LINE_AA, _SUBPIX)


def paint(image_rgb: ArrayLike, overlay: Overlay) -> Image:
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
    image_rgb: ArrayLike,
    doc: ViewDocument,
    result: Result,
    *,
    display_scale: float = 1.0,
    grid: bool = False,
    caption: str | None = None,
    legend: bool = True,
    text_scale: float = 1.0,
) -> Image:
    """The photo with the analysis drawn on it, as a **new** RGB uint8 array of the same size.

    ``image_rgb``: ``(H, W, 3)`` uint8 RGB, the original photo or a resized copy
    of it; ``doc``/``result``: the view document and its :func:`posture.analyze`
    result, both in original-image pixels; ``display_scale``: output px per
    original px (``1.0`` for the original, the scale returned by
    :func:`posture.images.display_copy` for the display copy); ``grid``: a
    10 cm grid aligned with the true vertical (only when the view has a
    scale); ``caption``: a line of text in a band at the bottom (see
    :func:`~posture.render.caption_text`); ``legend``: the colour legend in the top-left corner;
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
