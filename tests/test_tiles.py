"""The editor's full-resolution tiles (ui/tiles.py): untrusted requests checked, crops exact, one cached answer."""

from __future__ import annotations

import base64

import cv2
import numpy as np

from posture import images
from ui import tiles
from ui.model import Photo


def _photo(w: int = 3000, h: int = 4000) -> Photo:
    rng = np.random.default_rng(5)
    return Photo.from_image("p.jpg", "d1", rng.integers(0, 256, (h, w, 3), dtype=np.uint8))


def _req(**kw: object) -> dict[str, object]:
    return {"id": "n.1", "image_id": "d1", "x": 1000, "y": 1200, "w": 640, "h": 512, "s": 1, **kw}


def _jpeg_pixels(data: bytes) -> np.ndarray:
    """RGB pixels of JPEG bytes (any size: a tile may be smaller than a posture photo)."""
    return cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def _pixels(tile: dict) -> np.ndarray:
    return _jpeg_pixels(base64.b64decode(tile["url"].split(",", 1)[1]))


def test_a_tile_is_the_originals_crop_at_full_resolution() -> None:
    photo = _photo()
    tile = tiles.answer(_req(), photo, {})
    assert tile is not None
    assert (tile["x"], tile["y"], tile["w"], tile["h"], tile["s"]) == (1000, 1200, 640, 512, 1.0)
    got = _pixels(tile)
    crop = photo.image[1200:1712, 1000:1640]
    assert np.array_equal(got, _jpeg_pixels(images.encode_jpeg(crop, tiles.TILE_JPEG_QUALITY)))
    shifted = photo.image[1201:1713, 1000:1640]
    assert not np.array_equal(got, _jpeg_pixels(images.encode_jpeg(shifted, tiles.TILE_JPEG_QUALITY)))


def test_a_half_scale_tile_is_area_averaged() -> None:
    photo = _photo()
    tile = tiles.answer(_req(s=0.5), photo, {})
    assert tile is not None and tile["s"] == 0.5
    assert _pixels(tile).shape == (256, 320, 3)


def test_requests_are_clipped_capped_and_checked() -> None:
    photo = _photo()
    edge = tiles.answer(_req(x=2900, y=3900, w=640, h=640), photo, {})
    assert edge is not None and (edge["w"], edge["h"]) == (100, 100)
    big = tiles.answer(_req(x=0, y=0, w=3000, h=4000), photo, {})
    assert big is not None and (big["w"], big["h"]) == (tiles.TILE_MAX, tiles.TILE_MAX)
    for bad in (
        _req(image_id="another photo"),
        _req(s=0.25),  # no sharper than the display copy (0.35)
        _req(s=0),
        _req(s=float("nan")),
        _req(w="wide"),
        _req(x=5000),
        {"id": 3},
        None,
        "tile",
    ):
        assert tiles.answer(bad, photo, {}) is None, bad


def test_the_answer_is_made_and_sent_once_per_request() -> None:
    photo = _photo()
    cache: dict = {}
    first = tiles.answer(_req(), photo, cache)
    assert first is not None
    assert tiles.answer(_req(), photo, cache) is None  # the browser has it: later reruns do not carry it again
    assert tiles.answer(None, photo, cache) is None
    other = Photo.from_image("q.jpg", "d2", photo.image)
    again = tiles.answer(_req(image_id="d2"), other, cache)  # the same request id for another photo is a new tile
    assert again is not None and again["image_id"] == "d2"
    second = tiles.answer(_req(id="n.2", x=0, y=0), photo, cache)
    assert second is not None and second is not first and second["x"] == 0
