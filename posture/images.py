"""Photos in and out: decode safely, orient, downscale for display, encode without metadata.

Images in the core are **RGB** ``uint8`` arrays of shape ``(H, W, 3)``
(OpenCV's BGR appears only inside the functions that call OpenCV). Client
photos are health data: everything written here carries no EXIF (so no GPS,
no camera serial), with the phone's orientation already applied to the pixels.
A JPEG that already carries no metadata is kept byte for byte
(:func:`clean_jpeg`), so a stored photo is not compressed a second time.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .atomic import atomic_write_bytes
from .errors import ImageError

#: Largest photo accepted, in pixels (a 48 MP phone photo fits; 20000×20000 does not).
MAX_PIXELS = 60_000_000
#: Long side of the copy shown in the browser.
DISPLAY_MAX_SIDE = 1400
#: JPEG quality of a photo that has to be re-encoded (stored copies, downloads).
PHOTO_QUALITY = 95
ACCEPTED = "JPEG, PNG, WebP, TIFF or HEIC"

_heif_registered = False


def _register_heif() -> None:
    global _heif_registered
    if not _heif_registered:
        try:
            from pillow_heif import register_heif_opener
        except ImportError:  # pragma: no cover - optional at run time, pinned in requirements
            return
        register_heif_opener()
        _heif_registered = True


def decode_image(data: bytes, name: str = "the file") -> np.ndarray:
    """Decode an uploaded photo to RGB, with its EXIF orientation applied.

    Raises :class:`ImageError` with one sentence for a non-image, a truncated
    or corrupt file, or a photo larger than :data:`MAX_PIXELS`. The size is
    checked from the header, before any pixel is decoded.
    """
    _register_heif()
    if not data:
        raise ImageError(f"{name} is empty.")
    try:
        img: Image.Image = Image.open(io.BytesIO(data))
        w, h = img.size
        if w * h > MAX_PIXELS:
            raise ImageError(_too_large(name, f"{w}×{h} pixels ({w * h / 1e6:.0f} MP)"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked above
            img.load()
            img = ImageOps.exif_transpose(img)
            rgb = img.convert("RGB")
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # refused by Pillow while reading the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} MP" if found else "too large"
        raise ImageError(_too_large(name, size)) from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not a photo this app can read ({ACCEPTED}).") from None
    except (OSError, SyntaxError, ValueError) as exc:
        if "truncated" in str(exc).lower() or isinstance(exc, OSError):
            raise ImageError(f"{name} is damaged or incomplete (truncated): upload the original photo again.") from None
        raise ImageError(f"{name} could not be decoded ({exc}).") from None
    return np.asarray(rgb, dtype=np.uint8).copy()


def _too_large(name: str, size: str) -> str:
    return f"{name} is {size}; the limit is {MAX_PIXELS / 1e6:.0f} MP: export a smaller copy of the photo."


def load_image(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a photo from disk (see :func:`decode_image`)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise ImageError(f"Photo not found: {p}.") from None
    except OSError as exc:
        raise ImageError(f"Cannot read the photo {p}: {exc.strerror}.") from None
    return decode_image(data, p.name)


def display_copy(image: np.ndarray, max_side: int = DISPLAY_MAX_SIDE) -> tuple[np.ndarray, float]:
    """A downscaled copy for the screen and the display scale (display px per original px, ≤ 1)."""
    h, w = image.shape[:2]
    scale = min(1.0, max_side / max(h, w))
    if scale >= 1.0:
        return image.copy(), 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def encode_jpeg(image: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes of an RGB image, with no metadata at all."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV only fails on invalid arrays
        raise ImageError("The image could not be encoded as JPEG.")
    return buf.tobytes()


def encode_png(image: np.ndarray) -> bytes:
    """PNG bytes of an RGB image, with no metadata."""
    ok, buf = cv2.imencode(".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_PNG_COMPRESSION, 3])
    if not ok:  # pragma: no cover
        raise ImageError("The image could not be encoded as PNG.")
    return buf.tobytes()


def encode_for_path(image: np.ndarray, path: str | os.PathLike[str]) -> bytes:
    """Encode by the file's extension (``.jpg``/``.jpeg`` or ``.png``)."""
    ext = Path(path).suffix.lower()
    if ext in (".jpg", ".jpeg"):
        return encode_jpeg(image)
    if ext == ".png":
        return encode_png(image)
    raise ImageError(f"Cannot write {Path(path).name}: use a .jpg or .png file name.")


def save_image(image: np.ndarray, path: str | os.PathLike[str]) -> None:
    """Write an RGB image atomically, without metadata (the stored copy of a client photo)."""
    atomic_write_bytes(path, encode_for_path(image, path))


def strip_metadata_copy(data: bytes, name: str = "the file") -> tuple[np.ndarray, bytes]:
    """Decode an upload and return it with a clean JPEG copy (orientation applied, no EXIF/GPS)."""
    image = decode_image(data, name)
    return image, encode_jpeg(image, quality=PHOTO_QUALITY)


# --- JPEGs kept as they are when already bare -------------------------------------------

# APPn (EXIF, XMP, ICC, MPF...) and COM markers; any of them after the first scan means re-encode.
_STRAY_METADATA_RE = re.compile(rb"\xff[\xe0-\xef\xfe]")


def jpeg_is_clean(data: bytes) -> bool:
    """True for a JPEG carrying no metadata: at most a bare JFIF header (no thumbnail), no APP1–APP15
    segment (EXIF with GPS and orientation, XMP, ICC, MPF...), no comment, and nothing after the end marker.

    Conservative: a false "not clean" only costs a re-encode.
    """
    data = bytes(data)
    if not data.startswith(b"\xff\xd8") or not data.endswith(b"\xff\xd9"):
        return False
    i, n = 2, len(data)
    while i + 4 <= n:
        if data[i] != 0xFF:
            return False
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if marker == 0xDA:
            # Entropy-coded data follows, in which 0xFF is only followed by 0x00, a restart or a real marker.
            return _STRAY_METADATA_RE.search(data, i + 2 + length) is None
        if 0xE1 <= marker <= 0xEF or marker == 0xFE:
            return False
        if marker == 0xE0 and (length != 16 or data[i + 4 : i + 9] != b"JFIF\x00"):
            return False
        i += 2 + length
    return False


def _probe_clean_jpeg(data: bytes, name: str) -> tuple[int, int]:
    """Size of a clean JPEG, after proving it decodes (at 1/8 scale: the whole scan is read, a fraction of the work)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if img.format != "JPEG" or w * h > MAX_PIXELS:
                raise ValueError("not a JPEG of an accepted size")
            img.draft("RGB", (max(1, w // 8), max(1, h // 8)))
            img.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        decode_image(data, name)  # the full decode gives the one-sentence reason
        raise ImageError(f"{name} could not be decoded.") from None  # pragma: no cover - decode_image raised
    return w, h


def clean_jpeg(data: bytes, name: str = "the file", quality: int = PHOTO_QUALITY) -> tuple[bytes, int, int]:
    """Validated JPEG bytes without metadata, orientation applied, and the size ``(width, height)`` in px.

    A JPEG that is already clean (:func:`jpeg_is_clean`) is kept byte for
    byte (no second compression) once it is proven to decode; anything else
    is decoded (:func:`decode_image`, which applies the EXIF orientation) and
    re-encoded at ``quality``. Raises :class:`ImageError` (one sentence) for
    a file that is not a photo.
    """
    data = bytes(data)
    if jpeg_is_clean(data):
        w, h = _probe_clean_jpeg(data, name)
        return data, w, h
    image = decode_image(data, name)
    h, w = image.shape[:2]
    return encode_jpeg(image, quality), w, h
