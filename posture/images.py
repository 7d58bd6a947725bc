"""Photos in and out: decode safely, orient, downscale for display, encode without metadata.

Images in the core are **RGB** ``uint8`` arrays of shape ``(H, W, 3)``
(OpenCV's BGR appears only inside the functions that call OpenCV). Client
photos are health data: everything written here carries no EXIF (so no GPS,
no camera serial), with the phone's orientation already applied to the pixels.
A JPEG that already carries no metadata is kept byte for byte
(:func:`clean_jpeg`), so a stored photo is not compressed a second time.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import cast

import cv2
import numpy as np
from PIL import ExifTags, Image, UnidentifiedImageError

from .atomic import atomic_write_bytes
from .errors import ImageError
from .inputs import read_input_file

#: Largest photo accepted, in pixels (a 48 MP phone photo fits; 20000×20000 does not).
MAX_PIXELS = 60_000_000
#: Largest photo an assessment works on: a larger upload is reduced to this many pixels as it is decoded
#: (:func:`working_size`), so no accepted photo costs more than about 500 MB from upload to saved report (issue 12).
#: 12.5 MP keeps the usual 12 MP phone photo (4032×3024) as it is and a standing client about 3 000 px tall: 0.06 cm
#: per pixel, far finer than a palpated landmark; a JPEG of 50 MP or more is decoded at half scale by the decoder.
WORKING_PIXELS = 12_500_000
#: Smallest short side of a posture photo, in pixels: below this no landmark can be placed to a useful precision
#: (a thumbnail, a 1×1 pixel). Checked from the header, with the aspect ratio, before any pixel is decoded.
MIN_SHORT_SIDE = 300
#: Longest long side per short side (1:6): no standing person, portrait or landscape, needs more.
MAX_ASPECT = 6.0
#: Largest photo file read from disk (the app's upload limit is the same, in .streamlit/config.toml).
MAX_PHOTO_BYTES = 200 * 1024 * 1024
#: Long side of the copy shown in the browser.
DISPLAY_MAX_SIDE = 1400
#: JPEG quality of a photo that has to be re-encoded (stored copies, downloads).
PHOTO_QUALITY = 95
ACCEPTED = "JPEG, PNG, WebP, TIFF or HEIC"
#: Pillow's names of the formats the app names (:data:`ACCEPTED`); a camera JPEG with a second picture opens as JPEG (format MPO).
FORMATS = ("JPEG", "PNG", "WEBP", "TIFF", "HEIF")
#: Modes Pillow converts to RGB as they are seen (bilevel, grey, palette, CMYK, YCbCr, HSV); CMYK is converted
#: as ``(255 - C)(255 - K)/255`` (no colour profile is applied).
_PLAIN_MODES = ("1", "L", "P", "CMYK", "YCbCr", "RGBX", "HSV")
#: Modes with transparency: composited over white, as the app's white page shows them.
_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")

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


def check_photo_size(width: int, height: int, name: str = "the file", min_short_side: int = MIN_SHORT_SIDE) -> None:
    """The one rule for a posture photo's size: at most :data:`MAX_PIXELS`, at least ``min_short_side``
    (:data:`MIN_SHORT_SIDE`) px on the short side, long side at most :data:`MAX_ASPECT` times the short side.
    Raises :class:`ImageError` (one sentence)."""
    w, h = int(width), int(height)
    if w * h > MAX_PIXELS:
        raise ImageError(_too_large(name, f"{w}×{h} pixels ({w * h / 1e6:.0f} MP)"))
    short, long = min(w, h), max(w, h)
    if short < min_short_side:
        raise ImageError(
            f"{name} is only {w}×{h} pixels; a posture photo needs at least {min_short_side} pixels on its short side: "
            "use the original photo, not a thumbnail."
        )
    if long > MAX_ASPECT * short:
        raise ImageError(
            f"{name} is {w}×{h} pixels, {_times(long / short)} times longer than it is wide, and no photo of a standing person "
            f"is more than {MAX_ASPECT:g} times: use the whole photo."
        )


def _times(ratio: float) -> str:
    """A ratio as the aspect message says it: ``6.01``, ``7``, ``60000`` (never rounded to the limit itself)."""
    return f"{ratio:.2f}".rstrip("0").rstrip(".")


def working_size(width: int, height: int, max_pixels: int = WORKING_PIXELS) -> tuple[int, int]:
    """The size a ``width`` × ``height`` photo is worked on at: as it is up to ``max_pixels``, else the largest
    size of the same shape within ``max_pixels`` (each side scaled by ``sqrt(max_pixels / (width × height))``,
    rounded down).

    >>> working_size(4032, 3024)
    (4032, 3024)
    >>> working_size(6000, 8000)
    (3061, 4082)
    """
    if width * height <= max_pixels:
        return width, height
    s = math.sqrt(max_pixels / (width * height))
    return max(1, int(width * s)), max(1, int(height * s))


def upright_size(data: bytes | Path) -> tuple[int, int] | None:
    """``(width, height)`` of the photo (its bytes, or a regular file already checked by :func:`load_image`) once
    its EXIF orientation is applied (what :func:`decode_image` would give with every pixel kept), from the header
    alone; None when it has none to read (:func:`decode_image` gives the one-sentence reason)."""
    try:
        with _open_photo(io.BytesIO(data) if isinstance(data, bytes | bytearray) else data) as img:
            w, h = int(img.size[0]), int(img.size[1])
            turn = img.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # noqa: BLE001 - not a photo this app reads: no size to give
        return None
    return (h, w) if turn in (5, 6, 7, 8) else (w, h)


def _open_photo(source: io.BytesIO | Path) -> Image.Image:
    """Open (the header only) with the readers of the formats the app names; HEIF only when pillow-heif is
    installed (Pillow has no HEIF of its own)."""
    _register_heif()
    Image.init()
    return Image.open(source, formats=[f for f in FORMATS if f in Image.OPEN])


def decode_image(
    data: bytes, name: str = "the file", *, min_short_side: int = MIN_SHORT_SIDE, max_pixels: int | None = None
) -> np.ndarray:
    """Decode an uploaded photo to RGB as a person sees it, with its EXIF orientation applied.

    ``min_short_side``: :data:`MIN_SHORT_SIDE` for a photo handed in (the app's upload, the command line);
    :func:`clean_jpeg` (the client file's stored images) passes 1 (see its docstring).
    ``max_pixels`` (the app's upload passes :data:`WORKING_PIXELS`): a larger photo comes back reduced to
    :func:`working_size` (a JPEG of 4 × that or more is decoded at half scale or less by the decoder itself; every
    photo is then area-averaged to that size strip by strip), so no full-size RGB array is made; ``None`` keeps
    every pixel.

    Raises :class:`ImageError` with one sentence for a non-image, a format the
    app does not name (:data:`ACCEPTED`; BMP, GIF... are refused), a truncated
    or corrupt file, a photo outside :func:`check_photo_size` (checked from the
    header, before any pixel is decoded), or pixels that have no set brightness
    (see :func:`_to_rgb`).
    """
    if not data:
        raise ImageError(f"{name} is empty.")
    try:
        img = _open_photo(io.BytesIO(data))  # only the named formats' readers run
        check_photo_size(*img.size, name, min_short_side)
        target = working_size(*img.size, max_pixels) if max_pixels else img.size
        if target != img.size and img.format == "JPEG":
            img.draft(img.mode, target)  # the largest of 1/2, 1/4, 1/8 scale that is still at least the target
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked above
            img.load()
            orientation = img.getexif().get(ExifTags.Base.Orientation, 1)  # EXIF, else XMP (as ImageOps.exif_transpose)
            rgb = _to_rgb(img, name, target)
        img.close()  # Pillow's copy goes before the turn copies the array
        rgb = _orient(rgb, orientation)
    except ImageError:
        raise
    except Image.DecompressionBombError as exc:  # refused by Pillow while reading the header
        found = re.search(r"\((\d+) pixels\)", str(exc))
        size = f"{int(found.group(1)) / 1e6:.0f} MP" if found else "too large"
        raise ImageError(_too_large(name, size)) from None
    except UnidentifiedImageError:
        raise ImageError(f"{name} is not a photo this app can read ({ACCEPTED}): save it as a JPEG.") from None
    except (OSError, SyntaxError, ValueError) as exc:
        text = str(exc).lower()
        if "text chunk" in text or "max_text" in text:  # Pillow's "Decompressed data too large for ...MAX_TEXT_CHUNK"
            raise ImageError(
                f"{name} carries more hidden text (metadata) than a photo ever has: export the photo again as a plain JPEG."
            ) from None
        if "truncated" in text or isinstance(exc, OSError):
            raise ImageError(f"{name} is damaged or incomplete (truncated): upload the original photo again.") from None
        raise ImageError(f"{name} is damaged and cannot be read as a photo: upload the original photo again.") from None
    return rgb


#: Pixels converted at a time: every mode is converted in strips of rows into the one output array, so a 60 MP
#: photo costs its decoded copy and the RGB array, not the full-size intermediates a whole-image conversion makes
#: (an RGBA PNG's floating-point composite was 16 bytes a pixel: 3 GB).
_STRIP_PIXELS = 1 << 18


def _strips(img: Image.Image, size: tuple[int, int]) -> Iterator[tuple[int, int, Image.Image, tuple[float, float]]]:
    """From top to bottom, in strips of about :data:`_STRIP_PIXELS` source pixels: the output rows ``(first, end)``
    of an image of ``size``, the source rows they cover (as an image, whole rows), and where within those rows
    the output rows' edges fall (``(top, bottom)``, source px: the box an area average of them uses)."""
    w, h = img.size
    tw, th = size
    sy = h / th
    step = max(1, int(_STRIP_PIXELS / max(w, 1) / sy))
    for o0 in range(0, th, step):
        o1 = min(th, o0 + step)
        top, bottom = o0 * sy, o1 * sy
        y0, y1 = math.floor(top), min(h, math.ceil(bottom))
        yield o0, o1, img.crop((0, y0, w, y1)), (top - y0, bottom - y0)


def _to_rgb(img: Image.Image, name: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """The pixels as a person sees them, as RGB ``uint8``; :class:`ImageError` for pixels with no set brightness.

    * 8-bit RGB as it is; bilevel, grey, palette, CMYK, YCbCr, HSV by Pillow's conversion;
    * 16-bit grey (``I;16``, ``I;16B``...) scaled ``0–65535 → 0–255`` (Pillow's own conversion clips it to
      white); 16-bit RGB comes from Pillow already scaled to 8 bits;
    * ``I`` (32-bit integers): taken as 16-bit values when they lie in ``0–65535``, refused otherwise;
    * ``F`` (floating point): taken as ``0–1`` when it lies there, refused otherwise;
    * transparency (RGBA, LA, a palette's transparent colour) composited over white, as the app's page shows it;
    * any other mode (Lab...) refused.

    Converted in strips of rows (:func:`_strips`): each conversion is per pixel, so the result is the whole image's.
    With a smaller ``size`` each converted strip is area-averaged to its output rows as it goes (Pillow's box
    filter over the strip's exact source box), so the full-size RGB array is never made.
    """
    mode = img.mode
    if mode == "P" and "transparency" in img.info:
        mode = "PA"  # its transparent colour is composited like an alpha channel
    if mode == "I":
        low, high = (int(v) for v in cast(tuple[int, int], img.getextrema()))  # one band: (min, max)
        if low < 0 or high > 65535:
            raise ImageError(
                f"{name} stores 32-bit numbers rather than brightness (values up to {high}): export it as an 8- or 16-bit image."
            )
    convert = _CONVERSIONS.get("I;16" if mode.startswith("I;16") else mode)
    if convert is None:
        raise ImageError(f"{name} uses a colour model ({mode}) this app does not convert: export it as an RGB JPEG or PNG.")
    w, h = img.size
    tw, th = size or img.size
    out = np.empty((th, tw, 3), np.uint8)
    for o0, o1, strip, (top, bottom) in _strips(img, (tw, th)):
        rows = convert(strip)
        if rows is None:
            raise ImageError(
                f"{name} stores floating-point numbers outside 0–1, which have no set brightness: "
                "export it as an 8- or 16-bit image."
            )
        if (tw, th) != (w, h):
            box = (0.0, top, float(w), bottom)
            rows = np.asarray(Image.fromarray(rows).resize((tw, o1 - o0), Image.Resampling.BOX, box=box))
        out[o0:o1] = rows
    return out


def _plain(strip: Image.Image) -> np.ndarray:
    return np.asarray(strip if strip.mode == "RGB" else strip.convert("RGB"), dtype=np.uint8)


def _over_white(strip: Image.Image) -> np.ndarray:
    rgba = np.asarray(strip.convert("RGBA"), dtype=np.float32)
    alpha = rgba[..., 3:] / 255.0
    over_white: np.ndarray = np.clip(np.rint(rgba[..., :3] * alpha + 255.0 * (1.0 - alpha)), 0, 255)
    return over_white.astype(np.uint8)


def _sixteen(strip: Image.Image) -> np.ndarray:
    return _grey(_scale_16(np.asarray(strip)))


def _unit_float(strip: Image.Image) -> np.ndarray | None:
    """``F`` values in 0–1 as grey; ``None`` when a value lies outside (or is not finite)."""
    values = np.asarray(strip, dtype=np.float32)
    if values.size and not (np.isfinite(values).all() and values.min() >= 0.0 and values.max() <= 1.0):
        return None
    return _grey(np.rint(values * 255.0).astype(np.uint8))


_CONVERSIONS: dict[str, Callable[[Image.Image], np.ndarray | None]] = {
    "RGB": _plain,
    **dict.fromkeys(_PLAIN_MODES, _plain),
    **dict.fromkeys(_ALPHA_MODES, _over_white),
    "I;16": _sixteen,
    "I": _sixteen,
    "F": _unit_float,
}

#: EXIF orientation → the turn of the array that shows the photo upright (as ``ImageOps.exif_transpose``).
_TURNS: dict[int, Callable[[np.ndarray], np.ndarray]] = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def _orient(rgb: np.ndarray, orientation: object) -> np.ndarray:
    """``rgb`` turned upright for its EXIF ``orientation`` (1 or unknown: as it is), one copy at most."""
    turn = _TURNS.get(orientation) if isinstance(orientation, int) else None
    return rgb if turn is None else np.ascontiguousarray(turn(rgb))


def _scale_16(values: np.ndarray) -> np.ndarray:
    """16-bit values (any integer dtype, ``0–65535``) to 8 bits, rounded: ``v * 255 / 65535``."""
    wide = values.astype(np.uint32)
    return ((wide * 255 + 32767) // 65535).astype(np.uint8)


def _grey(values: np.ndarray) -> np.ndarray:
    """A grey ``(H, W)`` uint8 array as RGB ``(H, W, 3)``."""
    return np.repeat(values[..., None], 3, axis=2)


def _too_large(name: str, size: str) -> str:
    return f"{name} is {size}; the limit is {MAX_PIXELS / 1e6:.0f} MP: export a smaller copy of the photo."


def load_image(path: str | os.PathLike[str], max_pixels: int | None = WORKING_PIXELS) -> np.ndarray:
    """Read a photo from disk (see :func:`decode_image`): a regular file of at most :data:`MAX_PHOTO_BYTES`,
    checked before it is opened (a pipe or a device is refused, not read).

    As the app's upload, a photo above ``max_pixels`` (:data:`WORKING_PIXELS`) comes back reduced to
    :func:`working_size`: ``detect`` works on the same copy as the app, and ``render`` and ``report`` draw a
    document placed on the full-size photo at the copy's scale (:func:`posture.render.display_scale_for`).
    """
    p = Path(path)
    if not p.exists() and not p.is_symlink():
        raise ImageError(f"Photo not found: {p}.")
    data = read_input_file(p, "photo", MAX_PHOTO_BYTES, ImageError)
    return decode_image(data, p.name, max_pixels=max_pixels)


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


def _probe_clean_jpeg(data: bytes, name: str, min_short_side: int) -> tuple[int, int]:
    """Size of a clean JPEG, after proving it decodes (at 1/8 scale: the whole scan is read, a fraction of the work)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # the size is checked below
            img = Image.open(io.BytesIO(data))
            w, h = img.size
            if img.format != "JPEG":
                raise ValueError("not a JPEG")
            check_photo_size(w, h, name, min_short_side)
            img.draft("RGB", (max(1, w // 8), max(1, h // 8)))
            img.load()
    except ImageError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        decode_image(data, name, min_short_side=min_short_side)  # the full decode gives the one-sentence reason
        raise ImageError(f"{name} could not be decoded.") from None  # pragma: no cover - decode_image raised
    return w, h


#: Bare JPEGs already proven to decode (SHA-256 → size): the same bytes given again (an archive's member referenced by
#: every revision of a visit) are not decoded again. Oldest first, at most :data:`_PROVEN_CLEAN_MAX`.
_PROVEN_CLEAN: dict[bytes, tuple[int, int]] = {}
_PROVEN_CLEAN_MAX = 512
_PROVEN_LOCK = threading.Lock()


def clean_jpeg(
    data: bytes, name: str = "the file", quality: int = PHOTO_QUALITY, *, min_short_side: int = 1
) -> tuple[bytes, int, int]:
    """Validated JPEG bytes without metadata, orientation applied, and the size ``(width, height)`` in px.

    A JPEG that is already clean (:func:`jpeg_is_clean`) is kept byte for
    byte (no second compression) once it is proven to decode; anything else
    is decoded (:func:`decode_image`, which applies the EXIF orientation) and
    re-encoded at ``quality``. Raises :class:`ImageError` (one sentence) for
    a file that is not a photo, in a format the app does not name, or outside
    :func:`check_photo_size`. The short-side minimum is ``min_short_side``, 1 by
    default: the client file stores annotated images and earlier records of any
    size, and an upload was already held to :data:`MIN_SHORT_SIDE` by
    :func:`decode_image`.
    """
    data = bytes(data)
    if jpeg_is_clean(data):
        digest = hashlib.sha256(data).digest()
        size = _PROVEN_CLEAN.get(digest)
        if size is None:
            size = _probe_clean_jpeg(data, name, 1)
            with _PROVEN_LOCK:  # the app's sessions run in threads
                _PROVEN_CLEAN[digest] = size
                while len(_PROVEN_CLEAN) > _PROVEN_CLEAN_MAX:
                    del _PROVEN_CLEAN[next(iter(_PROVEN_CLEAN))]
        check_photo_size(*size, name, min_short_side)
        return data, size[0], size[1]
    image = decode_image(data, name, min_short_side=min_short_side)
    h, w = image.shape[:2]
    return encode_jpeg(image, quality), w, h
