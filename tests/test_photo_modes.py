"""Issue 12, item 2: every photo decodes to what a person sees, or is refused with one sentence.

Each source image is made here with known pixels; the test compares the mean of
what the app keeps (the decoded RGB and the stored JPEG) with the mean a person
sees in the source (worked out here from the source's own numbers).
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from posture import images
from posture.errors import ImageError

W, H = 400, 320  # at least images.MIN_SHORT_SIDE on the short side


def _ramp16() -> np.ndarray:
    """A smooth 16-bit grey ramp over the whole range (0 … 65535)."""
    x = np.linspace(0.0, 1.0, W)[None, :] * np.linspace(0.2, 1.0, H)[:, None]
    return np.rint(x * 65535).astype(np.uint16)


def _saved(img: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def _stored_mean(data: bytes, name: str) -> np.ndarray:
    """Per-channel mean of the JPEG the client file keeps for ``data``."""
    clean, w, h = images.clean_jpeg(data, name)
    assert (w, h) == (W, H)
    return np.asarray(Image.open(io.BytesIO(clean)).convert("RGB"), dtype=np.float64).mean(axis=(0, 1))


def _check(data: bytes, name: str, seen_rgb_mean: np.ndarray | float) -> None:
    expected = np.broadcast_to(np.asarray(seen_rgb_mean, dtype=np.float64), (3,))
    out = images.decode_image(data, name)
    assert out.shape == (H, W, 3) and out.dtype == np.uint8
    np.testing.assert_allclose(out.astype(np.float64).mean(axis=(0, 1)), expected, atol=0.6)
    np.testing.assert_allclose(_stored_mean(data, name), expected, atol=1.5)


@pytest.mark.parametrize(
    ("mode", "fmt", "dtype"),
    [("I;16", "PNG", "<u2"), ("I;16", "TIFF", "<u2"), ("I;16B", "TIFF", ">u2")],
)
def test_16_bit_grey_is_scaled_not_clipped_to_white(mode: str, fmt: str, dtype: str) -> None:
    g = _ramp16()
    src = Image.frombytes(mode, (W, H), g.astype(dtype).tobytes())
    data = _saved(src, fmt)
    assert Image.open(io.BytesIO(data)).mode.startswith("I;16")  # really a 16-bit file
    seen = g.astype(np.float64).mean() / 257.0  # 65535 is white, 0 black
    assert seen < 150  # the bug made it 255 (white)
    _check(data, f"grey16.{fmt.lower()}", seen)


@pytest.mark.parametrize("ext", [".png", ".tiff"])
def test_16_bit_rgb_keeps_its_colours(ext: str) -> None:
    g = _ramp16()
    rgb16 = np.stack([g, (g // 2), 65535 - g], axis=2)  # R, G, B
    ok, buf = cv2.imencode(ext, cv2.cvtColor(rgb16, cv2.COLOR_RGB2BGR))
    assert ok
    _check(buf.tobytes(), f"rgb48{ext}", rgb16.reshape(-1, 3).astype(np.float64).mean(axis=0) / 257.0)


def _palette_image() -> tuple[Image.Image, np.ndarray]:
    idx = (np.arange(W)[None, :] * 4 // W + np.zeros((H, 1), int)).astype(np.uint8)  # four vertical bands
    colours = np.array([[200, 30, 30], [30, 160, 60], [20, 40, 220], [240, 240, 240]], np.float64)
    img = Image.fromarray(idx, "P")
    img.putpalette(colours.astype(np.uint8).ravel().tolist() + [0] * (768 - 12))
    return img, colours[idx]


def test_palette_without_transparency() -> None:
    img, rgb = _palette_image()
    _check(_saved(img, "PNG"), "palette.png", rgb.reshape(-1, 3).mean(axis=0))


def test_palette_with_a_transparent_colour_shows_white_there() -> None:
    img, rgb = _palette_image()
    rgb[rgb[..., 2] == 220] = 255.0  # colour 2 is transparent: the page's white shows
    data = _saved(img, "PNG", transparency=2)
    assert Image.open(io.BytesIO(data)).info.get("transparency") == 2
    _check(data, "palette_t.png", rgb.reshape(-1, 3).mean(axis=0))


def test_grey_with_alpha_is_composited_over_white() -> None:
    grey = np.rint(np.linspace(0, 255, W))[None, :].repeat(H, 0).astype(np.uint8)
    alpha = np.rint(np.linspace(255, 60, H))[:, None].repeat(W, 1).astype(np.uint8)
    src = Image.fromarray(np.stack([grey, alpha], axis=2), "LA")
    a = alpha / 255.0
    seen = (grey * a + 255 * (1 - a)).mean()
    _check(_saved(src, "PNG"), "la.png", seen)


def test_rgba_is_composited_over_white() -> None:
    rgb = np.zeros((H, W, 3), np.uint8)
    rgb[..., 0], rgb[..., 2] = 180, 40
    alpha = np.rint(np.linspace(0, 255, W))[None, :].repeat(H, 0).astype(np.uint8)
    src = Image.fromarray(np.dstack([rgb, alpha]), "RGBA")
    a = (alpha / 255.0)[..., None]
    seen = (rgb * a + 255 * (1 - a)).reshape(-1, 3).mean(axis=0)
    _check(_saved(src, "PNG"), "rgba.png", seen)


@pytest.mark.parametrize("fmt", ["JPEG", "TIFF"])
def test_cmyk(fmt: str) -> None:
    c = np.rint(np.linspace(0, 200, W))[None, :].repeat(H, 0)
    m = np.full((H, W), 60.0)
    y = np.rint(np.linspace(0, 120, H))[:, None].repeat(W, 1)
    k = np.full((H, W), 40.0)
    src = Image.fromarray(np.stack([c, m, y, k], axis=2).astype(np.uint8), "CMYK")
    data = _saved(src, fmt, **({"quality": 98} if fmt == "JPEG" else {}))
    assert Image.open(io.BytesIO(data)).mode == "CMYK"
    seen = np.stack([(255 - ch) * (255 - k) / 255 for ch in (c, m, y)], axis=2).reshape(-1, 3).mean(axis=0)
    _check(data, f"cmyk.{fmt.lower()}", seen)


def test_32_bit_integers_within_16_bits_are_scaled_as_16_bit() -> None:
    g = _ramp16().astype(np.int32)
    data = _saved(Image.fromarray(g, "I"), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "I"
    _check(data, "int32.tiff", g.mean() / 257.0)


def test_32_bit_integers_beyond_16_bits_are_refused() -> None:
    g = _ramp16().astype(np.int32) * 1000
    with pytest.raises(ImageError) as exc:
        images.decode_image(_saved(Image.fromarray(g, "I"), "TIFF"), "counts.tiff")
    assert "counts.tiff" in str(exc.value) and "16-bit" in str(exc.value) and "\n" not in str(exc.value)


def test_floating_point_0_to_1_is_scaled() -> None:
    f = (_ramp16() / 65535.0).astype(np.float32)
    data = _saved(Image.fromarray(f, "F"), "TIFF")
    assert Image.open(io.BytesIO(data)).mode == "F"
    _check(data, "float.tiff", f.mean() * 255.0)


def test_floating_point_outside_0_to_1_is_refused() -> None:
    f = (_ramp16() / 65535.0 * 4000.0).astype(np.float32)
    with pytest.raises(ImageError, match=r"float\.tiff stores floating-point numbers outside 0–1"):
        images.decode_image(_saved(Image.fromarray(f, "F"), "TIFF"), "float.tiff")


def test_bilevel_png() -> None:
    bits = (np.arange(W)[None, :] < W // 4).repeat(H, 0)  # the left quarter white, the rest black
    src = Image.fromarray(bits).convert("1")
    _check(_saved(src, "PNG"), "bits.png", bits.mean() * 255.0)


def test_a_colour_model_the_app_does_not_convert_is_refused() -> None:
    data = _saved(Image.new("LAB", (W, H), (128, 128, 128)), "TIFF")
    with pytest.raises(ImageError) as exc:
        images.decode_image(data, "lab.tiff")
    assert "lab.tiff" in str(exc.value) and "LAB" in str(exc.value) and "\n" not in str(exc.value)


# --- size, shape and format ------------------------------------------------------------------


def _png(w: int, h: int) -> bytes:
    return _saved(Image.new("RGB", (w, h), (90, 120, 150)), "PNG")


@pytest.mark.parametrize("size", [(1, 1), (299, 600), (600, 299), (1, 60000), (60000, 1)])
def test_too_small_or_too_thin_photos_are_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ImageError) as exc:
        images.decode_image(_png(*size), "tiny.png")
    msg = str(exc.value)
    assert "tiny.png" in msg and f"{size[0]}×{size[1]}" in msg and "\n" not in msg
    assert "300 pixels" in msg


@pytest.mark.parametrize("size", [(300, 1801), (1900, 310)])
def test_an_aspect_ratio_no_standing_person_has_is_refused(size: tuple[int, int]) -> None:
    with pytest.raises(ImageError, match=r"more than 6 times") as exc:
        images.decode_image(_png(*size), "strip.png")
    assert "\n" not in str(exc.value)


def test_the_aspect_refusal_does_not_round_the_ratio_to_the_limit() -> None:
    with pytest.raises(ImageError) as exc:  # 1:6.01 said "6 times longer ... no photo ... is more than 6 times"
        images.decode_image(_png(300, 1803), "strip.png")
    assert "6.01 times longer" in str(exc.value)


@pytest.mark.parametrize("size", [(300, 300), (300, 1800), (1800, 300)])
def test_the_limits_themselves_are_accepted(size: tuple[int, int]) -> None:
    assert images.decode_image(_png(*size), "ok.png").shape == (size[1], size[0], 3)


def test_the_store_path_refuses_the_aspect_ratio_too() -> None:
    with pytest.raises(ImageError, match="more than 6 times"):
        images.clean_jpeg(_saved(Image.new("RGB", (1900, 310)), "JPEG"), "strip.jpg")


@pytest.mark.parametrize("fmt", ["BMP", "GIF", "PPM", "ICO"])
def test_formats_the_app_does_not_name_are_refused(fmt: str) -> None:
    src = Image.new("RGB", (W, H), (10, 200, 30)) if fmt != "ICO" else Image.new("RGB", (256, 256))
    data = _saved(src, fmt)
    for refuse in (images.decode_image, images.clean_jpeg):
        with pytest.raises(ImageError) as exc:
            refuse(data, f"photo.{fmt.lower()}")
        msg = str(exc.value)
        assert f"photo.{fmt.lower()}" in msg and "JPEG, PNG, WebP, TIFF or HEIC" in msg and "\n" not in msg


def test_a_huge_png_text_chunk_gets_a_plain_sentence() -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "x" * (20 * 1024 * 1024), zip=True)  # 20 MB of text, compressed to a few KB
    data = _saved(Image.new("RGB", (W, H)), "PNG", pnginfo=info)
    assert len(data) < 100_000
    with pytest.raises(ImageError) as exc:
        images.decode_image(data, "chunky.png")
    msg = str(exc.value)
    assert "chunky.png" in msg and "hidden text" in msg and "\n" not in msg
    assert "Decompressed" not in msg and "MAX_TEXT" not in msg and "PngImagePlugin" not in msg


# --- bounded memory ----------------------------------------------------------------------------


def _traced_peak_beyond(data: bytes, pixels: int, bytes_per_pixel: int) -> float:
    """MB that decoding ``data`` allocated at its peak (traced by tracemalloc) beyond ``bytes_per_pixel`` a pixel."""
    import tracemalloc

    tracemalloc.start()
    try:
        out = images.decode_image(data, "big.png")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.shape[0] * out.shape[1] == pixels
    return (peak - bytes_per_pixel * pixels) / 2**20


@pytest.mark.parametrize("mode", ["RGBA", "LA", "I;16", "P", "RGB"])
def test_decoding_costs_the_rgb_array_and_little_more(mode: str) -> None:
    """A 60 MP RGBA PNG cost 3 GB to decode (float copies of the whole image): now every mode is converted in
    strips into the one RGB array (3 bytes a pixel), plus a few MB whatever the photo's size."""
    w, h = 3000, 4000
    base = np.random.default_rng(3).integers(0, 256, (h // 50, w // 50, 4), dtype=np.uint8)
    tile = np.ascontiguousarray(np.kron(base, np.ones((50, 50, 1), np.uint8)))
    src = {
        "RGBA": lambda: Image.fromarray(tile, "RGBA"),
        "LA": lambda: Image.fromarray(np.ascontiguousarray(tile[..., :2]), "LA"),
        "I;16": lambda: Image.fromarray(tile[..., 0].astype(np.uint16) * 257),
        "P": lambda: Image.fromarray(np.ascontiguousarray(tile[..., :3])).quantize(32),
        "RGB": lambda: Image.fromarray(np.ascontiguousarray(tile[..., :3])),
    }[mode]()
    data = _saved(src, "PNG")
    assert Image.open(io.BytesIO(data)).mode.startswith(mode)
    beyond = _traced_peak_beyond(data, w * h, 3)  # the RGB array itself
    assert beyond < 40, f"{mode}: {beyond:.0f} MB beyond the RGB array"  # RGBA was 540 MB more at 12 MP


def test_a_turned_photo_costs_one_copy_more() -> None:
    img = Image.fromarray(np.full((4000, 3000, 3), 90, np.uint8))
    exif = img.getexif()
    exif[0x0112] = 6
    data = _saved(img, "JPEG", exif=exif.tobytes())
    assert _traced_peak_beyond(data, 3000 * 4000, 6) < 40  # the array and its turned copy
