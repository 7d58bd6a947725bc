"""The measurement registry (spec §4) and its evaluation with uncertainty (spec §6).

Each :class:`MeasurementDef` is data: id, view, plane, unit kind, the
landmarks it needs, whether it uses the postural plumb line, its body region,
and a formula written with the primitives of :mod:`posture.geometry`.

Formulas receive an :class:`Env` whose points are *batches* of corrected-frame
positions, shape ``(B, 2)``: row 0 is the landmarks as placed, the other rows
perturb one coordinate by ``±h``. One call therefore gives the value and, by
central differences, its gradient; the uncertainty is
``sigma_px * sqrt(sum(gradient**2))`` (linear propagation of an isotropic,
independent placement error; ``r`` and ``f`` stay fixed).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import Any

import numpy as np

from . import geometry as g
from .frame import Frame
from .landmarks import SPINE_LEVELS
from .result import Plane

Array = np.ndarray
_H_PX = 1e-3  # finite-difference step, pixels
_TIE_PX = 1e-6  # spine levels closer than this to the largest offset count as tied

REGIONS = (
    "head and neck",
    "shoulder girdle",
    "trunk and spine",
    "pelvis and hips",
    "knees",
    "ankles and feet",
)
PLANES = ("horizontal", "midsagittal", "coronal")


class Env:
    """What a formula sees: batched corrected points, the plumb X, the signs and the scale."""

    def __init__(self, pts: dict[str, Array], x0: Array | None, r: float, f: float, k: float, extra: dict[str, Any]):
        self._pts, self.x0, self.r, self.f, self.k, self.extra = pts, x0, r, f, k, extra

    def __getitem__(self, landmark_id: str) -> Array:
        return self._pts[landmark_id]

    @property
    def plumb_x(self) -> Array:
        """The plumb line's X per batch row; only measurements with ``uses_plumb`` have one."""
        if self.x0 is None:
            raise RuntimeError("a formula asked for the plumb line but its measurement does not use it (uses_plumb)")
        return self.x0


Formula = Callable[[Env], Array]


@dataclass(frozen=True)
class MeasurementDef:
    id: str
    view: str
    label: str
    plane: Plane
    kind: str  # "angle" (deg) | "length" (cm, px without scale) | "percent" (%)
    landmarks: tuple[str, ...]
    formula: Formula = field(repr=False)
    region: str
    uses_plumb: bool = False
    #: optional candidates of which at least one must be present (spine levels)
    candidates: tuple[str, ...] = ()
    #: why the value is not measured when the formula gives no finite value ("" → the landmarks coincide)
    undefined: str = ""

    def unit(self, frame: Frame) -> str:
        return {"angle": "deg", "percent": "%"}.get(self.kind) or frame.length_unit


@dataclass(frozen=True)
class Measured:
    """One computed measurement before grading. ``value``/``uncertainty`` in ``unit``."""

    definition: MeasurementDef
    value: float
    uncertainty: float
    unit: str
    landmarks: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


# --- formula helpers ----------------------------------------------------------------


def _signed_bend(a: Array, b: Array, c: Array, toward: float) -> Array:
    """``bend(a, b, c)`` signed **+ when b lies on the side of the chord a–c that ``toward`` (±1 per +X) names**."""
    side = g.side_of_chord_px(a, b, c) * toward
    return g.bend_deg(a, b, c) * np.where(side >= 0, 1.0, -1.0)


def _medial(side: str, r: float) -> float:
    """+X sign of *medial* for the client's ``side`` limb in a frontal view (r = client's-right sign)."""
    return -r if side == "r" else r


def _tilt(a: str, b: str) -> Formula:
    return lambda e: g.tilt_deg(e[a], e[b])


def _height(a: str, b: str) -> Formula:
    return lambda e: g.height_diff_px(e[a], e[b]) * e.k


def _shift(p: str) -> Formula:
    return lambda e: g.shift_px(e[p], e.plumb_x, e.r) * e.k


def _ant_plumb(p: str) -> Formula:
    return lambda e: g.ant_px(e[p], e.plumb_x, e.f) * e.k


def _lean(top: str, bottom: str) -> Formula:
    return lambda e: g.lean_deg(e[top], e[bottom], e.f)


def _unsigned_bend(a: str, b: str, c: str) -> Formula:
    return lambda e: g.bend_deg(e[a], e[b], e[c])


def _limb_bend(a: str, b: str, c: str, side: str) -> Formula:
    """Frontal-view limb angle, **+ when the middle point lies medial of the chord** (valgus)."""
    return lambda e: _signed_bend(e[a], e[b], e[c], _medial(side, e.r))


def _scapular_asymmetry(e: Env) -> Array:
    m = np.abs(e["scapula_inferior_angle_r"][..., 0] - e["t3"][..., 0])
    n = np.abs(e["scapula_inferior_angle_l"][..., 0] - e["t3"][..., 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(m + n == 0, np.nan, (m - n) / ((m + n) / 2.0) * 100.0)


def _spine_deviation(e: Env) -> Array:
    level = e.extra["level"]
    return g.perpendicular_offset_px(e[level], e["s1"], e["c7"]) * e.r * e.k


# --- the centre of gravity (spec §9: SAPO's frontal segment model) ------------------------

#: Mass fraction of each segment (head, trunk, each thigh, each leg, each foot); they add up to 1.
COG_WEIGHTS = {"head": 0.0681, "trunk": 0.5245, "thigh": 0.1447, "leg": 0.0457, "foot": 0.0133}
#: Where each segment's centre lies between its proximal and distal landmark, as the proximal one's share
#: (SAPO 0.68's code; its thigh split is not Dempster's 0.567/0.433).
COG_SPLITS = {"trunk": 0.4395, "thigh": 0.617, "leg": 0.556}
#: The ten landmarks the centre of gravity needs (anterior view).
COG_LANDMARKS: tuple[str, ...] = tuple(
    f"{base}_{s}" for base in ("tragus", "acromion", "greater_trochanter", "knee_lateral", "lateral_malleolus") for s in "rl"
)


def cog_x(pts: Mapping[str, Array]) -> Array:
    """``CG_X`` of spec §9 from corrected-frame points (``(..., 2)`` each, keyed by :data:`COG_LANDMARKS`).

    Linear in the landmarks' X: head at the tragi's mean, trunk between the
    acromia's and the trochanters' means, each thigh between its trochanter and
    lateral knee, each leg between its knee and malleolus, each foot at its
    malleolus.
    """

    def x(i: str) -> Array:
        return np.asarray(pts[i], dtype=np.float64)[..., 0]

    def both(base: str) -> Array:
        total: Array = x(f"{base}_r") + x(f"{base}_l")
        return total

    def mean(base: str) -> Array:
        half: Array = both(base) / 2.0
        return half

    w, t = COG_WEIGHTS, COG_SPLITS
    return (
        w["head"] * mean("tragus")
        + w["trunk"] * (t["trunk"] * mean("acromion") + (1 - t["trunk"]) * mean("greater_trochanter"))
        + w["thigh"] * (t["thigh"] * both("greater_trochanter") + (1 - t["thigh"]) * both("knee_lateral"))
        + w["leg"] * (t["leg"] * both("knee_lateral") + (1 - t["leg"]) * both("lateral_malleolus"))
        + w["foot"] * both("lateral_malleolus")
    )


_MALLEOLI = ("lateral_malleolus_r", "lateral_malleolus_l")


def _cog_shift(e: Env) -> Array:
    mid = g.midpoint(e[_MALLEOLI[0]], e[_MALLEOLI[1]])[..., 0]
    return (cog_x({i: e[i] for i in COG_LANDMARKS}) - mid) * e.r * e.k


def _cog_asymmetry(e: Env) -> Array:
    xr, xl = e[_MALLEOLI[0]][..., 0], e[_MALLEOLI[1]][..., 0]
    half = np.abs(xr - xl) / 2.0
    # "share one X": the base row decides; a rolled photo leaves rounding noise far below a pixel
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (cog_x({i: e[i] for i in COG_LANDMARKS}) - (xr + xl) / 2.0) * e.r / half * 100.0
    return np.where(2 * half < _TIE_PX, np.nan, out)


def _frontal(view: str) -> list[MeasurementDef]:
    """Measurements shared by anterior and posterior, plus each view's own."""
    M = MeasurementDef
    defs = [
        M("head_tilt", view, "Head tilt", "horizontal", "angle", ("tragus_r", "tragus_l"), _tilt("tragus_r", "tragus_l"), "head and neck"),
        M("shoulder_tilt", view, "Shoulder tilt", "horizontal", "angle", ("acromion_r", "acromion_l"), _tilt("acromion_r", "acromion_l"), "shoulder girdle"),
        M(
            "shoulder_height_diff", view, "Shoulder height difference", "horizontal", "length",
            ("acromion_r", "acromion_l"), _height("acromion_r", "acromion_l"), "shoulder girdle",
        ),
    ]  # fmt: skip
    pelvis = ("asis_r", "asis_l") if view == "anterior" else ("psis_r", "psis_l")
    defs += [
        M("pelvic_obliquity", view, "Pelvic obliquity", "horizontal", "angle", pelvis, _tilt(*pelvis), "pelvis and hips"),
        M(
            "pelvic_height_diff",
            view,
            "Pelvic height difference",
            "horizontal",
            "length",
            pelvis,
            _height(*pelvis),
            "pelvis and hips",
        ),
    ]
    if view == "anterior":
        defs += [
            M(
                "tibial_tuberosity_tilt", view, "Tibial tuberosity tilt", "horizontal", "angle",
                ("tibial_tuberosity_r", "tibial_tuberosity_l"), _tilt("tibial_tuberosity_r", "tibial_tuberosity_l"), "knees",
            ),
            M(
                "shoulder_pelvis_angle", view, "Shoulder–pelvis angle", "horizontal", "angle",
                ("acromion_r", "acromion_l", "asis_r", "asis_l"),
                lambda e: g.tilt_deg(e["acromion_r"], e["acromion_l"]) - g.tilt_deg(e["asis_r"], e["asis_l"]),
                "trunk and spine",
            ),
            M("head_shift", view, "Head shift", "midsagittal", "length", ("glabella",), _shift("glabella"), "head and neck", True),
            M("trunk_shift", view, "Trunk shift", "midsagittal", "length", ("sternal_notch",), _shift("sternal_notch"), "trunk and spine", True),
            M(
                "pelvic_shift", view, "Pelvic shift", "midsagittal", "length", ("asis_r", "asis_l"),
                lambda e: g.shift_px(g.midpoint(e["asis_r"], e["asis_l"]), e.plumb_x, e.r) * e.k, "pelvis and hips", True,
            ),
        ]  # fmt: skip
        for s, side in (("r", "right"), ("l", "left")):
            defs += [
                M(
                    f"q_angle_{s}", view, f"Q angle ({side})", "midsagittal", "angle",
                    (f"asis_{s}", f"patella_{s}", f"tibial_tuberosity_{s}"),
                    _unsigned_bend(f"asis_{s}", f"patella_{s}", f"tibial_tuberosity_{s}"),
                    "knees",
                ),
                M(
                    f"knee_alignment_{s}", view, f"Knee alignment ({side})", "midsagittal", "angle",
                    (f"greater_trochanter_{s}", f"knee_lateral_{s}", f"lateral_malleolus_{s}"),
                    _limb_bend(f"greater_trochanter_{s}", f"knee_lateral_{s}", f"lateral_malleolus_{s}", s),
                    "knees",
                ),
            ]  # fmt: skip
        defs.append(
            M(
                "leg_length_diff", view, "Leg length difference", "horizontal", "length",
                ("asis_r", "medial_malleolus_r", "asis_l", "medial_malleolus_l"),
                lambda e: (g.distance(e["asis_r"], e["medial_malleolus_r"]) - g.distance(e["asis_l"], e["medial_malleolus_l"])) * e.k,
                "pelvis and hips",
            )
        )  # fmt: skip
        # v1.1 (spec §9): each segment against the one below, and the centre of gravity
        defs += [
            M(
                "head_on_trunk_shift", view, "Head on trunk shift", "midsagittal", "length", ("glabella", "sternal_notch"),
                lambda e: g.shift_px(e["glabella"], e["sternal_notch"][..., 0], e.r) * e.k, "head and neck",
            ),
            M(
                "trunk_on_pelvis_shift", view, "Trunk on pelvis shift", "midsagittal", "length",
                ("sternal_notch", "asis_r", "asis_l"),
                lambda e: g.shift_px(e["sternal_notch"], g.midpoint(e["asis_r"], e["asis_l"])[..., 0], e.r) * e.k,
                "trunk and spine",
            ),
            M("cog_shift", view, "Centre of gravity shift", "midsagittal", "length", COG_LANDMARKS, _cog_shift, "trunk and spine"),
            M(
                "cog_asymmetry", view, "Centre of gravity asymmetry", "midsagittal", "percent", COG_LANDMARKS, _cog_asymmetry,
                "trunk and spine",
                undefined="the lateral malleoli share one X (the distance between them, which the index divides by, is zero)",
            ),
        ]  # fmt: skip
    else:
        defs += [
            M(
                "scapula_tilt", view, "Scapula tilt", "horizontal", "angle",
                ("scapula_inferior_angle_r", "scapula_inferior_angle_l"),
                _tilt("scapula_inferior_angle_r", "scapula_inferior_angle_l"), "shoulder girdle",
            ),
            M(
                "scapular_asymmetry", view, "Scapular asymmetry", "midsagittal", "percent",
                ("scapula_inferior_angle_r", "scapula_inferior_angle_l", "t3"), _scapular_asymmetry, "shoulder girdle",
            ),
            M("trunk_shift", view, "Trunk shift", "midsagittal", "length", ("c7",), _shift("c7"), "trunk and spine", True),
            M(
                "spine_deviation", view, "Spine deviation", "midsagittal", "length", ("c7", "s1"),
                _spine_deviation, "trunk and spine", candidates=SPINE_LEVELS,
            ),
        ]  # fmt: skip
        for s, side in (("r", "right"), ("l", "left")):
            defs.append(
                M(
                    f"hindfoot_angle_{s}", view, f"Hindfoot angle ({side})", "midsagittal", "angle",
                    (f"leg_midline_{s}", f"achilles_{s}", f"calcaneus_{s}"),
                    _limb_bend(f"leg_midline_{s}", f"achilles_{s}", f"calcaneus_{s}", s),
                    "ankles and feet",
                )
            )  # fmt: skip
    return defs


def _lateral(view: str) -> list[MeasurementDef]:
    M = MeasurementDef

    def posterior_bend(a: str, b: str, c: str) -> Formula:
        # + when the middle point lies posterior of the chord (posterior = -f along +X)
        return lambda e: _signed_bend(e[a], e[b], e[c], -e.f)

    return [
        M(
            "cva", view, "Craniovertebral angle (CVA)", "coronal", "angle", ("tragus", "c7"),
            lambda e: g.atan2_deg(e["tragus"][..., 1] - e["c7"][..., 1], (e["tragus"][..., 0] - e["c7"][..., 0]) * e.f),
            "head and neck",
        ),
        M(
            "head_forward", view, "Forward head (ear to shoulder)", "coronal", "length", ("tragus", "acromion"),
            lambda e: g.ant_px(e["tragus"], e["acromion"][..., 0], e.f) * e.k, "head and neck",
        ),
        M(
            "head_flexion", view, "Head flexion (sagittal head tilt)", "horizontal", "angle", ("tragus", "eye_canthus"),
            lambda e: g.atan2_deg(
                e["tragus"][..., 1] - e["eye_canthus"][..., 1], (e["eye_canthus"][..., 0] - e["tragus"][..., 0]) * e.f
            ),
            "head and neck",
        ),
        M("head_vertical_alignment", view, "Head vertical alignment", "coronal", "angle", ("tragus", "acromion"), _lean("tragus", "acromion"), "head and neck"),
        M("trunk_lean", view, "Trunk lean", "coronal", "angle", ("acromion", "greater_trochanter"), _lean("acromion", "greater_trochanter"), "trunk and spine"),
        M("body_lean", view, "Body lean", "coronal", "angle", ("acromion", "lateral_malleolus"), _lean("acromion", "lateral_malleolus"), "trunk and spine"),
        M(
            "pelvic_tilt", view, "Pelvic tilt", "horizontal", "angle", ("asis", "psis"),
            lambda e: g.atan2_deg(e["psis"][..., 1] - e["asis"][..., 1], (e["asis"][..., 0] - e["psis"][..., 0]) * e.f),
            "pelvis and hips",
        ),
        M(
            "hip_angle", view, "Hip angle", "coronal", "angle", ("acromion", "greater_trochanter", "knee"),
            posterior_bend("acromion", "greater_trochanter", "knee"), "pelvis and hips",
        ),
        M(
            "knee_angle", view, "Knee angle", "coronal", "angle", ("greater_trochanter", "knee", "lateral_malleolus"),
            posterior_bend("greater_trochanter", "knee", "lateral_malleolus"), "knees",
        ),
        M("shank_angle", view, "Shank angle", "coronal", "angle", ("knee", "lateral_malleolus"), _lean("knee", "lateral_malleolus"), "knees"),
        M("ear_plumb_offset", view, "Ear to plumb line", "coronal", "length", ("tragus",), _ant_plumb("tragus"), "head and neck", True),
        M("shoulder_plumb_offset", view, "Shoulder to plumb line", "coronal", "length", ("acromion",), _ant_plumb("acromion"), "shoulder girdle", True),
        M("hip_plumb_offset", view, "Hip to plumb line", "coronal", "length", ("greater_trochanter",), _ant_plumb("greater_trochanter"), "pelvis and hips", True),
        M("knee_plumb_offset", view, "Knee to plumb line", "coronal", "length", ("knee",), _ant_plumb("knee"), "knees", True),
        # v1.1 (spec §9): the spinal curves (optional landmarks) and the shoulder over the hip
        M(
            "thoracic_kyphosis", view, "Thoracic kyphosis", "coronal", "angle", ("c7", "thoracic_apex", "t12"),
            posterior_bend("c7", "thoracic_apex", "t12"), "trunk and spine",
        ),
        M(
            "lumbar_lordosis", view, "Lumbar lordosis", "coronal", "angle", ("t12", "lumbar_apex", "s1"),
            lambda e: _signed_bend(e["t12"], e["lumbar_apex"], e["s1"], e.f), "trunk and spine",
        ),
        M(
            "shoulder_forward_of_hip", view, "Shoulder forward of hip", "coronal", "length", ("acromion", "greater_trochanter"),
            lambda e: g.ant_px(e["acromion"], e["greater_trochanter"][..., 0], e.f) * e.k, "shoulder girdle",
        ),
    ]  # fmt: skip


@cache
def definitions(view: str) -> tuple[MeasurementDef, ...]:
    """Every measurement of ``view``, in report order."""
    if view in ("anterior", "posterior"):
        return tuple(_frontal(view))
    return tuple(_lateral(view))


@lru_cache(maxsize=1)
def all_measurement_ids() -> frozenset[str]:
    from .landmarks import VIEWS

    return frozenset(d.id for v in VIEWS for d in definitions(v))


def definition(view: str, measurement_id: str) -> MeasurementDef:
    for d in definitions(view):
        if d.id == measurement_id:
            return d
    raise KeyError(f"{measurement_id} is not a measurement of the {view} view")


# --- evaluation -----------------------------------------------------------------------


def _missing_reason(missing: list[str], plumb: bool = False) -> str:
    noun = "missing landmark" if len(missing) == 1 else "missing landmarks"
    tail = " (needed for the plumb line; or pin calibration.plumb_anchor)" if plumb else ""
    return f"{noun}: {', '.join(missing)}{tail}"


def _choose_spine_level(XY: dict[str, Array]) -> str | None:
    present = [lv for lv in SPINE_LEVELS if lv in XY]
    if not present:
        return None
    offsets = [abs(float(g.perpendicular_offset_px(XY[lv], XY["s1"], XY["c7"]))) for lv in present]
    best = max(offsets)
    if not np.isfinite(best):
        return present[0]  # C7 and S1 coincide: the value is undefined whichever level is chosen
    # Ties go to the higher level (first in order). "Tie" allows for rounding: the roll
    # correction moves points by irrational amounts, so equal offsets differ in the last bits.
    return next(lv for lv, off in zip(present, offsets, strict=True) if off >= best - _TIE_PX)


def evaluate(frame: Frame, XY: dict[str, Array], definition: MeasurementDef) -> Measured | str:
    """Compute one measurement; return a :class:`Measured` or the reason it was not measured.

    ``XY`` maps placed landmark ids to corrected-frame points, shape ``(2,)``.
    """
    used = list(definition.landmarks)
    missing = [i for i in used if i not in XY]
    if missing:
        return _missing_reason(missing)
    extra: dict[str, Any] = {}
    if definition.candidates:
        level = _choose_spine_level(XY)
        if level is None:
            return f"missing landmarks: {', '.join(definition.candidates)} (at least one is needed)"
        extra["level"] = level
        used.append(level)

    involved = list(used)
    x0_fixed: float | None = None
    if definition.uses_plumb:
        if frame.plumb_pinned_px is not None:
            x0_fixed = float(frame.to_XY(np.asarray(frame.plumb_pinned_px, float))[0])
        else:
            missing = [i for i in frame.plumb_landmarks if i not in XY]
            if missing:
                return _missing_reason(missing, plumb=True)
            involved += [i for i in frame.plumb_landmarks if i not in involved]

    n = len(involved)
    base = np.array([XY[i] for i in involved], dtype=float)  # (n, 2)
    batch = np.repeat(base[None], 1 + 4 * n, axis=0)  # (B, n, 2)
    for j in range(n):
        for axis in range(2):
            row = 1 + 4 * j + 2 * axis
            batch[row, j, axis] += _H_PX
            batch[row + 1, j, axis] -= _H_PX
    pts = {lm: batch[:, j, :] for j, lm in enumerate(involved)}
    if x0_fixed is not None:
        x0: Array | None = np.full(batch.shape[0], x0_fixed)
    elif definition.uses_plumb:
        x0 = np.mean([pts[i][:, 0] for i in frame.plumb_landmarks], axis=0)
    else:
        x0 = None
    k = frame.cm_per_px if (definition.kind == "length" and frame.cm_per_px is not None) else 1.0
    with np.errstate(all="ignore"):  # non-finite results are checked below, not warned about
        out = np.asarray(definition.formula(Env(pts, x0, frame.r, frame.f, k, extra)), dtype=float)
    value = float(out[0])
    if not np.isfinite(value) and definition.undefined:
        return definition.undefined
    if not np.isfinite(value):
        return f"landmarks coincide: {', '.join(used)} (the value is undefined)"
    grads = (out[1::2] - out[2::2]) / (2 * _H_PX)
    grads = np.where(np.isfinite(grads), grads, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        uncertainty = frame.sigma_px * float(np.sqrt(np.sum(grads**2)))
    if not np.isfinite(uncertainty):
        return f"numerically undefined: {', '.join(used)} (the coordinates or the scale are too extreme to compute it)"
    landmarks_used = tuple(involved) if definition.uses_plumb and x0_fixed is None else tuple(used)
    return Measured(definition, value, uncertainty, definition.unit(frame), landmarks_used, extra)


# --- the formulas in words (docs/measurements.md, tools/make_measurements_doc.py) -------------------
# ``{0}``, ``{1}``, … are the measurement's landmarks in its own order, ``{levels}`` its candidate spine levels.

FORMULA_WORDS: dict[str, str] = {
    "head_tilt": "tilt(`{0}`, `{1}`): angle of the line between them from the true horizontal",
    "shoulder_tilt": "tilt(`{0}`, `{1}`)",
    "shoulder_height_diff": "height_diff(`{0}`, `{1}`): how much lower the right point is",
    "pelvic_obliquity": "tilt(`{0}`, `{1}`)",
    "pelvic_height_diff": "height_diff(`{0}`, `{1}`)",
    "tibial_tuberosity_tilt": "tilt(`{0}`, `{1}`)",
    "shoulder_pelvis_angle": "shoulder tilt minus pelvic obliquity",
    "head_shift": "shift(`{0}`, plumb line)",
    "trunk_shift": "shift(`{0}`, plumb line)",
    "pelvic_shift": "shift(midpoint of `{0}` and `{1}`, plumb line)",
    "q_angle_r": "bend(`{0}`, `{1}`, `{2}`), unsigned",
    "q_angle_l": "bend(`{0}`, `{1}`, `{2}`), unsigned",
    "knee_alignment_r": "bend(`{0}`, `{1}`, `{2}`) (SAPO's frontal lower-limb angle)",
    "knee_alignment_l": "bend(`{0}`, `{1}`, `{2}`) (SAPO's frontal lower-limb angle)",
    "leg_length_diff": "length `{0}`–`{1}` minus length `{2}`–`{3}`",
    "scapula_tilt": "tilt(`{0}`, `{1}`)",
    "scapular_asymmetry": "SAPO index: with m, n the horizontal distances of `{0}` and `{1}` from `{2}`, "
    "(m − n) / ((m + n) / 2) × 100",
    "spine_deviation": "perpendicular distance from the line `{0}`–`{1}` of whichever of {levels} (those placed; ties "
    "to the higher level) lies furthest from it; the result names that level",
    "hindfoot_angle_r": "bend(`{0}`, `{1}`, `{2}`)",
    "hindfoot_angle_l": "bend(`{0}`, `{1}`, `{2}`)",
    "cva": "angle of the line `{1}` → `{0}` above the horizontal, measured toward the front",
    "head_forward": "ant(`{0}`, X of `{1}`)",
    "head_flexion": "angle of the line `{0}` → `{1}` below the horizontal, toward the front",
    "head_vertical_alignment": "lean(`{0}`, `{1}`) (SAPO VAH)",
    "trunk_lean": "lean(`{0}`, `{1}`) (SAPO VAT)",
    "body_lean": "lean(`{0}`, `{1}`) (SAPO VAB)",
    "pelvic_tilt": "angle of the line `{1}` → `{0}` below the horizontal, toward the front",
    "hip_angle": "bend(`{0}`, `{1}`, `{2}`)",
    "knee_angle": "bend(`{0}`, `{1}`, `{2}`)",
    "shank_angle": "lean(`{0}`, `{1}`)",
    "ear_plumb_offset": "ant(`{0}`, plumb line)",
    "shoulder_plumb_offset": "ant(`{0}`, plumb line)",
    "hip_plumb_offset": "ant(`{0}`, plumb line)",
    "knee_plumb_offset": "ant(`{0}`, plumb line)",
    "thoracic_kyphosis": "bend(`{0}`, `{1}`, `{2}`)",
    "lumbar_lordosis": "bend(`{0}`, `{1}`, `{2}`)",
    "shoulder_forward_of_hip": "ant(`{0}`, X of `{1}`) (PostureScreen's shoulder A/P translation)",
    "head_on_trunk_shift": "shift(`{0}`, X of `{1}`): from the segment below, not the plumb line",
    "trunk_on_pelvis_shift": "shift(`{0}`, X of the midpoint of `{1}` and `{2}`)",
    "cog_shift": "shift(CG, X of the midpoint of `lateral_malleolus_r` and `lateral_malleolus_l`), CG the centre of "
    "gravity below",
    "cog_asymmetry": "(X_CG − X_mid) · r / (half the distance between the lateral malleoli) × 100, X_mid their "
    "midpoint, in pixels (needs no scale; not measured when the malleoli share one X)",
}


def formula_words(d: MeasurementDef) -> str:
    """How ``d`` is computed, in words with the spec's primitives (§3), its landmarks filled in."""
    levels = ", ".join(f"`{i}`" for i in d.candidates)
    return FORMULA_WORDS[d.id].format(*d.landmarks, levels=levels)
