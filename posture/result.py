"""The result of analysing one view (spec §7 and its v1.1 additions), as types every layer shares.

:func:`posture.analysis.analyze` builds a :class:`Result`; render, report,
compare, the command line, the store and the app read it. The types are
``TypedDict``s, so a result *is* the JSON object the spec describes (``json.dumps``
prints it as it is) and a type checker can follow a value from ``analyze()`` to
the PDF.

Keys the spec does not name are marked as the project's own (``region``,
``landmark_sigma_px``, ``warning_codes``); they are ``NotRequired`` so that a
result stored by an earlier version still reads.

:func:`check_result` is the one check of a result that comes from outside the
process (the client file's database, an imported archive): the shape below,
checked from these very annotations, plus finite values and non-negative
uncertainties.
"""

import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Literal, NotRequired, TypedDict, cast

from .errors import ResultError

RESULT_SCHEMA_VERSION = 1

Severity = Literal["normal", "mild", "moderate", "marked"]
#: The severities from best to worst (spec §5); ``None`` (not graded) ranks below them all.
SEVERITIES: tuple[Severity, ...] = ("normal", "mild", "moderate", "marked")
Plane = Literal["horizontal", "midsagittal", "coronal"]
VerticalSource = Literal["line", "image"]
Facing = Literal["left", "right"]


def severity_rank(severity: Severity | None) -> int:
    """``None`` → -1, ``"normal"`` → 0 … ``"marked"`` → 3: the one order of severities."""
    return -1 if severity is None else SEVERITIES.index(severity)


def worst_severity(severities: typing.Iterable[Severity | None]) -> Severity | None:
    """The worst of ``severities`` (``None`` when none is graded)."""
    return max(severities, key=severity_rank, default=None)


class Band(TypedDict):
    """A grading band in the measurement's unit, with where it comes from (spec §5)."""

    mild: float
    moderate: float
    marked: float
    source: str


class Measurement(TypedDict):
    """One measured value (spec §7 ``measurements[id]``). ``value`` and ``uncertainty`` are in ``unit``."""

    label: str
    plane: Plane
    value: float
    unit: str  # "deg", "cm", "px" (no scale) or "%"
    uncertainty: float
    severity: Severity | None
    borderline: bool
    direction: str
    landmarks: list[str]
    band: Band | None
    region: NotRequired[str]  # the project's own: the body region findings are grouped by
    level: NotRequired[str]  # spine_deviation only: the landmark id of the level reported


class Finding(TypedDict):
    """A graded, non-normal measurement in words, with the muscles to consider (spec §7, §8)."""

    measurement: str
    severity: Severity
    region: str
    text: str
    consider: list[str]
    referral: str | None


class RankedFinding(Finding):
    """A finding among those of several views (the report's key observations): which view it is from."""

    view: str


class Observation(TypedDict):
    """The project's own (issue 14): one postural pattern of a view in words, the related findings together
    (the angle and the height difference of one segment; the forward head from CVA, head forward and the head's
    vertical alignment). ``measurements`` lists the ids it stands for, most telling first; ``severity`` is the
    worst of theirs. Spec §7's ``findings`` stay one per graded measurement beside it."""

    id: str  # the pattern and the way it points, e.g. "right_shoulder_lower", "forward_head", "head_tilt_positive"
    severity: Severity
    region: str
    text: str  # e.g. "Right shoulder lower: 2.3°, 1.5 cm"
    measurements: list[str]
    consider: list[str]
    referral: str | None


class RankedObservation(Observation):
    """An observation among those of several views (the report's first page): which view it is from.

    :func:`posture.findings.ranked_observations` lists a pattern seen in several views once: ``views`` names
    them all (view order), ``view`` the one whose values ``text`` quotes (its most important sighting)."""

    view: str
    views: NotRequired[list[str]]


class PlanStage(TypedDict):
    """One stage of the treatment-planning starter (spec §8)."""

    stage: int
    title: str
    items: list[str]


class Notice(typing.NamedTuple):
    """A warning as the core raises it: a stable ``code`` for code to test, ``text`` for the therapist."""

    code: str
    text: str


class PlumbLine(TypedDict):
    """The postural plumb line in original-image pixels: ``p1`` its anchor, ``p2`` up the true vertical."""

    p1: list[float]
    p2: list[float]


class LandmarkOrigins(TypedDict):
    """Counts of a view's placed landmarks by where they came from."""

    marker: int
    pose: int
    hand: int


class Result(TypedDict):
    """The analysis of one view document (spec §7)."""

    schema_version: int
    view: str
    vertical_source: VerticalSource
    vertical_roll_deg: float
    cm_per_px: float | None
    plumb_line: PlumbLine | None
    warnings: list[str]
    measurements: dict[str, Measurement]
    not_measured: dict[str, str]
    findings: list[Finding]
    plan: list[PlanStage]
    #: The project's own (issue 14): the findings grouped by postural pattern, most important first.
    observations: NotRequired[list[Observation]]
    facing: NotRequired[Facing]  # lateral views
    landmark_sigma_px: NotRequired[float]  # the project's own: the placement error used (px)
    #: The project's own: the :class:`Notice` code of each entry of ``warnings``, same order,
    #: so that code never has to match a warning's English text.
    warning_codes: NotRequired[list[str]]
    #: The project's own: how many placed landmarks came from markers, from the pose model, and by hand
    #: (spec §10: accepted suggestions keep their origin; a hand-placed point is ``manual``).
    landmark_origins: NotRequired[LandmarkOrigins]


def warnings_except(result: Result, *codes: str) -> list[str]:
    """The result's warnings, leaving out those whose code is one of ``codes``."""
    shown = result["warnings"]
    found = result.get("warning_codes", [])
    return [w for i, w in enumerate(shown) if i >= len(found) or found[i] not in codes]


# --- checking a result read from outside ----------------------------------------------


def _describe(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if tp is type(None):
        return "null"
    if tp is float:
        return "a number"
    if tp is int:
        return "an integer"
    if tp is bool:
        return "true or false"
    if tp is str:
        return "text"
    if origin is Literal:
        return "one of " + ", ".join(repr(a) for a in typing.get_args(tp))
    if origin in (list, Sequence):
        return "a list"
    if origin in (dict, Mapping) or typing.is_typeddict(tp):
        return "an object"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in typing.get_args(tp))
    return str(tp)


def _check(value: Any, tp: Any, where: str) -> None:
    """Raise :class:`ResultError` naming ``where`` unless ``value`` has type ``tp`` (as JSON would give it)."""
    origin = typing.get_origin(tp)
    ok: bool
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(tp)
        for option in options:
            try:
                _check(value, option, where)
                return
            except ResultError:
                if len(options) == 2 and type(None) in options and value is not None:
                    raise  # "x | None" with a value: the error of x says more
        ok = False
    elif tp is type(None):
        ok = value is None
    elif tp is bool:
        ok = isinstance(value, bool)
    elif tp is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and not math.isfinite(value):
            raise ResultError(f"{where} must be a finite number.")
    elif tp is str:
        ok = isinstance(value, str)
    elif origin is Literal:
        ok = isinstance(value, str) and value in typing.get_args(tp)
    elif origin is list:
        (item,) = typing.get_args(tp)
        if not isinstance(value, list):
            ok = False
        else:
            for i, v in enumerate(value):
                _check(v, item, f"{where}[{i}]")
            return
    elif origin is dict:
        _, item = typing.get_args(tp)
        if not isinstance(value, dict):
            ok = False
        else:
            for k, v in value.items():
                if not isinstance(k, str):
                    raise ResultError(f"{where} has a key that is not text.")
                _check(v, item, f"{where}.{k[:40]}")
            return
    elif typing.is_typeddict(tp):
        if not isinstance(value, dict):
            ok = False
        else:
            hints = typing.get_type_hints(tp)
            for key in sorted(tp.__required_keys__):
                if key not in value:
                    raise ResultError(f"{where}.{key} is missing." if where else f"{key} is missing.")
            for key, sub in hints.items():
                if key in value:
                    _check(value[key], sub, f"{where}.{key}" if where else key)
            return
    else:  # pragma: no cover - a type this checker was not taught
        raise TypeError(f"check_result cannot check {tp!r}")
    if not ok:
        raise ResultError(f"{where or 'the result'} must be {_describe(tp)}.")


def check_result(raw: object, view: str) -> Result:
    """``raw`` as a :class:`Result` of ``view``, or :class:`~posture.errors.ResultError` (one sentence).

    Checks every key the types above require and the type of every key
    present, that ``schema_version`` is 1 and ``view`` is ``view``, that numbers
    are finite and that uncertainties are zero or more. Unknown keys are
    allowed (a newer version may add some).
    """
    if not isinstance(raw, dict):
        raise ResultError(f"The result of the {view} view must be the analysis result object.")
    if raw.get("view") != view:
        raise ResultError(f"The result given for the {view} view is the result of another view ({str(raw.get('view'))[:20]!r}).")
    if raw.get("schema_version") != RESULT_SCHEMA_VERSION or isinstance(raw.get("schema_version"), bool):
        raise ResultError(f"The result of the {view} view has an unsupported schema_version (expected 1).")
    try:
        _check(raw, Result, "")
    except ResultError as exc:
        raise ResultError(f"The result of the {view} view is malformed: {exc}") from None
    for mid, m in raw["measurements"].items():
        if m["uncertainty"] < 0:
            raise ResultError(f"The result of the {view} view is malformed: measurements.{mid[:40]}.uncertainty is negative.")
    return cast(Result, raw)
