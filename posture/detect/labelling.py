"""Give adhesive markers their landmark ids from their layout against the view's protocol.

The markers of one view sit on the palpated landmarks of that view's protocol
(spec §2). Their layout is the body's: the template in
``posture/data/body_template.json`` (an average 170 cm body, cm, see
``tools/make_body_template.py``) is fitted to the markers and each marker is
assigned to at most one landmark:

1. The markers go into the corrected frame (roll removed, Y up;
   :func:`posture.geometry.to_corrected`).
2. The template goes into image orientation with the view's convention for the
   client's sides: **anterior**: the client's right on the image left,
   **posterior**: on the image right (spec §3 item 3's defaults: a mirrored
   photo shows a mirrored person, and is labelled as what it shows);
   **lateral**: anterior toward ``facing`` (spec §3 item 4).
3. Starting transforms come from the highest and lowest markers (and from pose
   keypoints when a model found the person); each is refined by an iterated
   assignment (``scipy.optimize.linear_sum_assignment`` on squared distances,
   gated) and a least-squares affine fit (a scale per axis, so a broad or a
   slender body fits), and the best explains the most markers most closely.
4. People are not the template: each landmark's expected place is then
   corrected by the residuals of its *neighbours* (leave-one-out, weighted by
   distance along the body), and the assignment is solved again.
5. A marker keeps its label only when it is close to the expected place *and*
   clearly closer than to any other landmark's (and that landmark clearly has
   no better marker). Otherwise it stays unlabelled: never guess.

Nothing here needs a person detector: pose keypoints, when given, only add a
starting transform and label markers left over close to their keypoint.
Distances are in the markers' pixels unless named ``_cm``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
from scipy.optimize import linear_sum_assignment

from posture.geometry import to_corrected
from posture.landmarks import DEFAULT_FACING, LATERAL_VIEWS, landmark_ids
from posture.result import Facing

from .base import Point

#: A marker further than this from its landmark's expected place is not labelled (cm of the template body).
GATE_CM = 5.0
#: ... nor when it is not clearly closer to it than to the next landmark (distance ratio).
MAX_RATIO = 0.62
#: Gates of the refinement rounds (cm): wide while the fit is rough, then narrow.
_ROUND_GATES_CM = (25.0, 14.0, 9.0, 6.0)
#: Leave-one-out correction: neighbours' weight falls off with this distance along the body (cm) ...
_NEIGHBOUR_CM = (14.0, 22.0)  # (vertical, horizontal)
#: ... and this much weight stays with the global fit (shrinks a lone neighbour's pull).
_PRIOR_WEIGHT = 0.35
#: Starting transforms pair the highest and lowest markers with this many highest and lowest template points.
_TOP_BOTTOM = 3
#: ... of which the best this many (by a rough score) are refined.
_REFINED_STARTS = 8
#: A marker left over is labelled from a pose keypoint within this distance (cm).
POSE_GATE_CM = 4.0
#: Plausible stature relative to the template's (170 cm), for the scale from the plumb marks.
_STATURE_RANGE = (0.8, 1.25)


@dataclass(frozen=True)
class Label:
    """One marker's label: ``marker`` is its index in the input, ``confidence`` in [0, 1]."""

    landmark_id: str
    marker: int
    confidence: float
    from_pose: bool = False


@dataclass(frozen=True)
class Labelling:
    """The labels of one view's markers, and how well the body fitted (``rms_cm``, ``facing`` used)."""

    labels: dict[str, Label]
    facing: Facing | None
    rms_cm: float
    score: float


@cache
def _template_file() -> dict[str, object]:
    text = resources.files("posture").joinpath("data/body_template.json").read_text(encoding="utf-8")
    data: dict[str, object] = json.loads(text)
    return data


def template(view: str, facing: Facing | None = None) -> tuple[tuple[str, ...], np.ndarray]:
    """The view's template landmarks in the corrected frame's orientation, in cm: ``(ids, (M, 2) array)``.

    X grows to the image-right as the view shows the body (see the module
    docstring for the side conventions), Y up from the floor.
    """
    raw = _template_file()[view]
    assert isinstance(raw, dict)
    ids = tuple(i for i in landmark_ids(view) if i in raw)
    pts = np.array([raw[i] for i in ids], dtype=np.float64)
    if view in LATERAL_VIEWS:
        sign = 1.0 if (facing or DEFAULT_FACING[view]) == "right" else -1.0
    else:
        sign = 1.0 if view == "anterior" else -1.0  # anterior: u (client's left) toward image-right
    pts[:, 0] *= sign
    return ids, pts


def _fit_affine(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Least-squares ``dst ≈ src @ A.T + b``; with fewer than 4 pairs, a similarity (no shear)."""
    n = len(src)
    if n < 2:
        return None
    if n < 4:
        sc, dc = src.mean(0), dst.mean(0)
        s0, d0 = src - sc, dst - dc
        denom = float((s0**2).sum())
        if denom <= 0:
            return None
        a = float((s0 * d0).sum()) / denom
        bb = float((s0[:, 0] * d0[:, 1] - s0[:, 1] * d0[:, 0]).sum()) / denom
        A = np.array([[a, -bb], [bb, a]])
        return A, dc - sc @ A.T
    M = np.hstack([src, np.ones((n, 1))])
    sol, *_ = np.linalg.lstsq(M, dst, rcond=None)
    A = sol[:2].T
    return A, sol[2]


def _plausible(A: np.ndarray, scale_hint: float | None) -> bool:
    """No mirror, no wild shear or anisotropy, and a size a standing adult can have."""
    sx, sy = float(np.hypot(*A[:, 0])), float(np.hypot(*A[:, 1]))
    if A[0, 0] <= 0 or A[1, 1] <= 0 or np.linalg.det(A) <= 0:
        return False
    if not 0.6 < sx / sy < 1.6:
        return False
    if abs(math.degrees(math.atan2(A[1, 0], A[0, 0]))) > 15:
        return False
    if scale_hint is not None:
        lo, hi = _STATURE_RANGE
        if not lo * scale_hint <= sy <= hi * scale_hint:
            return False
    return True


def _assign(P: np.ndarray, pred: np.ndarray, gate: float) -> list[tuple[int, int, float]]:
    """Pairs (marker, template point, distance) of the gated optimal assignment."""
    d2 = ((P[:, None, :] - pred[None, :, :]) ** 2).sum(-1)
    rows, cols = linear_sum_assignment(np.minimum(d2, gate**2))
    return [(int(i), int(a), float(math.sqrt(d2[i, a]))) for i, a in zip(rows, cols, strict=True) if d2[i, a] < gate**2]


def _score(P: np.ndarray, pred: np.ndarray, gate: float) -> float:
    pairs = _assign(P, pred, gate)
    matched = sum((d / gate) ** 2 for _, _, d in pairs)
    return matched + (len(P) - len(pairs)) + 0.3 * (len(pred) - len(pairs))


def _refine(
    P: np.ndarray, T: np.ndarray, A: np.ndarray, b: np.ndarray, unit: float, scale_hint: float | None
) -> tuple[np.ndarray, np.ndarray] | None:
    """Iterate assignment and affine fit from a starting transform; ``None`` when it leaves the plausible."""
    for gate_cm in _ROUND_GATES_CM:
        last: list[tuple[int, int]] | None = None
        for _ in range(4):
            pred = T @ A.T + b
            pairs = [(i, a) for i, a, _ in _assign(P, pred, gate_cm * unit)]
            if pairs == last:  # the same pairs give the same fit
                break
            fit = _fit_affine(T[[a for _, a in pairs]], P[[i for i, _ in pairs]])
            if fit is None or not _plausible(fit[0], scale_hint):
                return None
            A, b = fit
            unit = float(np.sqrt(abs(np.linalg.det(A))))
            last = pairs
    return A, b


def _starts(
    P: np.ndarray, T: np.ndarray, ids: tuple[str, ...], scale_hint: float | None, seeds: Mapping[str, np.ndarray]
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Starting transforms: top and bottom markers on top and bottom template points; the pose's keypoints."""
    out: list[tuple[np.ndarray, np.ndarray]] = []
    by_height_m = np.argsort(-P[:, 1])
    by_height_t = np.argsort(-T[:, 1])
    k = min(2, len(P))
    for mt in by_height_m[:k]:
        for mb in by_height_m[::-1][:k]:
            dy_m = P[mt, 1] - P[mb, 1]
            if dy_m <= 0:
                continue
            for tt in by_height_t[:_TOP_BOTTOM]:
                for tb in by_height_t[::-1][:_TOP_BOTTOM]:
                    dy_t = T[tt, 1] - T[tb, 1]
                    if dy_t <= 0:
                        continue
                    s = dy_m / dy_t
                    if scale_hint is not None and not _STATURE_RANGE[0] * scale_hint <= s <= _STATURE_RANGE[1] * scale_hint:
                        continue
                    A = np.diag([s, s])
                    b = np.array([P[:, 0].mean() - s * T[:, 0].mean(), P[mt, 1] - s * T[tt, 1]])
                    out.append((A, b))
    if scale_hint is not None:  # the plumb marks give the size: the body's top on the highest marker
        for k_s in (0.92, 1.0, 1.08):
            s = k_s * scale_hint
            for mt in by_height_m[:k]:
                for tt in by_height_t[:_TOP_BOTTOM]:
                    b = np.array([P[:, 0].mean() - s * T[:, 0].mean(), P[mt, 1] - s * T[tt, 1]])
                    out.append((np.diag([s, s]), b))
    common = [i for i in ids if i in seeds]
    if len(common) >= 3:
        fit = _fit_affine(T[[ids.index(i) for i in common]], np.array([seeds[i] for i in common]))
        if fit is not None:
            out.append(fit)
    return out


def _loo_prediction(T: np.ndarray, pred: np.ndarray, P: np.ndarray, pairs: list[tuple[int, int, float]]) -> np.ndarray:
    """Each template point's expected place, corrected by the residuals of its matched neighbours (not its own)."""
    out = pred.copy()
    if not pairs:
        return out
    idx_t = np.array([a for _, a, _ in pairs])
    resid = np.array([P[i] - pred[a] for i, a, _ in pairs])
    dv = (T[:, None, 1] - T[None, idx_t, 1]) / _NEIGHBOUR_CM[0]
    dh = (T[:, None, 0] - T[None, idx_t, 0]) / _NEIGHBOUR_CM[1]
    w = np.exp(-0.5 * (dv**2 + dh**2))
    w[idx_t[None, :] == np.arange(len(T))[:, None]] = 0.0  # leave the point's own marker out
    out += (w @ resid) / (w.sum(1, keepdims=True) + _PRIOR_WEIGHT)
    return out


def _wrong_side(p: np.ndarray, t: np.ndarray, A: np.ndarray, b: np.ndarray, unit: float) -> bool:
    """A frontal view's paired template point (|u| ≥ 3 cm) whose marker lies across the fitted midline by more than 1 cm."""
    if abs(t[0]) < 3.0:
        return False
    # the midline's point at the marker's height: u = 0, y from inverting the fit's y row
    y = (p[1] - b[1]) / A[1, 1] if A[1, 1] else t[1]
    mid_x = A[0, 1] * y + b[0]
    return bool(np.sign(p[0] - mid_x) != np.sign(t[0]) and abs(p[0] - mid_x) > 1.0 * unit)


def _fit_facing(
    P: np.ndarray, view: str, facing: Facing | None, scale_hint: float | None, seeds: Mapping[str, Point]
) -> tuple[dict[str, Label], float, float]:
    ids, T = template(view, facing)
    seeds_corr = {i: np.asarray(p, dtype=np.float64) for i, p in seeds.items()}
    best: tuple[float, np.ndarray, np.ndarray] | None = None
    starts = _starts(P, T, ids, scale_hint, seeds_corr)
    units = [float(np.sqrt(abs(np.linalg.det(A0)))) for A0, _ in starts]
    rough = [_score(P, T @ A0.T + b0, 20.0 * u) for (A0, b0), u in zip(starts, units, strict=True)]
    for n in np.argsort(rough)[:_REFINED_STARTS]:
        (A0, b0), unit0 = starts[n], units[n]
        refined = _refine(P, T, A0, b0, unit0, scale_hint)
        if refined is None:
            continue
        A, b = refined
        unit = float(np.sqrt(abs(np.linalg.det(A))))
        score = _score(P, T @ A.T + b, 8.0 * unit)
        if best is None or score < best[0]:
            best = (score, A, b)
    if best is None:
        return {}, math.inf, math.inf
    score, A, b = best
    unit = float(np.sqrt(abs(np.linalg.det(A))))
    pred = T @ A.T + b
    pairs = _assign(P, pred, 8.0 * unit)
    for _ in range(3):
        local = _loo_prediction(T, pred, P, pairs)
        pairs = _assign(P, local, 8.0 * unit)
    local = _loo_prediction(T, pred, P, pairs)
    d = np.sqrt(((P[:, None, :] - local[None, :, :]) ** 2).sum(-1))
    labels: dict[str, Label] = {}
    gate = GATE_CM * unit
    frontal = view not in LATERAL_VIEWS
    for i, a, _ in _assign(P, local, gate):
        dia = d[i, a]
        others = np.concatenate([np.delete(d[i], a), np.delete(d[:, a], i)])
        rival = float(others.min()) if len(others) else math.inf
        ratio = dia / rival if rival > 0 else 1.0
        if ratio >= MAX_RATIO or (frontal and _wrong_side(P[i], T[a], A, b, unit)):
            continue
        closeness = math.exp(-0.5 * (dia / (0.5 * gate)) ** 2)
        labels[ids[a]] = Label(ids[a], i, round(max(0.0, min(1.0, (1.0 - ratio) * closeness)), 3))
    rms = float(np.sqrt(np.mean([(d[i, a] / unit) ** 2 for i, a, _ in pairs]))) if pairs else math.inf
    return labels, rms, score


def label_markers(
    markers: Sequence[Point],
    view: str,
    *,
    facing: Facing | None = None,
    infer_facing: bool = False,
    roll_deg: float = 0.0,
    center: Point = (0.0, 0.0),
    cm_per_px: float | None = None,
    seeds: Mapping[str, Point] | None = None,
) -> Labelling:
    """Label ``markers`` (image pixels) for ``view``; the labels refer to the markers by index.

    ``roll_deg`` and ``center`` put the markers upright as the analysis will
    (spec §3). ``cm_per_px`` (from the plumb marks), when known, bounds the
    body's size. ``seeds``: landmark id → a pose keypoint's position (image
    pixels) for a starting transform and for markers left over. Lateral
    views follow ``facing`` (default: the view's); with ``infer_facing`` and
    no ``facing`` given, the facing whose template fits the markers clearly
    better is used, and returned in :attr:`Labelling.facing`.
    """
    if view in LATERAL_VIEWS:
        facing = facing or None
    else:
        facing, infer_facing = None, False
    P = to_corrected(np.asarray(markers, dtype=np.float64).reshape(-1, 2), roll_deg, center)
    seeds_c = {i: tuple(to_corrected(np.asarray(p, dtype=np.float64), roll_deg, center)) for i, p in (seeds or {}).items()}
    scale_hint = None if cm_per_px is None or cm_per_px <= 0 else 1.0 / cm_per_px
    if len(P) < 3:
        return _with_pose_leftovers(Labelling({}, facing, math.inf, math.inf), P, seeds_c, scale_hint, view)
    chosen: Facing | None = facing or (DEFAULT_FACING[view] if view in LATERAL_VIEWS else None)
    labels, rms, score = _fit_facing(P, view, chosen, scale_hint, seeds_c)
    if infer_facing and facing is None and chosen is not None:
        other: Facing = "left" if chosen == "right" else "right"
        labels2, rms2, score2 = _fit_facing(P, view, other, scale_hint, seeds_c)
        if score2 < 0.6 * score and len(labels2) >= len(labels):
            labels, rms, score, chosen = labels2, rms2, score2, other
    result = Labelling(labels, chosen, rms, score)
    return _with_pose_leftovers(result, P, seeds_c, scale_hint, view)


def _with_pose_leftovers(
    result: Labelling,
    P: np.ndarray,
    seeds: Mapping[str, tuple[float, ...]],
    scale_hint: float | None,
    view: str,
) -> Labelling:
    """Label markers the layout left over from pose keypoints of landmarks still without a marker (gated, unique)."""
    if not seeds or not len(P):
        return result
    used = {lab.marker for lab in result.labels.values()}
    free_m = [i for i in range(len(P)) if i not in used]
    free_ids = [i for i in landmark_ids(view) if i in seeds and i not in result.labels]
    if not free_m or not free_ids:
        return result
    if scale_hint is None:
        return result  # no size to gate with: a pose keypoint alone never names a marker
    gate = POSE_GATE_CM * scale_hint
    S = np.array([seeds[i][:2] for i in free_ids], dtype=np.float64)
    pairs = _assign(P[free_m], S, gate)
    labels = dict(result.labels)
    for mi, si, dist in pairs:
        lm_id = free_ids[si]
        d_all = np.sqrt(((P[free_m][mi] - S) ** 2).sum(-1))
        rival = float(np.delete(d_all, si).min()) if len(S) > 1 else math.inf
        if dist / rival < MAX_RATIO:
            labels[lm_id] = Label(lm_id, free_m[mi], round(0.5 * math.exp(-0.5 * (dist / (0.5 * gate)) ** 2), 3), True)
    return Labelling(labels, result.facing, result.rms_cm, result.score)
