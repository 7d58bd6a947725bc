"""Two photos of one view at the same scale, aligned at the plumb line: what the compare page shows side by side.

Each photo comes with its result (spec §7): ``cm_per_px`` (the scale) and
``plumb_line`` (``p1`` the anchor, ``p2`` upward along the true vertical, in
original-image pixels). Each photo is mapped by a similarity transform
(rotation, uniform scale, translation) into one **plumb frame** shared by
both outputs:

* the plumb line becomes the output's vertical, pointing down from ``p2`` to
  ``p1`` (so a rolled camera is straightened too);
* one output pixel is ``cm_per_px`` centimetres in both outputs (the coarser
  photo's scale, never upsampled, coarser still if the canvas would exceed
  ``max_side``);
* both anchors land on the same output pixel, :attr:`AlignedPair.anchor_px`.

So a point ``du`` cm to the image-right of the plumb line and ``dv`` cm below
the anchor (negative: above) lands at ``anchor_px + (du, dv) / cm_per_px`` in
either output. The canvas is the union of both photos; what neither covers is
``background``. Inputs are never modified.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from posture.result import PlumbLine, Result

__all__ = ["AlignedPair", "align_pair", "cannot_align", "plumb_frame_matrix"]

#: Pre-shrink with area averaging when a photo is reduced by more than this (a warp alone would alias).
_AREA_BELOW = 0.5


@dataclass(frozen=True)
class AlignedPair:
    """Two ``(H, W, 3)`` uint8 images of one shape, same ``cm_per_px``, plumb anchors at ``anchor_px`` ``(x, y)``."""

    before: np.ndarray
    after: np.ndarray
    cm_per_px: float
    anchor_px: tuple[float, float]
    #: Each input's 2 × 3 affine matrix from *original-image* pixels to output pixels.
    matrices: tuple[np.ndarray, np.ndarray]

    def overlay(self, alpha: float = 0.5) -> np.ndarray:
        """The two blended, ``alpha`` of ``after`` (0.5: both at half strength), as a new image."""
        return cv2.addWeighted(self.after, alpha, self.before, 1.0 - alpha, 0.0)


def cannot_align(before: Result, after: Result) -> str | None:
    """Why these two results' photos cannot be aligned (one sentence), or ``None`` when they can."""
    for which, r in (("earlier", before), ("later", after)):
        if not r.get("cm_per_px"):
            return f"The {which} photo has no scale, so the two cannot be shown at the same scale."
        if not r.get("plumb_line"):
            return f"The {which} photo has no plumb line, so the two cannot be aligned at it."
    return None


def _axes(plumb: PlumbLine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The anchor, the unit vector down the plumb line and the one to the image-right of it, in image pixels."""
    anchor = np.asarray(plumb["p1"], dtype=float)
    down = anchor - np.asarray(plumb["p2"], dtype=float)
    length = float(np.hypot(*down))
    if length == 0:
        raise ValueError("The plumb line has no length, so the photo cannot be aligned at it.")
    down /= length
    right = np.array([down[1], -down[0]])  # (0, 1) down → (1, 0) right: a quarter turn in image coordinates
    return anchor, down, right


def plumb_frame_matrix(
    plumb: PlumbLine, cm_per_px: float, out_cm_per_px: float, anchor_out: Sequence[float], image_scale: float = 1.0
) -> np.ndarray:
    """The 2 × 3 affine matrix from a photo's pixels to the output's (module docstring).

    ``plumb`` and ``cm_per_px`` are in original-image pixels; ``image_scale``
    is the pixels of the image handed in per original pixel (a display copy's
    scale; 1 for the original). The anchor goes to ``anchor_out``.

    >>> m = plumb_frame_matrix({"p1": [100.0, 500.0], "p2": [100.0, 0.0]}, 0.2, 0.4, (50.0, 300.0))
    >>> (m @ [150.0, 400.0, 1.0]).tolist()  # 10 cm right, 20 cm above the anchor: 25 px right, 50 px up
    [75.0, 250.0]
    """
    anchor, down, right = _axes(plumb)
    k = cm_per_px / out_cm_per_px  # output px per original px
    linear = np.vstack([right, down]) * k
    offset = np.asarray(anchor_out, dtype=float) - linear @ anchor
    return np.hstack([linear / image_scale, offset[:, None]])


def _corners_cm(shape: tuple[int, ...], plumb: PlumbLine, cm_per_px: float, image_scale: float) -> np.ndarray:
    """The image's four corners in the plumb frame, in cm (``(4, 2)``: right of the line, below the anchor)."""
    h, w = shape[:2]
    m = plumb_frame_matrix(plumb, cm_per_px, 1.0, (0.0, 0.0), image_scale)
    corners = np.array([[0, 0, 1], [w, 0, 1], [0, h, 1], [w, h, 1]], dtype=float)
    out: np.ndarray = corners @ m.T
    return out


def _warp(image: np.ndarray, m: np.ndarray, size: tuple[int, int], background: tuple[int, int, int]) -> np.ndarray:
    """``image`` warped by ``m`` onto a ``size`` = (w, h) canvas, area-averaged first when shrinking a lot."""
    shrink = math.sqrt(abs(np.linalg.det(m[:, :2])))
    if shrink < _AREA_BELOW:
        h, w = image.shape[:2]
        small = (max(1, round(w * shrink)), max(1, round(h * shrink)))
        fx, fy = small[0] / w, small[1] / h
        image = cv2.resize(image, small, interpolation=cv2.INTER_AREA)
        m = m @ np.array([[1 / fx, 0, 0], [0, 1 / fy, 0], [0, 0, 1]])  # resized px → original px → output
    return cv2.warpAffine(
        np.ascontiguousarray(image), m, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=background
    )


def align_pair(
    before: np.ndarray,
    before_result: Result,
    after: np.ndarray,
    after_result: Result,
    *,
    before_scale: float = 1.0,
    after_scale: float = 1.0,
    max_side: int = 1400,
    background: tuple[int, int, int] = (255, 255, 255),
) -> AlignedPair:
    """Both photos resampled to one ``cm_per_px`` and placed so that their plumb lines coincide (module docstring).

    ``before``/``after``: ``(H, W, 3)`` uint8 images (the photos or the
    annotated images); ``*_scale``: their pixels per original-image pixel
    (1 when they are the originals). Raises :class:`ValueError` with
    :func:`cannot_align`'s sentence when a result has no scale or no plumb line.
    """
    problem = cannot_align(before_result, after_result)
    if problem:
        raise ValueError(problem)
    inputs = ((before, before_result, before_scale), (after, after_result, after_scale))
    corners = np.vstack([_corners_cm(img.shape, r["plumb_line"], r["cm_per_px"], s) for img, r, s in inputs])  # type: ignore[arg-type]
    low, high = corners.min(axis=0), corners.max(axis=0)
    extent = high - low
    coarsest = max(r["cm_per_px"] / s for _, r, s in inputs)  # type: ignore[operator]  # cm per pixel handed in
    out = max(coarsest, float(extent.max()) / max_side)
    size = (max(1, math.ceil(extent[0] / out)), max(1, math.ceil(extent[1] / out)))
    anchor = (float(-low[0] / out), float(-low[1] / out))
    matrices = tuple(plumb_frame_matrix(r["plumb_line"], r["cm_per_px"], out, anchor, s) for _, r, s in inputs)  # type: ignore[arg-type]
    images = [_warp(np.asarray(img), m, size, background) for (img, _, _), m in zip(inputs, matrices, strict=True)]
    return AlignedPair(images[0], images[1], out, anchor, (matrices[0], matrices[1]))
