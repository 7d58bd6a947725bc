"""Full-resolution detail for the editor (issue 11): crops of the upright original, asked for as the view zooms.

The browser first gets only the display copy (:attr:`ui.model.Photo.display_jpeg`). Above that copy's
resolution, the editor asks for a tile: a rectangle of the original in original pixels and a scale ``s``
(tile px per original px, a power of 2, at most 1), sent as the component's ``"tile"`` state::

    {"id": "k3x9.4", "image_id": "<photo digest>", "x": 1536, "y": 896, "w": 1280, "h": 1408, "s": 1}

:func:`answer` checks the request against the photo (one photo's tile never goes to another), crops and
scales it and returns what the editor draws over the display copy, with the same rectangle and a JPEG data
URL. The request is untrusted browser input: anything malformed is ignored, and the rectangle is clipped to
the photo and capped at :data:`TILE_MAX` tile px per side.
"""

from __future__ import annotations

import base64
import math
from typing import Any

import cv2
import numpy as np

from posture import images

from .model import Photo

TILE_MAX = 2048  # tile px per side (editor.js asks for no more)
TILE_JPEG_QUALITY = 90
_CACHE_KEY = "_tile"


def _request(value: Any, photo: Photo) -> tuple[str, int, int, int, int, float] | None:
    """``(id, x0, y0, x1, y1, s)`` of a well-formed request for ``photo``, clipped to it; else ``None``."""
    if not isinstance(value, dict) or value.get("image_id") != photo.digest or not isinstance(value.get("id"), str):
        return None
    try:
        x, y, w, h, s = (float(value[k]) for k in ("x", "y", "w", "h", "s"))
    except (KeyError, TypeError, ValueError):
        return None
    if not all(math.isfinite(v) for v in (x, y, w, h, s)) or not 0 < s <= 1:
        return None
    s = 2.0 ** round(math.log2(s))  # the editor asks for powers of 2
    if s <= photo.display_scale:
        return None  # the display copy is as sharp
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1 = min(photo.width, int(math.ceil(x + w)), x0 + int(TILE_MAX / s))
    y1 = min(photo.height, int(math.ceil(y + h)), y0 + int(TILE_MAX / s))
    if x1 <= x0 or y1 <= y0:
        return None
    return value["id"][:64], x0, y0, x1, y1, s


def crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, s: float) -> np.ndarray:
    """The original's pixels ``[y0:y1, x0:x1]`` at ``s`` tile px per original px (area-averaged below 1)."""
    part = image[y0:y1, x0:x1]
    if s >= 1:
        return np.ascontiguousarray(part)
    size = (max(1, round((x1 - x0) * s)), max(1, round((y1 - y0) * s)))
    return cv2.resize(part, size, interpolation=cv2.INTER_AREA)


def answer(value: Any, photo: Photo, cache: dict[str, Any]) -> dict[str, Any] | None:
    """The tile the editor asked for (``value``), made once and sent once; else ``None``.

    The answer is ``{"id", "image_id", "x", "y", "w", "h", "s", "url"}``. The browser keeps the tiles it got, so
    later reruns do not carry it again (a tile is a few hundred kB). A rerun lost on the way is covered by the
    editor, which asks again under a new id when a request stays unanswered (``TILE_RETRY_MS`` in
    ``editor_tiles.js``).
    """
    req = _request(value, photo)
    if req is None:
        return None
    kept = cache.get(_CACHE_KEY)
    if isinstance(kept, dict) and kept.get("id") == req[0] and kept.get("image_id") == photo.digest:
        return None  # made and sent for this request already
    tid, x0, y0, x1, y1, s = req
    jpeg = images.encode_jpeg(crop(photo.image, x0, y0, x1, y1, s), TILE_JPEG_QUALITY)
    tile = {
        "id": tid,
        "image_id": photo.digest,
        "x": x0,
        "y": y0,
        "w": x1 - x0,
        "h": y1 - y0,
        "s": s,
        "url": "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii"),
    }
    cache[_CACHE_KEY] = tile
    return tile
