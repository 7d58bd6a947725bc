"""Pose seeds: landmark suggestions (``from: "pose"``) built from a pose model's keypoints.

Only landmarks that have a keypoint nearby are seeded (:data:`SEEDED`): the
tragus (ear), the lateral eye canthus (outer eye corner), the acromion and the
greater trochanter (shoulder and hip keypoints plus anatomical offsets), the
patella and the knee's lateral joint line (knee), the malleoli (ankle), the
Achilles tendon (ankle), the calcaneus (heel) and the leg's midline (between
knee and ankle). The spinal levels, C7, ASIS, PSIS, the scapulae's inferior
angles, the tibial tuberosities, the sternal notch and the glabella have no
keypoint and are never seeded (:data:`NEVER_SEEDED`). Seeds are about 2 cm
from the true landmark (a median on the project's samples): good for a
suggestion the therapist accepts or drags, never for measuring.

**Sides follow the view's convention, not the model's labels.** MediaPipe
names sides as the person's own, and on a back view it still draws a face and
may swap them, so its ``left``/``right`` are only used to pair keypoints:

* anterior: the client's right is the **image-left** member of each pair
  (ears, shoulders, hips, knees, ankles, heels), posterior: the
  **image-right** member (spec §3 item 3's defaults when no pair is placed).
  "Image-left" is measured across the body's own axis (hip centre → shoulder
  centre), so a rolled camera does not matter. A mirrored photo therefore
  gets mirrored seeds, as a hand-placed one would under the same defaults.
* lateral views: the side facing the camera, i.e. of each pair the member
  the model sees better (higher visibility; a tie goes to the member named
  for the view's side: ``right_lateral`` shows the right side). Anterior is
  along ``facing`` (default :data:`posture.landmarks.DEFAULT_FACING`).

Offsets are in cm in the body's frame (up = hip centre → shoulder centre;
lateral = away from the midline in frontal views, anterior in lateral ones),
converted with ``cm_per_px`` when the scale is known, else with a px/cm taken
from the keypoints (nose to heels ≈ :data:`NOSE_TO_HEEL_CM`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from posture.landmarks import DEFAULT_FACING, FRONTAL_VIEWS, LATERAL_VIEWS, landmark_ids
from posture.result import Facing

from .base import Keypoints, Suggestion

# Offsets (cm) from each keypoint, in the body's frame. Anatomical proportions for
# a 170 cm adult, with the vertical ones set from the four sample photos (8 px/cm,
# rounded to 0.5 cm): there BlazePose's keypoints sit 1.5–2.5 cm above the
# landmarks a therapist palpates. Check them again on real photos.
#: Tragus below the ear keypoint.
TRAGUS_DOWN_CM = 1.5
#: Acromion above and lateral of the shoulder keypoint (the glenohumeral centre) in frontal views.
ACROMION_UP_CM = 2.5
ACROMION_LATERAL_CM = 1.5
#: Greater trochanter lateral of the hip keypoint (hip-joint centres ~17 cm apart, bitrochanteric breadth ~32 cm).
TROCHANTER_LATERAL_CM = 7.0
#: Patella centre above the knee keypoint (which sits on the joint line).
PATELLA_UP_CM = 2.0
#: The knee's lateral joint line: half the femoral epicondylar breadth (~10 cm) lateral of the keypoint.
KNEE_LATERAL_CM = 5.0
#: Malleoli about the ankle keypoint (bimalleolar breadth ~7 cm; the lateral one lower than the medial).
LATERAL_MALLEOLUS_LATERAL_CM = 3.5
LATERAL_MALLEOLUS_DOWN_CM = 3.0
MEDIAL_MALLEOLUS_MEDIAL_CM = 3.0
MEDIAL_MALLEOLUS_DOWN_CM = 2.5
#: The Achilles tendon is marked at malleolus height, over the ankle keypoint.
ACHILLES_DOWN_CM = MEDIAL_MALLEOLUS_DOWN_CM
#: Calcaneus marker above the heel keypoint (which is at the sole).
CALCANEUS_UP_CM = 1.0
#: Mid-calf: this fraction of the way from the knee to the ankle (the calf's widest girth).
MID_CALF_FRACTION = 0.3
#: Nose to heels along the body for a 170 cm adult (nose height ~0.9 × stature; 150–156 cm on the samples).
NOSE_TO_HEEL_CM = 152.0
#: Shoulder centre to hip centre (the fallback scale when the heels are not seen; 47–54 cm on the samples).
TORSO_CM = 50.0
#: Keypoints the model sees less than this are not used.
MIN_VISIBILITY = 0.5
_TIE = 0.05


@dataclass(frozen=True)
class _Rule:
    """A seed: keypoint ``part`` (``"ear"`` → ``left_ear``/``right_ear``) moved ``out_cm`` outward and ``up_cm`` up.

    ``out_cm``: lateral (away from the midline) in frontal views, anterior in
    lateral ones; negative = medial / posterior. ``toward`` / ``fraction``:
    interpolate from ``part`` toward that keypoint first.
    """

    part: str
    out_cm: float = 0.0
    up_cm: float = 0.0
    toward: str | None = None
    fraction: float = 0.0


_SHARED = {
    "tragus": _Rule("ear", 0.0, -TRAGUS_DOWN_CM),
    "acromion": _Rule("shoulder", ACROMION_LATERAL_CM, ACROMION_UP_CM),
}
#: Frontal rules by base id (the view's ``_r`` / ``_l`` pair gets one seed each).
_FRONTAL: dict[str, dict[str, _Rule]] = {
    "anterior": {
        **_SHARED,
        "greater_trochanter": _Rule("hip", TROCHANTER_LATERAL_CM),
        "patella": _Rule("knee", 0.0, PATELLA_UP_CM),
        "knee_lateral": _Rule("knee", KNEE_LATERAL_CM),
        "lateral_malleolus": _Rule("ankle", LATERAL_MALLEOLUS_LATERAL_CM, -LATERAL_MALLEOLUS_DOWN_CM),
        "medial_malleolus": _Rule("ankle", -MEDIAL_MALLEOLUS_MEDIAL_CM, -MEDIAL_MALLEOLUS_DOWN_CM),
    },
    "posterior": {
        **_SHARED,
        "leg_midline": _Rule("knee", toward="ankle", fraction=MID_CALF_FRACTION),
        "achilles": _Rule("ankle", 0.0, -ACHILLES_DOWN_CM),
        "calcaneus": _Rule("heel", 0.0, CALCANEUS_UP_CM),
    },
}
#: Lateral-view rules (a side view's acromion and trochanter sit on their keypoints).
_LATERAL: dict[str, _Rule] = {
    "tragus": _Rule("ear", 0.0, -TRAGUS_DOWN_CM),
    "eye_canthus": _Rule("eye_outer"),
    "acromion": _Rule("shoulder"),
    "greater_trochanter": _Rule("hip"),
    "knee": _Rule("knee"),
    "lateral_malleolus": _Rule("ankle", 0.0, -LATERAL_MALLEOLUS_DOWN_CM),
}

#: Every landmark id a pose seed may have, per view.
SEEDED: dict[str, frozenset[str]] = {
    **{v: frozenset(f"{base}_{s}" for base in rules for s in "rl") for v, rules in _FRONTAL.items()},
    **{v: frozenset(_LATERAL) for v in LATERAL_VIEWS},
}
#: Landmarks no keypoint locates: never seeded (spec §10, the issue's list).
NEVER_SEEDED = frozenset(
    {"c7", "t3", "t7", "t12", "l3", "s1", "asis", "psis", "sternal_notch", "glabella"}
    | {f"{base}_{s}" for base in ("asis", "psis", "scapula_inferior_angle", "tibial_tuberosity") for s in "rl"}
)

Vec = tuple[float, float]


def _unit(v: Vec) -> Vec | None:
    n = math.hypot(*v)
    return (v[0] / n, v[1] / n) if n > 1e-9 else None


def _mid(a: Vec, b: Vec) -> Vec:
    return ((a[0] + b[0]) / 2, (a[1] + b[1]) / 2)


def seed_landmarks(
    kp: Keypoints,
    view: str,
    *,
    facing: Facing | None = None,
    cm_per_px: float | None = None,
    image_size: tuple[int, int] | None = None,
) -> dict[str, Suggestion]:
    """Suggestions (``origin="pose"``) for the view's landmarks that have a keypoint, in original-image pixels.

    ``kp``: the model's keypoints (original px). ``facing``: lateral views
    only, default the view's. ``cm_per_px``: the photo's scale when known
    (original px), else estimated from the keypoints. ``image_size``:
    ``(width, height)``; a seed outside the image is dropped. Confidence is
    the lowest visibility of the keypoints a seed uses; keypoints seen less
    than :data:`MIN_VISIBILITY` give no seed. Sides: the module docstring.
    """
    if view not in FRONTAL_VIEWS and view not in LATERAL_VIEWS:
        raise ValueError(f"unknown view {view!r}")
    if cm_per_px is not None and not cm_per_px > 0:
        raise ValueError(f"cm_per_px must be positive, not {cm_per_px!r}")
    pts = kp.points

    def pair(part: str) -> tuple[tuple[float, float, float], tuple[float, float, float]] | None:
        a, b = pts.get(f"left_{part}"), pts.get(f"right_{part}")
        return (a, b) if a is not None and b is not None else None

    shoulders, hips = pair("shoulder"), pair("hip")
    up: Vec = (0.0, -1.0)
    if shoulders and hips:
        s_mid, h_mid = _mid(shoulders[0][:2], shoulders[1][:2]), _mid(hips[0][:2], hips[1][:2])
        up = _unit((s_mid[0] - h_mid[0], s_mid[1] - h_mid[1])) or up
    across: Vec = (-up[1], up[0])  # image-right for an upright body

    px_per_cm = 1.0 / cm_per_px if cm_per_px is not None else _px_per_cm(kp, up)
    if px_per_cm is None:
        return {}

    def along(p: Vec) -> float:
        return p[0] * across[0] + p[1] * across[1]

    def place(base: Vec, out: Vec, rule: _Rule) -> Vec:
        return (
            base[0] + (out[0] * rule.out_cm + up[0] * rule.up_cm) * px_per_cm,
            base[1] + (out[1] * rule.out_cm + up[1] * rule.up_cm) * px_per_cm,
        )

    out: dict[str, Suggestion] = {}

    def add(landmark_id: str, xy: Vec, confidence: float) -> None:
        if confidence < MIN_VISIBILITY:
            return
        if image_size is not None and not (0 <= xy[0] < image_size[0] and 0 <= xy[1] < image_size[1]):
            return
        out[landmark_id] = Suggestion(landmark_id, xy[0], xy[1], "pose", min(1.0, max(0.0, confidence)))

    if view in FRONTAL_VIEWS:
        # Client's right: image-left member in anterior, image-right in posterior (across the body's axis).
        right_is_image_right = view == "posterior"

        def sided(part: str) -> dict[str, tuple[float, float, float]] | None:
            p = pair(part)
            if p is None:
                return None
            lo, hi = sorted(p, key=lambda q: along(q[:2]))
            return {"r": hi, "l": lo} if right_is_image_right else {"r": lo, "l": hi}

        for base, rule in _FRONTAL[view].items():
            members, ends = sided(rule.part), sided(rule.toward) if rule.toward else None
            if members is None or (rule.toward and ends is None):
                continue
            centre = _mid(members["r"][:2], members["l"][:2])
            for side in "rl":
                p, vis = members[side][:2], members[side][2]
                if ends is not None:
                    q = ends[side]
                    p = (p[0] + (q[0] - p[0]) * rule.fraction, p[1] + (q[1] - p[1]) * rule.fraction)
                    vis = min(vis, q[2])
                sign = 1.0 if along(members[side][:2]) >= along(centre) else -1.0
                add(f"{base}_{side}", place(p, (across[0] * sign, across[1] * sign), rule), vis)
    else:
        f = 1.0 if (facing or DEFAULT_FACING[view]) == "right" else -1.0
        near = "right" if view == "right_lateral" else "left"
        for landmark_id, rule in _LATERAL.items():
            a, b = pts.get(f"{near}_{rule.part}"), pts.get(f"{'left' if near == 'right' else 'right'}_{rule.part}")
            if a is None or b is None:
                continue
            chosen = a if a[2] >= b[2] - _TIE else b
            add(landmark_id, place(chosen[:2], (across[0] * f, across[1] * f), rule), chosen[2])
    allowed = set(landmark_ids(view))
    return {k: v for k, v in out.items() if k in allowed}


def _px_per_cm(kp: Keypoints, up: Vec) -> float | None:
    """Pixels per cm from the body's length along ``up``: nose to heels, else shoulders to hips."""
    pts = kp.points

    def seen(*names: str) -> bool:
        return all(n in pts and pts[n][2] >= MIN_VISIBILITY for n in names)

    def length(top: list[str], bottom: list[str]) -> float:
        t = [sum(pts[n][i] for n in top) / len(top) for i in (0, 1)]
        b = [sum(pts[n][i] for n in bottom) / len(bottom) for i in (0, 1)]
        return (t[0] - b[0]) * up[0] + (t[1] - b[1]) * up[1]

    if seen("nose", "left_heel", "right_heel"):
        px = length(["nose"], ["left_heel", "right_heel"])
        if px > 0:
            return px / NOSE_TO_HEEL_CM
    if seen("left_shoulder", "right_shoulder", "left_hip", "right_hip"):
        px = length(["left_shoulder", "right_shoulder"], ["left_hip", "right_hip"])
        if px > 0:
            return px / TORSO_CM
    return None
