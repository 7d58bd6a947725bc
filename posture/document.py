"""View documents (schema v1, spec §7): load, validate, save atomically.

A view document is the therapist's work on one photo: which view it is, where
each landmark was placed, and the calibration. It is the input of every
analysis and is saved next to the photo. Validation refuses malformed input
with one :class:`~posture.errors.DocumentError` sentence naming the field;
unknown top-level keys (and unknown keys of ``image`` and of each landmark)
are kept on save, unknown ``calibration`` keys are refused (usually typos).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import geometry, landmarks
from .atomic import atomic_write_bytes
from .errors import DocumentError, JSONInputError
from .inputs import MAX_JSON_BYTES, parse_json, read_input_file
from .result import Facing

SCHEMA_VERSION = 1
MAX_VERTICAL_TILT_DEG = 30.0
#: Largest magnitude accepted for any number in a document (pixels, cm). No photo
#: is a billion pixels across; beyond this, finite differences and rotations lose
#: their precision, so such numbers are refused rather than measured badly.
MAX_MAGNITUDE = 1e9
#: The plausible scale of a posture photo, cm per pixel (spec §3.2): a person 170 cm tall is 170–34000 px
#: high. A document whose scale lies outside is refused (``calibration.scale``), so nothing is graded on it.
MIN_CM_PER_PX = 0.005
MAX_CM_PER_PX = 1.0
#: Two calibration points closer than this are "the same point": no line or scale can be read from them.
MIN_LENGTH_PX = 1e-6
#: The document's extra keys written by detection (spec §10), kept like any unknown key.
SUGGESTIONS_KEY = "suggestions"
DETECTION_KEY = "detection"
_CALIBRATION_KEYS = ("vertical", "scale", "plumb_anchor", "landmark_sigma_px")
_KNOWN_TOP = ("schema_version", "view", "image", "landmarks", "calibration", "facing", "notes")

Point = tuple[float, float]


@dataclass(frozen=True)
class PlacedLandmark:
    """A placed landmark in original-image pixels."""

    x: float
    y: float
    source: str = "manual"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def xy(self) -> Point:
        return (self.x, self.y)


@dataclass(frozen=True)
class DistanceScale:
    """Two points ``distance_cm`` apart (e.g. the marks on the plumb line)."""

    p1: Point
    p2: Point
    distance_cm: float


@dataclass(frozen=True)
class HeightScale:
    """The client's height with the top of the head and the floor under the heels."""

    height_cm: float
    top: Point
    floor: Point


@dataclass(frozen=True)
class Calibration:
    vertical: tuple[Point, Point] | None = None
    scale: DistanceScale | HeightScale | None = None
    plumb_anchor: Point | None = None
    landmark_sigma_px: float | None = None


@dataclass(frozen=True)
class ViewDocument:
    """One view of an assessment. Coordinates are original-image pixels."""

    view: str
    landmarks: dict[str, PlacedLandmark] = field(default_factory=dict)
    calibration: Calibration = field(default_factory=Calibration)
    image_file: str | None = None
    image_width: float | None = None
    image_height: float | None = None
    facing: Facing | None = None
    notes: str = ""
    image_extra: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def effective_facing(self) -> Facing | None:
        """``"left"``/``"right"`` for lateral views (the document's or the default), else ``None``."""
        if self.view not in landmarks.LATERAL_VIEWS:
            return None
        return self.facing or landmarks.DEFAULT_FACING[self.view]

    def with_landmark(self, landmark_id: str, xy: Point | None, source: str = "manual") -> ViewDocument:
        """A copy with ``landmark_id`` placed at ``xy`` (or removed when ``xy`` is None), validated."""
        placed = dict(self.landmarks)
        if xy is None:
            placed.pop(landmark_id, None)
        else:
            placed[landmark_id] = PlacedLandmark(float(xy[0]), float(xy[1]), source)
        return validated(replace(self, landmarks=placed))


# --- parsing ------------------------------------------------------------------------


def _number(value: Any, where: str) -> float:
    # ``bool`` is an ``int`` in Python; JSON ``true`` is not a number.
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise DocumentError(where, f"must be a number, got {_short(value)}.")
    try:
        number = float(value)  # a huge JSON integer overflows here
    except OverflowError:
        raise DocumentError(where, "must be a finite number.") from None
    if not math.isfinite(number):
        raise DocumentError(where, "must be a finite number.")
    if abs(number) > MAX_MAGNITUDE:
        raise DocumentError(where, f"is implausibly large ({number:g}; at most {MAX_MAGNITUDE:g}).")
    return number


def _short(value: Any) -> str:
    """A short JSON rendering of a bad value for an error message (never raises)."""
    try:
        text = json.dumps(value)
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"


def _point(value: Any, where: str) -> Point:
    if isinstance(value, dict) and set(value) == {"x", "y"}:
        value = [value["x"], value["y"]]
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise DocumentError(where, "must be a point [x, y].")
    return (_number(value[0], f"{where}[0]"), _number(value[1], f"{where}[1]"))


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DocumentError(where, "must be a JSON object.")
    return value


def _refuse_unknown(obj: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(obj) - set(allowed))
    if unknown:
        raise DocumentError(f"{where}.{unknown[0]}", f"unknown key (expected one of: {', '.join(allowed)}).")


def _parse_scale(raw: dict[str, Any]) -> DistanceScale | HeightScale:
    where = "calibration.scale"
    two_point = {"p1", "p2", "distance_cm"} & set(raw)
    height = {"height_cm", "top", "floor"} & set(raw)
    _refuse_unknown(raw, ("p1", "p2", "distance_cm", "height_cm", "top", "floor"), where)
    if two_point and height:
        raise DocumentError(where, "give either p1, p2 and distance_cm or height_cm, top and floor, not both.")
    if not two_point and not height:
        raise DocumentError(where, "give either p1, p2 and distance_cm or height_cm, top and floor.")
    if two_point:
        for key in ("p1", "p2", "distance_cm"):
            if key not in raw:
                raise DocumentError(f"{where}.{key}", "is missing.")
        p1, p2 = _point(raw["p1"], f"{where}.p1"), _point(raw["p2"], f"{where}.p2")
        distance_cm = _number(raw["distance_cm"], f"{where}.distance_cm")
        if distance_cm <= 0:
            raise DocumentError(f"{where}.distance_cm", "must be greater than zero.")
        return DistanceScale(p1, p2, distance_cm)
    for key in ("height_cm", "top", "floor"):
        if key not in raw:
            raise DocumentError(f"{where}.{key}", "is missing.")
    height_cm = _number(raw["height_cm"], f"{where}.height_cm")
    if height_cm <= 0:
        raise DocumentError(f"{where}.height_cm", "must be greater than zero.")
    return HeightScale(height_cm, _point(raw["top"], f"{where}.top"), _point(raw["floor"], f"{where}.floor"))


def _parse_calibration(raw: Any) -> Calibration:
    if raw is None:
        return Calibration()
    raw = _object(raw, "calibration")
    _refuse_unknown(raw, _CALIBRATION_KEYS, "calibration")
    vertical = None
    if raw.get("vertical") is not None:
        v = _object(raw["vertical"], "calibration.vertical")
        _refuse_unknown(v, ("p1", "p2"), "calibration.vertical")
        for key in ("p1", "p2"):
            if key not in v:
                raise DocumentError(f"calibration.vertical.{key}", "is missing.")
        vertical = (_point(v["p1"], "calibration.vertical.p1"), _point(v["p2"], "calibration.vertical.p2"))
    scale = None
    if raw.get("scale") is not None:
        scale = _parse_scale(_object(raw["scale"], "calibration.scale"))
    anchor = None
    if raw.get("plumb_anchor") is not None:
        anchor = _point(raw["plumb_anchor"], "calibration.plumb_anchor")
    sigma = None
    if raw.get("landmark_sigma_px") is not None:
        sigma = _number(raw["landmark_sigma_px"], "calibration.landmark_sigma_px")
        if sigma < 0:
            raise DocumentError("calibration.landmark_sigma_px", "must be zero or more.")
    return Calibration(vertical, scale, anchor, sigma)


def _parse_landmarks(raw: Any, view: str) -> dict[str, PlacedLandmark]:
    if raw is None:
        return {}
    raw = _object(raw, "landmarks")
    allowed = landmarks.landmark_ids(view)
    placed: dict[str, PlacedLandmark] = {}
    for lm_id, value in raw.items():
        where = f"landmarks.{lm_id}"
        if lm_id not in allowed:
            raise DocumentError(where, f"is not a landmark of the {view} view.")
        if value is None:
            continue
        value = _object(value, where)
        for key in ("x", "y"):
            if key not in value:
                raise DocumentError(f"{where}.{key}", "is missing.")
        source = value.get("source", "manual")
        if source is None:
            source = "manual"
        if source not in landmarks.LANDMARK_SOURCES:
            raise DocumentError(
                f"{where}.source", f"must be one of {', '.join(landmarks.LANDMARK_SOURCES)}, got {_short(source)}."
            )
        extra = {k: v for k, v in value.items() if k not in ("x", "y", "source")}
        placed[lm_id] = PlacedLandmark(_number(value["x"], f"{where}.x"), _number(value["y"], f"{where}.y"), source, extra)
    return placed


def parse_document(raw: Any) -> ViewDocument:
    """Build a validated :class:`ViewDocument` from parsed JSON; raise :class:`DocumentError`."""
    if not isinstance(raw, dict):
        raise DocumentError("", "The view document must be a JSON object.")
    if "schema_version" not in raw:
        raise DocumentError("schema_version", "is missing (expected 1).")
    version = raw["schema_version"]
    if isinstance(version, bool) or version != SCHEMA_VERSION or not isinstance(version, int):
        raise DocumentError("schema_version", f"unsupported version {_short(version)} (expected 1).")
    view = raw.get("view")
    if view not in landmarks.VIEWS:
        raise DocumentError("view", f"unknown view {_short(view)} (expected one of {', '.join(landmarks.VIEWS)}).")
    facing = raw.get("facing")
    if facing is not None and facing not in ("left", "right"):
        raise DocumentError("facing", f'must be "left" or "right", got {_short(facing)}.')
    image = raw.get("image")
    image = {} if image is None else _object(image, "image")
    image_file = image.get("file")
    if image_file is not None and not isinstance(image_file, str):
        raise DocumentError("image.file", "must be a file name.")
    width = height = None
    for key in ("width", "height"):
        if image.get(key) is not None:
            val = _number(image[key], f"image.{key}")
            if val <= 0:
                raise DocumentError(f"image.{key}", "must be greater than zero.")
            if key == "width":
                width = val
            else:
                height = val
    notes = raw.get("notes")
    if notes is not None and not isinstance(notes, str):
        raise DocumentError("notes", "must be text.")
    doc = ViewDocument(
        view=view,
        landmarks=_parse_landmarks(raw.get("landmarks"), view),
        calibration=_parse_calibration(raw.get("calibration")),
        image_file=image_file,
        image_width=width,
        image_height=height,
        facing=facing,
        notes=notes or "",
        image_extra={k: v for k, v in image.items() if k not in ("file", "width", "height")},
        extra={k: v for k, v in raw.items() if k not in _KNOWN_TOP},
    )
    return validated(doc)


def validated(doc: ViewDocument) -> ViewDocument:
    """Check the cross-field rules (bounds, calibration geometry); return ``doc`` or raise."""
    w, h = doc.image_width, doc.image_height

    def check_bounds(xy: Point, where: str) -> None:
        # documents built in code (``with_landmark``) skip the parser: check the numbers here too
        x, y = _number(xy[0], f"{where}[0]"), _number(xy[1], f"{where}[1]")
        if x < 0 or y < 0 or (w is not None and x > w) or (h is not None and y > h):
            size = f"{w:g} × {h:g}" if w is not None and h is not None else "the image"
            raise DocumentError(where, f"point ({x:g}, {y:g}) lies outside the photo ({size} px).")

    for lm_id, lm in doc.landmarks.items():
        if lm_id not in landmarks.landmark_ids(doc.view):
            raise DocumentError(f"landmarks.{lm_id}", f"is not a landmark of the {doc.view} view.")
        if lm.source not in landmarks.LANDMARK_SOURCES:
            raise DocumentError(f"landmarks.{lm_id}.source", f"must be one of {', '.join(landmarks.LANDMARK_SOURCES)}.")
        check_bounds(lm.xy, f"landmarks.{lm_id}")
    cal = doc.calibration
    roll = 0.0
    if cal.vertical is not None:
        p1, p2 = cal.vertical
        check_bounds(p1, "calibration.vertical.p1")
        check_bounds(p2, "calibration.vertical.p2")
        if float(geometry.distance(p1, p2)) < MIN_LENGTH_PX:
            raise DocumentError("calibration.vertical", "p1 and p2 are the same point (zero length).")
        roll = geometry.roll_deg_from_line(p1, p2)
        if abs(roll) > MAX_VERTICAL_TILT_DEG:
            raise DocumentError(
                "calibration.vertical",
                f"the line is {abs(roll):.0f}° from the image vertical (more than 30°): rotate the photo upright first.",
            )
    if isinstance(cal.scale, DistanceScale):
        check_bounds(cal.scale.p1, "calibration.scale.p1")
        check_bounds(cal.scale.p2, "calibration.scale.p2")
        if float(geometry.distance(cal.scale.p1, cal.scale.p2)) < MIN_LENGTH_PX:
            raise DocumentError("calibration.scale", "p1 and p2 are the same point (zero length).")
    elif isinstance(cal.scale, HeightScale):
        check_bounds(cal.scale.top, "calibration.scale.top")
        check_bounds(cal.scale.floor, "calibration.scale.floor")
        top, floor = geometry.to_corrected([cal.scale.top, cal.scale.floor], roll, image_center(doc))
        # "zero" up to rounding: a rolled frame turns an exactly level pair into a 1e-13 px extent
        if abs(top[1] - floor[1]) < MIN_LENGTH_PX:
            raise DocumentError("calibration.scale", "top and floor are at the same height (zero vertical extent).")
    if cal.scale is not None:
        k = scale_cm_per_px(cal.scale, roll, image_center(doc))
        if not (math.isfinite(k) and k > 0):
            raise DocumentError("calibration.scale", "gives no usable scale (cm per pixel is not a finite positive number).")
        if not plausible_cm_per_px(k):
            raise DocumentError(
                "calibration.scale",
                f"gives {k:.3g} cm per pixel, and a posture photo is {MIN_CM_PER_PX:g} to {MAX_CM_PER_PX:g} cm per pixel: "
                "check the two points and the distance between them.",
            )
    if cal.plumb_anchor is not None:
        check_bounds(cal.plumb_anchor, "calibration.plumb_anchor")
    return doc


def plausible_cm_per_px(k: float) -> bool:
    """Whether ``k`` cm per pixel is a posture photo's scale (:data:`MIN_CM_PER_PX` to :data:`MAX_CM_PER_PX`)."""
    return MIN_CM_PER_PX <= k <= MAX_CM_PER_PX


def scale_cm_per_px(scale: DistanceScale | HeightScale, roll_deg: float, center_px: Point) -> float:
    """Spec §3.2: ``D / |p1 - p2|``, or ``H / |Y_top - Y_floor|`` in the corrected frame."""
    with np.errstate(all="ignore"):
        if isinstance(scale, DistanceScale):
            return float(scale.distance_cm / geometry.distance(scale.p1, scale.p2))
        top, floor = geometry.to_corrected([scale.top, scale.floor], roll_deg, center_px)
        return float(scale.height_cm / abs(float(top[1] - floor[1])))


def image_center(doc: ViewDocument) -> Point:
    """Centre of rotation for the roll correction: the image centre, or the origin when the size is unknown."""
    if doc.image_width is None or doc.image_height is None:
        return (0.0, 0.0)
    return (doc.image_width / 2.0, doc.image_height / 2.0)


def loads(text: str | bytes) -> ViewDocument:
    """Parse and validate a view document from JSON text (at most :data:`~posture.inputs.MAX_JSON_BYTES`;
    a key given twice in one object is refused, naming it)."""
    try:
        raw = parse_json(text, allow_constants=True)  # a NaN coordinate is refused naming its field
    except JSONInputError as exc:
        raise DocumentError("", f"The view document {exc.reason}.") from None
    return parse_document(raw)


def load(path: str | os.PathLike[str]) -> ViewDocument:
    """Read and validate the view document at ``path``: a regular file of at most
    :data:`~posture.inputs.MAX_JSON_BYTES`, checked before it is opened (a pipe or a device is refused, not read)."""
    return loads(read_input_file(path, "view document", MAX_JSON_BYTES, _whole_document_error))


def _whole_document_error(message: str) -> DocumentError:
    return DocumentError("", message)


# --- writing ------------------------------------------------------------------------


def _pt(p: Point | None) -> list[float] | None:
    return None if p is None else [p[0], p[1]]


def to_dict(doc: ViewDocument) -> dict[str, Any]:
    """The JSON object of ``doc`` (schema v1), unknown keys included."""
    cal = doc.calibration
    scale: dict[str, Any] | None
    if isinstance(cal.scale, DistanceScale):
        scale = {"p1": _pt(cal.scale.p1), "p2": _pt(cal.scale.p2), "distance_cm": cal.scale.distance_cm}
    elif isinstance(cal.scale, HeightScale):
        scale = {"height_cm": cal.scale.height_cm, "top": _pt(cal.scale.top), "floor": _pt(cal.scale.floor)}
    else:
        scale = None
    image: dict[str, Any] = {}
    if doc.image_file is not None:
        image["file"] = doc.image_file
    for key, val in (("width", doc.image_width), ("height", doc.image_height)):
        if val is not None:
            image[key] = int(val) if float(val).is_integer() else val
    image.update(doc.image_extra)
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "view": doc.view,
        "image": image,
        "landmarks": {
            i: {"x": lm.x, "y": lm.y, "source": lm.source, **lm.extra}
            for i in landmarks.landmark_ids(doc.view)
            if (lm := doc.landmarks.get(i)) is not None
        },
        "calibration": {
            "vertical": None if cal.vertical is None else {"p1": _pt(cal.vertical[0]), "p2": _pt(cal.vertical[1])},
            "scale": scale,
            "plumb_anchor": _pt(cal.plumb_anchor),
            "landmark_sigma_px": cal.landmark_sigma_px,
        },
    }
    if doc.view in landmarks.LATERAL_VIEWS:
        out["facing"] = doc.effective_facing
    elif doc.facing is not None:
        out["facing"] = doc.facing
    out["notes"] = doc.notes
    out.update(doc.extra)
    return out


def in_pixels_of(doc: ViewDocument, width: float, height: float) -> ViewDocument:
    """``doc`` for the same photo at ``width`` × ``height`` px (a document placed on the full-size photo, for the
    reduced copy an upload is worked on, or back). Pixel edges map to edges (``x · width / image_width``): the
    landmarks, the calibration clicks, the placement error (by the mean scale) and the suggestions and detection
    record (:data:`SUGGESTIONS_KEY`, :data:`DETECTION_KEY`) move with the photo; the distances in cm stay. A
    document that gives no size is returned as it is.
    """
    if doc.image_width is None or doc.image_height is None:
        return doc
    sx, sy = width / doc.image_width, height / doc.image_height

    def p(pt: Point) -> Point:
        return (pt[0] * sx, pt[1] * sy)

    def pair(m: Any) -> Any:
        return [m[0] * sx, m[1] * sy] if isinstance(m, list) and len(m) == 2 else m

    cal = doc.calibration
    scale: DistanceScale | HeightScale | None = cal.scale
    if isinstance(scale, DistanceScale):
        scale = replace(scale, p1=p(scale.p1), p2=p(scale.p2))
    elif isinstance(scale, HeightScale):
        scale = replace(scale, top=p(scale.top), floor=p(scale.floor))
    sigma = cal.landmark_sigma_px
    cal = replace(
        cal,
        vertical=None if cal.vertical is None else (p(cal.vertical[0]), p(cal.vertical[1])),
        scale=scale,
        plumb_anchor=None if cal.plumb_anchor is None else p(cal.plumb_anchor),
        landmark_sigma_px=None if sigma is None else sigma * math.sqrt(sx * sy),
    )
    extra = dict(doc.extra)
    if isinstance(extra.get(SUGGESTIONS_KEY), dict):
        extra[SUGGESTIONS_KEY] = {
            k: {**v, "x": v["x"] * sx, "y": v["y"] * sy} if isinstance(v, dict) and {"x", "y"} <= v.keys() else v
            for k, v in extra[SUGGESTIONS_KEY].items()
        }
    if isinstance(extra.get(DETECTION_KEY), dict):
        record = dict(extra[DETECTION_KEY])
        for key in ("markers", "plumb_marks"):
            if isinstance(record.get(key), list):
                record[key] = [pair(m) for m in record[key]]
        extra[DETECTION_KEY] = record
    return replace(
        doc,
        landmarks={i: replace(lm, x=lm.x * sx, y=lm.y * sy) for i, lm in doc.landmarks.items()},
        calibration=cal,
        image_width=float(width),
        image_height=float(height),
        extra=extra,
    )


def dumps(doc: ViewDocument) -> str:
    return json.dumps(to_dict(doc), indent=2, ensure_ascii=False) + "\n"


def save(doc: ViewDocument, path: str | os.PathLike[str]) -> None:
    """Validate and save ``doc`` to ``path`` atomically."""
    atomic_write_bytes(path, dumps(validated(doc)).encode("utf-8"))
