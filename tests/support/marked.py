"""Synthetic *marked* photos with exact sub-pixel ground truth: what detection is tested on.

:func:`marked_photo` draws a client standing in front of a wall beside a plumb
line with two beads on it, with a round adhesive marker on every landmark of
the view, and returns the photo with the truth (:class:`MarkedPhoto`).

Body model. The client is the 3-D body model of ``sample_images/generate.py``
(``client_landmarks(Client(...))``: cm, X toward the client's left, Y up from
the floor, Z forward), imported from that script by path, with its findings
(shoulder drop, head shift, ...) drawn from ``seed`` in plausible clinical
ranges, scaled by ``stature_cm / 170`` (all axes) and ``width_factor`` (X only).
It is projected orthographically as that script's ``View`` does: anterior,
image x grows with +X (the client's right on image-left); posterior, image x
grows with -X; lateral views keep Z, image x growing with +Z when the client
faces image-right (``facing="right"``) and with -Z when facing left. The
camera's scale is fixed by the frame (``cm_per_px`` does not depend on the
stature): a 170 cm client fills 78 % of the frame height, the floor under the
heels at 95 % of it.

Pixel convention (spec §10): pixel ``(i, j)`` covers ``[i, i+1) × [j, j+1)``,
its centre is ``(i + 0.5, j + 0.5)``. Markers and beads are drawn by exact
super-sampled coverage in that convention, so their true centre is known to
far better than 0.01 px. Everything else is drawn with OpenCV's anti-aliased
sub-pixel polygons.

Roll. The scene's geometry is built upright, then every point is rotated
about the image centre ``(W/2, H/2)`` so that a true vertical's upper end
leans ``roll_deg`` to the image-right (spec §3's ``vertical_roll_deg``,
positive clockwise on screen), and drawn in the rolled coordinates (the
final image is never resampled).

Mirror. ``mirror=True`` flips the final image horizontally; every point maps
``x → W − x`` (exact under the pixel-area convention). A mirrored photo shows a
mirrored person, and detection labels by the view's convention (spec §3
item 3's defaults: anterior, the client's right on image-left; posterior, on
image-right), so for frontal views the truth's ids swap ``_r`` ↔ ``_l``; for
lateral views ``facing`` flips. The roll's sign flips too.

Imported as ``support.marked`` by the tests (``tests/`` is on ``sys.path``
under pytest). The product package ``posture`` never imports it.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import cv2
import numpy as np

from posture import landmarks

Point = tuple[float, float]
RGB = tuple[int, int, int]

_GENERATE = Path(__file__).resolve().parents[2] / "sample_images" / "generate.py"

#: A 170 cm client fills this fraction of the frame height; the floor is at ``FLOOR_FRACTION``.
BODY_FRACTION = 0.78
FLOOR_FRACTION = 0.95
#: Height of the lower bead above the floor (cm); the upper one is ``mark_distance_cm`` above it.
LOWER_MARK_CM = 50.0
#: Bead diameter (cm).
BEAD_CM = 2.0

SKIN = (226, 183, 154)
SKIN_SHADE = (208, 164, 136)
HAIR = (62, 46, 36)
TOP = (58, 64, 76)
SHORTS = (44, 48, 58)
WALL_TOP = (238, 235, 229)
WALL_BOTTOM = (222, 218, 210)
FLOOR = (190, 182, 170)
BASEBOARD = (246, 245, 241)
STRING = (36, 34, 32)
BRASS = (186, 146, 70)
DOOR = (96, 70, 52)


@cache
def _generate() -> ModuleType:
    """``sample_images/generate.py`` as a module (it is a script with a ``__main__`` guard)."""
    spec = importlib.util.spec_from_file_location("_posture_sample_generate", _GENERATE)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@dataclass(frozen=True)
class MarkedPhoto:
    """A generated photo and its truth (all points in the photo's upright pixels, spec §10 convention).

    ``rgb``: the photo (``uint8``, ``(H, W, 3)``; the decoded JPEG when ``jpeg`` is set).
    ``truth``: every *visible* marker's centre by landmark id (ids as detection
    should label them, see the module docstring on mirroring). ``hidden``: markers
    drawn and then covered by an arm (not in ``truth``). ``plumb_marks``: the two
    beads' centres (top, bottom). ``plumb_line``: two points on the string (upper
    first). ``roll_deg``: spec §3's ``vertical_roll_deg`` of the plumb line.
    ``cm_per_px``: the true scale. ``marker_diameter_px``: the markers' diameter.
    ``stature_px``: the client's stature in pixels.
    """

    rgb: np.ndarray
    jpeg: bytes | None
    view: str
    facing: str | None
    truth: dict[str, Point]
    hidden: tuple[str, ...]
    plumb_marks: tuple[Point, Point]
    plumb_line: tuple[Point, Point]
    roll_deg: float
    cm_per_px: float
    marker_color: RGB
    marker_diameter_px: float
    mark_distance_cm: float
    mark_color: RGB = (220, 40, 30)
    stature_px: float = 0.0
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)``."""
        return (int(self.rgb.shape[1]), int(self.rgb.shape[0]))


# --------------------------------------------------------------------------- geometry


class _Camera:
    """Body cm → upright image px → rolled image px."""

    def __init__(self, w: int, h: int, roll_deg: float, sign: float, centre_x: float, scale: float, width_factor: float):
        self.w, self.h = w, h
        self.px_per_cm = BODY_FRACTION * h / 170.0
        self.floor_y = FLOOR_FRACTION * h
        self.sign = sign
        self.centre_x = centre_x
        self.scale = scale  # stature / 170
        self.width_factor = width_factor
        t = math.radians(roll_deg)
        self.cos, self.sin = math.cos(t), math.sin(t)

    def upright(self, u: np.ndarray, y: np.ndarray, body: bool = True, frontal: bool = True) -> np.ndarray:
        """Body (u, Y) cm → upright image px; ``body=False`` for props (not scaled with the client)."""
        u = np.asarray(u, float)
        y = np.asarray(y, float)
        k = self.scale if body else 1.0
        wf = self.width_factor if (body and frontal) else 1.0
        x_img = self.centre_x + self.sign * u * k * wf * self.px_per_cm
        y_img = self.floor_y - y * k * self.px_per_cm
        return np.stack([x_img, y_img], axis=-1)

    def roll(self, p: np.ndarray) -> np.ndarray:
        """Upright image px → rolled image px (about the image centre; a vertical's top leans image-right for roll > 0)."""
        p = np.asarray(p, float)
        cx, cy = self.w / 2.0, self.h / 2.0
        dx, dy = p[..., 0] - cx, p[..., 1] - cy
        return np.stack([cx + self.cos * dx - self.sin * dy, cy + self.sin * dx + self.cos * dy], axis=-1)


def _fixed(pts: np.ndarray) -> np.ndarray:
    """Continuous px (pixel-area convention) → OpenCV's 4-bit fixed-point pixel-centre coordinates."""
    return np.round((np.asarray(pts, float).reshape(-1, 2) - 0.5) * 16.0).astype(np.int32)


def _fill(img: np.ndarray, polys: Sequence[np.ndarray], colour: Sequence[int]) -> None:
    cv2.fillPoly(img, [_fixed(p) for p in polys], tuple(int(c) for c in colour), cv2.LINE_AA, 4)


def _disc_coverage(cx: float, cy: float, r: float, x0: int, y0: int, size: int, n: int = 8) -> np.ndarray:
    """Area coverage of the disc (centre ``cx, cy``, radius ``r``) over pixels ``[x0, x0+size) × [y0, y0+size)``.

    Super-sampled on an ``n × n`` grid per pixel, symmetric about each pixel's centre.
    """
    sub = (np.arange(n) + 0.5) / n
    xs = (x0 + np.arange(size)[:, None] + sub[None, :]).ravel() - cx
    ys = (y0 + np.arange(size)[:, None] + sub[None, :]).ravel() - cy
    inside = (ys[:, None] ** 2 + xs[None, :] ** 2) <= r * r
    coverage: np.ndarray = inside.reshape(size, n, size, n).mean(axis=(1, 3)).astype(np.float32)
    return coverage


def _blend(img: np.ndarray, x0: int, y0: int, alpha: np.ndarray, colour: np.ndarray) -> None:
    """Lay ``colour`` (``(s, s, 3)`` or ``(3,)``) over ``img`` with coverage ``alpha`` at ``(x0, y0)``, clipped to the image."""
    h, w = img.shape[:2]
    s = alpha.shape[0]
    xa, ya = max(x0, 0), max(y0, 0)
    xb, yb = min(x0 + s, w), min(y0 + s, h)
    if xa >= xb or ya >= yb:
        return
    a = alpha[ya - y0 : yb - y0, xa - x0 : xb - x0, None]
    col = np.broadcast_to(colour, (s, s, 3))[ya - y0 : yb - y0, xa - x0 : xb - x0] if np.ndim(colour) == 3 else colour
    roi = img[ya:yb, xa:xb].astype(np.float32)
    img[ya:yb, xa:xb] = np.clip(np.round(roi * (1 - a) + np.asarray(col, np.float32) * a), 0, 255).astype(np.uint8)


def _draw_marker(img: np.ndarray, c: np.ndarray, d: float, colour: RGB, rng: np.random.Generator) -> None:
    """A flat adhesive dot of diameter ``d`` px at ``c``: exact coverage, a faint symmetric sheen."""
    r = d / 2
    x0, y0 = int(math.floor(c[0] - r)) - 2, int(math.floor(c[1] - r)) - 2
    size = int(math.ceil(d)) + 5
    a = _disc_coverage(float(c[0]), float(c[1]), r, x0, y0, size)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    rr = np.hypot(xx + x0 + 0.5 - c[0], yy + y0 + 0.5 - c[1]) / r
    shade = 1.0 - 0.05 * np.clip(rr, 0, 1) ** 2 + float(rng.uniform(-0.03, 0.03))
    col = np.clip(np.asarray(colour, np.float32)[None, None, :] * shade[..., None], 0, 255)
    _blend(img, x0, y0, a, col)


def _draw_bead(img: np.ndarray, c: np.ndarray, d: float, colour: RGB) -> None:
    """A shaded round bead (a sphere lit from the upper left, with a small specular highlight)."""
    r = d / 2
    x0, y0 = int(math.floor(c[0] - r)) - 2, int(math.floor(c[1] - r)) - 2
    size = int(math.ceil(d)) + 5
    a = _disc_coverage(float(c[0]), float(c[1]), r, x0, y0, size)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    nx = (xx + x0 + 0.5 - c[0]) / r
    ny = (yy + y0 + 0.5 - c[1]) / r
    nz = np.sqrt(np.clip(1 - nx**2 - ny**2, 0, 1))
    light = np.array([-0.45, -0.5, 0.74], np.float32)
    lam = np.clip(nx * light[0] + ny * light[1] + nz * light[2], 0, 1)
    col = np.asarray(colour, np.float32)[None, None, :] * (0.55 + 0.5 * lam)[..., None]
    spec = np.exp(-((nx + 0.35) ** 2 + (ny + 0.4) ** 2) / (2 * 0.12**2))[..., None]
    col = np.clip(col + (255 - col) * 0.7 * spec, 0, 255)
    _blend(img, x0, y0, a, col)


def _capsule_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    ab = b - a
    t = float(np.clip(np.dot(p - a, ab) / max(float(np.dot(ab, ab)), 1e-9), 0, 1))
    return float(np.linalg.norm(p - (a + t * ab)))


def _hue(rgb: Sequence[int]) -> float:
    r, g, b = (float(v) for v in rgb)
    mx, mn = max(r, g, b), min(r, g, b)
    if mx == mn:
        return 0.0
    if mx == r:
        h = ((g - b) / (mx - mn)) % 6
    elif mx == g:
        h = (b - r) / (mx - mn) + 2
    else:
        h = (r - g) / (mx - mn) + 4
    return 60.0 * h


def _hue_gap(a: Sequence[int], b: Sequence[int]) -> float:
    d = abs(_hue(a) - _hue(b)) % 360
    return min(d, 360 - d)


_PATTERN_PALETTE: tuple[RGB, ...] = ((230, 200, 30), (30, 90, 220), (200, 40, 170), (40, 180, 70), (240, 120, 20), (20, 170, 190))


# --------------------------------------------------------------------------- the client


def _client(gen: ModuleType, rng: np.random.Generator) -> Any:
    return gen.Client(
        shoulder_drop_r_cm=float(rng.uniform(-2.0, 2.0)),
        pelvis_drop_r_cm=float(rng.uniform(-1.5, 1.5)),
        head_tilt_r_deg=float(rng.uniform(-5.0, 5.0)),
        head_shift_l_cm=float(rng.uniform(-2.0, 2.0)),
        cva_deg=float(rng.uniform(40.0, 55.0)),
        pelvic_tilt_deg=float(rng.uniform(5.0, 18.0)),
        asis_psis_depth_cm=float(rng.uniform(15.0, 18.0)),
        knee_z_cm=float(rng.uniform(-2.0, 1.0)),
        hindfoot_valgus_r_deg=float(rng.uniform(0.0, 10.0)),
        hindfoot_valgus_l_deg=float(rng.uniform(0.0, 10.0)),
    )


class _Shim:
    """What ``generate.py``'s shape functions read from its ``Scene``: ``lm``, ``client``, ``view.lateral``, ``head``."""

    def __init__(self, gen: ModuleType, client: Any, lateral: bool):
        self.gen = gen
        self.client = client
        self.lm = gen.client_landmarks(client)
        self.view = gen.View("shim", lateral=lateral, sign=1.0, centre_x=0.0, plumb_x=0.0)

    def head(self, pts_local: Any, y_offset: float = 0.0) -> np.ndarray:
        return np.asarray(self.gen.Scene.head(self, pts_local, y_offset))


def _model_id(view: str, landmark_id: str, side: str | None) -> str:
    """Contract id of ``view`` → the body model's landmark name."""
    if side is None:
        return landmark_id
    if landmark_id == "c7":
        return "c7"
    base = "knee_lateral" if landmark_id == "knee" else landmark_id
    return f"{base}_{side}"


# --------------------------------------------------------------------------- the photo


def marked_photo(
    view: str,
    *,
    size: tuple[int, int] = (3024, 4032),
    seed: int = 0,
    roll_deg: float = 0.0,
    mirror: bool = False,
    facing: str | None = None,
    marker_color: RGB = (0, 200, 60),
    marker_mm: float = 15.0,
    mark_color: RGB = (220, 40, 30),
    mark_distance_cm: float = 100.0,
    stature_cm: float = 170.0,
    width_factor: float = 1.0,
    jpeg_quality: int | None = None,
    blur_sigma: float = 0.0,
    drop: Sequence[str] = (),
    hide: Sequence[str] = (),
    clothes_pattern: bool = True,
    highlights: bool = True,
    noise_sigma: float = 1.5,
    door: bool = False,
    plumb: bool = True,
    extra_marks_cm: Sequence[float] = (),
) -> MarkedPhoto:
    """A marked photo of ``view`` and its truth (see the module docstring for every convention).

    ``size``: ``(width, height)`` px. ``marker_mm``: the markers' diameter (mm),
    ``mark_distance_cm``: the beads' distance (cm). ``drop``: landmarks given no
    marker; ``hide``: markers covered by an arm drawn after them. ``noise_sigma``:
    sensor noise (grey levels, 0 for a clean render); ``door``: a dark door
    frame (a one-sided dark vertical edge) on the far side of the client from
    the plumb line. ``plumb=False``: no plumb line at all (``plumb_marks`` and
    ``plumb_line`` are still where they would have been). ``extra_marks_cm``:
    more beads on the string at these heights above the floor (cm), not in
    ``plumb_marks``. Deterministic from ``seed``.
    """
    if view not in landmarks.VIEWS:
        raise ValueError(f"unknown view {view!r}")
    gen = _generate()
    rng = np.random.default_rng(seed)
    w, h = size
    lateral = view in landmarks.LATERAL_VIEWS
    if lateral:
        facing = facing or landmarks.DEFAULT_FACING[view]
        side: str | None = "r" if view == "right_lateral" else "l"
        sign = 1.0 if facing == "right" else -1.0
    else:
        if facing is not None:
            raise ValueError("facing is for lateral views only")
        side = None
        sign = 1.0 if view == "anterior" else -1.0
    body_x = w * (0.56 if sign > 0 else 0.44) if not lateral else w * (0.55 if sign > 0 else 0.45)
    cam = _Camera(w, h, roll_deg, sign, body_x, stature_cm / 170.0, width_factor)
    client = _client(gen, rng)
    shim = _Shim(gen, client, lateral)
    lm = shim.lm

    def P(pts: Any, body: bool = True) -> np.ndarray:
        """Body shape (u, Y) cm → rolled px."""
        a = np.asarray(pts, float).reshape(-1, 2)
        return cam.roll(cam.upright(a[:, 0], a[:, 1], body=body, frontal=not lateral))

    def P3(p3: np.ndarray) -> np.ndarray:
        u = p3[2] if lateral else p3[0]
        point: np.ndarray = P([[u, p3[1]]])[0]
        return point

    ppcm = cam.px_per_cm
    img = _background(cam, rng)

    # --- props: door frame, plumb line, beads, bob
    plumb_side = -1.0 if (sign > 0 or not lateral) else 1.0
    if not lateral:
        plumb_side = -1.0  # frontal: string on the image-left of the client
    plumb_x = body_x + plumb_side * 44.0 * ppcm
    if door:
        door_x = body_x - plumb_side * 48.0 * ppcm
        far = door_x - plumb_side * 90.0 * ppcm
        quad = np.array([[door_x, -0.2 * h], [far, -0.2 * h], [far, cam.floor_y - 8 * ppcm], [door_x, cam.floor_y - 8 * ppcm]])
        _fill(img, [cam.roll(quad)], DOOR)
        jamb = np.array([[door_x, -0.2 * h], [door_x + plumb_side * 4 * ppcm, -0.2 * h]])
        jamb = np.vstack([jamb, jamb[::-1] + [0, cam.floor_y - 8 * ppcm + 0.2 * h]])
        _fill(img, [cam.roll(jamb)], (70, 50, 38))
    string_w = max(1.5, 3.0 * h / 4032)
    bob_top_y = cam.floor_y - 15.0 * ppcm
    marks_up = [
        np.array([plumb_x, cam.floor_y - (LOWER_MARK_CM + mark_distance_cm) * ppcm]),
        np.array([plumb_x, cam.floor_y - LOWER_MARK_CM * ppcm]),
    ]
    marks = [cam.roll(m) for m in marks_up]
    if plumb:
        # the string's faint shadow on the wall, then the string
        for dx, col, wid in ((0.6 * ppcm, (200, 197, 190), string_w * 1.6), (0.0, STRING, string_w)):
            xs = plumb_x + dx
            quad = np.array(
                [[xs - wid / 2, -0.3 * h], [xs + wid / 2, -0.3 * h], [xs + wid / 2, bob_top_y], [xs - wid / 2, bob_top_y]]
            )
            _fill(img, [cam.roll(quad)], col)
        bob = np.array([[-1.2, 15.0], [1.2, 15.0], [1.2, 11.0], [0.05, 5.5], [-0.05, 5.5], [-1.2, 11.0]])
        bob_px = np.stack([plumb_x + bob[:, 0] * ppcm, cam.floor_y - bob[:, 1] * ppcm], axis=1)
        _fill(img, [cam.roll(bob_px)], BRASS)
        for m in marks + [cam.roll(np.array([plumb_x, cam.floor_y - e * ppcm])) for e in extra_marks_cm]:
            _draw_bead(img, m, BEAD_CM * ppcm, mark_color)
    line_pts = (cam.roll(np.array([plumb_x, 0.1 * h])), cam.roll(np.array([plumb_x, bob_top_y - 2 * ppcm])))

    # --- the markers' positions (needed before the clothes' pattern, which keeps clear of them)
    # the markers of the detection protocol: the required landmarks (the side views' optional spinal points carry none)
    ids = [i for i in landmarks.required_landmark_ids(view) if i not in set(drop)]
    unknown = set(drop) | set(hide)
    unknown -= set(landmarks.landmark_ids(view))
    if unknown:
        raise ValueError(f"not landmarks of {view}: {sorted(unknown)}")
    points = {i: P3(lm[_model_id(view, i, side)]) for i in ids}
    marker_d = marker_mm / 10.0 * ppcm

    # --- the figure
    if lateral:
        _lateral_figure(img, gen, shim, P, rng)
    else:
        _frontal_figure(img, gen, shim, P, view == "anterior")
    _clothes(img, gen, shim, P, lateral, clothes_pattern, points, marker_d, marker_color, mark_color, ppcm, rng, cam)
    if highlights:
        _highlights(img, points, marker_d, ppcm, rng, cam)

    for i in ids:
        _draw_marker(img, points[i], marker_d, marker_color, rng)

    # --- arms over hidden markers
    hidden = tuple(i for i in hide if i in points)
    for i in hidden:
        _cover(img, i, points, marker_d, ppcm)

    # --- camera: blur, mirror, noise, JPEG
    if blur_sigma > 0:
        img = cv2.GaussianBlur(img, (0, 0), blur_sigma)
    truth = {i: (float(p[0]), float(p[1])) for i, p in points.items() if i not in hidden}
    plumb_marks = ((float(marks[0][0]), float(marks[0][1])), (float(marks[1][0]), float(marks[1][1])))
    line = ((float(line_pts[0][0]), float(line_pts[0][1])), (float(line_pts[1][0]), float(line_pts[1][1])))
    roll = float(roll_deg)
    if mirror:
        img = np.ascontiguousarray(img[:, ::-1])

        def mx(p: Point) -> Point:
            return (w - p[0], p[1])

        truth = {(i if lateral else landmarks.mirror_id(i)): mx(p) for i, p in truth.items()}
        hidden = tuple(i if lateral else landmarks.mirror_id(i) for i in hidden)
        plumb_marks = (mx(plumb_marks[0]), mx(plumb_marks[1]))
        line = (mx(line[0]), mx(line[1]))
        roll = -roll
        if lateral:
            facing = "left" if facing == "right" else "right"
    if noise_sigma > 0:
        noise = rng.standard_normal((h, w), dtype=np.float32) * noise_sigma
        out = img.astype(np.float32)
        out += noise[..., None]
        img = np.clip(out, 0, 255).astype(np.uint8)
    jpeg = None
    if jpeg_quality is not None:
        ok, buf = cv2.imencode(".jpg", cv2.cvtColor(img, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)])
        assert ok
        jpeg = buf.tobytes()
        decoded = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        assert decoded is not None
        img = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    return MarkedPhoto(
        rgb=img,
        jpeg=jpeg,
        view=view,
        facing=facing if lateral else None,
        truth=truth,
        hidden=hidden,
        plumb_marks=plumb_marks,
        plumb_line=line,
        roll_deg=roll,
        cm_per_px=1.0 / ppcm,
        marker_color=tuple(int(c) for c in marker_color),  # type: ignore[arg-type]
        marker_diameter_px=marker_d,
        mark_distance_cm=mark_distance_cm,
        mark_color=tuple(int(c) for c in mark_color),  # type: ignore[arg-type]
        stature_px=stature_cm * ppcm,
    )


def _background(cam: _Camera, rng: np.random.Generator) -> np.ndarray:
    """Wall (a vertical gradient), baseboard and floor (rolled polygons)."""
    w, h = cam.w, cam.h
    t = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    grad = np.asarray(WALL_TOP, np.float32) * (1 - t) + np.asarray(WALL_BOTTOM, np.float32) * t
    tint = float(rng.uniform(-4, 4))
    img = np.empty((h, w, 3), np.uint8)
    img[:] = np.clip(grad + tint, 0, 255).astype(np.uint8)[:, None, :]
    ppcm = cam.px_per_cm
    junction = cam.floor_y - 14.0 * ppcm
    big = 3.0 * max(w, h)
    floor = np.array([[-big, junction], [w + big, junction], [w + big, h + big], [-big, h + big]])
    base = np.array([[-big, junction - 8.0 * ppcm], [w + big, junction - 8.0 * ppcm], [w + big, junction], [-big, junction]])
    _fill(img, [cam.roll(base)], BASEBOARD)
    _fill(img, [cam.roll(floor)], FLOOR)
    return img


def _frontal_figure(img: np.ndarray, gen: ModuleType, shim: _Shim, P: Any, front: bool) -> None:
    for s in (-1.0, 1.0):
        _fill(img, [P(gen.frontal_leg(s))], SKIN)
    _fill(img, [P(gen.frontal_trunk(shim))], SKIN)
    for s in (-1.0, 1.0):
        _fill(img, [P(gen.frontal_arm(shim, s))], SKIN_SHADE)
        _fill(img, [P(shim.head(gen.outline(gen.frontal_ear(s))))], SKIN_SHADE)
    skull, hair_out = gen.frontal_head(shim)
    _fill(img, [P(shim.head(skull))], SKIN if front else HAIR)
    _fill(img, [P(shim.head(gen.outline(hair_out)))], HAIR)
    if front:  # the face below the hairline
        _fill(img, [P(shim.head(gen.ellipse(0.0, -1.2, 6.9, 9.4)))], SKIN)
    if front:  # eyes and mouth: small dark features
        for s in (-1.0, 1.0):
            _fill(img, [P(shim.head(gen.ellipse(s * 3.3, 1.0, 1.1, 0.45)))], (70, 52, 42))
        _fill(img, [P(shim.head(gen.ellipse(0.0, -5.8, 2.1, 0.5)))], (170, 100, 95))


def _lateral_figure(img: np.ndarray, gen: ModuleType, shim: _Shim, P: Any, rng: np.random.Generator) -> None:
    _fill(img, [P(gen.profile_leg(0.9))], SKIN_SHADE)
    _fill(img, [P(gen.profile_body())], SKIN)
    acr_y = 139.25 + (shim.lm["acromion_r"][1] - 139.25)
    a = acr_y - 139.25
    upper = gen.tube([(-0.9, acr_y - 1.9), (2.2, 127.0 + a), (5.0, 118.5 + a), (6.6, 113.2 + a)], [4.5, 3.8, 3.5, 3.2])
    fore = gen.tube([(6.4, 113.0 + a), (11.5, 115.6 + a), (16.6, 118.6 + a)], [3.2, 3.0, 2.7])
    _fill(img, [P(upper), P(fore)], SKIN_SHADE)
    _fill(img, [P(shim.head(gen.ellipse(-9.9, 3.4, 3.3, 3.4, 0, 40)))], HAIR)
    _fill(img, [P(shim.head(gen.outline(gen.PROFILE_HEAD)))], SKIN)
    _fill(img, [P(shim.head(gen.outline(gen.PROFILE_HAIR)))], HAIR)
    _fill(img, [P(shim.head(gen.outline(gen.PROFILE_EAR)))], SKIN_SHADE)
    _fill(img, [P(shim.head(gen.ellipse(8.6, 1.1, 0.8, 0.35)))], (70, 52, 42))


def _band_polys(gen: ModuleType, shim: _Shim, lateral: bool) -> list[tuple[np.ndarray, tuple[float, float], RGB]]:
    """(body outline (u, Y) cm, Y band of the garment, colour): a crop top and shorts."""
    body = gen.profile_body() if lateral else gen.frontal_trunk(shim)
    return [(body, (118.0, 145.5), TOP), (body, (70.0, 97.0), SHORTS)]


def _clothes(
    img: np.ndarray,
    gen: ModuleType,
    shim: _Shim,
    P: Any,
    lateral: bool,
    pattern: bool,
    points: dict[str, np.ndarray],
    marker_d: float,
    marker_color: RGB,
    mark_color: RGB,
    ppcm: float,
    rng: np.random.Generator,
    cam: _Camera,
) -> None:
    """Close-fitting clothes; with ``pattern``, printed stripes, dots of many sizes and elongated saturated dashes.

    Pattern elements keep clear of every marker (so the markers' truth stays exact):
    dots of the marker's own colour are much smaller (≤ 5 mm) or larger (≥ 45 mm)
    than any marker, or elongated (aspect ≥ 3); right-sized dots only in colours
    far from the marker's hue.
    """
    h, w = img.shape[:2]
    others = [c for c in _PATTERN_PALETTE if _hue_gap(c, marker_color) > 70 and _hue_gap(c, mark_color) > 40]
    marker_pts = np.array(list(points.values())) if points else np.zeros((0, 2))
    for outline_cm, (y0, y1), colour in _band_polys(gen, shim, lateral):
        body = P(outline_cm)
        u0, u1 = float(outline_cm[:, 0].min()) - 5, float(outline_cm[:, 0].max()) + 5
        band = P([[u0, y0], [u1, y0], [u1, y1], [u0, y1]])
        allp = np.vstack([body, band])
        bx0, by0 = np.floor(np.maximum(band.min(axis=0) - 4, 0)).astype(int)
        bx1, by1 = np.ceil(np.minimum(band.max(axis=0) + 4, [w, h])).astype(int)
        if bx1 <= bx0 or by1 <= by0:
            continue
        del allp
        off = np.array([bx0, by0], float)
        rh, rw = by1 - by0, bx1 - bx0
        m1 = np.zeros((rh, rw), np.uint8)
        m2 = np.zeros((rh, rw), np.uint8)
        _fill(m1, [body - off], (255,))
        _fill(m2, [band - off], (255,))
        mask = (m1.astype(np.uint16) * m2 // 255).astype(np.float32) / 255.0
        cloth = np.empty((rh, rw, 3), np.uint8)
        cloth[:] = colour
        if pattern:
            _pattern(cloth, off, (u0, u1, y0, y1), P, others, marker_color, marker_pts, marker_d, ppcm, rng)
        roi = img[by0:by1, bx0:bx1].astype(np.float32)
        img[by0:by1, bx0:bx1] = np.round(roi * (1 - mask[..., None]) + cloth.astype(np.float32) * mask[..., None]).astype(
            np.uint8
        )


def _pattern(
    cloth: np.ndarray,
    off: np.ndarray,
    box: tuple[float, float, float, float],
    P: Any,
    others: list[RGB],
    marker_color: RGB,
    marker_pts: np.ndarray,
    marker_d: float,
    ppcm: float,
    rng: np.random.Generator,
) -> None:
    u0, u1, y0, y1 = box
    # stripes (horizontal on the body), in a lighter shade and a contrasting colour
    stripe_cols = [tuple(int(min(255, c + 40)) for c in cloth[0, 0]), (225, 225, 220)]
    for k, yy in enumerate(np.arange(y0 + 2.0, y1, 4.5)):
        a, b = P([[u0, yy], [u1, yy]]) - off
        cv2.line(cloth, tuple(_fixed(a)[0]), tuple(_fixed(b)[0]), stripe_cols[k % 2], max(1, int(0.5 * ppcm)), cv2.LINE_AA, 4)
    r_marker = marker_d / 2

    def clear(c: np.ndarray, radius: float) -> bool:
        if len(marker_pts) == 0:
            return True
        return bool(np.min(np.hypot(*(marker_pts - c).T)) > r_marker + radius + 0.8 * ppcm)

    n = int(rng.integers(14, 22))
    for _ in range(n):
        c = P([[rng.uniform(u0, u1), rng.uniform(y0, y1)]])[0]
        kind = rng.choice(["small", "large", "dash", "other"], p=[0.45, 0.12, 0.25, 0.18])
        if kind == "small":
            d_mm = rng.uniform(2.5, 5.0)
            colour = marker_color if rng.random() < 0.6 else others[int(rng.integers(len(others)))] if others else marker_color
            rx = ry = d_mm / 20 * ppcm
        elif kind == "large":
            d_mm = rng.uniform(45.0, 60.0)
            colour = marker_color
            rx = ry = d_mm / 20 * ppcm
        elif kind == "dash":
            colour = marker_color if rng.random() < 0.6 else others[int(rng.integers(len(others)))] if others else marker_color
            rx, ry = rng.uniform(1.6, 2.6) * ppcm, rng.uniform(0.25, 0.45) * ppcm
        else:
            if not others:
                continue
            colour = others[int(rng.integers(len(others)))]
            rx = ry = rng.uniform(10.0, 25.0) / 20 * ppcm
        if not clear(c, max(rx, ry)):
            continue
        ang = float(rng.uniform(0, 180))
        cc = c - off
        cv2.ellipse(
            cloth,
            (int(round((cc[0] - 0.5) * 16)), int(round((cc[1] - 0.5) * 16))),
            (int(round(rx * 16)), int(round(ry * 16))),
            ang,
            0,
            360,
            tuple(int(v) for v in colour),
            -1,
            cv2.LINE_AA,
            4,
        )


def _highlights(
    img: np.ndarray, points: dict[str, np.ndarray], marker_d: float, ppcm: float, rng: np.random.Generator, cam: _Camera
) -> None:
    """Small bright (unsaturated) specular spots on the skin, clear of the markers."""
    h, w = img.shape[:2]
    pts = np.array(list(points.values())) if points else np.zeros((0, 2))
    skin = np.asarray(SKIN, np.int32)
    placed, tries = 0, 0
    while placed < 14 and tries < 400:
        tries += 1
        c = np.array([rng.uniform(0.2 * w, 0.8 * w), rng.uniform(0.05 * h, 0.95 * h)])
        xi, yi = int(c[0]), int(c[1])
        if np.abs(img[yi, xi].astype(np.int32) - skin).max() > 6:
            continue
        r = float(rng.uniform(0.15, 0.8)) * ppcm
        if len(pts) and np.min(np.hypot(*(pts - c).T)) < marker_d / 2 + 3 * r + 0.5 * ppcm:
            continue
        size = int(6 * r) + 3
        x0, y0 = int(c[0]) - size // 2, int(c[1]) - size // 2
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        d2 = (xx + x0 + 0.5 - c[0]) ** 2 + (yy + y0 + 0.5 - c[1]) ** 2
        a = (0.85 * np.exp(-d2 / (2 * r * r))).astype(np.float32)
        _blend(img, x0, y0, a, np.array([252, 250, 246], np.float32))
        placed += 1


def _cover(img: np.ndarray, lid: str, points: dict[str, np.ndarray], marker_d: float, ppcm: float) -> None:
    """A forearm (a skin capsule) laid over marker ``lid``, in the direction that keeps clear of the others."""
    c = points[lid]
    others = [p for k, p in points.items() if k != lid]
    radius = max(3.0 * ppcm, marker_d)
    length = 12.0 * ppcm
    best, best_gap = None, -1e9
    for k in range(24):
        t = 2 * math.pi * k / 24
        d = np.array([math.cos(t), math.sin(t)])
        a, b = c - d * 2.0 * ppcm, c + d * length
        gap = min((_capsule_distance(p, a, b) - radius - marker_d / 2 for p in others), default=1e9)
        if gap > best_gap:
            best, best_gap = (a, b), gap
    assert best is not None
    a, b = best
    cv2.line(img, tuple(_fixed(a)[0]), tuple(_fixed(b)[0]), SKIN_SHADE, int(round(2 * radius)), cv2.LINE_AA, 4)
