"""Suggestions in a view document (spec §10): write a detection into it, read it back, accept, correct.

A view document carries two optional top-level keys, kept on save like any
unknown key (``ViewDocument.extra``):

* ``suggestions``: ``{landmark_id: {"x", "y", "from": "marker" | "pose", "confidence"}}``:
  positions proposed and not yet accepted. **Never measured**: ``analyze``
  reads only ``landmarks``.
* ``detection``: ``{"markers": [[x, y], ...], "plumb_marks": [[x, y], ...], "warnings": [...]}``:
  every adhesive-marker centre and plumb-line mark found, labelled or not.

Accepting a suggestion moves it into ``landmarks`` with ``source: "auto"``;
placing it anywhere else (before or after accepting) gives ``"auto_edited"``.
An accepted landmark keeps where it came from in its ``"from"`` key
(``"marker"`` or ``"pose"``), so the result can count the landmarks of each
origin (:func:`posture.analysis.landmark_origins`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any, TypeGuard

from posture.document import (
    DETECTION_KEY,
    SUGGESTIONS_KEY,
    DistanceScale,
    PlacedLandmark,
    Point,
    ViewDocument,
    plausible_cm_per_px,
    validated,
)
from posture.errors import DocumentError
from posture.landmarks import landmark_ids

from .base import Detection, Origin, Suggestion

__all__ = ["DETECTION_KEY", "SUGGESTIONS_KEY"]  # re-exported: their home is posture.document
ORIGINS: tuple[Origin, ...] = ("marker", "pose")
#: Moving a point by less than this (original px) is not a correction: a click on the suggestion itself.
SAME_PLACE_PX = 0.5


def _finite(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def suggestions_of(doc: ViewDocument) -> dict[str, Suggestion]:
    """The document's suggestions, for landmarks of its view that are not placed yet.

    Raises :class:`DocumentError` naming the field when an entry is malformed
    (not an object, a coordinate that is not a finite number or lies outside
    the photo, an unknown ``from``, a confidence outside [0, 1], an id not of
    this view).
    """
    raw = doc.extra.get(SUGGESTIONS_KEY)
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise DocumentError(SUGGESTIONS_KEY, "must be an object of landmark ids.")
    allowed = set(landmark_ids(doc.view))
    out: dict[str, Suggestion] = {}
    for lm_id, value in raw.items():
        where = f"{SUGGESTIONS_KEY}.{lm_id}"
        if lm_id not in allowed:
            raise DocumentError(where, f"is not a landmark of the {doc.view} view.")
        if not isinstance(value, dict):
            raise DocumentError(where, "must be an object with x, y, from and confidence.")
        x_raw, y_raw, origin, conf_raw = value.get("x"), value.get("y"), value.get("from"), value.get("confidence", 1.0)
        if not _finite(x_raw) or not _finite(y_raw):
            raise DocumentError(where, "needs finite numbers x and y.")
        x, y = float(x_raw), float(y_raw)
        if (
            x < 0
            or y < 0
            or (doc.image_width is not None and x > doc.image_width)
            or (doc.image_height is not None and y > doc.image_height)
        ):
            raise DocumentError(where, f"point ({x:g}, {y:g}) lies outside the photo.")
        if origin not in ORIGINS:
            raise DocumentError(f"{where}.from", 'must be "marker" or "pose".')
        if not _finite(conf_raw) or not 0.0 <= float(conf_raw) <= 1.0:
            raise DocumentError(f"{where}.confidence", "must be a number from 0 to 1.")
        if lm_id not in doc.landmarks:
            out[lm_id] = Suggestion(lm_id, x, y, origin, float(conf_raw))
    return out


def detection_of(doc: ViewDocument) -> dict[str, Any]:
    """The document's ``detection`` record (empty lists when there is none)."""
    raw = doc.extra.get(DETECTION_KEY)
    raw = raw if isinstance(raw, dict) else {}
    return {
        "markers": [list(p) for p in raw.get("markers", []) if isinstance(p, list | tuple) and len(p) == 2],
        "plumb_marks": [list(p) for p in raw.get("plumb_marks", []) if isinstance(p, list | tuple) and len(p) == 2],
        "warnings": [str(w) for w in raw.get("warnings", [])],
    }


def _suggestions_json(suggestions: Mapping[str, Suggestion], view: str) -> dict[str, Any]:
    order = landmark_ids(view)
    return {
        i: {"x": s.x, "y": s.y, "from": s.origin, "confidence": round(s.confidence, 3)}
        for i in order
        if (s := suggestions.get(i)) is not None
    }


def with_suggestions(doc: ViewDocument, suggestions: Mapping[str, Suggestion]) -> ViewDocument:
    """A copy of ``doc`` whose waiting suggestions are ``suggestions`` (the key is dropped when empty)."""
    extra = dict(doc.extra)
    kept = {i: s for i, s in suggestions.items() if i not in doc.landmarks}
    if kept:
        extra[SUGGESTIONS_KEY] = _suggestions_json(kept, doc.view)
    else:
        extra.pop(SUGGESTIONS_KEY, None)
    return replace(doc, extra=extra)


def with_detection(doc: ViewDocument, det: Detection, *, accept: bool = False, calibrate: bool = True) -> ViewDocument:
    """``doc`` with what ``det`` found: the calibration from the plumb line, the suggestions, the record.

    With ``calibrate`` the plumb line's vertical replaces ``calibration.vertical``
    and, when both marks were found, ``calibration.scale`` becomes the two marks
    ``det.scale[2]`` cm apart (spec §10). Without a line the calibration is left
    as it was. Suggestions for landmarks already placed are dropped (the
    therapist's points win). With ``accept`` every suggestion becomes a landmark
    (``source: "auto"``), as ``detect --accept`` does. The image size is taken
    from ``det`` when the document has none.
    """
    cal = doc.calibration
    warnings = list(det.warnings)
    if calibrate and det.vertical is not None:
        cal = replace(cal, vertical=det.vertical)
        if det.scale is not None:
            p1, p2, distance = det.scale
            apart = math.dist(p1, p2)
            if apart > 0 and plausible_cm_per_px(distance / apart):
                cal = replace(cal, scale=DistanceScale(p1, p2, distance))
            else:  # two false marks close together: no scale rather than a refused document
                warnings.append(
                    f"The plumb marks found are {apart:.0f} px apart for {distance:g} cm, too close for a posture photo: no scale was taken from them."
                )
    extra = dict(doc.extra)
    extra[DETECTION_KEY] = {
        "markers": [[x, y] for x, y in det.markers],
        "plumb_marks": [[x, y] for x, y in det.plumb_marks],
        "warnings": warnings,
    }
    if det.shows is not None:  # issue 11: a side photo in a frontal slot is not graded (posture.frame)
        extra[DETECTION_KEY]["shows"] = det.shows
        if det.side_facing is not None:
            extra[DETECTION_KEY]["side_facing"] = det.side_facing
    out = replace(
        doc,
        calibration=cal,
        extra=extra,
        image_width=doc.image_width if doc.image_width is not None else float(det.width),
        image_height=doc.image_height if doc.image_height is not None else float(det.height),
    )
    out = with_suggestions(out, det.suggestions)
    if accept:
        out = accept_suggestions(out)
    return validated(out)


def accept_suggestions(doc: ViewDocument, ids: Iterable[str] | None = None, origin: Origin | None = None) -> ViewDocument:
    """Move suggestions into ``landmarks`` with ``source: "auto"`` (all, those ``ids``, or those of one ``origin``)."""
    waiting = suggestions_of(doc)
    chosen = set(waiting) if ids is None else set(ids) & set(waiting)
    if origin is not None:
        chosen = {i for i in chosen if waiting[i].origin == origin}
    placed = dict(doc.landmarks)
    for i in chosen:
        s = waiting[i]
        placed[i] = PlacedLandmark(s.x, s.y, "auto", {"from": s.origin})
    rest = {i: s for i, s in waiting.items() if i not in chosen}
    return validated(with_suggestions(replace(doc, landmarks=placed), rest))


def place(doc: ViewDocument, landmark_id: str, xy: Point | None) -> ViewDocument:
    """Place (or remove, ``xy=None``) a landmark by hand, keeping spec §10's sources right.

    A point that was suggested or accepted and is now put elsewhere becomes
    ``"auto_edited"`` (keeping its ``"from"``); a point put exactly on its
    suggestion (within :data:`SAME_PLACE_PX`) is an acceptance (``"auto"``);
    any other point is ``"manual"``. Removing a landmark does not bring its
    suggestion back.
    """
    waiting = suggestions_of(doc)
    placed = dict(doc.landmarks)
    rest = {i: s for i, s in waiting.items() if i != landmark_id}
    if xy is None:
        placed.pop(landmark_id, None)
        return validated(with_suggestions(replace(doc, landmarks=placed), rest))
    x, y = float(xy[0]), float(xy[1])
    before = placed.get(landmark_id)
    suggested = waiting.get(landmark_id)
    if suggested is not None:
        same = math.hypot(x - suggested.x, y - suggested.y) < SAME_PLACE_PX
        placed[landmark_id] = PlacedLandmark(x, y, "auto" if same else "auto_edited", {"from": suggested.origin})
    elif before is not None and before.source in ("auto", "auto_edited"):
        same = math.hypot(x - before.x, y - before.y) < SAME_PLACE_PX
        placed[landmark_id] = PlacedLandmark(x, y, before.source if same else "auto_edited", dict(before.extra))
    else:
        placed[landmark_id] = PlacedLandmark(x, y, "manual")
    return validated(with_suggestions(replace(doc, landmarks=placed), rest))
