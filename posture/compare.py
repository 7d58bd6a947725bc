"""Change between visits: per view and measurement, improved / worse / unchanged, and trend series.

Inputs are result objects (spec §7), one per view, as the store keeps them
(:attr:`posture.store.Visit.results`); no I/O here.

**When a change counts.** With values ``v1`` (before) and ``v2`` (after) and
their uncertainties ``u1``, ``u2`` (one standard deviation each, spec §6),
the change ``Δ = v2 − v1`` counts only when

    |Δ| > k = 2 · sqrt(u1² + u2²)

(twice the combined uncertainty of the two independent values, about a 95 %
level). Otherwise the verdict is ``unchanged``, shown as "within measurement
noise": the values differ, but by no more than a second placement of the same
landmarks could.

**Better or worse** follows the grading rule of the measurement (spec §5), under
one band (the later visit's) for both values, so the verdict never contradicts
the severities printed beside it. A counted change is

* ``changed`` when both values are normal ("within the normal range": no
  better or worse inside the band, e.g. CVA 52° → 58°, head tilt 1.5° → 0.2°);
* ``improved`` / ``worse`` when the severity fell / rose (moderate → normal,
  normal → mild);
* at the same severity, ``improved`` / ``worse`` when the *distance from normal*
  ``g`` (:func:`distance_from_normal`) fell / rose by more than ``k``, and
  otherwise ``changed``: the value moved but not measurably closer to or
  further from normal (it crossed to the other side by about as much).

``g`` per rule: most measurements ``|value|``; ``cva`` ``max(50° − value, 0)``
(the band's ``mild`` edge: higher is better below it); ``q_angle_r/l``
``max(value − 15°, 0)``; ``pelvic_tilt`` the distance outside 5°–15°. Since the
severity is a non-decreasing function of ``g``, ``improved`` always means
``g`` fell and ``worse`` that it rose.

Why the severity step comes first (issue 14): ``g`` stops at 0 at the normal
edge, so a CVA going from 44.8° (moderate) to 51.0° (normal) with
``u = 2°`` each (``k = 5.7°``) lowered ``g`` by only 5.2°, less than ``k``,
although the value itself rose by a counted 6.2° straight toward and into
the normal range; it read ``changed``. (With the sample photos' placement
error the CVA's ``u`` is about 2.5°, so ``k`` is about 7.1°: a 6.2° change is
then within measurement noise, while head forward and head vertical alignment
of the same head movement count. The CVA's lever, tragus to C7, is short,
and it runs at about 45°, so a forward or backward head shift moves the angle
by only about 0.7 of what it moves the other two. That is the measurement,
not the rule.)

Measurements without a default band (``hip_angle``, ``shank_angle``,
``head_flexion``, the curves and the centre of gravity: "shown for
information") have no better or worse direction: a counted change is
``changed``, unless a practice's band (in the results) grades them.

**Units must match.** A value in ``px`` (no scale in that photo) is never
compared: pixels depend on how far the camera stood and its zoom, so a pixel
distance says nothing about centimetres, nor about pixels of another photo.
Such rows, and rows measured in only one visit, get ``not_comparable`` with a
one-sentence reason.

**Which changed most** (:func:`most_changed`, the measurement the trend chart
opens on): the largest ``|Δ| / k``, the change in units of what it had to beat,
so degrees and centimetres compare and a value of 1 is the edge of noise.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

from . import grading
from .landmarks import VIEWS
from .measurements import all_measurement_ids, definitions
from .result import Band, Measurement, Result, Severity, severity_rank

__all__ = [
    "VERDICTS", "UNGRADED", "NOISE_REASON", "NORMAL_REASON", "Change", "ViewComparison", "Comparison", "TrendPoint",
    "TrendSeries", "change_threshold", "distance_from_normal", "normal_range", "verdict", "compare_view",
    "compare_results", "compare_visits", "most_changed", "trends",
]  # fmt: skip

#: Possible verdicts of a :class:`Change`.
VERDICTS = ("improved", "worse", "unchanged", "changed", "not_comparable")
#: Measurements shown for information only: no better or worse direction.
UNGRADED = frozenset(all_measurement_ids() - set(grading.default_bands()))

#: The reason of an ``unchanged`` verdict (shown as "within measurement noise").
NOISE_REASON = "Within measurement noise: the values differ by no more than twice their combined uncertainty."
#: The reason of a counted change between two normal values.
NORMAL_REASON = "Within the normal range in both visits, so neither better nor worse."
_INFORMATION_REASON = "Shown for information: this measurement has no better or worse direction."
_SIDEWAYS_REASON = "The value moved, but not measurably closer to or further from normal."

_PIXELS = "px"


class VisitLike(Protocol):
    """What :func:`compare_visits` and :func:`trends` need of a visit (a :class:`posture.store.Visit` fits)."""

    @property
    def id(self) -> str: ...

    @property
    def visit_date(self) -> date: ...

    @property
    def created_at(self) -> str: ...

    @property
    def results(self) -> Mapping[str, Result]: ...


@dataclass(frozen=True)
class Change:
    """One measurement of one view across two visits. ``delta = after − before`` in ``unit``."""

    view: str
    measurement: str
    label: str
    unit: str | None
    before: float | None
    after: float | None
    before_uncertainty: float | None
    after_uncertainty: float | None
    delta: float | None
    threshold: float | None  # 2·sqrt(u1² + u2²)
    verdict: str  # one of VERDICTS
    reason: str = ""  # one sentence for "changed" and "not_comparable"
    before_severity: str | None = None
    after_severity: str | None = None
    before_direction: str = ""
    after_direction: str = ""
    before_borderline: bool = False
    after_borderline: bool = False

    @property
    def size(self) -> float | None:
        """``|delta| / threshold``: the change in units of what it had to beat (> 1 counts); ``None`` if not comparable.

        A zero threshold (two exact values) makes any change infinitely large and no change 0.
        """
        if self.verdict == "not_comparable" or self.delta is None or self.threshold is None:
            return None
        if self.threshold == 0:
            return math.inf if self.delta else 0.0
        return abs(self.delta) / self.threshold


@dataclass(frozen=True)
class ViewComparison:
    view: str
    changes: tuple[Change, ...]  # in the measurement registry's order

    def counts(self) -> dict[str, int]:
        """How many rows have each verdict."""
        return {v: sum(c.verdict == v for c in self.changes) for v in VERDICTS}


@dataclass(frozen=True)
class Comparison:
    """Two visits compared: ``before`` is the earlier one (by visit date, then creation time)."""

    before_id: str
    after_id: str
    before_date: date
    after_date: date
    views: dict[str, ViewComparison]  # views in both visits, in view order
    only_before: tuple[str, ...] = ()  # views assessed in the earlier visit only
    only_after: tuple[str, ...] = ()


@dataclass(frozen=True)
class TrendPoint:
    visit_id: str
    visit_date: date
    value: float
    uncertainty: float
    severity: str | None


@dataclass(frozen=True)
class TrendSeries:
    """One measurement of one view across visits, oldest first, all in one ``unit``."""

    view: str
    measurement: str
    label: str
    unit: str
    points: tuple[TrendPoint, ...]
    band: Band | None = None  # the latest visit's band (what :func:`normal_range` draws), None if not graded

    def records(self) -> list[dict[str, Any]]:
        """Rows for a chart: ``date`` (ISO), ``value``, ``uncertainty``, ``low``/``high`` (value ∓ 2·uncertainty), ``severity``."""
        return [
            {
                "date": p.visit_date.isoformat(),
                "value": p.value,
                "uncertainty": p.uncertainty,
                "low": p.value - 2 * p.uncertainty,
                "high": p.value + 2 * p.uncertainty,
                "severity": p.severity,
            }
            for p in self.points
        ]


# --- the rule -------------------------------------------------------------------------


def change_threshold(u1: float, u2: float) -> float:
    """The smallest change that counts: ``2 · sqrt(u1² + u2²)``."""
    return 2.0 * math.hypot(u1, u2)


def _band_in_force(measurement_id: str, band: Band | None) -> grading.Band | None:
    """The band a value is judged against: ``band`` (a result's), else the default one, else ``None`` (ungraded)."""
    if band:
        return grading.Band(**band)
    return None if measurement_id in UNGRADED else grading.default_bands()[measurement_id]


def distance_from_normal(measurement_id: str, value: float, band: Band | None = None) -> float | None:
    """How far ``value`` lies from normal under the measurement's grading rule (module docstring); ``None`` if ungraded.

    ``band`` (a result's ``band`` object, e.g. a practice's) is used when given
    (it gives the CVA's normal edge, ``mild``, and grades a measurement that
    has no default band); the default band otherwise.

    >>> distance_from_normal("cva", 44.8), distance_from_normal("cva", 51.0), distance_from_normal("head_tilt", -3.0)
    (5.200000000000003, 0.0, 3.0)
    """
    in_force = _band_in_force(measurement_id, band)
    return None if in_force is None else grading.rule_for(measurement_id).distance_from_normal(value, in_force)


def _severity(measurement_id: str, value: float, band: grading.Band) -> Severity:
    return grading.rule_for(measurement_id).severity(value, band)


def verdict(
    measurement_id: str, before: float, after: float, u_before: float, u_after: float, band: Band | None = None
) -> tuple[str, str]:
    """``(verdict, reason)`` for two values of one measurement in the same unit (module docstring).

    >>> verdict("cva", 44.8, 51.0, 2.0, 2.0)  # moderate → normal by 6.2° > 5.7°
    ('improved', '')
    >>> verdict("cva", 44.8, 51.0, 2.5, 2.5)[0]  # 6.2° ≤ 7.1°: within measurement noise
    'unchanged'
    >>> verdict("cva", 52.0, 58.0, 0.5, 0.5)[1]
    'Within the normal range in both visits, so neither better nor worse.'
    """
    k = change_threshold(u_before, u_after)
    if abs(after - before) <= k:
        return "unchanged", NOISE_REASON
    in_force = _band_in_force(measurement_id, band)
    if in_force is None:
        return "changed", _INFORMATION_REASON
    s1, s2 = (severity_rank(_severity(measurement_id, v, in_force)) for v in (before, after))
    if s1 == s2 == 0:
        return "changed", NORMAL_REASON
    if s1 != s2:
        return ("improved" if s2 < s1 else "worse"), ""
    rule = grading.rule_for(measurement_id)
    g1, g2 = rule.distance_from_normal(before, in_force), rule.distance_from_normal(after, in_force)
    if g1 - g2 > k:
        return "improved", ""
    if g2 - g1 > k:
        return "worse", ""
    return "changed", _SIDEWAYS_REASON


def _probe(lo: float | None, hi: float | None) -> float:
    """A value inside the interval ``(lo, hi)`` (``None``: unbounded)."""
    if lo is None:
        return 0.0 if hi is None else hi - 1.0
    return lo + 1.0 if hi is None else (lo + hi) / 2


def normal_range(measurement_id: str, band: Band | None = None) -> tuple[float | None, float | None] | None:
    """The values graded normal under the measurement's rule, ``(low, high)`` (``None``: unbounded on that side).

    ``None`` when the measurement is not graded. Read from the rule itself
    (:meth:`posture.grading.Rule.thresholds` and :meth:`~posture.grading.Rule.severity`),
    so every rule's band is drawn as it grades; a band whose normal range is
    the single ideal value (``mild`` 0 under ``|value|``) gives ``(0.0, 0.0)``.

    >>> normal_range("head_tilt"), normal_range("cva"), normal_range("q_angle_r"), normal_range("pelvic_tilt")
    ((-2.0, 2.0), (50.0, None), (None, 20.0), (5.0, 15.0))
    """
    in_force = _band_in_force(measurement_id, band)
    if in_force is None:
        return None
    rule = grading.rule_for(measurement_id)
    cuts = sorted(set(rule.thresholds(in_force)))
    # one probe inside each interval between cuts and beyond both ends; the normal set is one interval of them
    edges = [None, *cuts, None]
    normal: list[tuple[float | None, float | None]] = []
    for lo, hi in zip(edges, edges[1:], strict=False):
        if _severity(measurement_id, _probe(lo, hi), in_force) == "normal":
            normal.append((lo, hi))
    if not normal:
        exact = [c for c in cuts if _severity(measurement_id, c, in_force) == "normal"]
        return (exact[0], exact[0]) if exact else None
    low, high = normal[0][0], normal[-1][1]
    return (None if low is None else float(low), None if high is None else float(high))


# --- comparing ------------------------------------------------------------------------


def _order(view: str, ids: Iterable[str]) -> list[str]:
    registry = [d.id for d in definitions(view)] if view in VIEWS else []
    ids = set(ids)
    return [i for i in registry if i in ids] + sorted(ids - set(registry))


def _not_comparable_unit(b: Measurement, a: Measurement) -> str | None:
    """Why two values in these units cannot be compared (pixels, or pixels against centimetres), else ``None``."""
    if b["unit"] != a["unit"]:
        return (
            f"One visit has this distance in {b['unit']}, the other in {a['unit']}: a photo without a scale gives "
            "pixels, which cannot be compared with centimetres."
        )
    if a["unit"] == _PIXELS:
        return (
            "Distances in pixels (no scale in the photos) depend on the camera's distance and zoom, so they cannot "
            "be compared between photos: calibrate a scale."
        )
    return None


def _change(
    view: str,
    mid: str,
    b: Measurement | None,
    a: Measurement | None,
    threshold: float | None,
    unit: str | None,
    verdict: str,
    reason: str,
) -> Change:
    """One row: the two values (either may be missing), the change when both are there, the verdict and its reason."""
    either = a or b
    assert either is not None  # the id comes from one of the two
    return Change(
        view=view,
        measurement=mid,
        label=either["label"],
        unit=either["unit"] if (a is None or b is None) else unit,
        before=b["value"] if b else None,
        after=a["value"] if a else None,
        before_uncertainty=b["uncertainty"] if b else None,
        after_uncertainty=a["uncertainty"] if a else None,
        delta=a["value"] - b["value"] if a and b else None,
        threshold=threshold,
        verdict=verdict,
        reason=reason,
        before_severity=b["severity"] if b else None,
        after_severity=a["severity"] if a else None,
        before_direction=b["direction"] if b else "",
        after_direction=a["direction"] if a else "",
        before_borderline=bool(b and b["borderline"]),
        after_borderline=bool(a and a["borderline"]),
    )


def compare_view(view: str, before: Result, after: Result) -> ViewComparison:
    """Compare two result objects of the same view, measurement by measurement."""
    mb, ma = before["measurements"], after["measurements"]
    rows = []
    for mid in _order(view, set(mb) | set(ma)):
        b, a = mb.get(mid), ma.get(mid)
        if b is None or a is None:
            which, other = ("earlier", before) if b is None else ("later", after)
            why = other["not_measured"].get(mid)
            reason = f"Not measured in the {which} visit" + (f" ({why})." if why else ".")
            rows.append(_change(view, mid, b, a, None, None, "not_comparable", reason))
            continue
        threshold = change_threshold(b["uncertainty"], a["uncertainty"])
        why_not = _not_comparable_unit(b, a)
        if why_not is not None:
            rows.append(
                _change(view, mid, b, a, threshold, None if b["unit"] != a["unit"] else a["unit"], "not_comparable", why_not)
            )
            continue
        v, reason = verdict(mid, b["value"], a["value"], b["uncertainty"], a["uncertainty"], a["band"] or b["band"])
        rows.append(_change(view, mid, b, a, threshold, a["unit"], v, reason))
    return ViewComparison(view, tuple(rows))


def compare_results(before: Mapping[str, Result], after: Mapping[str, Result]) -> dict[str, ViewComparison]:
    """Compare two visits' results (view → result object); only the views present in both, in view order."""
    common = [v for v in VIEWS if v in before and v in after] + sorted((set(before) & set(after)) - set(VIEWS))
    return {v: compare_view(v, before[v], after[v]) for v in common}


def compare_visits(a: VisitLike, b: VisitLike) -> Comparison:
    """Compare two visits in either order: the earlier one (visit date, then creation time) is ``before``."""
    before, after = sorted((a, b), key=lambda v: (v.visit_date, v.created_at))
    rb, ra = before.results, after.results
    return Comparison(
        before_id=before.id,
        after_id=after.id,
        before_date=before.visit_date,
        after_date=after.visit_date,
        views=compare_results(rb, ra),
        only_before=tuple(v for v in VIEWS if v in rb and v not in ra),
        only_after=tuple(v for v in VIEWS if v in ra and v not in rb),
    )


def most_changed(changes: Iterable[Change]) -> Change | None:
    """The row that changed most: the largest :attr:`Change.size` (``|Δ| / threshold``); ``None`` if none is comparable.

    Ties go to the first row (the measurement registry's order). A row within
    noise can be the answer (when nothing counted, the chart still opens on
    the largest movement).
    """
    best: Change | None = None
    for c in changes:
        size = c.size
        if size is not None and (best is None or size > (best.size or 0.0)):
            best = c
    return best


# --- trends ---------------------------------------------------------------------------


def trends(visits: Iterable[VisitLike], *, include_pixels: bool = False) -> list[TrendSeries]:
    """Each measurement of each view across ``visits``, oldest first, ready for a chart.

    A series holds one unit: values of one measurement in different units
    (``cm`` in one visit, ``px`` in another) make separate series. Pixel
    series are left out unless ``include_pixels`` (see the module docstring).
    Series come in view order, then the measurement registry's order.
    """
    ordered = sorted(visits, key=lambda v: (v.visit_date, v.created_at))
    series: dict[tuple[str, str, str], list[TrendPoint]] = {}
    labels: dict[tuple[str, str], str] = {}
    bands: dict[tuple[str, str, str], Band | None] = {}
    for visit in ordered:
        for view, result in visit.results.items():
            for mid, m in (result.get("measurements") or {}).items():
                unit = m.get("unit")
                if unit == _PIXELS and not include_pixels:
                    continue
                labels.setdefault((view, mid), m.get("label") or mid)
                point = TrendPoint(visit.id, visit.visit_date, m["value"], m["uncertainty"], m.get("severity"))
                series.setdefault((view, mid, unit), []).append(point)
                bands[(view, mid, unit)] = m.get("band")  # the latest visit's (visits come oldest first)
    out = []
    for view in [v for v in VIEWS if any(k[0] == v for k in series)] + sorted({k[0] for k in series} - set(VIEWS)):
        keys = [k for k in series if k[0] == view]
        for mid in _order(view, {k[1] for k in keys}):
            for key in sorted(k for k in keys if k[1] == mid):
                out.append(TrendSeries(view, mid, labels[(view, mid)], key[2], tuple(series[key]), bands[key]))
    return out
