"""Photo input: every bad file gets one clear sentence; good ones come out upright and without metadata."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from posture import images
from posture.errors import ImageError


def _photo(w: int = 600, h: int = 400) -> Image.Image:
    rng = np.random.default_rng(7)
    arr = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    arr[:, : w // 3] = (200, 30, 30)  # a red band on the left edge tells orientation apart
    return Image.fromarray(arr)


def _jpeg_with_exif(orientation: int | None = None, gps: bool = False) -> bytes:
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 13.0, 40.0), 3: "E", 4: (21.0, 0.0, 33.0)}
    exif[0x010F] = "PhoneMaker"
    buf = io.BytesIO()
    _photo().save(buf, format="JPEG", exif=exif.tobytes(), quality=95)
    return buf.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width × height`` with almost no pixel data (a decompression bomb shape)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_common_formats_decode_to_rgb(fmt: str) -> None:
    buf = io.BytesIO()
    _photo().save(buf, format=fmt)
    out = images.decode_image(buf.getvalue(), f"x.{fmt.lower()}")
    assert out.shape == (400, 600, 3) and out.dtype == np.uint8
    assert out[200, 50, 0] > 150 and out[200, 50, 1] < 100  # the red band stays on the left, RGB order


def test_heic_decodes_with_orientation_applied() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")  # pinned in requirements.txt, so always present
    pillow_heif.register_heif_opener()
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise on display
    buf = io.BytesIO()
    _photo().save(buf, format="HEIF", exif=exif.tobytes())
    out = images.decode_image(buf.getvalue(), "phone.heic")
    assert out.shape[:2] == (600, 400)  # portrait after orientation


def test_exif_orientation_applied_to_jpeg() -> None:
    out = images.decode_image(_jpeg_with_exif(orientation=6), "phone.jpg")
    assert out.shape[:2] == (600, 400)
    # orientation 6 = rotate 90° CW: the left red band ends up on top
    assert out[20, 200, 0] > 150 and out[20, 200, 1] < 100


def test_stored_copy_has_no_exif_or_gps() -> None:
    data = _jpeg_with_exif(orientation=6, gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get(0x8825) is not None  # the input really has GPS
    image, clean = images.strip_metadata_copy(data, "phone.jpg")
    reread = Image.open(io.BytesIO(clean))
    assert len(reread.getexif()) == 0
    assert "exif" not in reread.info
    assert reread.size == (image.shape[1], image.shape[0]) == (400, 600)


def test_not_an_image_is_one_clear_sentence() -> None:
    with pytest.raises(ImageError) as exc:
        images.decode_image(b"%PDF-1.7 definitely not a photo", "notes.pdf")
    msg = str(exc.value)
    assert "notes.pdf" in msg and "JPEG" in msg and "\n" not in msg


def test_empty_file() -> None:
    with pytest.raises(ImageError, match="empty"):
        images.decode_image(b"", "blank.jpg")


def test_truncated_jpeg() -> None:
    buf = io.BytesIO()
    _photo(600, 400).save(buf, format="JPEG", quality=95)
    data = buf.getvalue()
    with pytest.raises(ImageError, match="truncated") as exc:
        images.decode_image(data[: len(data) // 2], "cut.jpg")
    assert "\n" not in str(exc.value)


def test_oversized_png_refused_before_decoding() -> None:
    with pytest.raises(ImageError) as exc:
        images.decode_image(_png_header_only(20000, 20000), "huge.png")
    msg = str(exc.value)
    assert "400 MP" in msg and "60 MP" in msg and "\n" not in msg


def test_over_the_limit_but_under_pillows_bomb_guard() -> None:
    with pytest.raises(ImageError) as exc:
        images.decode_image(_png_header_only(9000, 8000), "big.png")
    assert "9000×8000" in str(exc.value) and "72 MP" in str(exc.value)


def test_just_under_the_limit_is_not_refused_for_size() -> None:
    # 7000 × 8000 = 56 MP passes the size check (its pixel data is bogus, so it fails later as damaged)
    with pytest.raises(ImageError) as exc:
        images.decode_image(_png_header_only(7000, 8000), "big.png")
    assert "MP" not in str(exc.value)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ImageError, match="not found"):
        images.load_image(tmp_path / "nope.jpg")


def test_display_copy_downscales_long_side() -> None:
    img = np.zeros((3000, 2000, 3), np.uint8)
    small, scale = images.display_copy(img, max_side=1500)
    assert small.shape[:2] == (1500, 1000) and scale == pytest.approx(0.5)
    same, one = images.display_copy(np.zeros((100, 80, 3), np.uint8), max_side=1500)
    assert same.shape == (100, 80, 3) and one == 1.0


def test_save_image_is_atomic_and_clean(tmp_path) -> None:
    img = np.asarray(_photo())
    target = tmp_path / "stored.jpg"
    images.save_image(img, target)
    assert Image.open(target).getexif() == {} or len(Image.open(target).getexif()) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["stored.jpg"]  # no temp files left behind
    with pytest.raises(ImageError, match=r"\.jpg or \.png"):
        images.save_image(img, tmp_path / "stored.gif")
    assert [p.name for p in tmp_path.iterdir()] == ["stored.jpg"]


def _bare_jpeg() -> bytes:
    """A JPEG as this package writes it: only a JFIF header, no metadata."""
    return images.encode_jpeg(np.asarray(_photo()), quality=90)


def test_a_bare_jpeg_is_kept_byte_for_byte() -> None:
    data = _bare_jpeg()
    assert images.jpeg_is_clean(data)
    assert images.clean_jpeg(data, "bare.jpg") == (data, 600, 400)


def test_a_jpeg_with_metadata_is_re_encoded_upright_and_bare() -> None:
    data = _jpeg_with_exif(orientation=6, gps=True)
    assert not images.jpeg_is_clean(data)
    clean, w, h = images.clean_jpeg(data, "phone.jpg")
    assert (w, h) == (400, 600) and clean != data and images.jpeg_is_clean(clean)
    assert b"PhoneMaker" not in clean and len(Image.open(io.BytesIO(clean)).getexif()) == 0


def test_metadata_after_the_scan_or_the_end_marker_is_not_clean() -> None:
    data = _bare_jpeg()
    assert not images.jpeg_is_clean(data + b"trailing")
    assert not images.jpeg_is_clean(data[:-2] + b"\xff\xfe\x00\x05hi\xff\xd9")  # a comment after the scan


def test_a_bare_but_broken_jpeg_is_refused_with_one_sentence() -> None:
    """The structure looks clean, so the quick probe decode is what catches it (a zero-sized frame)."""
    data = bytearray(_bare_jpeg())
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = b"\x00\x00\x00\x00"
    assert images.jpeg_is_clean(bytes(data))
    with pytest.raises(ImageError) as exc:
        images.clean_jpeg(bytes(data), "broken.jpg")
    assert "broken.jpg" in str(exc.value) and "\n" not in str(exc.value)
    with pytest.raises(ImageError, match="not a photo"):
        images.clean_jpeg(b"%PDF-1.7 not a photo", "notes.pdf")
