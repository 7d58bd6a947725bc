#!/usr/bin/env python3
"""Generate the synthetic sample posture photos and their view documents.

Run from the repository root::

    python sample_images/generate.py

The script draws four photos of one invented client (no real person is
depicted) standing in front of a clinic wall next to a plumb line -- anterior,
posterior, right lateral and left lateral -- and writes, for each photo, a
view document (JSON, schema version 1) with every landmark of that view and
the calibration taken from the two marks on the plumb line.

How it works
------------
* ``client_landmarks`` is the body model: every landmark of the client in
  centimetres, in one 3-D body frame (X toward the client's left, Y up from
  the floor, Z forward).  The built-in postural findings (see ``Client``)
  are applied there, so all four views show the same person.
* Each ``View`` is an orthographic camera: frontal views look along Z and
  keep (X, Y), lateral views look along X and keep (Z, Y).  8 px per cm,
  floor under the heels at image row 1510.
* The figure is drawn per body part (legs, trunk and arms, head, ears ...)
  as smooth anti-aliased shapes on a 2x super-sampled canvas.  Each part is
  given a soft "rounded" height field from its distance transform and lit by
  one lamp, which gives the skin and fabric their volume.
* Markers (adhesive dots) are drawn on top at the projected landmarks; the
  documents receive exactly those coordinates.  The posterior photo is then
  rolled by 3 degrees about the image centre (as if the camera were not
  level) and its coordinates are rolled with it.

Only numpy, opencv-python-headless and Pillow are used; the output is
deterministic (fixed random seed).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

OUT_DIR = Path(__file__).resolve().parent

# --------------------------------------------------------------------------- setup

IMAGE_W, IMAGE_H = 1200, 1600
PX_PER_CM = 8.0
FLOOR_Y = 1510.0  # image row of the floor under the heels
SS = 2  # super-sampling factor used while drawing
MARGIN = 80  # extra scene (final px) around the frame so a rolled photo has full corners
JPEG_QUALITY = 88
SEED = 170_2024
POSTERIOR_ROLL_DEG = 3.0  # counter-clockwise roll of the posterior photo
PLUMB_MARK_HEIGHTS_CM = (150.0, 50.0)  # the two marks on the string, 100 cm apart
STATURE_CM = 170.0
WALL_FLOOR_JUNCTION_CM = 14.0  # where the wall meets the floor, seen from a camera at ~1 m
BASEBOARD_CM = 8.0

# Colours (RGB, 0..255)
SKIN = (226, 183, 154)
HAIR = (78, 56, 44)
TOP = (44, 112, 126)
TOP_TRIM = (30, 82, 93)
SHORTS = (56, 62, 80)
SHORTS_BAND = (40, 45, 60)
LIPS = (184, 112, 106)
WALL_TOP = (239, 236, 230)
WALL_BOTTOM = (227, 224, 217)
BASEBOARD = (246, 245, 241)
FLOOR_FAR = (206, 199, 188)
FLOOR_NEAR = (184, 176, 165)
STRING = (38, 36, 34)
PLUMB_MARK = (212, 46, 38)
BRASS = (198, 156, 74)

# Lamp direction in image space (x right, y down, z toward the camera): upper left, front.
LIGHT = np.array([-0.42, -0.55, 0.72], np.float32)
LIGHT /= np.linalg.norm(LIGHT)


# --------------------------------------------------------------------------- the client


@dataclass(frozen=True)
class Client:
    """The invented client and the mild postural findings built into the photos."""

    shoulder_drop_r_cm: float = 1.5  # right acromion lower than left
    pelvis_drop_r_cm: float = 1.0  # right ASIS / PSIS lower than left
    head_tilt_r_deg: float = 3.0  # lateral flexion to the right (right ear lower)
    head_shift_l_cm: float = 1.2  # head (mid-tragus) displaced toward the client's left
    cva_deg: float = 46.0  # craniovertebral angle (tragus-C7 line vs horizontal)
    pelvic_tilt_deg: float = 12.0  # anterior tilt: ASIS lower than PSIS
    asis_psis_depth_cm: float = 16.5  # horizontal ASIS-PSIS distance in the side view
    knee_z_cm: float = -1.3  # knee joint line behind the GT-malleolus line: hyperextension
    hindfoot_valgus_r_deg: float = 8.0  # right heel everted relative to the calf
    hindfoot_valgus_l_deg: float = 2.5  # left within normal


HEAD_ORIGIN_Y = 157.0  # mid-tragus height (cm)
C7 = (0.2, 147.5, -8.0)


def head_transform(c: Client, local: np.ndarray) -> np.ndarray:
    """Head-local (x lateral, y up, z forward; origin between the tragi) to body frame."""
    t = math.radians(c.head_tilt_r_deg)
    local = np.atleast_2d(np.asarray(local, float))
    x, y, z = local[:, 0], local[:, 1], local[:, 2]
    origin = head_origin(c)
    X = origin[0] + x * math.cos(t) - y * math.sin(t)
    Y = origin[1] + x * math.sin(t) + y * math.cos(t)
    Z = origin[2] + z
    return np.stack([X, Y, Z], axis=1)


def head_origin(c: Client) -> np.ndarray:
    """Mid-tragus point; its depth gives the chosen craniovertebral angle."""
    dy = HEAD_ORIGIN_Y - C7[1]
    z = C7[2] + dy / math.tan(math.radians(c.cva_deg))
    return np.array([c.head_shift_l_cm, HEAD_ORIGIN_Y, z])


def client_landmarks(c: Client) -> dict[str, np.ndarray]:
    """Every landmark of the client in the body frame (cm): X to the client's left, Y up, Z forward."""
    lm: dict[str, np.ndarray] = {}

    def put(name: str, x: float, y: float, z: float = 0.0) -> None:
        lm[name] = np.array([x, y, z], float)

    # Head (rigid, tilted and shifted): tragi, glabella, lateral canthi.
    for side, s in (("r", -1.0), ("l", 1.0)):
        lm[f"tragus_{side}"] = head_transform(c, [s * 7.5, 0.0, 0.0])[0]
        lm[f"eye_canthus_{side}"] = head_transform(c, [s * 4.6, 1.0, 7.6])[0]
    lm["glabella"] = head_transform(c, [0.0, 2.9, 10.1])[0]

    # Shoulder girdle: right shoulder lower, right scapula lower and further from the spine.
    acr = 139.25
    put("acromion_r", -19.0, acr - c.shoulder_drop_r_cm / 2, -1.0)
    put("acromion_l", 19.0, acr + c.shoulder_drop_r_cm / 2, -1.0)
    put("sternal_notch", 0.2, 139.5, 6.0)
    put("scapula_inferior_angle_r", -9.8, 129.5, -9.5)
    put("scapula_inferior_angle_l", 8.6, 131.0, -9.5)

    # Spine: a gentle right thoracic / left lumbar curve off the C7-S1 line.
    put("c7", *C7)
    put("t3", -0.3, 140.3, -9.7)
    put("t7", -1.1, 130.5, -10.2)
    put("t12", -0.8, 117.5, -7.6)
    put("l3", 0.4, 107.0, -6.0)
    put("s1", -0.2, 99.0, -8.4)

    # Pelvis: right side 1 cm lower; anterior tilt from the ASIS-PSIS line.
    rise = c.asis_psis_depth_cm * math.tan(math.radians(c.pelvic_tilt_deg))
    asis_z = 8.2

    def oblique(x: float) -> float:  # the pelvis is rigid: the whole ring rotates, right side down
        return x / 12.0 * c.pelvis_drop_r_cm / 2

    for side, s in (("r", -1.0), ("l", 1.0)):
        put(f"asis_{side}", s * 12.0, 93.5 + oblique(s * 12.0), asis_z)
        put(f"psis_{side}", s * 4.8, 93.5 + rise + oblique(s * 4.8), asis_z - c.asis_psis_depth_cm)
        put(f"greater_trochanter_{side}", s * 16.8, 88.3 + oblique(s * 16.8), 1.5)

    # Knees (mild hyperextension: joint line behind the GT-malleolus line).
    for side, s, dy in (("r", -1.0, -0.15), ("l", 1.0, 0.15)):
        put(f"patella_{side}", s * 9.3, 50.15 + dy, 5.0)
        put(f"knee_lateral_{side}", s * 13.7, 48.45 + dy, c.knee_z_cm)
        put(f"tibial_tuberosity_{side}", s * 9.8, 44.65 + dy, 4.4)
        put(f"leg_midline_{side}", s * 9.2, 35.0, -7.0)

    # Ankles and heels; right hindfoot in valgus.
    for side, s, valgus, ach_x in (
        ("r", -1.0, c.hindfoot_valgus_r_deg, 9.5),
        ("l", 1.0, c.hindfoot_valgus_l_deg, 9.4),
    ):
        put(f"lateral_malleolus_{side}", s * 13.0, 6.6, 0.0)
        put(f"medial_malleolus_{side}", s * 6.5, 7.9, 0.8)
        put(f"achilles_{side}", s * ach_x, 7.0, -4.4)
        leg = lm[f"leg_midline_{side}"]
        calf_lean = math.atan2(abs(leg[0]) - ach_x, leg[1] - 7.0)  # >0: leans medially going down
        heel = math.radians(valgus) - calf_lean  # heel line's lateral lean from vertical
        put(f"calcaneus_{side}", s * (ach_x + 4.2 * math.tan(heel)), 2.8, -5.8)
    return lm


VIEW_LANDMARKS = {
    "anterior": [
        "glabella",
        "tragus_r",
        "tragus_l",
        "acromion_r",
        "acromion_l",
        "sternal_notch",
        "asis_r",
        "asis_l",
        "greater_trochanter_r",
        "greater_trochanter_l",
        "patella_r",
        "patella_l",
        "knee_lateral_r",
        "knee_lateral_l",
        "tibial_tuberosity_r",
        "tibial_tuberosity_l",
        "lateral_malleolus_r",
        "lateral_malleolus_l",
        "medial_malleolus_r",
        "medial_malleolus_l",
    ],
    "posterior": [
        "tragus_r",
        "tragus_l",
        "acromion_r",
        "acromion_l",
        "scapula_inferior_angle_r",
        "scapula_inferior_angle_l",
        "c7",
        "t3",
        "t7",
        "t12",
        "l3",
        "s1",
        "psis_r",
        "psis_l",
        "leg_midline_r",
        "leg_midline_l",
        "achilles_r",
        "achilles_l",
        "calcaneus_r",
        "calcaneus_l",
    ],
    "lateral": [
        "tragus",
        "eye_canthus",
        "c7",
        "acromion",
        "asis",
        "psis",
        "greater_trochanter",
        "knee",
        "lateral_malleolus",
        # the optional spinal points (spec §9): the thoracic curve's apex is T7, the lumbar curve's L3
        "thoracic_apex",
        "t12",
        "lumbar_apex",
        "s1",
    ],
}
#: lateral id -> body-model name (before the side suffix)
LATERAL_SOURCE = {"knee": "knee_lateral", "thoracic_apex": "t7", "lumbar_apex": "l3"}
#: body-model names on the midline (no side suffix)
MIDLINE = frozenset({"c7", "t7", "t12", "l3", "s1"})


# --------------------------------------------------------------------------- views


@dataclass(frozen=True)
class View:
    """An orthographic camera.  ``u`` is body X (frontal) or Z (lateral), in cm."""

    name: str
    lateral: bool
    sign: float  # image x grows with sign * u
    centre_x: float  # image x of u = 0
    plumb_x: float  # image x of the plumb string
    side: str | None = None  # lateral views: which side of the client faces the camera
    facing: str | None = None
    roll_deg: float = 0.0

    def to_image(self, u, y) -> np.ndarray:
        u = np.asarray(u, float)
        y = np.asarray(y, float)
        return np.stack([self.centre_x + self.sign * u * PX_PER_CM, FLOOR_Y - y * PX_PER_CM], axis=-1)

    def project(self, p3: np.ndarray) -> np.ndarray:
        return self.to_image(p3[2] if self.lateral else p3[0], p3[1])


VIEWS = [
    View("anterior", lateral=False, sign=1.0, centre_x=640.0, plumb_x=262.0),
    View("posterior", lateral=False, sign=-1.0, centre_x=640.0, plumb_x=262.0, roll_deg=POSTERIOR_ROLL_DEG),
    View("right_lateral", lateral=True, sign=1.0, centre_x=610.0, plumb_x=300.0, side="r", facing="right"),
    View("left_lateral", lateral=True, sign=-1.0, centre_x=590.0, plumb_x=900.0, side="l", facing="left"),
]


# --------------------------------------------------------------------------- curve helpers


def _cr_segment(p0, p1, p2, p3, n: int) -> np.ndarray:
    """Centripetal Catmull-Rom points from p1 (inclusive) to p2 (exclusive)."""

    def knot(ti, a, b):
        return ti + max(float(np.hypot(*(b - a))), 1e-6) ** 0.5

    t0 = 0.0
    t1 = knot(t0, p0, p1)
    t2 = knot(t1, p1, p2)
    t3 = knot(t2, p2, p3)
    t = np.linspace(t1, t2, n, endpoint=False)[:, None]
    a1 = (t1 - t) / (t1 - t0) * p0 + (t - t0) / (t1 - t0) * p1
    a2 = (t2 - t) / (t2 - t1) * p1 + (t - t1) / (t2 - t1) * p2
    a3 = (t3 - t) / (t3 - t2) * p2 + (t - t2) / (t3 - t2) * p3
    b1 = (t2 - t) / (t2 - t0) * a1 + (t - t0) / (t2 - t0) * a2
    b2 = (t3 - t) / (t3 - t1) * a2 + (t - t1) / (t3 - t1) * a3
    return (t2 - t) / (t2 - t1) * b1 + (t - t1) / (t2 - t1) * b2


def smooth_open(points, n: int = 10) -> np.ndarray:
    """A smooth curve through the points (end points kept)."""
    p = np.asarray(points, float)
    if len(p) < 3:
        return p
    ext = np.vstack([2 * p[0] - p[1], p, 2 * p[-1] - p[-2]])
    out = [_cr_segment(ext[i - 1], ext[i], ext[i + 1], ext[i + 2], n) for i in range(1, len(p))]
    return np.vstack(out + [p[-1:]])


def outline(points, n: int = 10) -> np.ndarray:
    """A smooth closed outline through the points.

    A point given as ``(x, y, "c")`` is a corner: the curve passes through it
    without rounding it off.
    """
    pts = np.array([p[:2] for p in points], float)
    corner = [len(p) > 2 and p[2] == "c" for p in points]
    if not any(corner):
        ext = np.vstack([pts[-1:], pts, pts[:2]])
        return np.vstack([_cr_segment(ext[i - 1], ext[i], ext[i + 1], ext[i + 2], n) for i in range(1, len(pts) + 1)])
    first = corner.index(True)
    pts = np.roll(pts, -first, axis=0)
    corner = corner[first:] + corner[:first]
    pts = np.vstack([pts, pts[:1]])
    corner = corner + [True]
    runs, start = [], 0
    for i in range(1, len(pts)):
        if corner[i]:
            runs.append(smooth_open(pts[start : i + 1], n)[:-1])
            start = i
    return np.vstack(runs)


def ellipse(cx, cy, rx, ry, angle_deg=0.0, n=48) -> np.ndarray:
    a = np.linspace(0, 2 * np.pi, n, endpoint=False)
    x, y = rx * np.cos(a), ry * np.sin(a)
    t = math.radians(angle_deg)
    return np.stack([cx + x * math.cos(t) - y * math.sin(t), cy + x * math.sin(t) + y * math.cos(t)], axis=1)


def tube(centre, radii, n: int = 8, caps=(True, True)) -> np.ndarray:
    """Outline of a limb: a smooth centre line with a (varying) radius, rounded ends."""
    c = smooth_open(centre, n)
    r = np.interp(np.linspace(0, len(radii) - 1, len(c)), np.arange(len(radii)), radii)
    d = np.gradient(c, axis=0)
    d /= np.linalg.norm(d, axis=1, keepdims=True)
    nrm = np.stack([-d[:, 1], d[:, 0]], axis=1)
    left, right = c + nrm * r[:, None], c - nrm * r[:, None]

    def cap(centre_pt, direction, radius):
        a0 = math.atan2(direction[1], direction[0])
        a = a0 + np.linspace(np.pi / 2, -np.pi / 2, 15)[1:-1]
        return centre_pt + radius * np.stack([np.cos(a), np.sin(a)], axis=1)

    parts = [left]
    if caps[1]:
        parts.append(cap(c[-1], d[-1], r[-1]))
    parts.append(right[::-1])
    if caps[0]:
        parts.append(cap(c[0], -d[0], r[0]))
    return np.vstack(parts)


def _ss_px(image_xy: np.ndarray) -> np.ndarray:
    """Continuous final-image coordinates -> OpenCV pixel coordinates on the super-sampled canvas."""
    return (np.asarray(image_xy, float) + MARGIN) * SS - 0.5


# --------------------------------------------------------------------------- drawing


class Group:
    """One shaded body part (or object): a mask, an albedo map and a roundness radius.

    Details (clothing, creases, features) are painted into the albedo; at
    ``composite`` the part receives its lighting and is laid onto the canvas.
    """

    def __init__(
        self,
        scene: Scene,
        shapes,
        colour,
        round_cm: float,
        dim: float = 1.0,
        warm: bool = True,
        in_pixels: bool = False,
        shade_with=(),
    ):
        """``shade_with``: extra shapes that count as "more of the same volume" when shading,
        so that the part has no dark rim where it joins them (they are not drawn)."""
        self.scene = scene
        polys = [np.asarray(s, float) if in_pixels else scene.px(s) for s in shapes]
        allp = np.vstack(polys)
        pad = int(round_cm * PX_PER_CM * SS * 0.5) + 12
        h, w = scene.shape
        self.x0 = max(int(allp[:, 0].min()) - pad, 0)
        self.y0 = max(int(allp[:, 1].min()) - pad, 0)
        x1 = min(int(allp[:, 0].max()) + pad, w)
        y1 = min(int(allp[:, 1].max()) + pad, h)
        self.h, self.w = y1 - self.y0, x1 - self.x0
        self.mask = np.zeros((self.h, self.w), np.float32)
        for p in polys:
            self.mask = np.maximum(self.mask, self._fill(p))
        self.albedo = np.empty((self.h, self.w, 3), np.float32)
        self.albedo[:] = colour
        self.shade_mask = self.mask.copy()
        for extra in shade_with:
            self.shade_mask = np.maximum(self.shade_mask, self._fill(scene.px(extra)))
        self.round_px = round_cm * PX_PER_CM * SS
        self.dim = dim
        self.warm = warm

    # -- painting helpers (cm coordinates of the scene's view) --
    def _fill(self, poly_px: np.ndarray) -> np.ndarray:
        m = np.zeros((self.h, self.w), np.uint8)
        pts = np.round((poly_px - [self.x0, self.y0]) * 16).astype(np.int32)
        cv2.fillPoly(m, [pts], 255, lineType=cv2.LINE_AA, shift=4)
        return m.astype(np.float32) / 255.0

    def region(self, shape_cm, blur_cm: float = 0.0) -> np.ndarray:
        m = self._fill(self.scene.px(shape_cm))
        if blur_cm > 0:
            m = cv2.GaussianBlur(m, (0, 0), blur_cm * PX_PER_CM * SS)
        return m

    def paint(self, shape_cm, colour, blur_cm: float = 0.0, opacity: float = 1.0) -> np.ndarray:
        m = self.region(shape_cm, blur_cm) * opacity
        self.paint_mask(m, colour)
        return m

    def paint_mask(self, m: np.ndarray, colour) -> None:
        self.albedo += (np.asarray(colour, np.float32) - self.albedo) * m[..., None]

    def stroke(self, path_cm, width_cm: float, factor: float, blur_cm: float = 0.15, closed=False) -> None:
        """Multiply the albedo along a (smoothed) path: factor < 1 darkens, > 1 lightens."""
        m = np.zeros((self.h, self.w), np.uint8)
        pts = np.round((self.scene.px(path_cm) - [self.x0, self.y0]) * 16).astype(np.int32)
        thick = max(int(round(width_cm * PX_PER_CM * SS)), 1)
        cv2.polylines(m, [pts], closed, 255, thick, lineType=cv2.LINE_AA, shift=4)
        mf = m.astype(np.float32) / 255.0
        if blur_cm > 0:
            mf = cv2.GaussianBlur(mf, (0, 0), blur_cm * PX_PER_CM * SS)
        self.multiply(mf, factor)

    def multiply(self, m: np.ndarray, factor: float) -> None:
        self.albedo *= (1.0 + (factor - 1.0) * m)[..., None]

    def spot(self, cx, cy, rx, ry, factor, blur_cm=0.3, angle=0.0) -> None:
        self.multiply(self.region(ellipse(cx, cy, rx, ry, angle), blur_cm), factor)

    def texture(self, m: np.ndarray, amount: float, streak_deg: float | None, rng: np.random.Generator) -> None:
        """Fine texture (hair strands, fabric) inside region m."""
        noise = rng.standard_normal((self.h, self.w)).astype(np.float32)
        if streak_deg is not None:
            k = 25
            kern = np.zeros((k, k), np.float32)
            c = k // 2
            dx, dy = math.cos(math.radians(streak_deg)), math.sin(math.radians(streak_deg))
            for i in range(-c, c + 1):
                kern[int(round(c + i * dy)), int(round(c + i * dx))] = 1.0
            noise = cv2.filter2D(noise, -1, kern / kern.sum())
        noise = cv2.GaussianBlur(noise, (0, 0), 1.0)
        noise /= noise.std() + 1e-6
        self.albedo *= (1.0 + amount * noise * m)[..., None]

    # -- lighting --
    def shading(self) -> np.ndarray:
        binm = (self.shade_mask > 0.5).astype(np.uint8)
        dt = cv2.distanceTransform(binm, cv2.DIST_L2, 5)
        r = self.round_px
        t = np.clip(dt / r, 0.0, 1.0)
        hgt = r * np.sqrt(1.0 - (1.0 - t) ** 2)
        hgt = cv2.GaussianBlur(hgt, (0, 0), max(r * 0.18, 1.0))
        gx = cv2.Sobel(hgt, cv2.CV_32F, 1, 0, ksize=3) / 8.0
        gy = cv2.Sobel(hgt, cv2.CV_32F, 0, 1, ksize=3) / 8.0
        nz = 1.0 / np.sqrt(gx * gx + gy * gy + 1.0)
        nx, ny = -gx * nz, -gy * nz
        lam = np.clip(nx * LIGHT[0] + ny * LIGHT[1] + nz * LIGHT[2], 0.0, 1.0)
        half = LIGHT + np.array([0, 0, 1], np.float32)
        half /= np.linalg.norm(half)
        spec = np.clip(nx * half[0] + ny * half[1] + nz * half[2], 0.0, 1.0) ** 24
        shade = (0.50 + 0.58 * lam) * self.dim
        return shade, spec * 0.06 * self.dim

    def composite(self) -> None:
        shade, spec = self.shading()
        if self.warm:  # shadows on skin go slightly warmer / redder
            gamma = np.array([0.85, 1.05, 1.2], np.float32)
            light = np.power(np.clip(shade, 1e-3, None)[..., None], gamma)
        else:
            light = shade[..., None]
        colour = self.albedo * light + 255.0 * spec[..., None]
        a = self.mask[..., None]
        roi = self.scene.img[self.y0 : self.y0 + self.h, self.x0 : self.x0 + self.w]
        roi[:] = roi * (1.0 - a) + colour * a


class Scene:
    """The super-sampled canvas of one view plus cm -> pixel conversion."""

    def __init__(self, view: View, client: Client, rng: np.random.Generator):
        self.view = view
        self.client = client
        self.rng = rng
        self.shape = ((IMAGE_H + 2 * MARGIN) * SS, (IMAGE_W + 2 * MARGIN) * SS)
        self.img = np.zeros(self.shape + (3,), np.float32)
        self.lm = client_landmarks(client)

    def px(self, pts_cm) -> np.ndarray:
        p = np.asarray(pts_cm, float).reshape(-1, 2)
        return _ss_px(self.view.to_image(p[:, 0], p[:, 1]))

    def head(self, pts_local, y_offset: float = 0.0) -> np.ndarray:
        """Head-local points -> view (u, y).  Frontal: local (x, y); lateral: local (z, y)."""
        p = np.asarray(pts_local, float).reshape(-1, 2)
        o = head_origin(self.client)
        if self.view.lateral:  # the mid-sagittal profile is not changed by the small roll
            return np.stack([o[2] + p[:, 0], o[1] + p[:, 1] + y_offset], axis=1)
        local = np.stack([p[:, 0], p[:, 1], np.zeros(len(p))], axis=1)
        return head_transform(self.client, local)[:, :2]


# --------------------------------------------------------------------------- background and props


def draw_background(scene: Scene, silhouette: np.ndarray) -> None:
    h, w = scene.shape
    rng = scene.rng
    ys = (np.arange(h, dtype=np.float32) / SS - MARGIN)[:, None]
    xs = (np.arange(w, dtype=np.float32) / SS - MARGIN)[None, :]
    junction = FLOOR_Y - WALL_FLOOR_JUNCTION_CM * PX_PER_CM
    board_top = junction - BASEBOARD_CM * PX_PER_CM

    # Wall: soft vertical gradient, a broad light fall-off and faint blotchy texture.
    f = np.clip(ys / junction, 0, 1)[..., None]
    wall = np.asarray(WALL_TOP, np.float32) * (1 - f) + np.asarray(WALL_BOTTOM, np.float32) * f
    wall = np.broadcast_to(wall, (h, w, 3)).copy()
    light = 1.0 + 0.025 * np.exp(-(((xs - 420) / 700) ** 2 + ((ys - 500) / 900) ** 2))
    blot = cv2.GaussianBlur(rng.standard_normal((h // 16, w // 16)).astype(np.float32), (0, 0), 3)
    blot = cv2.resize(blot / (blot.std() + 1e-6), (w, h), interpolation=cv2.INTER_CUBIC)
    wall *= (light * (1.0 + 0.006 * blot))[..., None]

    # Shadow of the client on the wall (lamp at the upper left, in front).
    shadow = cv2.GaussianBlur(silhouette, (0, 0), 14 * SS)
    shift = np.float32([[1, 0, 34 * SS], [0, 1, 16 * SS]])
    shadow = cv2.warpAffine(shadow, shift, (w, h))
    wall *= (1.0 - 0.10 * shadow)[..., None]

    # Baseboard with a thin shadow line under its top edge, then the floor.
    board = (ys >= board_top) & (ys < junction)
    board_shade = 1.0 - 0.05 * np.clip((ys - board_top) / (junction - board_top), 0, 1)
    board_col = np.asarray(BASEBOARD, np.float32) * board_shade[..., None]
    img = np.where(board[..., None], board_col, wall)
    edge = np.exp(-(((ys - board_top - 0.7) / 0.9) ** 2)) * 0.12 + np.exp(-(((ys - board_top + 1.5) / 2.2) ** 2)) * 0.06
    img = img * (1.0 - edge)[..., None]

    floor_f = np.clip((ys - junction) / (IMAGE_H + MARGIN - junction), 0, 1)[..., None]
    floor = np.asarray(FLOOR_FAR, np.float32) * (1 - floor_f) + np.asarray(FLOOR_NEAR, np.float32) * floor_f
    floor = floor * (1.0 - 0.05 * np.exp(-np.clip(ys - junction, 0, None) / 6.0))[..., None]  # contact shade at the wall
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), sigmaX=6 * SS, sigmaY=0.6 * SS)
    floor = floor * (1.0 + 0.012 * grain / (grain.std() + 1e-6))[..., None]
    img = np.where((ys >= junction)[..., None], floor, img)
    # the junction itself: a crisp dark line (the floor line)
    img *= (1.0 - 0.22 * np.exp(-(((ys - junction) / 0.8) ** 2)))[..., None]
    scene.img[:] = img


def draw_floor_shadow(scene: Scene, feet_u: list[tuple[float, float]]) -> None:
    """Soft contact shadow on the floor under the feet (u range per foot)."""
    h, w = scene.shape
    m = np.zeros((h, w), np.float32)
    for u0, u1 in feet_u:
        c = scene.px([((u0 + u1) / 2, 0.0)])[0]
        rx = abs(u1 - u0) / 2 * PX_PER_CM * SS * 1.15
        cv2.ellipse(m, (int(c[0]), int(c[1] + 3 * SS)), (int(rx), int(2.6 * PX_PER_CM * SS)), 0, 0, 360, 1.0, -1, cv2.LINE_AA)
    m = cv2.GaussianBlur(m, (0, 0), 7 * SS)
    scene.img *= (1.0 - 0.45 * m)[..., None]


def plumb_geometry(view: View) -> dict[str, np.ndarray]:
    """Image coordinates (before any roll) of the plumb-line parts."""
    x = view.plumb_x
    top, bottom = PLUMB_MARK_HEIGHTS_CM
    return {
        "mark_top": np.array([x, FLOOR_Y - top * PX_PER_CM]),
        "mark_bottom": np.array([x, FLOOR_Y - bottom * PX_PER_CM]),
        "bob_top": np.array([x, FLOOR_Y - 15.0 * PX_PER_CM]),
    }


def draw_plumb_line(scene: Scene) -> None:
    g = plumb_geometry(scene.view)
    x = scene.view.plumb_x
    img = scene.img
    h, w = scene.shape
    # the string's faint shadow on the wall, then the string itself
    for dx, col, width, blur, alpha in ((7.0, (0, 0, 0), 2.0, 2.2, 0.10), (0.0, STRING, 1.6, 0.0, 0.95)):
        m = np.zeros((h, w), np.float32)
        p0 = _ss_px([x + dx, -MARGIN])
        p1 = _ss_px([x + dx, g["bob_top"][1] + (6 if dx else 0)])
        thick = width * SS
        # anti-aliased vertical band
        xs = np.arange(w, dtype=np.float32)
        band = np.clip(thick / 2 + 0.5 - np.abs(xs - p0[0]), 0, 1)
        m[int(p0[1]) : int(p1[1]), :] = band[None, :]
        if blur:
            m = cv2.GaussianBlur(m, (0, 0), blur * SS)
        if dx:
            img *= (1.0 - alpha * m)[..., None]
        else:
            img += (np.asarray(col, np.float32) - img) * (alpha * m)[..., None]

    # the bob: a small brass cylinder with a cone, hanging from a ring (local frame: cm right of
    # the string, cm above the floor)
    def to_px(pts):
        pts = np.asarray(pts, float)
        return _ss_px(np.stack([x + pts[:, 0] * PX_PER_CM, FLOOR_Y - pts[:, 1] * PX_PER_CM], axis=1))

    bob_shape = [(-1.25, 14.2), (1.25, 14.2), (1.25, 10.6), (0.05, 5.4), (-0.05, 5.4), (-1.25, 10.6)]
    bob = Group(scene, [to_px(outline([(p[0], p[1], "c") for p in bob_shape], 2))], BRASS, 1.1, warm=False, in_pixels=True)
    bob.composite()
    ring = to_px(ellipse(0, 14.9, 0.45, 0.55, 0, 24))
    cv2.polylines(scene.img, [np.round(ring * 16).astype(np.int32)], True, (90, 80, 60), int(0.9 * SS), cv2.LINE_AA, 4)

    # the two marks: red beads threaded on the string
    for key in ("mark_top", "mark_bottom"):
        draw_sphere(scene.img, _ss_px(g[key]), 5.6 * SS, PLUMB_MARK)


def draw_sphere(img: np.ndarray, c: np.ndarray, r: float, colour) -> None:
    """A small shiny ball (plumb-line mark) with a soft shadow."""
    x0, y0 = int(c[0] - r - 8), int(c[1] - r - 8)
    size = int(2 * r + 18)
    yy, xx = np.mgrid[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
    dx, dy = (xx - c[0]) / r, (yy - c[1]) / r
    d = np.sqrt(dx * dx + dy * dy)
    alpha = np.clip((1.0 - d) * r + 0.5, 0, 1)
    nz = np.sqrt(np.clip(1 - d * d, 0, 1))
    lam = np.clip(dx * LIGHT[0] + dy * LIGHT[1] + nz * LIGHT[2], 0, 1)
    spec = np.clip(((dx + 0.35) ** 2 + (dy + 0.4) ** 2), 0, 1)
    spec = np.exp(-spec / 0.03) * 0.7
    col = np.asarray(colour, np.float32) * (0.45 + 0.65 * lam)[..., None] + 255 * spec[..., None]
    sh = np.clip((1.0 - np.sqrt(((xx - c[0] - 0.35 * r) / r) ** 2 + ((yy - c[1] - 0.35 * r) / r) ** 2)) * 3, 0, 1)
    roi = img[y0 : y0 + size, x0 : x0 + size]
    roi *= (1.0 - 0.25 * sh * (1 - alpha))[..., None]
    roi[:] = roi * (1 - alpha[..., None]) + col * alpha[..., None]


def draw_marker(img: np.ndarray, c: np.ndarray) -> None:
    """An adhesive photogrammetry dot: light grey centre, dark rim, tiny shadow."""
    r_out, r_in = 4.6 * SS, 3.3 * SS
    x0, y0 = int(c[0] - r_out - 8), int(c[1] - r_out - 8)
    size = int(2 * r_out + 18)
    yy, xx = np.mgrid[y0 : y0 + size, x0 : x0 + size].astype(np.float32)
    d = np.hypot(xx - c[0], yy - c[1])
    a_out = np.clip(r_out - d + 0.5, 0, 1)
    a_in = np.clip(r_in - d + 0.5, 0, 1)
    ds = np.hypot(xx - c[0] - 0.8 * SS, yy - c[1] - 1.0 * SS)
    shadow = np.clip(r_out + 1.2 * SS - ds, 0, 1.5 * SS) / (1.5 * SS)
    hl = np.exp(-(((xx - c[0] + 1.0 * SS) ** 2 + (yy - c[1] + 1.2 * SS) ** 2) / (2.2 * SS) ** 2))
    inner = (
        np.asarray((214, 214, 210), np.float32) + (np.asarray((252, 252, 250), np.float32) - 214)[None, None, :] * hl[..., None]
    )
    rim = np.asarray((42, 42, 46), np.float32)
    col = rim * (1 - a_in[..., None]) + inner * a_in[..., None]
    roi = img[y0 : y0 + size, x0 : x0 + size]
    roi *= (1.0 - 0.3 * shadow * (1 - a_out))[..., None]
    roi[:] = roi * (1 - a_out[..., None]) + col * a_out[..., None]


# --------------------------------------------------------------------------- the body: frontal views


def frontal_trunk(scene: Scene) -> np.ndarray:
    """Neck, trunk, pelvis and the shorts' legs, seen from the front (body X, Y)."""
    lm, c = scene.lm, scene.client
    neck_top = scene.head([[0.0, -7.5]])[0]

    def side(s: float, acr: float, pel: float):
        a = acr - 139.25
        return [
            (neck_top[0] + s * 5.0, 151.5),
            (0.3 + s * 5.5, 147.6),
            (0.2 + s * 7.2, 145.4 + 0.3 * a),
            (s * 10.8, 143.6 + 0.55 * a),
            (s * 14.8, 141.9 + 0.8 * a),
            (s * 18.2, acr + 1.0),
            (s * 20.8, acr - 0.2),
            (s * 22.1, acr - 3.2),
            (s * 22.2, acr - 6.5, "c"),
            (s * 16.4, 126.6, "c"),  # armpit (the arm covers the corner)
            (s * 15.9, 123.0),
            (s * 14.9, 116.5),
            (s * 13.7, 109.5),
            (s * 14.2, 104.0),
            (s * 15.3, 99.0 + pel),
            (s * 16.6, 94.0 + pel),
            (s * 17.6, 89.0 + pel),
            (s * 17.8, 84.0 + pel),
            (s * 17.5, 78.5 + pel),
            (s * 16.9, 71.6 + pel, "c"),  # shorts hem, outer
            (s * 2.0, 73.4 + pel / 2, "c"),  # shorts hem, inner
            (s * 0.9, 75.6),
        ]

    right = side(-1.0, lm["acromion_r"][1], -c.pelvis_drop_r_cm / 2)
    left = side(1.0, lm["acromion_l"][1], c.pelvis_drop_r_cm / 2)
    return outline(right + [(0.0, 76.5)] + left[::-1])


def frontal_arm(scene: Scene, s: float) -> np.ndarray:
    acr = scene.lm["acromion_r" if s < 0 else "acromion_l"][1]
    a = acr - 139.25
    centre = [
        (s * 18.7, acr - 3.0),
        (s * 19.9, 122.0 + a),
        (s * 21.2, 106.5 + a),
        (s * 22.3, 94.0 + a),
        (s * 22.9, 82.5 + a),
        (s * 23.2, 74.0 + a),
        (s * 23.2, 67.0 + a),
    ]
    radii = [4.1, 3.6, 3.15, 3.3, 2.45, 2.75, 2.2]
    return tube(centre, radii)


LEG_STATIONS = [  # y, lateral half-width, medial half-width (cm from the leg axis)
    (95.0, 7.0, 8.4),
    (88.0, 8.3, 8.3),
    (80.0, 8.1, 8.0),
    (72.0, 7.4, 7.2),
    (64.0, 6.7, 6.5),
    (56.0, 5.9, 5.9),
    (51.5, 5.3, 5.6),
    (48.5, 5.3, 5.1),
    (45.0, 4.8, 4.6),
    (40.0, 5.0, 5.0),
    (34.0, 5.2, 5.6),
    (27.0, 4.6, 4.8),
    (20.0, 3.8, 3.7),
    (13.5, 3.1, 2.9),
    (9.5, 3.3, 3.3),
    (7.9, 3.7, 3.75),
    (6.6, 4.1, 3.6),
    (4.6, 4.2, 3.75),
    (2.6, 4.7, 4.3),
    (1.1, 5.0, 4.6),
]


def leg_axis_x(y: float) -> float:
    """Distance of the leg axis from the midline (cm): hip 9.0, knee 9.3, ankle 9.5."""
    return float(np.interp(y, [7.5, 48.5, 92.0], [9.5, 9.3, 9.0]))


def frontal_leg(s: float) -> np.ndarray:
    lat = [(s * (leg_axis_x(y) + w), y) for y, w, _ in LEG_STATIONS]
    med = [(s * (leg_axis_x(y) - m), y) for y, _, m in LEG_STATIONS]
    ax = leg_axis_x(0)
    sole = [(s * (ax + 4.8), 0.2, "c"), (s * (ax + 2.0), 0.0), (s * (ax - 2.0), 0.0), (s * (ax - 4.4), 0.2, "c")]
    return outline(lat + sole + med[::-1])


def frontal_head(scene: Scene) -> tuple[np.ndarray, np.ndarray]:
    """Skull outline and the outer outline of the hair (head-local -> view)."""
    half = [(3.6, 12.0), (6.2, 9.9), (7.5, 7.0), (7.8, 3.5), (7.6, 0.0), (7.0, -3.5), (5.8, -6.4), (4.0, -8.5), (2.1, -9.4)]
    skull = [(0.0, 12.6)] + [(-x, y) for x, y in half] + [(0.0, -9.65)] + [(x, y) for x, y in half[::-1]]
    hair = [(0.0, 13.0), (3.9, 12.45), (6.7, 10.3), (8.05, 7.0), (8.25, 3.2), (8.0, 0.6)]
    hair_pts = [(x, y) for x, y in hair] + [(-x, y) for x, y in hair[::-1]]
    return outline(skull), hair_pts


def frontal_ear(s: float) -> list:
    return [(s * 7.1, 3.3), (s * 8.2, 3.7), (s * 8.9, 2.7), (s * 8.95, 0.6), (s * 8.5, -1.7), (s * 7.9, -3.0), (s * 7.2, -2.8)]


def draw_frontal_figure(scene: Scene, groups: list) -> None:
    """Build the body groups (back to front) for the anterior or posterior photo."""
    view, lm, c, rng = scene.view, scene.lm, scene.client, scene.rng
    front = view.name == "anterior"

    # --- legs ---
    for s, side in ((-1.0, "r"), (1.0, "l")):
        g = Group(scene, [frontal_leg(s)], SKIN, round_cm=4.5)
        ax = leg_axis_x(48.5)
        if front:
            pat = lm[f"patella_{side}"]
            g.spot(pat[0], pat[1], 2.4, 2.8, 1.05, 0.6)
            g.stroke(
                smooth_open([(pat[0] - 2.4, pat[1] - 2.6), (pat[0], pat[1] - 3.6), (pat[0] + 2.4, pat[1] - 2.6)]), 0.5, 0.9, 0.5
            )
            g.stroke(smooth_open([(s * (ax + 2.4), 53.5), (s * (ax + 3.2), 50.5), (s * (ax + 2.9), 47)]), 0.35, 0.93, 0.4)
            tt = lm[f"tibial_tuberosity_{side}"]
            g.stroke(
                [(tt[0], tt[1] - 1.0), (s * (leg_axis_x(20) + 0.3), 20.0), (s * (leg_axis_x(11) + 0.2), 11.0)], 0.5, 1.05, 0.5
            )
            mm, lmal = lm[f"medial_malleolus_{side}"], lm[f"lateral_malleolus_{side}"]
            g.spot(mm[0], mm[1], 1.0, 1.2, 1.05, 0.4)
            g.spot(lmal[0], lmal[1], 0.9, 1.1, 1.05, 0.4)
            # toes
            axf = s * leg_axis_x(0)
            for k, dx in enumerate([-3.2, -1.4, 0.2, 1.6, 3.0]):
                x = axf + s * dx
                g.stroke([(x - s * 0.7, 0.2), (x - s * 0.7, 1.5)], 0.18, 0.85, 0.12)
                g.spot(x, 0.9 if k else 1.1, 0.55 if k else 0.75, 0.45, 1.06, 0.12)
            g.stroke([(axf - s * 4.4, 2.1), (axf, 2.3), (axf + s * 4.5, 2.1)], 0.25, 0.92, 0.3)
        else:
            g.stroke([(s * (ax + 4.4), 47.4), (s * (ax - 0.4), 46.6), (s * (ax - 4.0), 47.2)], 0.3, 0.88, 0.3)
            g.stroke(smooth_open([(s * (ax + 3.5), 43.5), (s * (ax + 1.5), 33), (s * (ax + 0.4), 20)]), 0.4, 0.95, 0.8)
            g.stroke(smooth_open([(s * (ax - 3.8), 43.5), (s * (ax - 1.8), 33), (s * (ax - 0.6), 20)]), 0.4, 0.95, 0.8)
            # Achilles tendon and heel, leaning with the hindfoot angle
            ach, cal, mid = lm[f"achilles_{side}"], lm[f"calcaneus_{side}"], lm[f"leg_midline_{side}"]
            heel_dir = (cal[:2] - ach[:2]) / np.linalg.norm(cal[:2] - ach[:2])
            for off in (-1.1, 1.1):
                top = (mid[0] * 0.35 + ach[0] * 0.65 + off * 1.6, 17.0)
                g.stroke(smooth_open([top, (ach[0] + off, 10.5), (ach[0] + off * 0.95, ach[1])]), 0.3, 0.9, 0.3)
            heel_c = ach[:2] + heel_dir * 3.4
            heel = ellipse(heel_c[0], heel_c[1], 3.0, 4.6, math.degrees(math.atan2(heel_dir[1], heel_dir[0])) + 90, 40)
            fore = g.region(frontal_leg(s), 0.0) * g.region([(s * 20, 6.5), (-s * 1, 6.5), (-s * 1, -1), (s * 20, -1)], 0.4)
            hm = g.region(heel, 0.2)
            g.multiply(np.clip(fore - hm, 0, 1), 0.82)
            g.stroke(np.vstack([heel, heel[:1]]), 0.35, 0.85, 0.25)
            g.spot(heel_c[0] - 0.6, heel_c[1] + 0.8, 1.4, 2.0, 1.05, 0.6)
        groups.append(g)

    # --- trunk, neck and arms (one volume, so the shoulders flow into the arms) ---
    arms = [frontal_arm(scene, -1.0), frontal_arm(scene, 1.0)]
    trunk_shape = frontal_trunk(scene)
    g = Group(scene, [trunk_shape] + arms, SKIN, round_cm=5.5)
    pel_r, pel_l = -c.pelvis_drop_r_cm / 2, c.pelvis_drop_r_cm / 2
    if front:
        # sports top: scoop neck, straps, band under the bust
        top = [
            (0.2, 131.2),
            (-4.0, 132.5),
            (-7.2, 135.8),
            (-8.4, 140.0),
            (-9.0, 147.0, "c"),
            (-12.2, 147.0, "c"),
            (-11.7, 139.5),
            (-13.0, 134.5),
            (-15.6, 130.0),
            (-18.0, 126.0),
            (-18.0, 117.8, "c"),
            (0.0, 117.3, "c"),
            (18.0, 117.8, "c"),
            (18.0, 126.0),
            (15.6, 130.0),
            (13.0, 134.5),
            (11.7, 139.5),
            (12.2, 147.0, "c"),
            (9.0, 147.0, "c"),
            (8.4, 140.0),
            (7.2, 135.8),
            (4.0, 132.5),
        ]
        tm = g.paint(outline(top), TOP)
        band = g.region([(-18, 121.3), (18, 121.3), (18, 117.0), (-18, 117.0)]) * tm
        g.paint_mask(band, TOP_TRIM)
        g.multiply(tm * g.region(outline([(-15, 126), (-7.5, 131.5), (-1.5, 126.5), (-7, 121.5)]), 1.2), 1.07)
        g.multiply(tm * g.region(outline([(15, 126), (7.5, 131.5), (1.5, 126.5), (7, 121.5)]), 1.2), 1.05)
        g.stroke(smooth_open([(-1.6, 122.5), (0.2, 121.7), (1.8, 122.5)]), 0.3, 0.85, 0.35)
        # shorts: low-rise waistband below the ASIS
        waist = [(-19, 91.6 + pel_r), (-10, 90.7 + pel_r * 0.5), (0.2, 90.3), (10, 90.7 + pel_l * 0.5), (19, 91.6 + pel_l)]
        shorts = waist + [(19, 60), (-19, 60)]
        sm = g.paint(shorts, SHORTS)
        g.paint_mask(g.region(waist + [(w[0], w[1] - 2.4) for w in waist[::-1]]) * sm, SHORTS_BAND)
        g.stroke([(0.3, 88.0), (0.3, 80.5), (-0.6, 77.6)], 0.22, 0.8, 0.15)
        g.stroke([(-2.1, 74.0), (-16.8, 72.2)], 0.4, 1.12, 0.15)
        g.stroke([(2.1, 73.9 + pel_l), (16.8, 72.2 + pel_l)], 0.4, 1.12, 0.15)
        # clavicles, sternal notch, navel, ribcage / abdomen hints
        sn = lm["sternal_notch"]
        for s, side in ((-1.0, "r"), (1.0, "l")):
            acr = lm[f"acromion_{side}"]
            g.stroke(
                smooth_open(
                    [
                        (sn[0] + s * 1.4, sn[1] + 0.9),
                        (s * 8, sn[1] + 0.2 + (acr[1] - 139.25) * 0.3),
                        (s * 15, acr[1] + 0.2),
                        (acr[0] - s * 1.5, acr[1] + 0.6),
                    ]
                ),
                0.5,
                0.9,
                0.45,
            )
            g.stroke(smooth_open([(s * 13.5, 110.5), (s * 12.5, 103), (s * 10.5, 95.5)]), 0.6, 0.94, 0.8)
            g.stroke(smooth_open([(s * 16.0, 137.0), (s * 18.5, 131.0), (s * 19.3, 124.5)]), 0.5, 0.93, 0.6)
        g.spot(sn[0], sn[1] + 0.3, 1.1, 0.8, 0.88, 0.35)
        g.spot(0.3, 101.5, 0.45, 0.65, 0.7, 0.15)
        g.stroke([(0.25, 116.5), (0.3, 104.0)], 0.5, 0.96, 0.7)
    else:
        # back of the sports top: band and two straps, scapulae and spine left open
        band_pts = (
            smooth_open([(-18, 126.6), (0, 126.2), (18, 126.6)]).tolist()
            + smooth_open([(18, 121.2), (0, 120.8), (-18, 121.2)]).tolist()
        )
        tm = g.paint(band_pts, TOP)
        for s in (-1.0, 1.0):
            strap = [(s * 12.9, 126.0, "c"), (s * 14.9, 126.0, "c"), (s * 12.4, 147.5, "c"), (s * 10.4, 147.5, "c")]
            tm = np.maximum(tm, g.paint(outline(strap, 2), TOP))
            side_panel = [(s * 15.8, 126.0), (s * 18.5, 126.0), (s * 18.5, 128.6), (s * 16.6, 127.6)]
            tm = np.maximum(tm, g.paint(side_panel, TOP, 0.1))
        trim = smooth_open([(-18, 122.9), (0, 122.5), (18, 122.9)]).tolist() + [(18, 119.0), (-18, 119.0)]
        g.paint_mask(g.region(trim) * tm, TOP_TRIM)
        # shorts
        waist = [(-19, 92.6 + pel_r), (-10, 93.3 + pel_r * 0.5), (-0.2, 93.7), (10, 93.3 + pel_l * 0.5), (19, 92.6 + pel_l)]
        sm = g.paint(waist + [(19, 60), (-19, 60)], SHORTS)
        g.paint_mask(g.region(waist + [(w[0], w[1] - 2.4) for w in waist[::-1]]) * sm, SHORTS_BAND)
        g.stroke(smooth_open([(-0.2, 91.3), (-0.1, 82), (0.0, 76.5)]), 0.25, 0.78, 0.15)
        for s in (-1.0, 1.0):
            g.stroke(smooth_open([(s * 1.2, 76.5), (s * 6, 74.6), (s * 12.5, 76.2), (s * 15.0, 79.0)]), 0.5, 0.86, 0.5)
            g.stroke(smooth_open([(s * 2.0, 90.0), (s * 9, 87.5), (s * 15, 84.5)]), 0.8, 1.06, 1.0)
        g.stroke([(-2.1, 74.0), (-16.8, 72.2)], 0.4, 1.12, 0.15)
        g.stroke([(2.1, 73.9 + pel_l), (16.8, 72.2 + pel_l)], 0.4, 1.12, 0.15)
        # spine: a soft groove through the spinous processes
        spine = [lm[k][:2] for k in ("c7", "t3", "t7", "t12", "l3", "s1")]
        g.stroke(smooth_open(spine, 12), 0.9, 0.92, 0.7)
        g.stroke(smooth_open(spine[2:], 12), 0.5, 0.9, 0.4)
        for k in ("psis_r", "psis_l"):
            p = lm[k]
            g.spot(p[0], p[1] - 0.2, 0.9, 0.7, 0.86, 0.35)
        # scapulae: medial border, inferior angle, lateral border, spine of scapula
        for s, side in ((-1.0, "r"), (1.0, "l")):
            ia = lm[f"scapula_inferior_angle_{side}"][:2]
            acr = lm[f"acromion_{side}"][:2]
            sup = (s * 6.0 + 0.4 * ia[0] - 0.4 * s * 9.2, 141.0 + (acr[1] - 139.25))
            border = [
                sup,
                (sup[0] + s * 0.2, 136.0),
                (ia[0] - s * 1.2, ia[1] + 2.4),
                (ia[0], ia[1] - 0.6),
                (ia[0] + s * 3.0, ia[1] + 2.5),
                (s * 15.5, 129.5 + (acr[1] - 139.25)),
            ]
            g.stroke(smooth_open(border), 0.7, 0.84, 0.55)
            g.stroke(
                smooth_open([(sup[0] + s * 0.4, sup[1] - 2.5), (s * 12, acr[1] - 0.3), (acr[0] - s * 1.4, acr[1] + 0.2)]),
                0.7,
                0.93,
                0.6,
            )
            g.multiply(g.region(ellipse((ia[0] + sup[0]) / 2 + s * 3.5, (ia[1] + sup[1]) / 2, 4.0, 6.5, 0), 1.5), 1.05)
    # arms on top of the clothing; elbow and hand details
    for s, side, arm in ((-1.0, "r", arms[0]), (1.0, "l", arms[1])):
        am = g.region(arm)
        g.paint_mask(am, SKIN)
        a = lm[f"acromion_{side}"][1] - 139.25
        if front:
            g.stroke(smooth_open([(s * 20.0, 107.5 + a), (s * 21.3, 106.3 + a), (s * 22.6, 107.2 + a)]), 0.3, 0.88, 0.3)
        else:
            g.spot(s * 21.8, 106.4 + a, 0.9, 1.1, 0.9, 0.3)
        g.stroke([(s * 21.0, 80.5 + a), (s * 24.9, 80.8 + a)], 0.25, 0.93, 0.35)
        for dx in (-0.9, 0.2, 1.2):
            g.stroke([(s * (23.2 + dx * 0.9), 71.0 + a), (s * (23.2 + dx * 0.8), 66.3 + a)], 0.14, 0.9, 0.1)
    groups.append(g)

    # --- ears, then the head ---
    for s in (-1.0, 1.0):
        e = Group(scene, [scene.head(outline(frontal_ear(s)))], SKIN, round_cm=0.9, dim=0.97)
        e.stroke(scene.head(smooth_open([(s * 7.6, 2.6), (s * 8.5, 2.6), (s * 8.5, 0.0), (s * 7.9, -2.0)])), 0.25, 0.85, 0.12)
        groups.append(e)
    skull, hair_out = frontal_head(scene)
    if not front:  # the bun shows from behind
        bun = Group(scene, [scene.head(ellipse(0.0, 2.8, 3.5, 3.2, 0, 40))], HAIR, round_cm=2.5, warm=False)
        bun.texture(bun.mask, 0.18, None, rng)
        bun.stroke(scene.head(smooth_open([(-3.1, 4.0), (0.0, 5.3), (3.1, 4.0)])), 0.35, 0.75, 0.3)
    hg = Group(scene, [scene.head(skull), scene.head(outline(hair_out))], SKIN, round_cm=6.0)
    if front:
        hairline = [
            (8.3, 1.2),
            (7.9, 3.2),
            (7.0, 5.2),
            (5.2, 7.4),
            (2.5, 8.4),
            (0.0, 8.6),
            (-2.5, 8.4),
            (-5.2, 7.4),
            (-7.0, 5.2),
            (-7.9, 3.2),
            (-8.3, 1.2),
            (-9.0, 14.0),
            (9.0, 14.0),
        ]
        hm = hg.paint(scene.head(outline(hairline[:-2] + [(-8.5, 9.0), (-5, 14), (5, 14), (8.5, 9.0)])), HAIR, 0.12)
        hg.texture(hm, 0.16, -60.0, rng)
        hg.stroke(scene.head(smooth_open([(0.3, 8.6), (0.5, 11.0), (0.4, 13.0)])), 0.25, 0.8, 0.12)
        draw_face_front(scene, hg)
    else:
        hair = [
            (8.3, 1.0),
            (8.0, -2.0),
            (6.4, -5.4),
            (4.0, -6.9),
            (1.5, -7.2),
            (0.0, -7.7),
            (-1.5, -7.2),
            (-4.0, -6.9),
            (-6.4, -5.4),
            (-8.0, -2.0),
            (-8.3, 1.0),
            (-9.0, 14.0),
            (9.0, 14.0),
        ]
        hm = hg.paint(scene.head(outline(hair[:-2] + [(-8.5, 9.0), (-5, 14), (5, 14), (8.5, 9.0)])), HAIR, 0.12)
        hg.texture(hm, 0.16, -95.0, rng)
    groups.append(hg)
    if not front:
        groups.append(bun)


def draw_face_front(scene: Scene, g: Group) -> None:
    H = scene.head
    for s in (-1.0, 1.0):
        # brows, eyes, lids
        g.stroke(H(smooth_open([(s * 1.3, 2.80), (s * 3.0, 3.40), (s * 4.9, 3.10)])), 0.42, 0.55, 0.1)
        eye = ellipse(s * 3.1, 1.2, 1.35, 0.5, 0, 32)
        g.paint(H(eye), (236, 230, 224), 0.04)
        g.paint(H(ellipse(s * 3.0, 1.2, 0.5, 0.5, 0, 24)), (92, 66, 48), 0.03)
        g.paint(H(ellipse(s * 3.0, 1.2, 0.22, 0.22, 0, 16)), (28, 22, 20), 0.02)
        g.stroke(H(smooth_open([(s * 1.7, 1.30), (s * 3.1, 1.80), (s * 4.5, 1.30)])), 0.2, 0.55, 0.05)
        g.stroke(H(smooth_open([(s * 1.8, 2.25), (s * 3.1, 2.50), (s * 4.3, 2.15)])), 0.18, 0.9, 0.12)
        g.multiply(g.region(H(ellipse(s * 4.2, -2.3, 1.7, 1.3)), 0.6), 1.025)
        g.paint(H(ellipse(s * 4.0, -2.5, 1.2, 0.8)), (222, 164, 146), 0.6, 0.35)
    # nose: bridge shadow on the lamp-far side, nostrils, tip highlight
    g.stroke(H(smooth_open([(0.9, 2.6), (1.0, 0.0), (1.3, -2.0)])), 0.35, 0.92, 0.3)
    g.spot(*H([(0.0, -1.9)])[0], 0.9, 0.8, 1.05, 0.4)
    for s in (-1.0, 1.0):
        p = H([(s * 0.85, -3.0)])[0]
        g.spot(p[0], p[1], 0.42, 0.22, 0.62, 0.1)
    g.stroke(H(smooth_open([(-1.3, -2.6), (-1.4, -3.2), (-0.6, -3.5), (0.6, -3.5), (1.4, -3.2), (1.3, -2.6)])), 0.22, 0.85, 0.15)
    # lips
    upper = [(-2.3, -5.55), (-1.0, -5.0), (0.0, -5.15), (1.0, -5.0), (2.3, -5.55), (0.0, -5.65)]
    lower = [(-2.2, -5.6), (0.0, -5.7), (2.2, -5.6), (1.2, -6.3), (0.0, -6.45), (-1.2, -6.3)]
    g.paint(H(outline(upper, 6)), LIPS, 0.05)
    g.paint(H(outline(lower, 6)), (196, 124, 116), 0.05)
    g.stroke(H(smooth_open([(-2.3, -5.6), (0.0, -5.68), (2.3, -5.6)])), 0.14, 0.6, 0.05)
    g.stroke(H(smooth_open([(-1.4, -7.5), (0.0, -7.2), (1.4, -7.5)])), 0.4, 0.95, 0.5)


# --------------------------------------------------------------------------- the body: lateral views

# The mid-sagittal profile of trunk and near leg (Z forward, Y up), neck to toes and back.
PROFILE_FRONT = [
    (4.2, 150.2),
    (4.8, 146.0),
    (5.6, 142.0),
    (6.4, 139.5),
    (8.0, 136.5),
    (10.5, 132.6),
    (13.6, 128.2),
    (15.2, 124.8),
    (14.7, 121.2),
    (12.4, 118.9),
    (10.7, 116.5),
    (10.1, 112.0),
    (10.5, 106.0),
    (11.2, 100.5),
    (10.9, 96.5),
    (9.9, 92.5),
    (9.2, 88.0),
    (8.8, 82.0),
    (8.6, 76.0),
    (8.0, 68.0),
    (7.2, 60.0),
    (6.1, 54.0),
    (5.2, 50.6),
    (4.85, 47.6),
    (4.6, 44.6),
    (4.3, 40.0),
    (3.9, 30.0),
    (3.4, 20.0),
    (3.0, 13.0),
    (3.3, 9.2),
    (5.4, 7.2),
    (9.0, 5.3),
    (13.5, 3.7),
    (16.8, 2.5),
    (18.3, 1.5),
    (18.45, 0.55),
    (17.6, 0.0, "c"),
]
PROFILE_BACK = [
    (-4.4, 0.0, "c"),
    (-5.6, 0.6),
    (-6.0, 2.5),
    (-5.7, 5.0),
    (-4.7, 8.0),
    (-4.1, 11.0),
    (-4.3, 16.0),
    (-5.6, 24.0),
    (-6.9, 31.0),
    (-7.1, 35.0),
    (-6.6, 41.0),
    (-5.9, 46.5),
    (-6.1, 52.0),
    (-6.8, 60.0),
    (-7.6, 67.0),
    (-8.7, 72.0),
    (-11.2, 76.5),
    (-12.8, 82.0),
    (-12.9, 87.0),
    (-11.8, 92.0),
    (-10.0, 96.0),
    (-8.9, 99.5),
    (-7.2, 103.5),
    (-6.6, 107.0),
    (-7.0, 111.0),
    (-8.1, 117.5),
    (-9.6, 124.0),
    (-10.7, 130.5),
    (-10.7, 135.0),
    (-10.2, 140.3),
    (-9.5, 144.5),
    (-8.75, 147.5),
    (-7.3, 149.6),
    (-5.8, 151.2),
]

PROFILE_HEAD = [  # head-local (z forward, y up), origin between the tragi
    (-0.5, 12.6),
    (3.6, 12.0),
    (6.8, 10.0),
    (8.9, 7.2),
    (9.8, 4.8),
    (10.1, 3.4),
    (9.75, 2.4),
    (10.4, 1.0),
    (11.4, -0.8),
    (12.25, -2.05),
    (12.0, -2.8),
    (10.9, -3.3, "c"),
    (11.15, -4.3),
    (10.85, -5.0),
    (10.95, -5.7),
    (10.25, -6.7),
    (10.45, -7.8),
    (9.95, -9.0),
    (8.6, -9.7),
    (6.0, -9.3),
    (3.4, -8.2),
    (0.2, -6.4),
    (-2.6, -5.4),
    (-6.2, -6.5),
    (-8.6, -3.5),
    (-9.3, 0.5),
    (-8.9, 5.0),
    (-6.8, 9.2),
    (-3.8, 11.8),
]
PROFILE_HAIR = [  # outer hair outline over the skull, plus the hairline
    (9.05, 7.4),
    (8.2, 9.2),
    (6.0, 11.6),
    (3.7, 12.55),
    (-0.5, 13.0),
    (-4.0, 12.3),
    (-7.2, 9.6),
    (-9.3, 5.2),
    (-9.75, 0.6),
    (-9.0, -3.6),
    (-6.5, -6.8),
    (-4.2, -5.4),
    (-3.6, -1.5),
    (-3.2, 2.6),
    (-1.6, 4.3),
    (0.4, 4.3),
    (1.5, 2.0),
    (2.2, 1.0),
    (2.9, 3.5),
    (4.8, 6.1),
    (7.3, 7.6),
]
PROFILE_EAR = [
    (0.3, 0.9),
    (0.25, 2.6),
    (-0.6, 3.6),
    (-2.0, 3.85),
    (-3.05, 2.8),
    (-3.3, 0.8),
    (-2.85, -1.5),
    (-1.6, -3.1),
    (-0.5, -3.15),
    (0.1, -1.6),
]


def profile_body() -> np.ndarray:
    return outline(PROFILE_FRONT + PROFILE_BACK)


def profile_leg(dz: float) -> np.ndarray:
    front = [p for p in PROFILE_FRONT if p[1] <= 70.0]
    back = [p for p in PROFILE_BACK if p[1] <= 70.0]
    pts = [(8.3, 72.0)] + front + back + [(-8.4, 72.0)]
    # the offset grows from nothing at the thigh to dz at the shin, so only the shin and foot peek out
    return outline([(p[0] + dz * float(np.clip((62.0 - p[1]) / 30.0, 0, 1)), p[1], *p[2:]) for p in pts])


def draw_lateral_figure(scene: Scene, groups: list) -> None:
    view, lm, rng = scene.view, scene.lm, scene.rng
    side = view.side
    near_acr = lm[f"acromion_{side}"]

    # far leg: a little ahead, in the shade
    far = Group(scene, [profile_leg(0.9)], SKIN, round_cm=4.0, dim=0.86)
    groups.append(far)

    # trunk + near leg
    g = Group(scene, [profile_body()], SKIN, round_cm=6.0)
    sm = g.paint(shorts_profile(0.0), SHORTS)
    band = [(14, 90.4), (-15, 94.0), (-15, 91.6), (14, 88.0)]
    g.paint_mask(g.region(band) * sm, SHORTS_BAND)
    g.stroke(smooth_open([(1.5, 91.0), (1.2, 82.0), (0.6, 71.5)]), 0.25, 0.8, 0.15)  # side seam
    g.stroke([(9.5, 72.2), (-9.3, 70.0)], 0.4, 1.12, 0.15)
    top = [
        (8.4, 135.2),
        (3.0, 141.0),
        (0.6, 145.0, "c"),
        (-2.4, 145.0, "c"),
        (-4.4, 135.5),
        (-6.4, 127.6),
        (-8.0, 126.6),
        (-11.8, 126.4, "c"),
        (-11.8, 120.9, "c"),
        (0.0, 119.3),
        (13.5, 117.9, "c"),
        (17.0, 118.3, "c"),
        (17.0, 127.0),
        (12.2, 132.6),
    ]
    tm = g.paint(outline(top), TOP)
    g.paint_mask(g.region([(-12, 122.7), (-9.0, 122.2), (0, 120.9), (17, 120.4), (17, 117), (-12, 117)]) * tm, TOP_TRIM)
    # knee, shin, ankle, foot details
    kn = lm[f"knee_lateral_{side}"]
    g.spot(4.0, 50.3, 1.3, 2.3, 1.05, 0.5)
    g.stroke(smooth_open([(3.2, 53.5), (2.5, 50.5), (3.0, 47.4)]), 0.3, 0.9, 0.35)
    g.stroke(smooth_open([(-4.6, 49.8), (-3.5, 48.0), (-4.4, 45.6)]), 0.35, 0.9, 0.4)
    g.stroke(smooth_open([(kn[2] - 1.5, kn[1] + 1.4), (kn[2] + 1.5, kn[1] - 0.2)]), 0.25, 0.92, 0.3)
    mal = lm[f"lateral_malleolus_{side}"]
    g.spot(mal[2], mal[1] + 0.2, 1.3, 1.5, 1.06, 0.5)
    g.stroke(smooth_open([(mal[2] - 1.3, mal[1] - 1.4), (mal[2], mal[1] - 1.9), (mal[2] + 1.3, mal[1] - 1.4)]), 0.3, 0.9, 0.35)
    g.stroke(smooth_open([(-2.8, 3.0), (4.0, 1.6), (12.0, 1.4)]), 0.6, 0.93, 0.6)
    for z in (14.2, 15.6, 16.8):
        g.stroke([(z, 2.4 - (z - 14) * 0.25), (z + 0.25, 0.3)], 0.15, 0.88, 0.1)
    g.spot(17.6, 1.6, 0.7, 0.5, 1.07, 0.12)
    # shoulder blade and lower back hints
    g.stroke(smooth_open([(-9.6, 136.0), (-9.2, 130.0), (-8.2, 126.0)]), 0.6, 0.94, 0.6)
    for k in ("psis",):
        p = lm[f"{k}_{side}"]
        g.spot(p[2] - 0.3, p[1] - 0.2, 0.7, 0.6, 0.88, 0.3)
    g.stroke(smooth_open([(-10.5, 79.0), (-6.5, 75.8), (-3.0, 75.0)]), 0.4, 0.9, 0.5)
    groups.append(g)

    # near arm, folded across the chest (keeps the hip landmarks clear)
    acr_y = near_acr[1]
    a = acr_y - 139.25
    upper = tube([(-0.9, acr_y - 1.9), (2.2, 127.0 + a), (5.0, 118.5 + a), (6.6, 113.2 + a)], [4.5, 3.8, 3.5, 3.2])
    fore = tube([(6.4, 113.0 + a), (11.5, 115.6 + a), (16.6, 118.6 + a)], [3.2, 3.0, 2.7])
    shoulder = ellipse(-2.8, acr_y + 1.2, 6.2, 4.6)
    arm = Group(scene, [upper, fore], SKIN, round_cm=3.4, shade_with=[shoulder])
    arm.stroke(smooth_open([(8.8, 117.8 + a), (7.6, 117.3 + a), (6.8, 116.0 + a)]), 0.3, 0.88, 0.3)
    arm.stroke(smooth_open([(-3.0, acr_y - 5.0), (-1.5, acr_y - 9.0), (0.5, acr_y - 12.5)]), 0.5, 0.93, 0.5)
    groups.append(arm)
    # the far forearm crossing in front, its hand holding the near upper arm
    far_fore = tube([(16.9, 123.3 + a), (10.5, 125.4 + a), (4.6, 127.2 + a)], [2.6, 2.5, 2.2])
    hand = tube([(4.9, 127.5 + a), (2.0, 127.6 + a), (-0.8, 126.4 + a), (-3.0, 124.2 + a)], [2.3, 2.4, 2.1, 1.6])
    fa = Group(scene, [far_fore, hand], SKIN, round_cm=2.6)
    for k, y in enumerate((125.4, 126.7, 127.9)):
        fa.stroke(smooth_open([(1.4 - k * 0.2, y + 1.0 + a), (-1.3, y - 0.4 + a), (-2.8, y - 2.0 + a)]), 0.16, 0.84, 0.1)
    fa.stroke(smooth_open([(5.3, 129.2 + a), (4.1, 126.0 + a)]), 0.2, 0.9, 0.2)
    groups.append(fa)

    # head: bun behind, skull and hair, face, then the ear around the tragus marker
    tr = lm[f"tragus_{side}"]
    ear_dy = tr[1] - HEAD_ORIGIN_Y
    bun = Group(scene, [scene.head(ellipse(-9.9, 3.4, 3.3, 3.4, 0, 40))], HAIR, round_cm=2.4, warm=False)
    bun.texture(bun.mask, 0.18, None, rng)
    groups.append(bun)
    hg = Group(scene, [scene.head(outline(PROFILE_HEAD)), scene.head(outline(PROFILE_HAIR[:12]))], SKIN, round_cm=5.5)
    hm = hg.paint(scene.head(outline(PROFILE_HAIR)), HAIR, 0.1)
    hg.texture(hm, 0.16, 15.0, rng)
    draw_face_profile(scene, hg, side)
    groups.append(hg)
    ear = Group(scene, [scene.head(outline(PROFILE_EAR), ear_dy)], SKIN, round_cm=1.1, dim=0.98)
    ear.stroke(
        scene.head(smooth_open([(-0.3, 2.9), (-1.9, 3.1), (-2.6, 2.0), (-2.6, -0.3), (-1.6, -2.3)]), ear_dy), 0.28, 0.84, 0.15
    )
    ear.spot(*scene.head([(-1.1, 0.3)], ear_dy)[0], 0.8, 1.1, 0.82, 0.3)
    groups.append(ear)


def shorts_profile(dz: float) -> list:
    return [(14.0 + dz, 90.4), (-15.0 + dz, 94.0), (-15.0 + dz, 69.9), (-9.3 + dz, 70.0), (9.5 + dz, 72.2), (14.0 + dz, 72.2)]


def draw_face_profile(scene: Scene, g: Group, side: str) -> None:
    H = scene.head
    g.stroke(H(smooth_open([(7.3, 2.75), (8.6, 3.2), (9.9, 3.1)])), 0.42, 0.55, 0.1)
    eye = [(7.6, 1.0, "c"), (8.4, 1.45), (9.35, 1.25, "c"), (8.5, 0.75)]
    g.paint(H(outline(eye, 6)), (232, 226, 220), 0.03)
    g.paint(H(ellipse(9.05, 1.12, 0.22, 0.36, 0, 16)), (70, 52, 40), 0.03)
    g.stroke(H(smooth_open([(7.6, 1.05), (8.4, 1.55), (9.45, 1.35)])), 0.18, 0.5, 0.05)
    g.stroke(H(smooth_open([(10.6, -1.6), (10.2, -2.3), (10.5, -2.9), (11.3, -3.0)])), 0.2, 0.78, 0.12)
    g.paint(H(outline([(11.2, -4.3), (10.4, -4.2), (10.3, -5.0), (10.4, -5.8), (10.95, -5.75), (10.85, -5.0)], 6)), LIPS, 0.06)
    g.stroke(H(smooth_open([(10.9, -5.0), (10.2, -5.05)])), 0.14, 0.6, 0.05)
    g.stroke(H(smooth_open([(0.4, -6.0), (3.5, -8.0), (7.5, -9.3)])), 0.45, 0.93, 0.45)
    g.paint(H(ellipse(7.6, -2.8, 1.6, 1.2)), (222, 164, 146), 0.7, 0.3)


# --------------------------------------------------------------------------- assembling a photo


def landmark_image_points(scene: Scene) -> dict[str, np.ndarray]:
    """Landmark id (as written to the document) -> image point before the roll."""
    v = scene.view
    out = {}
    if v.lateral:
        for lid in VIEW_LANDMARKS["lateral"]:
            base = LATERAL_SOURCE.get(lid, lid)
            name = base if base in MIDLINE else f"{base}_{v.side}"
            out[lid] = v.project(scene.lm[name])
    else:
        for lid in VIEW_LANDMARKS[v.name]:
            out[lid] = v.project(scene.lm[lid])
    return out


def roll_matrix(view: View) -> np.ndarray:
    """2x3 affine: the camera roll about the image centre (identity for level photos)."""
    return cv2.getRotationMatrix2D((IMAGE_W / 2, IMAGE_H / 2), view.roll_deg, 1.0)


def apply_affine(m: np.ndarray, p: np.ndarray) -> np.ndarray:
    return m[:, :2] @ np.asarray(p, float) + m[:, 2]


def render(view: View, client: Client, seed: int) -> tuple[np.ndarray, dict]:
    rng = np.random.default_rng(seed)
    scene = Scene(view, client, rng)
    groups: list[Group] = []
    if view.lateral:
        draw_lateral_figure(scene, groups)
    else:
        draw_frontal_figure(scene, groups)

    silhouette = np.zeros(scene.shape, np.float32)
    for g in groups:
        roi = silhouette[g.y0 : g.y0 + g.h, g.x0 : g.x0 + g.w]
        np.maximum(roi, g.mask, out=roi)
    draw_background(scene, silhouette)
    if view.lateral:
        draw_floor_shadow(scene, [(-5.0, 18.0)])
    else:
        ax = leg_axis_x(0)
        draw_floor_shadow(scene, [(-ax - 4.6, -ax + 4.1), (ax - 4.1, ax + 4.6)])
    draw_plumb_line(scene)
    for g in groups:
        g.composite()

    points = landmark_image_points(scene)
    for p in points.values():
        draw_marker(scene.img, _ss_px(p))

    # camera roll (posterior): rotate the whole scene about the image centre
    m = roll_matrix(view)
    if view.roll_deg:
        centre = _ss_px([IMAGE_W / 2, IMAGE_H / 2])
        ms = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), view.roll_deg, 1.0)
        wall = tuple(float(v) for v in WALL_TOP)
        scene.img = cv2.warpAffine(
            scene.img,
            ms,
            (scene.shape[1], scene.shape[0]),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=wall,
        )

    # down-sample, crop the margin, add a little sensor noise
    small = cv2.resize(scene.img, (scene.shape[1] // SS, scene.shape[0] // SS), interpolation=cv2.INTER_AREA)
    photo = small[MARGIN : MARGIN + IMAGE_H, MARGIN : MARGIN + IMAGE_W].copy()
    yy, xx = np.mgrid[0:IMAGE_H, 0:IMAGE_W].astype(np.float32)
    vignette = 1.0 - 0.06 * (((xx - IMAGE_W / 2) / IMAGE_W) ** 2 + ((yy - IMAGE_H / 2) / IMAGE_H) ** 2) * 2.2
    photo *= vignette[..., None]
    noise = rng.standard_normal((IMAGE_H, IMAGE_W)).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 0.6)
    photo += (noise * 1.4)[..., None] + rng.standard_normal(photo.shape).astype(np.float32) * 0.5
    photo = np.clip(np.round(photo), 0, 255).astype(np.uint8)

    g = plumb_geometry(view)
    calib_pts = {k: apply_affine(m, g[k]) for k in ("mark_top", "mark_bottom")}
    lms = {k: apply_affine(m, p) for k, p in points.items()}
    doc = view_document(view, lms, calib_pts, scene)
    return photo, doc


def _pt(p: np.ndarray) -> list[float]:
    return [round(float(p[0]), 1), round(float(p[1]), 1)]


def view_document(view: View, lms: dict, calib: dict, scene: Scene) -> dict:
    for name, p in list(lms.items()) + list(calib.items()):
        assert 0 <= p[0] <= IMAGE_W and 0 <= p[1] <= IMAGE_H, (view.name, name, p)
    vertical = {"p1": _pt(calib["mark_top"]), "p2": _pt(calib["mark_bottom"])}
    if view.name == "left_lateral":
        head = scene.head(outline(PROFILE_HAIR[:12]))
        head = np.vstack([head, scene.head(outline(PROFILE_HEAD))])
        img = view.to_image(head[:, 0], head[:, 1])
        top = img[np.argmin(img[:, 1])]
        heel_x = view.to_image(-2.0, 0.0)[0]  # under the heel, between the malleolus and the heel's back
        scale = {"height_cm": STATURE_CM, "top": _pt(top), "floor": [round(float(heel_x), 1), round(FLOOR_Y, 1)]}
    else:
        scale = {**vertical, "distance_cm": float(PLUMB_MARK_HEIGHTS_CM[0] - PLUMB_MARK_HEIGHTS_CM[1])}
    doc = {
        "schema_version": 1,
        "view": view.name,
        "image": {"file": f"{view.name}.jpg", "width": IMAGE_W, "height": IMAGE_H},
        "landmarks": {k: {"x": _pt(p)[0], "y": _pt(p)[1], "source": "manual"} for k, p in lms.items()},
        "calibration": {"vertical": vertical, "scale": scale, "plumb_anchor": None, "landmark_sigma_px": None},
        "notes": "Synthetic sample generated by sample_images/generate.py",
    }
    if view.facing:
        doc["facing"] = view.facing
        doc = {k: doc[k] for k in ("schema_version", "view", "facing", "image", "landmarks", "calibration", "notes")}
    return doc


def main() -> None:
    client = Client()
    for i, view in enumerate(VIEWS):
        photo, doc = render(view, client, SEED + i)
        jpg = OUT_DIR / f"{view.name}.jpg"
        Image.fromarray(photo, "RGB").save(jpg, "JPEG", quality=JPEG_QUALITY, optimize=True)
        (OUT_DIR / f"{view.name}.json").write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {jpg.name} ({jpg.stat().st_size // 1024} KB) and {view.name}.json")


if __name__ == "__main__":
    main()
