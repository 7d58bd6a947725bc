"""The whole detection of one photo: plumb line and marks, pose, markers, labels, suggestions.

:func:`detect` runs the parts in the order each needs the one before:

1. a reduced copy of the photo (a quarter per side unless the caller has one,
   e.g. the app's display copy): every search runs on it, and only the
   refinements touch the full-resolution pixels;
2. the plumb line and its two marks (:mod:`.plumb`): the true vertical and,
   with the marks' distance, the scale;
3. the pose model on the reduced copy (:mod:`.pose`), when one is given: its
   keypoints give pose suggestions (:mod:`.seeds`) and the body's size;
4. the adhesive markers (:mod:`.markers`), sized from the scale (10–25 mm) or
   the body, the plumb marks excluded;
5. their labels (:mod:`.labelling`): from the markers' layout against the
   view's protocol, helped by the keypoints;
6. suggestions: a labelled marker wins; a pose suggestion only for a landmark
   no marker was labelled as.

Nothing is measured here and nothing is read from or written to disk.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from posture.errors import DetectError
from posture.landmarks import DEFAULT_FACING, LATERAL_VIEWS, VIEW_LABELS, VIEWS
from posture.result import Facing

from .base import DEFAULT_MARK_DISTANCE_CM, RGB, Detection, Keypoints, Point, Shows, Suggestion
from .labelling import label_markers
from .markers import find_markers, marker_diameter_window
from .plumb import find_plumb_line
from .pose import PoseModel
from .seeds import seed_landmarks

#: The reduced copy's size: a quarter of each side (a 12 MP photo → about 1008 × 756).
REDUCTION = 4
#: Shoulders' and hips' mean horizontal spread over the trunk's height (shoulders to hips, BlazePose's points):
#: about 0.5–0.6 seen from the front or back, under 0.05 from the side (the sample photos). Between the two
#: bounds the pose model's view is not clear and nothing is said.
SIDE_SPREAD_MAX = 0.2
FRONT_SPREAD_MIN = 0.35


def reduced_copy(rgb: np.ndarray, factor: int = REDUCTION) -> tuple[np.ndarray, float]:
    """A copy ``factor`` times smaller per side (area-averaged) and its original px per reduced px.

    Under the pixel-area convention (``base``), a reduced pixel ``(i, j)``
    covers original ``[i·k, (i+1)·k)``, so a reduced coordinate times ``k`` is
    the original coordinate; the exact ``k`` per axis differs by less than a
    pixel's fraction when the size is not a multiple of ``factor``.
    """
    h, w = rgb.shape[:2]
    if factor <= 1 or min(h, w) < 4 * factor:
        return rgb, 1.0
    small = cv2.resize(rgb, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    return small, w / (w // factor)


def _body_height_px(kp: Keypoints | None) -> float | None:
    """The body's height in original px from the keypoints: nose to the lower heel, over 0.9 of the stature."""
    if kp is None:
        return None
    pts = kp.points
    if "nose" not in pts:
        return None
    heels = [pts[k][1] for k in ("left_heel", "right_heel") if k in pts and pts[k][2] > 0.5]
    if not heels:
        return None
    span = max(heels) - pts["nose"][1]
    return span / 0.9 if span > 0 else None


def detect(
    rgb: np.ndarray,
    view: str,
    *,
    facing: Facing | None = None,
    mark_distance_cm: float = DEFAULT_MARK_DISTANCE_CM,
    marker_color: RGB | None = None,
    pose_model: PoseModel | None = None,
    reduced: tuple[np.ndarray, float] | None = None,
) -> Detection:
    """Detect the plumb line, the markers and (with ``pose_model``) the person in one upright photo.

    ``rgb``: the upright photo, full resolution (RGB ``uint8``). ``facing``:
    for lateral views, the client's facing as the therapist set it; ``None``
    lets the markers decide between the two (the view's default when they do
    not clearly say). ``mark_distance_cm``: the plumb marks' distance.
    ``marker_color``: the markers' colour, or ``None`` to find it.
    ``reduced``: a reduced copy the caller already has and its original px per
    reduced px. Raises :class:`DetectError` for an unknown view or a
    non-positive mark distance; finding nothing is not an error (empty
    results and a warning).
    """
    if view not in VIEWS:
        raise DetectError(f"Unknown view {view!r}: expected one of {', '.join(VIEWS)}.")
    if not (math.isfinite(mark_distance_cm) and mark_distance_cm > 0):
        raise DetectError(f"The plumb marks' distance must be a positive number of cm, got {mark_distance_cm!r}.")
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise DetectError("Detection needs an RGB photo (8 bits per channel).")
    h, w = rgb.shape[:2]
    small, k = reduced if reduced is not None else reduced_copy(rgb)
    warnings: list[str] = []

    found_line = find_plumb_line(rgb, reduced=(small, k))
    warnings.extend(found_line.warnings)
    vertical: tuple[Point, Point] | None = None
    scale: tuple[Point, Point, float] | None = None
    cm_per_px: float | None = None
    if found_line.line is not None:
        if len(found_line.marks) == 2:
            m1, m2 = found_line.marks
            vertical = (m1.xy, m2.xy)
            scale = (m1.xy, m2.xy, float(mark_distance_cm))
            cm_per_px = mark_distance_cm / math.hypot(m1.x - m2.x, m1.y - m2.y)
        else:
            vertical = found_line.line
    roll = found_line.roll_deg if found_line.roll_deg is not None else 0.0

    kp: Keypoints | None = None
    if pose_model is not None:
        kp = pose_model.find(small, to_original=k)
        if kp is not None and kp.persons > 1:
            warnings.append(f"The photo seems to show {kp.persons} people: check that the suggestions are on the client.")
    lateral_facing: Facing | None = facing if view in LATERAL_VIEWS else None
    pose_seeds: dict[str, Suggestion] = (
        seed_landmarks(kp, view, facing=lateral_facing, cm_per_px=cm_per_px, image_size=(w, h)) if kp is not None else {}
    )

    window = marker_diameter_window(cm_per_px, h, _body_height_px(kp))
    blobs, color = find_markers(
        rgb, diameter_px=window, color=marker_color, reduced=(small, k), exclude=found_line.marks, line=found_line.line
    )
    centres = [b.xy for b in blobs]
    labels = label_markers(
        centres,
        view,
        facing=lateral_facing,
        infer_facing=view in LATERAL_VIEWS and facing is None,
        roll_deg=roll,
        center=(w / 2, h / 2),
        cm_per_px=cm_per_px,
        seeds={i: s.xy for i, s in pose_seeds.items()},
    )
    chosen_facing = labels.facing if view in LATERAL_VIEWS else None
    if view in LATERAL_VIEWS and facing is None and chosen_facing not in (None, DEFAULT_FACING[view]) and kp is not None:
        # the markers turned the facing round: the pose suggestions must follow it
        pose_seeds = seed_landmarks(kp, view, facing=chosen_facing, cm_per_px=cm_per_px, image_size=(w, h))

    suggestions: dict[str, Suggestion] = {}
    for lm_id, lab in labels.labels.items():
        x, y = centres[lab.marker]
        suggestions[lm_id] = Suggestion(lm_id, x, y, "marker", lab.confidence)
    for lm_id, s in pose_seeds.items():
        if lm_id not in suggestions:
            suggestions[lm_id] = s

    unlabelled = len(centres) - len(labels.labels)
    if centres and unlabelled:
        warnings.append(
            f"{unlabelled} of {len(centres)} markers could not be labelled with confidence: "
            "click one while its landmark is asked for to place it there."
        )
    if not centres and kp is None and found_line.line is None:
        warnings.append("No plumb line, markers or person were found in the photo: place the points by hand.")
    elif not centres:
        warnings.append("No adhesive markers were found: the suggestions come from the pose model only, check each one.")
    shows, side_facing = body_orientation(kp)
    if shows == "side" and view not in LATERAL_VIEWS:
        where = "left" if side_facing == "left" else "right" if side_facing == "right" else "left or right"
        warnings.append(
            f"This looks like a side view, not the {VIEW_LABELS[view].lower()} view: move the photo to the {where} lateral slot "
            "(its values are not graded until it is in the right slot)."
        )
    elif shows == "front" and view in LATERAL_VIEWS:
        warnings.append("This looks like a front or back view, not a side view: check that the photo is in the right slot.")
    return Detection(
        view=view,
        width=w,
        height=h,
        vertical=vertical,
        scale=scale,
        roll_deg=found_line.roll_deg,
        plumb_marks=tuple(m.xy for m in found_line.marks),
        markers=tuple(centres),
        suggestions=suggestions,
        warnings=tuple(warnings),
        marker_color=color,
        persons=0 if kp is None else kp.persons,
        facing=chosen_facing,
        shows=shows,
        side_facing=side_facing,
    )


def body_orientation(kp: Keypoints | None) -> tuple[Shows | None, Facing | None]:
    """What the pose model's person shows (front/back or side) and, for a side view, which way they face.

    The spread of the two shoulders and the two hips across the image over the trunk's height tells a side
    view (the two sides overlap) from a front or back view (:data:`SIDE_SPREAD_MAX`, :data:`FRONT_SPREAD_MIN`);
    the nose ahead of the ears' midpoint gives the facing. ``(None, None)`` without a person or when unclear.
    """
    if kp is None:
        return None, None
    p = kp.points
    need = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    if any(n not in p for n in need):
        return None, None
    spread = (abs(p["left_shoulder"][0] - p["right_shoulder"][0]) + abs(p["left_hip"][0] - p["right_hip"][0])) / 2
    trunk = abs((p["left_shoulder"][1] + p["right_shoulder"][1]) / 2 - (p["left_hip"][1] + p["right_hip"][1]) / 2)
    if trunk <= 0:
        return None, None
    ratio = spread / trunk
    if ratio >= FRONT_SPREAD_MIN:
        return "front", None
    if ratio > SIDE_SPREAD_MAX:
        return None, None
    facing: Facing | None = None
    if all(n in p for n in ("nose", "left_ear", "right_ear")):
        ahead = p["nose"][0] - (p["left_ear"][0] + p["right_ear"][0]) / 2
        facing = "right" if ahead > 0 else "left" if ahead < 0 else None
    return "side", facing
