"""Synthetic photos and view documents of a standing client, seeded: what the tests and the benchmarks run on.

* :func:`synthetic_document`: a validated view document of a centred client
  (original-image pixels), with a plumb-line calibration and a scale;
* :func:`synthetic_photo`: a photo-like RGB image of the same client (wall,
  floor, plumb line, a drawn figure, sensor-like noise, so that its JPEG is
  the size of a phone photo's);
* :func:`synthetic_view`: the two together.

The client's landmark positions are in cm (``_BODY_CM``: lateral, height above
the floor; frontal views: lateral > 0 is the client's right, lateral views:
lateral > 0 is anterior), with small asymmetries so that every severity shows up.

Imported as ``support.synthetic`` by the tests (``tests/`` is on ``sys.path``
under pytest) and as ``tests.support.synthetic`` by ``benchmarks/`` (run from
the repository root). The product package ``posture`` never imports it.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np

from posture import document, landmarks
from posture.document import Calibration, DistanceScale, HeightScale, PlacedLandmark, ViewDocument

#: Client height of the synthetic figure, cm.
_HEIGHT_CM = 170.0

# Landmark positions of the synthetic client in cm: (lateral, height above the floor).
# Frontal views: lateral > 0 is the client's right. Lateral views: lateral > 0 is anterior.
# Small asymmetries are built in so that every severity shows up somewhere.
_BODY_CM: dict[str, dict[str, tuple[float, float]]] = {
    "anterior": {
        "glabella": (0.9, 158.0),
        "tragus_r": (7.6, 155.4),
        "tragus_l": (-7.4, 156.6),
        "acromion_r": (19.5, 140.6),
        "acromion_l": (-19.0, 143.0),
        "sternal_notch": (1.6, 138.5),
        "asis_r": (12.2, 95.2),
        "asis_l": (-12.0, 96.0),
        "greater_trochanter_r": (17.5, 87.0),
        "greater_trochanter_l": (-17.2, 87.6),
        "patella_r": (9.2, 49.5),
        "patella_l": (-9.6, 50.0),
        "knee_lateral_r": (13.2, 46.5),
        "knee_lateral_l": (-14.4, 46.8),
        "tibial_tuberosity_r": (10.6, 43.0),
        "tibial_tuberosity_l": (-10.2, 43.4),
        "lateral_malleolus_r": (12.4, 7.0),
        "lateral_malleolus_l": (-12.6, 7.2),
        "medial_malleolus_r": (5.4, 8.2),
        "medial_malleolus_l": (-5.6, 8.4),
    },
    "posterior": {
        "tragus_r": (7.5, 155.6),
        "tragus_l": (-7.5, 156.4),
        "acromion_r": (19.2, 140.8),
        "acromion_l": (-19.0, 142.9),
        "scapula_inferior_angle_r": (10.4, 121.0),
        "scapula_inferior_angle_l": (-8.6, 122.4),
        "c7": (0.0, 145.5),
        "t3": (0.3, 135.5),
        "t7": (1.1, 124.0),
        "t12": (2.4, 110.5),
        "l3": (1.2, 102.0),
        "s1": (0.1, 91.5),
        "psis_r": (4.9, 96.4),
        "psis_l": (-5.1, 97.3),
        "leg_midline_r": (9.4, 33.0),
        "leg_midline_l": (-9.2, 33.0),
        "achilles_r": (8.3, 8.0),
        "achilles_l": (-8.6, 8.0),
        "calcaneus_r": (9.6, 2.5),
        "calcaneus_l": (-8.2, 2.5),
    },
    "right_lateral": {
        "tragus": (7.0, 156.0),
        "eye_canthus": (14.5, 158.2),
        "c7": (-2.6, 145.0),
        "acromion": (1.5, 140.5),
        "asis": (8.8, 95.0),
        "psis": (-9.2, 98.6),
        "greater_trochanter": (0.2, 87.0),
        "knee": (-1.6, 47.0),
        "lateral_malleolus": (-2.0, 7.0),
        # the optional spinal points (spec §9): a kyphotic thoracic and a lordotic lumbar curve
        "thoracic_apex": (-6.5, 128.0),
        "t12": (-3.5, 110.5),
        "lumbar_apex": (-4.2, 104.0),
        "s1": (-8.5, 96.0),
    },
}
_BODY_CM["left_lateral"] = dict(_BODY_CM["right_lateral"])
_BODY_CM["left_lateral"]["tragus"] = (5.4, 156.2)
_BODY_CM["left_lateral"]["knee"] = (-0.6, 47.0)


def _to_image(view: str, lateral_cm: float, height_cm: float, w: float, h: float, roll_deg: float) -> tuple[float, float]:
    """Client cm → image pixels for a centred figure, with a camera roll of ``roll_deg`` (spec sign)."""
    px_per_cm = 0.86 * h / _HEIGHT_CM
    floor_y = 0.94 * h
    if view == "anterior":
        sign = -1.0  # the client's right is on the image left
    elif view == "left_lateral":
        sign = -1.0  # facing image left: anterior is -x
    else:
        sign = 1.0
    x = w / 2 + sign * lateral_cm * px_per_cm
    y = floor_y - height_cm * px_per_cm
    # The camera rolled by +roll (line's upper end to the image right): true points turn clockwise on screen.
    t = math.radians(roll_deg)
    cx, cy = w / 2, h / 2
    dx, dy = x - cx, y - cy
    return (cx + dx * math.cos(t) - dy * math.sin(t), cy + dx * math.sin(t) + dy * math.cos(t))


def synthetic_document(
    view: str = "anterior",
    width: int = 3024,
    height: int = 4032,
    *,
    roll_deg: float = 0.6,
    scale: bool = True,
    vertical: bool = True,
    image_file: str | None = None,
) -> ViewDocument:
    """A plausible, validated view document of a centred standing client (original-image pixels).

    ``roll_deg`` rolls the "camera" (and the plumb line drawn for calibration);
    ``scale`` adds a scale (client height for frontal views, two marks 100 cm
    apart on the plumb line for lateral views); ``vertical`` adds the plumb-line
    calibration.
    """
    w, h = float(width), float(height)
    placed = {i: PlacedLandmark(*_to_image(view, lx, hy, w, h, roll_deg)) for i, (lx, hy) in _BODY_CM[view].items()}
    plumb_x_cm = -55.0 if view != "anterior" else 55.0  # the calibration plumb line beside the client
    vline = None
    if vertical:
        vline = (_to_image(view, plumb_x_cm, 170.0, w, h, roll_deg), _to_image(view, plumb_x_cm, 2.0, w, h, roll_deg))
    sc: DistanceScale | HeightScale | None = None
    if scale and view in landmarks.FRONTAL_VIEWS:
        top = _to_image(view, 0.0, _HEIGHT_CM, w, h, roll_deg)
        floor = _to_image(view, 0.0, 0.0, w, h, roll_deg)
        sc = HeightScale(_HEIGHT_CM, top, floor)
    elif scale:
        p1 = _to_image(view, plumb_x_cm, 150.0, w, h, roll_deg)
        p2 = _to_image(view, plumb_x_cm, 50.0, w, h, roll_deg)
        sc = DistanceScale(p1, p2, 100.0)
    doc = ViewDocument(
        view=view,
        landmarks=placed,
        calibration=Calibration(vertical=vline, scale=sc),
        image_file=image_file,
        image_width=w,
        image_height=h,
        facing=landmarks.DEFAULT_FACING.get(view),
    )
    return document.validated(doc)


def synthetic_photo(
    width: int = 3024, height: int = 4032, *, view: str = "anterior", roll_deg: float = 0.6, seed: int = 0
) -> np.ndarray:
    """A photo-like RGB image (``(height, width, 3)`` uint8): wall, floor, a plumb line, a figure, noise.

    Seeded; the figure stands where :func:`synthetic_document` places its landmarks.
    """
    rng = np.random.default_rng(seed)
    w, h = width, height
    floor_y = int(0.94 * h)
    # low-frequency blotches (lighting, texture), at 1/64 resolution
    small = cv2.GaussianBlur(rng.normal(0.0, 1.0, (max(2, h // 64), max(2, w // 64), 3)).astype(np.float32), (0, 0), 1.5)
    xx = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :, None]
    wall = np.array([206, 200, 188], np.float32)
    floor = np.array([150, 122, 96], np.float32)
    blotches = cv2.resize(np.clip(small * 10.0 + 128.0, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)
    img = np.empty((h, w, 3), np.uint8)
    band = 256  # rows at a time, so a 12 MP photo never needs a float copy of itself
    for y0 in range(0, h, band):
        y1 = min(h, y0 + band)
        yy = (np.arange(y0, y1, dtype=np.float32) / max(1, h - 1))[:, None, None]
        rows = wall * (1.0 - 0.18 * (xx - 0.3) ** 2 - 0.12 * yy)
        if y1 > floor_y:
            rows[max(0, floor_y - y0) :] = floor * (0.9 + 0.1 * xx)
        img[y0:y1] = np.clip(rows + blotches[y0:y1].astype(np.float32) - 128.0, 0, 255).astype(np.uint8)
    u = max(1.0, h / 1000.0)
    floor_row = floor_y

    def pt(name: str) -> tuple[int, int]:
        lx, hy = _BODY_CM[view][name]
        x, y = _to_image(view, lx, hy, w, h, roll_deg)
        return (round(x), round(y))

    def body_pt(lx: float, hy: float) -> tuple[int, int]:
        x, y = _to_image(view, lx, hy, w, h, roll_deg)
        return (round(x), round(y))

    skin = (196, 150, 120)
    cloth = (58, 84, 128)
    lat = view in landmarks.LATERAL_VIEWS
    cm = 0.86 * h / _HEIGHT_CM  # px per cm

    def limb(a: tuple[int, int], b: tuple[int, int], width_cm: float, color: tuple[int, int, int] = skin) -> None:
        cv2.line(img, a, b, color, max(1, int(width_cm * cm)), cv2.LINE_AA)

    def poly(points: list[tuple[int, int]], color: tuple[int, int, int]) -> None:
        cv2.fillPoly(img, [np.array(points, np.int32)], color, cv2.LINE_AA)

    if lat:
        limb(pt("c7"), body_pt(4.0, 152.0), 11.0)  # neck
        head = body_pt(_BODY_CM[view]["tragus"][0] + 2.0, 160.0)
        cv2.ellipse(img, head, (int(10 * cm), int(12 * cm)), roll_deg, 0, 360, skin, -1, cv2.LINE_AA)
        ac, gt = _BODY_CM[view]["acromion"], _BODY_CM[view]["greater_trochanter"]
        poly([body_pt(ac[0] + 9, 141), body_pt(ac[0] - 10, 142), body_pt(gt[0] - 11, 80), body_pt(gt[0] + 9, 80)], cloth)
        limb(pt("greater_trochanter"), pt("knee"), 14.0)
        limb(pt("knee"), pt("lateral_malleolus"), 10.0)
        limb(pt("lateral_malleolus"), body_pt(_BODY_CM[view]["lateral_malleolus"][0] + 20, 2.0), 6.0)
        limb(pt("acromion"), body_pt(ac[0] + 2, 112.0), 8.0)
        limb(body_pt(ac[0] + 2, 112.0), body_pt(ac[0] + 7, 86.0), 6.5)
    else:
        b = _BODY_CM[view]
        trag = "tragus_r", "tragus_l"
        hx = (b[trag[0]][0] + b[trag[1]][0]) / 2
        limb(body_pt(hx, 150.0), body_pt(0.0, 140.0), 12.0)  # neck
        cv2.ellipse(img, body_pt(hx, 159.0), (int(8.5 * cm), int(12 * cm)), roll_deg, 0, 360, skin, -1, cv2.LINE_AA)
        for s in ("r", "l"):
            sign = 1.0 if s == "r" else -1.0
            acx, acy = b[f"acromion_{s}"]
            limb(body_pt(acx, acy - 1), body_pt(acx + 5 * sign, 112.0), 8.0)
            limb(body_pt(acx + 5 * sign, 112.0), body_pt(acx + 6 * sign, 84.0), 6.0)
            if view == "anterior":
                hip = body_pt(b[f"asis_{s}"][0] - 2 * sign, 90.0)
                knee = body_pt((b[f"patella_{s}"][0] + b[f"knee_lateral_{s}"][0]) / 2 - 1 * sign, 48.0)
                ankle = body_pt((b[f"lateral_malleolus_{s}"][0] + b[f"medial_malleolus_{s}"][0]) / 2, 7.0)
            else:
                hip = body_pt(10.0 * sign, 90.0)
                knee = body_pt(b[f"leg_midline_{s}"][0], 48.0)
                ankle = body_pt(b[f"achilles_{s}"][0], 7.0)
            limb(hip, knee, 14.0)
            limb(knee, ankle, 10.0)
            limb(ankle, body_pt(b[f"{'lateral_malleolus' if view == 'anterior' else 'calcaneus'}_{s}"][0], 2.0), 8.0)
        ar, al = b["acromion_r"], b["acromion_l"]
        poly([body_pt(ar[0], ar[1] + 1), body_pt(al[0], al[1] + 1), body_pt(-16.5, 82.0), body_pt(16.5, 82.0)], cloth)
    # the calibration plumb line with its bob
    px = -55.0 if view != "anterior" else 55.0
    cv2.line(img, body_pt(px, 190.0), body_pt(px, 3.0), (40, 40, 40), max(1, int(2 * u)), cv2.LINE_AA)
    cv2.circle(img, body_pt(px, 2.0), int(6 * u), (120, 110, 40), -1, cv2.LINE_AA)
    # a few objects in the room
    for k in range(6):  # in the margins, clear of the client
        x = int(rng.integers(0, int(0.15 * w))) if k % 2 else int(rng.integers(int(0.78 * w), int(0.93 * w)))
        c = (x, int(rng.integers(int(0.1 * h), floor_row - int(0.1 * h))))
        color = tuple(float(v) for v in rng.integers(60, 230, 3))
        cv2.rectangle(img, c, (c[0] + int(rng.integers(20, 120) * u), c[1] + int(rng.integers(20, 120) * u)), color, -1)
    # sensor noise (what makes a phone JPEG 2-3 MB), a band of rows at a time
    for y0 in range(0, h, band):
        y1 = min(h, y0 + band)
        noise = rng.standard_normal((y1 - y0, w, 1), dtype=np.float32) * 3.6
        noise = noise + rng.standard_normal((y1 - y0, w, 3), dtype=np.float32) * 1.6
        img[y0:y1] = np.clip(img[y0:y1] + noise, 0, 255).astype(np.uint8)
    return img


def synthetic_view(
    view: str = "anterior", width: int = 3024, height: int = 4032, *, seed: int = 0, **doc_kwargs: Any
) -> tuple[ViewDocument, np.ndarray]:
    """A matching (document, RGB photo) pair; see :func:`synthetic_document` and :func:`synthetic_photo`."""
    roll = doc_kwargs.get("roll_deg", 0.6)
    doc = synthetic_document(view, width, height, **doc_kwargs)
    return doc, synthetic_photo(width, height, view=view, roll_deg=roll, seed=seed)
