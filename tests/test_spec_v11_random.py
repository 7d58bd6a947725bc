"""Randomised conformance of spec v1.1 §9 against an independent reference (and the v1 values beside it).

The reference below (:class:`Ref`) is written from the measurement spec alone
(§3 frame and primitives, §4 v1 formulas, §5 grading, §6 uncertainty, §9): it
reads the document's raw pixel landmarks, calibration and facing, and imports
nothing from the package but the public :func:`posture.analyze` and the
document loader. The uncertainty of every §9 value is propagated
*analytically* (the package uses central differences), so neither can hide the
other's slip.

Each case is a plausible body (13-landmark side views, 20-landmark front
views) built in a true frame (cm, X anterior or toward the client's right,
Y up), photographed at a random scale, either facing / mirrored, rolled up to 25°
(the package corrects about the photo's centre, or the origin without a size)
with or without a plumb-line calibration, with a two-point scale, a height
scale or none (``px``), with or without the image size, with random landmarks
dropped (absent or ``null``). Every case checks:

- every §9 id: value (1e-6), sign, unit, plane, landmarks, uncertainty (1e-3
  relative: the package's finite differences drift where the malleoli nearly meet), severity, band and
  borderline (§5/§9), or its not-measured reason;
- the same values worked out on the true body (a second, frame-free check of the
  reference itself, with the signs the generator put in: a kyphotic apex gives +);
- every v1 value of the view against the reference, and (side views) that every
  v1 entry is identical with and without the four new spinal landmarks.

Run: ``python -m pytest tests/test_spec_v11_random.py -q``.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from helpers_core import cog_x_by_hand, run_cli

from posture import analyze
from posture.document import loads

Pt = tuple[float, float]

N_LATERAL = 300
N_ANTERIOR = 300
N_CONTRADICTED = 30
TOL = 1e-6  # values (deg, cm, px, %): far tighter than the spec's 0.01
REL_U = 1e-3  # uncertainties: analytic here, central differences (h = 0.001 px) in the package; spec §6 allows a few %

SPINE = ("thoracic_apex", "t12", "lumbar_apex", "s1")
LATERAL_V1_LANDMARKS = (
    "tragus", "eye_canthus", "c7", "acromion", "asis", "psis", "greater_trochanter", "knee", "lateral_malleolus",
)  # fmt: skip
ANTERIOR_PAIRS = (
    "tragus", "acromion", "asis", "greater_trochanter", "patella", "knee_lateral", "tibial_tuberosity",
    "lateral_malleolus", "medial_malleolus",
)  # fmt: skip
ANTERIOR_LANDMARKS = ("glabella", "sternal_notch", *(f"{b}_{s}" for b in ANTERIOR_PAIRS for s in "rl"))
CG_LANDMARKS = tuple(
    f"{b}_{s}" for b in ("tragus", "acromion", "greater_trochanter", "knee_lateral", "lateral_malleolus") for s in "rl"
)

V1_IDS = {
    "anterior": (
        "head_tilt", "shoulder_tilt", "shoulder_height_diff", "pelvic_obliquity", "pelvic_height_diff",
        "tibial_tuberosity_tilt", "shoulder_pelvis_angle", "head_shift", "trunk_shift", "pelvic_shift",
        "q_angle_r", "q_angle_l", "knee_alignment_r", "knee_alignment_l", "leg_length_diff",
    ),
    "lateral": (
        "cva", "head_forward", "head_flexion", "head_vertical_alignment", "trunk_lean", "body_lean", "pelvic_tilt",
        "hip_angle", "knee_angle", "shank_angle", "ear_plumb_offset", "shoulder_plumb_offset", "hip_plumb_offset",
        "knee_plumb_offset",
    ),
}  # fmt: skip
V11_IDS = {
    "anterior": ("head_on_trunk_shift", "trunk_on_pelvis_shift", "cog_shift", "cog_asymmetry"),
    "lateral": ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip"),
}
#: spec §9: plane and unit kind of each addition ("length" is cm, px without a scale)
V11_KIND = {
    "thoracic_kyphosis": ("coronal", "deg"),
    "lumbar_lordosis": ("coronal", "deg"),
    "shoulder_forward_of_hip": ("coronal", "length"),
    "head_on_trunk_shift": ("midsagittal", "length"),
    "trunk_on_pelvis_shift": ("midsagittal", "length"),
    "cog_shift": ("midsagittal", "length"),
    "cog_asymmetry": ("midsagittal", "%"),
}
#: spec §9 grading: (mild, moderate, marked) cm, source "heuristic"; the others are not graded by default
V11_BANDS = {"head_on_trunk_shift": (1, 2, 4), "trunk_on_pelvis_shift": (1, 2, 4), "shoulder_forward_of_hip": (2, 4, 6)}
#: v1 measurements in lengths (cm / px), the rest are degrees
V1_LENGTHS = {
    "shoulder_height_diff", "pelvic_height_diff", "head_shift", "trunk_shift", "pelvic_shift", "leg_length_diff",
    "head_forward", "ear_plumb_offset", "shoulder_plumb_offset", "hip_plumb_offset", "knee_plumb_offset",
}  # fmt: skip

#: spec §9 CG_X, written out; each landmark's own weight (the same on both sides) for the gradient
CG_WEIGHT = {
    "tragus": 0.0681 / 2,
    "acromion": 0.5245 * 0.4395 / 2,
    "greater_trochanter": 0.5245 * 0.5605 / 2 + 0.1447 * 0.617,
    "knee_lateral": 0.1447 * 0.383 + 0.0457 * 0.556,
    "lateral_malleolus": 0.0457 * 0.444 + 0.0133,
}
ZERO_PX = 1e-6  # "mean is 0" / "share one X" up to the roll correction's rounding (docs/decisions.md 3a, 100)


# --- the reference: spec §3 frame and primitives --------------------------------------------------


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


def turn(A: Pt, B: Pt, C: Pt) -> float:
    """Signed angle (rad) from the direction A→B to B→C; ``|turn| = 180° - interior angle at B``."""
    ux, uy, vx, vy = B[0] - A[0], B[1] - A[1], C[0] - B[0], C[1] - B[1]
    return math.atan2(ux * vy - uy * vx, ux * vx + uy * vy)


def chord_side(A: Pt, B: Pt, C: Pt) -> int:
    """+1 when B lies on the +X side of the chord A–C (B's X beyond the chord's X at B's height), -1 on the -X side."""
    x_chord = A[0] + (B[1] - A[1]) * (C[0] - A[0]) / (C[1] - A[1])
    return _sign(B[0] - x_chord)


def bend(A: Pt, B: Pt, C: Pt, toward: float | None = None) -> float:
    """spec §3 ``bend``: 180 - interior angle at B; signed + when B lies on the ``toward`` (±1 along X) side."""
    mag = abs(math.degrees(turn(A, B, C)))
    return mag if toward is None else mag * chord_side(A, B, C) * _sign(toward)


def bend_grad_norm(A: Pt, B: Pt, C: Pt) -> float:
    """|∇ bend| (deg per px) over the six coordinates: d(phi_u)/du = (-u_y, u_x)/|u|^2 with u = B - A, v = C - B."""
    ux, uy, vx, vy = B[0] - A[0], B[1] - A[1], C[0] - B[0], C[1] - B[1]
    gu = (-uy / (ux * ux + uy * uy), ux / (ux * ux + uy * uy))
    gv = (-vy / (vx * vx + vy * vy), vx / (vx * vx + vy * vy))
    gb = (gu[0] + gv[0], gu[1] + gv[1])
    return math.degrees(math.sqrt(gu[0] ** 2 + gu[1] ** 2 + gv[0] ** 2 + gv[1] ** 2 + gb[0] ** 2 + gb[1] ** 2))


def tilt(R: Pt, L: Pt) -> float:
    return math.degrees(math.atan2(L[1] - R[1], abs(L[0] - R[0])))


def lean(T: Pt, B: Pt, f: float) -> float:
    return math.degrees(math.atan2((T[0] - B[0]) * f, T[1] - B[1]))


def mid(a: Pt, b: Pt) -> Pt:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def cg_x(P: dict[str, Pt]) -> float:
    """Spec §9's CG_X of corrected points (the worked examples' term-by-term form)."""
    return cog_x_by_hand(P)


class Ref:
    """Spec §3 for one view document (a dict as saved), then §4/§9 values with §6 uncertainty and §5 grades."""

    def __init__(self, d: dict[str, Any]):
        self.view = d["view"]
        self.lateral = self.view.endswith("_lateral")
        img = d.get("image") or {}
        w, h = img.get("width"), img.get("height")
        self.centre = (w / 2, h / 2) if w is not None and h is not None else (0.0, 0.0)
        cal = d.get("calibration") or {}
        v = cal.get("vertical")
        self.roll = 0.0
        if v:
            (x1, y1), (x2, y2) = v["p1"], v["p2"]
            if y1 > y2:
                (x1, y1), (x2, y2) = (x2, y2), (x1, y1)
            self.roll = math.atan2(x1 - x2, y2 - y1)  # upper end to the image-right: + (clockwise on screen)
        self.P = {k: self.to_XY((p["x"], p["y"])) for k, p in (d.get("landmarks") or {}).items() if p is not None}
        sc = cal.get("scale")
        self.k: float | None = None
        if sc is not None and "distance_cm" in sc:
            self.k = sc["distance_cm"] / math.dist(sc["p1"], sc["p2"])
        elif sc is not None:
            self.k = sc["height_cm"] / abs(self.to_XY(sc["top"])[1] - self.to_XY(sc["floor"])[1])
        sigma = cal.get("landmark_sigma_px")
        self.sigma = sigma if sigma is not None else (2.0 if h is None else max(2.0, 0.002 * h))
        P = self.P
        self.r = self.f = 0.0
        self.contradicted = False
        if self.lateral:
            facing = d.get("facing") or ("right" if self.view == "right_lateral" else "left")
            self.f = 1.0 if facing == "right" else -1.0
            for front, back in (("eye_canthus", "tragus"), ("asis", "psis")):
                if front in P and back in P and (P[front][0] - P[back][0]) * self.f < 0:
                    self.contradicted = True
        else:
            diffs = [P[f"{b}_r"][0] - P[f"{b}_l"][0] for b in ANTERIOR_PAIRS if f"{b}_r" in P and f"{b}_l" in P]
            m = sum(diffs) / len(diffs) if diffs else 0.0
            self.r = float(_sign(m)) if abs(m) > ZERO_PX else -1.0
        anchor = cal.get("plumb_anchor")
        anchors = ("lateral_malleolus",) if self.lateral else ("medial_malleolus_r", "medial_malleolus_l")
        self.x0: float | None = None
        if anchor is not None:
            self.x0 = self.to_XY(anchor)[0]
        elif all(a in P for a in anchors):
            self.x0 = sum(P[a][0] for a in anchors) / len(anchors)

    def to_XY(self, p: Any) -> Pt:
        """Rotate counter-clockwise on screen by the roll about the centre, then flip Y to point up."""
        t, (cx, cy) = self.roll, self.centre
        dx, dy = p[0] - cx, p[1] - cy
        return (cx + dx * math.cos(t) + dy * math.sin(t), -(cy - dx * math.sin(t) + dy * math.cos(t)))

    @property
    def length_unit(self) -> str:
        return "cm" if self.k is not None else "px"

    @property
    def kk(self) -> float:
        return self.k if self.k is not None else 1.0

    # §9 ------------------------------------------------------------------------------------------

    def v11(self) -> dict[str, tuple[float, float, list[str]] | tuple[str, list[str]]]:
        """id → (value, uncertainty, landmarks) or ("not measured", the landmarks that are missing)."""
        P, out = self.P, {}

        def need(mid_: str, ids: tuple[str, ...], fn: Callable[[], tuple[float, float]]) -> None:
            missing = [i for i in ids if i not in P]
            out[mid_] = ("not measured", missing) if missing else (*fn(), list(ids))

        s, k = self.sigma, self.kk
        if self.lateral:
            f = self.f
            need(
                "thoracic_kyphosis", ("c7", "thoracic_apex", "t12"),
                lambda: (bend(P["c7"], P["thoracic_apex"], P["t12"], -f), s * bend_grad_norm(P["c7"], P["thoracic_apex"], P["t12"])),
            )  # fmt: skip
            need(
                "lumbar_lordosis", ("t12", "lumbar_apex", "s1"),
                lambda: (bend(P["t12"], P["lumbar_apex"], P["s1"], f), s * bend_grad_norm(P["t12"], P["lumbar_apex"], P["s1"])),
            )  # fmt: skip
            need(
                "shoulder_forward_of_hip", ("acromion", "greater_trochanter"),
                lambda: ((P["acromion"][0] - P["greater_trochanter"][0]) * f * k, s * k * math.sqrt(2)),
            )  # fmt: skip
            return out
        r = self.r
        need(
            "head_on_trunk_shift", ("glabella", "sternal_notch"),
            lambda: ((P["glabella"][0] - P["sternal_notch"][0]) * r * k, s * k * math.sqrt(2)),
        )  # fmt: skip
        need(
            "trunk_on_pelvis_shift", ("sternal_notch", "asis_r", "asis_l"),
            lambda: ((P["sternal_notch"][0] - mid(P["asis_r"], P["asis_l"])[0]) * r * k, s * k * math.sqrt(1.5)),
        )  # fmt: skip
        missing = [i for i in CG_LANDMARKS if i not in P]
        if missing:
            out["cog_shift"] = out["cog_asymmetry"] = ("not measured", missing)
            return out
        cg = cg_x(P)
        xr, xl = P["lateral_malleolus_r"][0], P["lateral_malleolus_l"][0]
        xm = (xr + xl) / 2
        # d(CG - X_mid)/dX_i: the landmark's own weight, less 1/2 for a malleolus (it is also in the midpoint)
        dcg = {i: CG_WEIGHT[i[:-2]] - (0.5 if i.startswith("lateral_malleolus") else 0.0) for i in CG_LANDMARKS}
        out["cog_shift"] = ((cg - xm) * r * k, s * k * math.sqrt(sum(v * v for v in dcg.values())), list(CG_LANDMARKS))
        half = abs(xr - xl) / 2
        if 2 * half < ZERO_PX:
            out["cog_asymmetry"] = ("share one X", [])
        else:
            a = (cg - xm) * r / half * 100
            dh = {"lateral_malleolus_r": _sign(xr - xl) / 2, "lateral_malleolus_l": -_sign(xr - xl) / 2}
            grad = [100 * r * (dcg[i] / half - (cg - xm) * dh.get(i, 0.0) / half**2) for i in CG_LANDMARKS]
            out["cog_asymmetry"] = (a, s * math.sqrt(sum(g * g for g in grad)), list(CG_LANDMARKS))
        return out

    def unit(self, mid_: str) -> str:
        kind = V11_KIND[mid_][1] if mid_ in V11_KIND else ("length" if mid_ in V1_LENGTHS else "deg")
        return self.length_unit if kind == "length" else kind

    def grade(self, mid_: str, value: float, u: float) -> tuple[str | None, bool]:
        """spec §5/§9: severity and borderline; ungraded without a band, in px, or while the facing is contradicted.

        (The last is the project's decision 65 in docs/decisions.md, beyond the spec's two cases.)
        """
        band = V11_BANDS.get(mid_)
        if band is None or self.k is None or self.contradicted:
            return None, False
        mild, moderate, marked = band
        g = abs(value)
        sev = "marked" if g >= marked else "moderate" if g >= moderate else "mild" if g >= mild else "normal"
        return sev, any(abs(value - t) < 2 * u for c in band for t in (c, -c))

    # v1 (values only) ---------------------------------------------------------------------------

    def v1(self) -> dict[str, float | None]:
        """id → value, or None when a landmark (or the plumb line) it needs is missing."""
        P, k, out = self.P, self.kk, {}

        def val(mid_: str, ids: tuple[str, ...], fn: Callable[[], float], plumb: bool = False) -> None:
            ok = all(i in P for i in ids) and (not plumb or self.x0 is not None)
            out[mid_] = fn() if ok else None

        if self.lateral:
            f = self.f
            val(
                "cva",
                ("tragus", "c7"),
                lambda: math.degrees(math.atan2(P["tragus"][1] - P["c7"][1], (P["tragus"][0] - P["c7"][0]) * f)),
            )
            val("head_forward", ("tragus", "acromion"), lambda: (P["tragus"][0] - P["acromion"][0]) * f * k)
            val(
                "head_flexion", ("tragus", "eye_canthus"),
                lambda: math.degrees(math.atan2(P["tragus"][1] - P["eye_canthus"][1], (P["eye_canthus"][0] - P["tragus"][0]) * f)),
            )  # fmt: skip
            val("head_vertical_alignment", ("tragus", "acromion"), lambda: lean(P["tragus"], P["acromion"], f))
            val("trunk_lean", ("acromion", "greater_trochanter"), lambda: lean(P["acromion"], P["greater_trochanter"], f))
            val("body_lean", ("acromion", "lateral_malleolus"), lambda: lean(P["acromion"], P["lateral_malleolus"], f))
            val(
                "pelvic_tilt", ("asis", "psis"),
                lambda: math.degrees(math.atan2(P["psis"][1] - P["asis"][1], (P["asis"][0] - P["psis"][0]) * f)),
            )  # fmt: skip
            val(
                "hip_angle", ("acromion", "greater_trochanter", "knee"),
                lambda: bend(P["acromion"], P["greater_trochanter"], P["knee"], -f),
            )  # fmt: skip
            val(
                "knee_angle", ("greater_trochanter", "knee", "lateral_malleolus"),
                lambda: bend(P["greater_trochanter"], P["knee"], P["lateral_malleolus"], -f),
            )  # fmt: skip
            val("shank_angle", ("knee", "lateral_malleolus"), lambda: lean(P["knee"], P["lateral_malleolus"], f))
            for mid_, lm in (("ear_plumb_offset", "tragus"), ("shoulder_plumb_offset", "acromion"),
                             ("hip_plumb_offset", "greater_trochanter"), ("knee_plumb_offset", "knee")):  # fmt: skip
                val(mid_, (lm,), lambda lm=lm: (P[lm][0] - self.x0) * f * k, plumb=True)
            return out
        r = self.r
        for mid_, b in (("head_tilt", "tragus"), ("shoulder_tilt", "acromion"), ("pelvic_obliquity", "asis"),
                        ("tibial_tuberosity_tilt", "tibial_tuberosity")):  # fmt: skip
            val(mid_, (f"{b}_r", f"{b}_l"), lambda b=b: tilt(P[f"{b}_r"], P[f"{b}_l"]))
        for mid_, b in (("shoulder_height_diff", "acromion"), ("pelvic_height_diff", "asis")):
            val(mid_, (f"{b}_r", f"{b}_l"), lambda b=b: (P[f"{b}_l"][1] - P[f"{b}_r"][1]) * k)
        val(
            "shoulder_pelvis_angle", ("acromion_r", "acromion_l", "asis_r", "asis_l"),
            lambda: tilt(P["acromion_r"], P["acromion_l"]) - tilt(P["asis_r"], P["asis_l"]),
        )  # fmt: skip
        val("head_shift", ("glabella",), lambda: (P["glabella"][0] - self.x0) * r * k, plumb=True)
        val("trunk_shift", ("sternal_notch",), lambda: (P["sternal_notch"][0] - self.x0) * r * k, plumb=True)
        val("pelvic_shift", ("asis_r", "asis_l"), lambda: (mid(P["asis_r"], P["asis_l"])[0] - self.x0) * r * k, plumb=True)
        for sd in "rl":
            medial = -r if sd == "r" else r  # the client's right limb's medial side is toward the client's left
            val(f"q_angle_{sd}", (f"asis_{sd}", f"patella_{sd}", f"tibial_tuberosity_{sd}"),
                lambda sd=sd: bend(P[f"asis_{sd}"], P[f"patella_{sd}"], P[f"tibial_tuberosity_{sd}"]))  # fmt: skip
            val(
                f"knee_alignment_{sd}", (f"greater_trochanter_{sd}", f"knee_lateral_{sd}", f"lateral_malleolus_{sd}"),
                lambda sd=sd, medial=medial: bend(
                    P[f"greater_trochanter_{sd}"], P[f"knee_lateral_{sd}"], P[f"lateral_malleolus_{sd}"], medial
                ),
            )  # fmt: skip
        val(
            "leg_length_diff", ("asis_r", "medial_malleolus_r", "asis_l", "medial_malleolus_l"),
            lambda: (math.dist(P["asis_r"], P["medial_malleolus_r"]) - math.dist(P["asis_l"], P["medial_malleolus_l"])) * k,
        )  # fmt: skip
        return out


def true_v11(view: str, T: dict[str, Pt]) -> dict[str, float]:
    """§9 on the body's own frame (cm, X anterior / toward the client's right, Y up): r = f = +1, no scale factor."""
    out = {}
    if view == "lateral":
        if all(i in T for i in ("c7", "thoracic_apex", "t12")):
            out["thoracic_kyphosis"] = bend(T["c7"], T["thoracic_apex"], T["t12"], -1)
        if all(i in T for i in ("t12", "lumbar_apex", "s1")):
            out["lumbar_lordosis"] = bend(T["t12"], T["lumbar_apex"], T["s1"], +1)
        if "acromion" in T and "greater_trochanter" in T:
            out["shoulder_forward_of_hip"] = T["acromion"][0] - T["greater_trochanter"][0]
        return out
    if "glabella" in T and "sternal_notch" in T:
        out["head_on_trunk_shift"] = T["glabella"][0] - T["sternal_notch"][0]
    if all(i in T for i in ("sternal_notch", "asis_r", "asis_l")):
        out["trunk_on_pelvis_shift"] = T["sternal_notch"][0] - mid(T["asis_r"], T["asis_l"])[0]
    if all(i in T for i in CG_LANDMARKS):
        xm = mid(T["lateral_malleolus_r"], T["lateral_malleolus_l"])[0]
        out["cog_shift"] = cg_x(T) - xm
        half = abs(T["lateral_malleolus_r"][0] - T["lateral_malleolus_l"][0]) / 2
        if half > 0:
            out["cog_asymmetry"] = (cg_x(T) - xm) / half * 100
    return out


# --- random bodies and photos ----------------------------------------------------------------------


def _along(a: Pt, b: Pt, t: float, off: float) -> Pt:
    """The point a fraction ``t`` from a to b, moved ``off`` along +X."""
    return (a[0] + t * (b[0] - a[0]) + off, a[1] + t * (b[1] - a[1]))


def lateral_body(rng: np.random.Generator, hc: float) -> tuple[dict[str, Pt], dict[str, int]]:
    """A standing client seen from the side (cm; X anterior, Y up from the floor) and the curves' intended signs."""
    u, n = rng.uniform, rng.normal
    B: dict[str, Pt] = {"lateral_malleolus": (n(0, 0.5), 7 + n(0, 0.5))}
    B["knee"] = (u(-1.5, 4), 0.285 * hc + n(0, 0.8))
    B["greater_trochanter"] = (u(-3, 3), 0.52 * hc + n(0, 0.8))
    B["asis"] = (B["greater_trochanter"][0] + u(5, 10), 0.555 * hc + n(0, 1))
    B["psis"] = (B["greater_trochanter"][0] - u(7, 12), B["asis"][1] + u(-1, 6))
    B["s1"] = (B["psis"][0] - u(-0.5, 1.5), B["psis"][1] + u(0, 3))
    B["t12"] = (B["s1"][0] + u(-3, 2), 0.68 * hc + n(0, 1))
    lord = u(-1, 4) if rng.uniform() < 0.85 else 0.0
    B["lumbar_apex"] = _along(B["t12"], B["s1"], u(0.35, 0.65), lord)  # + lord: anterior of the chord
    B["c7"] = (B["t12"][0] + u(-1, 6), 0.835 * hc + n(0, 0.8))
    kyph = u(-1, 5)
    B["thoracic_apex"] = _along(B["c7"], B["t12"], u(0.35, 0.65), -kyph)  # + kyph: posterior of the chord
    B["acromion"] = (B["c7"][0] + u(2, 9), 0.815 * hc + n(0, 0.8))
    B["tragus"] = (B["acromion"][0] + u(-2, 9), 0.91 * hc + n(0, 0.6))
    B["eye_canthus"] = (B["tragus"][0] + u(6, 9), B["tragus"][1] + u(-2, 2))
    return B, {"thoracic_kyphosis": _sign(kyph), "lumbar_lordosis": _sign(lord)}


ANTERIOR_PAIR_SHAPE = {  # height / client height, half-width (cm)
    "tragus": (0.915, 7.0),
    "acromion": (0.815, 19.0),
    "asis": (0.555, 12.5),
    "greater_trochanter": (0.515, 17.0),
    "patella": (0.285, 9.0),
    "knee_lateral": (0.28, 13.0),
    "tibial_tuberosity": (0.25, 8.5),
    "lateral_malleolus": (0.04, 10.5),
    "medial_malleolus": (0.045, 4.5),
}


def anterior_body(rng: np.random.Generator, hc: float) -> dict[str, Pt]:
    """A standing client seen from the front (cm; X toward the client's right, Y up), each segment shifted a little."""
    n = rng.normal
    seg = {"head": n(0, 1.5), "trunk": n(0, 1.0), "pelvis": n(0, 1.0), "legs": n(0, 0.5)}
    where = {"tragus": "head", "acromion": "trunk", "asis": "pelvis", "greater_trochanter": "pelvis"}
    B: dict[str, Pt] = {"glabella": (seg["head"] + n(0, 0.5), 0.935 * hc), "sternal_notch": (seg["trunk"] + n(0, 0.5), 0.8 * hc)}
    for b, (hf, half) in ANTERIOR_PAIR_SHAPE.items():
        off = seg[where.get(b, "legs")]
        for s, side in (("r", 1), ("l", -1)):
            B[f"{b}_{s}"] = (off + side * (half + n(0, 0.8)), hf * hc + n(0, 0.8))
    if rng.uniform() < 0.05:  # the lateral malleoli on one vertical (spec §9: cog_asymmetry is then not measured)
        x = B["lateral_malleolus_r"][0]
        B["lateral_malleolus_l"] = (x, B["lateral_malleolus_l"][1] + 3)
    if rng.uniform() < 0.05:  # one pair placed the other way round: r is still the mean over every pair (spec §3.3)
        B["tragus_r"], B["tragus_l"] = B["tragus_l"], B["tragus_r"]
    return B


def rot_cw(p: Pt, deg: float, c: Pt) -> Pt:
    t = math.radians(deg)
    dx, dy = p[0] - c[0], p[1] - c[1]
    return (c[0] + dx * math.cos(t) - dy * math.sin(t), c[1] + dx * math.sin(t) + dy * math.cos(t))


def photograph(
    rng: np.random.Generator, view: str, body: dict[str, Pt], hc: float, *, fd: int, facing_key: str | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The body photographed: (document dict, what the scene was). ``fd`` = the image side (+1 right) of the body's +X."""
    Hpx = float(rng.uniform(1500, 5000))
    Wpx = float(round(Hpx * rng.uniform(0.7, 1.0)))
    Hpx = float(round(Hpx))
    lined = rng.uniform() < 0.8
    roll = float(rng.choice([0.0, rng.uniform(-3, 3), rng.uniform(-25, 25)]))
    if not lined and rng.uniform() < 0.5:
        roll = 0.0
    x_mid = Wpx / 2 + rng.uniform(-0.1, 0.1) * Wpx
    floor = Hpx - rng.uniform(0.03, 0.08) * Hpx
    # every random draw in the body's frame first, then the camera (shrunk until the whole scene is in the photo)
    vertical = [(xv := float(rng.uniform(-25, 25)), float(rng.uniform(0, 20))), (xv, float(rng.uniform(140, hc)))]
    if rng.uniform() < 0.5:
        vertical.reverse()
    form = str(rng.choice(["two_point", "height", "none"], p=[0.4, 0.35, 0.25]))
    a = (float(rng.uniform(-15, 15)), float(rng.uniform(10, 60)))
    ang, dcm = rng.uniform(math.pi / 3, 2 * math.pi / 3), float(rng.uniform(20, 50))  # marks beside the client
    ends = [a, (a[0] + dcm * math.cos(ang), a[1] + dcm * math.sin(ang))]
    head_floor = [(float(rng.uniform(-3, 3)), hc), (float(rng.uniform(-10, 10)), 0.0)]
    pinned = rng.uniform() < 0.2
    anchor = (float(rng.uniform(-3, 3)), float(rng.uniform(0, 8)))
    s = 0.8 * Hpx / (hc + 10)  # px per cm

    def cam(p: Pt) -> Pt:
        # the camera rolls about the body's middle (the package corrects about the photo's centre, or the origin)
        return rot_cw((x_mid + fd * p[0] * s, floor - p[1] * s), roll, (x_mid, floor - hc * s / 2))

    scene_pts = [*body.values(), *vertical, *ends, *head_floor, anchor]
    while not all(0 <= x <= Wpx and 0 <= y <= Hpx for x, y in map(cam, scene_pts)):
        s *= 0.95
    assert s > 4, s  # a plausible photo: well inside the 0.005–1 cm/px the package accepts (docs/decisions.md 91)
    lms = {k: cam(p) for k, p in body.items()}
    cal: dict[str, Any] = {}
    if lined:
        cal["vertical"] = {"p1": list(cam(vertical[0])), "p2": list(cam(vertical[1]))}
    if form == "two_point":
        cal["scale"] = {"p1": list(cam(ends[0])), "p2": list(cam(ends[1])), "distance_cm": dcm}
    elif form == "height":
        cal["scale"] = {"height_cm": hc, "top": list(cam(head_floor[0])), "floor": list(cam(head_floor[1]))}
    if pinned:
        cal["plumb_anchor"] = list(cam(anchor))
    sigma = rng.choice(["default", "zero", "set"], p=[0.6, 0.1, 0.3])
    if sigma != "default":
        cal["landmark_sigma_px"] = 0.0 if sigma == "zero" else float(rng.uniform(0.5, 6))
    image: dict[str, Any] = {"file": f"{view}.jpg"}
    sized = rng.uniform() < 0.8
    if sized:
        image.update(width=Wpx, height=Hpx)
    drop = float(rng.choice([0.0, 0.0, 0.1, 0.3]))
    present: dict[str, Any] = {}
    for k_, (x, y) in lms.items():
        assert 0 <= x <= Wpx and 0 <= y <= Hpx, (k_, x, y)
        if rng.uniform() < drop:
            if rng.uniform() < 0.5:
                present[k_] = None  # "absent or null is not placed"
            continue
        present[k_] = {"x": x, "y": y, "source": str(rng.choice(["manual", "auto", "auto_edited"]))}
    d: dict[str, Any] = {"schema_version": 1, "view": view, "image": image, "landmarks": present, "calibration": cal, "notes": ""}
    if facing_key is not None:
        d["facing"] = facing_key
    scene = {"s": s, "roll": roll, "lined": lined, "scaled": form != "none", "fd": fd}
    return d, scene


def lateral_case(seed: int, *, contradict: bool = False) -> tuple[dict[str, Any], dict[str, Any], dict[str, Pt], dict[str, int]]:
    rng = np.random.default_rng([13, 1, seed])
    hc = float(rng.uniform(150, 195))
    body, signs = lateral_body(rng, hc)
    view = str(rng.choice(["right_lateral", "left_lateral"]))
    fd = int(rng.choice([1, -1]))  # the way the client faces on the photo
    facing = "right" if fd > 0 else "left"
    if contradict:
        facing = "left" if facing == "right" else "right"
    default = "right" if view == "right_lateral" else "left"
    key = None if facing == default and rng.uniform() < 0.4 else facing
    if rng.uniform() < 0.15:
        body = {k: p for k, p in body.items() if k not in SPINE}  # a v1 side document
    d, scene = photograph(rng, view, body, hc, fd=fd, facing_key=key)
    return d, scene, body, signs


def anterior_case(seed: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Pt]]:
    rng = np.random.default_rng([13, 2, seed])
    hc = float(rng.uniform(150, 195))
    body = anterior_body(rng, hc)
    fd = int(rng.choice([-1, 1]))  # -1: the client's right on image-left (a plain photo); +1: a mirrored selfie
    if rng.uniform() < 0.05:  # no bilateral pair at all: r falls back to the anterior default -1 (spec §3.3)
        body = {k: p for k, p in body.items() if k in ("glabella", "sternal_notch")}
    d, scene = photograph(rng, "anterior", body, hc, fd=fd, facing_key=None)
    return d, scene, body


def analyse(d: dict[str, Any]) -> dict[str, Any]:
    """The package through its public door: the document as JSON text, loaded, analysed with the shipped defaults."""
    return analyze(loads(json.dumps(d)))


# --- the comparisons ---------------------------------------------------------------------------------


def _missing_named(reason: str) -> list[str]:
    head, _, names = reason.partition(": ")
    assert head in ("missing landmark", "missing landmarks"), reason
    names = names.split(" (")[0]
    listed = names.split(", ")
    assert (head == "missing landmark") == (len(listed) == 1), reason
    return listed


def check_v11(res: dict[str, Any], ref: Ref, group: str) -> dict[str, float]:
    got_values = {}
    exp = ref.v11()
    assert set(exp) == set(V11_IDS[group])
    for mid_, e in exp.items():
        if e[0] == "not measured":
            assert mid_ not in res["measurements"], (mid_, res["measurements"].get(mid_))
            assert set(_missing_named(res["not_measured"][mid_])) == set(e[1]), (mid_, res["not_measured"][mid_], e[1])
            continue
        if e[0] == "share one X":
            assert mid_ not in res["measurements"], (mid_, res["measurements"].get(mid_))
            assert "share one X" in res["not_measured"][mid_], res["not_measured"][mid_]
            continue
        value, u, lms = e
        assert mid_ in res["measurements"], (mid_, res["not_measured"].get(mid_))
        m = res["measurements"][mid_]
        assert m["value"] == pytest.approx(value, abs=TOL), (mid_, m["value"], value)
        assert m["uncertainty"] == pytest.approx(u, rel=REL_U, abs=1e-12), (mid_, m["uncertainty"], u)
        assert (m["plane"], m["unit"]) == (V11_KIND[mid_][0], ref.unit(mid_)), mid_
        assert (m["landmarks"] if mid_ not in ("cog_shift", "cog_asymmetry") else sorted(m["landmarks"])) == (
            lms if mid_ not in ("cog_shift", "cog_asymmetry") else sorted(lms)
        ), mid_
        sev, borderline = ref.grade(mid_, m["value"], m["uncertainty"])
        assert m["severity"] == sev, (mid_, m["value"], m["severity"], sev)
        assert m["borderline"] is borderline, mid_
        if sev is None:
            assert m["band"] is None, mid_
        else:
            band = V11_BANDS[mid_]
            assert (m["band"]["mild"], m["band"]["moderate"], m["band"]["marked"], m["band"]["source"]) == (*band, "heuristic")
        got_values[mid_] = m["value"]
    return got_values


def check_v1(res: dict[str, Any], ref: Ref, group: str) -> None:
    exp = ref.v1()
    assert set(exp) == set(V1_IDS[group])
    for mid_, value in exp.items():
        if value is None:
            assert mid_ not in res["measurements"], mid_
            assert res["not_measured"][mid_].startswith("missing landmark"), (mid_, res["not_measured"][mid_])
        else:
            m = res["measurements"][mid_]
            assert m["value"] == pytest.approx(value, abs=TOL), (mid_, m["value"], value)
            assert m["unit"] == ref.unit(mid_), mid_


def check_frame_and_ids(res: dict[str, Any], ref: Ref, group: str) -> None:
    ids = set(V1_IDS[group]) | set(V11_IDS[group])
    assert set(res["measurements"]) | set(res["not_measured"]) == ids
    assert not set(res["measurements"]) & set(res["not_measured"])
    assert res["vertical_roll_deg"] == pytest.approx(math.degrees(ref.roll), abs=1e-9)
    if ref.k is None:
        assert res["cm_per_px"] is None
    else:
        assert res["cm_per_px"] == pytest.approx(ref.k, rel=1e-12)
    assert res["landmark_sigma_px"] == pytest.approx(ref.sigma, abs=1e-12)


def check_against_the_body(
    got: dict[str, float], scene: dict[str, Any], body: dict[str, Pt], placed: set[str], group: str, sign: float
) -> None:
    """The package's values against the same formulas on the true body (only when the photo's roll was corrected)."""
    if scene["roll"] != 0.0 and not scene["lined"]:
        return  # an uncorrected roll: the values are the rolled photo's, nothing to say about the body
    truth = true_v11(group, {k: p for k, p in body.items() if k in placed})
    for mid_, v in truth.items():
        if mid_ not in got:
            continue
        unit_factor = 1.0 if V11_KIND[mid_][1] != "length" or scene["scaled"] else scene["s"]
        assert got[mid_] == pytest.approx(sign * v * unit_factor, abs=TOL * 10), (mid_, got[mid_], sign * v * unit_factor)


@pytest.mark.parametrize("seed", range(N_LATERAL))
def test_random_side_views(seed):
    d, scene, body, signs = lateral_case(seed)
    res, ref = analyse(d), Ref(d)
    assert not ref.contradicted  # the generator poses the client the way the document says
    check_frame_and_ids(res, ref, "lateral")
    assert res["facing"] == ("right" if ref.f > 0 else "left")
    got = check_v11(res, ref, "lateral")
    check_v1(res, ref, "lateral")
    placed = {k for k, p in d["landmarks"].items() if p is not None}
    check_against_the_body(got, scene, body, placed, "lateral", 1.0)
    for mid_, sgn in signs.items():  # the generator's kyphotic / lordotic apex gives +, a reversed one −
        if mid_ in got and sgn != 0:
            assert _sign(got[mid_]) == sgn, (mid_, got[mid_])
    # v1.1 is additive: without the four spinal points every v1 entry is exactly the same
    bare = copy.deepcopy(d)
    bare["landmarks"] = {k: p for k, p in d["landmarks"].items() if k not in SPINE}
    res1 = analyse(bare)
    for mid_ in V1_IDS["lateral"]:
        assert res1["measurements"].get(mid_) == res["measurements"].get(mid_), mid_
        assert res1["not_measured"].get(mid_) == res["not_measured"].get(mid_), mid_
    assert res1["measurements"].get("shoulder_forward_of_hip") == res["measurements"].get("shoulder_forward_of_hip")
    assert res1["warnings"] == res["warnings"] and res1["findings"] == res["findings"] and res1["plan"] == res["plan"]
    assert set(res1["not_measured"]) >= {"thoracic_kyphosis", "lumbar_lordosis"}


@pytest.mark.parametrize("seed", range(N_ANTERIOR))
def test_random_front_views(seed):
    d, scene, body = anterior_case(seed)
    res, ref = analyse(d), Ref(d)
    check_frame_and_ids(res, ref, "anterior")
    got = check_v11(res, ref, "anterior")
    check_v1(res, ref, "anterior")
    placed = {k for k, p in d["landmarks"].items() if p is not None}
    diffs = [body[f"{b}_r"][0] - body[f"{b}_l"][0] for b in ANTERIOR_PAIRS if f"{b}_r" in placed and f"{b}_l" in placed]
    if diffs and (scene["lined"] or scene["roll"] == 0.0):
        # the reference's own r: the side of the photo the body's pairs put the client's right on
        assert ref.r == scene["fd"] * _sign(sum(diffs)), (ref.r, scene["fd"], diffs)
    check_against_the_body(got, scene, body, placed, "anterior", scene["fd"] * ref.r)


@pytest.mark.parametrize("seed", range(N_CONTRADICTED))
def test_random_side_views_with_a_contradicted_facing(seed):
    """The document says the other way: values follow the given facing (spec §3.4), grading is withheld (decision 65)."""
    d, _, _, _ = lateral_case(seed, contradict=True)
    res, ref = analyse(d), Ref(d)
    check_frame_and_ids(res, ref, "lateral")
    check_v11(res, ref, "lateral")
    check_v1(res, ref, "lateral")
    if ref.contradicted:
        assert "facing_contradicted" in res["warning_codes"]
        assert all(m["severity"] is None for m in res["measurements"].values())


def test_the_cases_cover_what_they_claim():
    """Coverage of the generator (cheap: no analysis), so a change to it cannot quietly narrow the test."""
    seen: dict[str, set[Any]] = {
        k: set() for k in ("view", "facing", "fd", "lined", "rolled", "scale", "sized", "dropped", "v1doc")
    }
    share = fallback = 0
    for seed in range(N_LATERAL):
        d, scene, _, _ = lateral_case(seed)
        seen["view"].add(d["view"])
        seen["facing"].add((d["view"], d.get("facing")))
        seen["fd"].add(scene["fd"])
        seen["lined"].add(scene["lined"])
        seen["rolled"].add(abs(scene["roll"]) > 5)
        seen["scale"].add(json.dumps(sorted((d["calibration"].get("scale") or {}).keys())))
        seen["sized"].add("width" in d["image"])
        seen["dropped"].add(len([p for p in d["landmarks"].values() if p is not None]) < 13)
        seen["v1doc"].add(not any(k in d["landmarks"] for k in SPINE))
    for seed in range(N_ANTERIOR):
        d, scene, _ = anterior_case(seed)
        ref = Ref(d)
        share += isinstance(ref.v11().get("cog_asymmetry"), tuple) and ref.v11()["cog_asymmetry"][0] == "share one X"
        fallback += not any(f"{b}_r" in ref.P and f"{b}_l" in ref.P for b in ANTERIOR_PAIRS)
        seen["fd"].add(("anterior", scene["fd"]))
    assert seen["view"] == {"right_lateral", "left_lateral"}
    assert {("right_lateral", "left"), ("left_lateral", "right"), ("right_lateral", None), ("left_lateral", None)} <= seen[
        "facing"
    ]
    assert seen["fd"] >= {1, -1, ("anterior", 1), ("anterior", -1)}
    assert seen["lined"] == seen["rolled"] == seen["sized"] == seen["dropped"] == seen["v1doc"] == {True, False}
    assert len(seen["scale"]) == 3
    assert share >= 3 and fallback >= 3


def test_the_posterior_view_has_no_additions():
    """§9 adds nothing to the posterior view (its own t12 and s1 stay v1 landmarks): the v1 ids, no more."""
    from helpers_core import POSTERIOR, doc_dict, run

    res = run(doc_dict("posterior", POSTERIOR, vertical=((500, 2900), (500, 100))))
    assert set(res["measurements"]) | set(res["not_measured"]) == {
        "head_tilt", "shoulder_tilt", "shoulder_height_diff", "scapula_tilt", "scapular_asymmetry", "pelvic_obliquity",
        "pelvic_height_diff", "trunk_shift", "spine_deviation", "hindfoot_angle_r", "hindfoot_angle_l",
    }  # fmt: skip


@pytest.mark.parametrize("view", ["anterior", "posterior"])
@pytest.mark.parametrize("lm", ["thoracic_apex", "lumbar_apex"])
def test_the_side_views_spinal_points_are_refused_in_a_frontal_document(view, lm):
    """spec §7: a landmark id not in that view is rejected naming the field (the apices belong to the side views only)."""
    from posture.errors import DocumentError

    d = {"schema_version": 1, "view": view, "landmarks": {lm: {"x": 10.0, "y": 20.0}}}
    with pytest.raises(DocumentError) as e:
        loads(json.dumps(d))
    assert e.value.field == f"landmarks.{lm}"


def test_cg_weights_add_up_to_one_and_match_the_formula():
    assert sum(2 * w for w in CG_WEIGHT.values()) == pytest.approx(1.0, abs=1e-12)
    rng = np.random.default_rng(7)
    P = {i: (float(rng.uniform(-50, 50)), 0.0) for i in CG_LANDMARKS}
    assert cg_x(P) == pytest.approx(sum(CG_WEIGHT[i[:-2]] * P[i][0] for i in CG_LANDMARKS), abs=1e-12)


def test_reference_gradients_against_finite_differences():
    """The reference's analytic bend gradient, checked once against plain central differences."""
    A, B, C = (3.0, 500.0), (-40.0, 300.0), (10.0, 80.0)
    h, total = 1e-5, 0.0
    pts = [list(A), list(B), list(C)]
    for j in range(3):
        for ax in range(2):
            hi = [p[:] for p in pts]
            lo = [p[:] for p in pts]
            hi[j][ax] += h
            lo[j][ax] -= h
            total += ((bend(*map(tuple, hi)) - bend(*map(tuple, lo))) / (2 * h)) ** 2
    assert bend_grad_norm(A, B, C) == pytest.approx(math.sqrt(total), rel=1e-6)


def test_through_the_command_line_too(tmp_path):
    """Two random documents through ``python -m posture analyze DOC --format json``: the same §9 entries."""
    for d in (lateral_case(3)[0], anterior_case(4)[0]):
        path = tmp_path / f"{d['view']}.json"
        path.write_text(json.dumps(d), encoding="utf-8")
        out = run_cli("analyze", str(path), "--format", "json")
        assert out.returncode == 0, out.stderr
        res = json.loads(out.stdout)
        group = "anterior" if d["view"] == "anterior" else "lateral"
        check_v11(res, Ref(d), group)
        assert res["measurements"] == analyse(d)["measurements"]
