"""Shared builders for the core's tests, and the tests' own plain-math reading of the spec.

Nothing here calls the package's geometry: expected values in the tests come
from these few lines of ``math`` written straight from the measurement spec
(spec §3, ``docs/measurements.md``), so a sign or formula slip in the
core cannot hide behind the same slip in the test.
"""

from __future__ import annotations

import copy
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from posture import analyze
from posture.document import parse_document

REPO = Path(__file__).resolve().parents[1]

Pt = tuple[float, float]


# --- documents ----------------------------------------------------------------------------


def doc_dict(
    view: str,
    landmarks: dict[str, Pt],
    *,
    vertical: tuple[Pt, Pt] | None = None,
    scale: dict[str, Any] | None = None,
    plumb_anchor: Pt | None = None,
    sigma: float | None = None,
    width: float | None = None,
    height: float | None = None,
    facing: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """A view document (schema 1) as the JSON object a therapist's app would save."""
    image: dict[str, Any] = {"file": f"{view}.jpg"}
    if width is not None:
        image["width"] = width
    if height is not None:
        image["height"] = height
    d: dict[str, Any] = {
        "schema_version": 1,
        "view": view,
        "image": image,
        "landmarks": {k: {"x": float(x), "y": float(y), "source": "manual"} for k, (x, y) in landmarks.items()},
        "calibration": {
            "vertical": None if vertical is None else {"p1": list(vertical[0]), "p2": list(vertical[1])},
            "scale": scale,
            "plumb_anchor": None if plumb_anchor is None else list(plumb_anchor),
            "landmark_sigma_px": sigma,
        },
        "notes": "",
    }
    if facing is not None:
        d["facing"] = facing
    d.update(extra)
    return d


def two_point_scale(p1: Pt, p2: Pt, distance_cm: float) -> dict[str, Any]:
    return {"p1": list(p1), "p2": list(p2), "distance_cm": distance_cm}


def height_scale(height_cm: float, top: Pt, floor: Pt) -> dict[str, Any]:
    return {"height_cm": height_cm, "top": list(top), "floor": list(floor)}


def run(d: dict[str, Any], settings: Any = None) -> dict[str, Any]:
    """Parse, validate and analyse a document dict; return the result object."""
    return analyze(parse_document(copy.deepcopy(d)), settings)


def run_cli(*args: str, env_extra: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m posture ARGS`` in a subprocess, with no settings from the caller's environment."""
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_SETTINGS"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "posture", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=str(cwd or REPO),
        timeout=60,
    )


# --- the spec's primitives, in plain math (corrected frame: X right, Y up) ---------------------


def C(p: Pt) -> Pt:
    """Image pixels → corrected frame when there is no roll: ``X = x``, ``Y = -y``."""
    return (p[0], -p[1])


def tilt(R: Pt, L: Pt) -> float:
    return math.degrees(math.atan2(L[1] - R[1], abs(L[0] - R[0])))


def height_diff(R: Pt, L: Pt, k: float) -> float:
    return (L[1] - R[1]) * k


def shift(P: Pt, X0: float, r: float, k: float) -> float:
    return (P[0] - X0) * r * k


def ant(P: Pt, X0: float, f: float, k: float) -> float:
    return (P[0] - X0) * f * k


def lean(TOP: Pt, BOT: Pt, f: float) -> float:
    return math.degrees(math.atan2((TOP[0] - BOT[0]) * f, TOP[1] - BOT[1]))


def bend(A: Pt, B: Pt, Cp: Pt) -> float:
    """``180 - interior angle at B`` (0 = straight), unsigned: the angle between A→B and B→C."""
    ux, uy = B[0] - A[0], B[1] - A[1]
    vx, vy = Cp[0] - B[0], Cp[1] - B[1]
    return math.degrees(math.atan2(abs(ux * vy - uy * vx), ux * vx + uy * vy))


def cog_x_by_hand(a: dict) -> float:
    """Spec §9's CG_X written out term by term (X̄ a pair's mean, Σ its sum; no roll, so X = x)."""

    def mean(b):
        return (a[f"{b}_r"][0] + a[f"{b}_l"][0]) / 2

    def both(b):
        return a[f"{b}_r"][0] + a[f"{b}_l"][0]

    return (
        0.0681 * mean("tragus")
        + 0.5245 * (0.4395 * mean("acromion") + 0.5605 * mean("greater_trochanter"))
        + 0.1447 * (0.617 * both("greater_trochanter") + 0.383 * both("knee_lateral"))
        + 0.0457 * (0.556 * both("knee_lateral") + 0.444 * both("lateral_malleolus"))
        + 0.0133 * both("lateral_malleolus")
    )


def x_of_chord_at(A: Pt, Cp: Pt, y: float) -> float:
    """X of the straight line A–C at height ``y`` (to say by hand on which side a point lies)."""
    t = (y - A[1]) / (Cp[1] - A[1])
    return A[0] + t * (Cp[0] - A[0])


def perp_signed(P: Pt, A: Pt, B: Pt) -> float:
    """Distance of P from the line A–B, + when P lies on the +X side of the line (the line is near vertical)."""
    ux, uy = B[0] - A[0], B[1] - A[1]
    cross = ux * (P[1] - A[1]) - uy * (P[0] - A[0])
    d = cross / math.hypot(ux, uy)
    # for an upward line (uy > 0) a positive cross product means P is to the left (-X)
    return -d if uy > 0 else d


def midpoint(a: Pt, b: Pt) -> Pt:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def rot_cw(p: Pt, deg: float, c: Pt) -> Pt:
    """Rotate an image point about ``c`` by ``deg`` clockwise as the viewer sees it (y points down)."""
    t = math.radians(deg)
    dx, dy = p[0] - c[0], p[1] - c[1]
    return (c[0] + dx * math.cos(t) - dy * math.sin(t), c[1] + dx * math.sin(t) + dy * math.cos(t))


# --- plausible bodies (image pixels, camera upright, ~1 px = 1 mm) -----------------------------

#: Client seen from the front: the client's right is image-left.
ANTERIOR: dict[str, Pt] = {
    "glabella": (1010, 400),
    "tragus_r": (940, 420),
    "tragus_l": (1060, 410),
    "acromion_r": (800, 700),
    "acromion_l": (1200, 690),
    "sternal_notch": (1005, 720),
    "asis_r": (870, 1300),
    "asis_l": (1120, 1296),
    "greater_trochanter_r": (840, 1400),
    "greater_trochanter_l": (1160, 1400),
    "patella_r": (900, 1900),
    "patella_l": (1100, 1900),
    "knee_lateral_r": (870, 1900),
    "knee_lateral_l": (1170, 1900),
    "tibial_tuberosity_r": (915, 2000),
    "tibial_tuberosity_l": (1095, 2004),
    "lateral_malleolus_r": (860, 2600),
    "lateral_malleolus_l": (1140, 2600),
    "medial_malleolus_r": (940, 2590),
    "medial_malleolus_l": (1060, 2594),
}

#: Client seen from the back: the client's right is image-right.
POSTERIOR: dict[str, Pt] = {
    "tragus_r": (1060, 420),
    "tragus_l": (940, 424),
    "acromion_r": (1200, 700),
    "acromion_l": (800, 706),
    "c7": (1000, 650),
    "t3": (1001, 800),
    "scapula_inferior_angle_r": (1110, 1000),
    "scapula_inferior_angle_l": (880, 1010),
    "t7": (1015, 1000),
    "t12": (985, 1200),
    "l3": (1012, 1400),
    "psis_r": (1060, 1500),
    "psis_l": (940, 1495),
    "s1": (1030, 1550),
    "leg_midline_r": (1075, 2100),
    "leg_midline_l": (925, 2100),
    "achilles_r": (1075, 2500),
    "achilles_l": (925, 2500),
    "calcaneus_r": (1090, 2640),
    "calcaneus_l": (930, 2640),
}

#: Client facing image-right (a right_lateral photo with the default facing).
RIGHT_LATERAL: dict[str, Pt] = {
    "tragus": (1000, 400),
    "eye_canthus": (1080, 410),
    "c7": (940, 500),
    "acromion": (980, 600),
    "asis": (1050, 1100),
    "psis": (900, 1080),
    "greater_trochanter": (970, 1200),
    "knee": (985, 1800),
    "lateral_malleolus": (960, 2500),
}

#: Client facing image-left (a left_lateral photo with the default facing).
LEFT_LATERAL: dict[str, Pt] = {
    "tragus": (1000, 400),
    "eye_canthus": (930, 395),
    "c7": (1070, 480),
    "acromion": (1030, 600),
    "asis": (950, 1100),
    "psis": (1100, 1090),
    "greater_trochanter": (1032, 1200),
    "knee": (1050, 1800),
    "lateral_malleolus": (1020, 2500),
}

BODIES = {"anterior": ANTERIOR, "posterior": POSTERIOR, "right_lateral": RIGHT_LATERAL, "left_lateral": LEFT_LATERAL}

#: The optional spinal points of spec §9 for the two side templates: a kyphotic thoracic curve (apex behind the
#: C7–T12 line) and a lordotic lumbar curve (apex in front of the T12–S1 line), each for the way its client faces.
RIGHT_LATERAL_SPINE: dict[str, Pt] = {
    "thoracic_apex": (905, 800),
    "t12": (925, 1000),
    "lumbar_apex": (945, 1060),
    "s1": (915, 1120),
}
LEFT_LATERAL_SPINE: dict[str, Pt] = {
    "thoracic_apex": (1100, 790),
    "t12": (1080, 1000),
    "lumbar_apex": (1055, 1060),
    "s1": (1085, 1120),
}
#: The templates with every landmark of spec v1.1 (the side views with their spinal points).
BODIES_V11 = {
    **BODIES,
    "right_lateral": {**RIGHT_LATERAL, **RIGHT_LATERAL_SPINE},
    "left_lateral": {**LEFT_LATERAL, **LEFT_LATERAL_SPINE},
}
