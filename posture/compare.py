"""Change between visits: per view and measurement, improved / worse / unchanged, and trend series.

Inputs are result objects (spec §7), one per view, as the store keeps them
(:attr:`posture.store.Visit.results`); no I/O here.

**When a change counts.** With values ``v1`` (before) and ``v2`` (after) and
their uncertainties ``u1``, ``u2`` (one standard deviation each, spec §6),
the change ``Δ = v2 − v1`` counts only when

    |Δ| > 2 · sqrt(u1² + u2²)

(twice the combined uncertainty of the two independent values, about a 95 %
level). Otherwise the verdict is ``unchanged``.

**Better or worse** is judged on the *distance from normal* ``g`` of each value
under the grading rule of the measurement (spec §5), :func:`distance_from_normal`:

* most measurements: ``g = |value|`` (0 is ideal, both directions count);
* ``cva``: ``g = max(50° − value, 0)`` (higher is better below the normal edge,
  the band's ``mild``; at or above it every value is normal);
* ``q_angle_r/l``: ``g = max(value − 15°, 0)`` (values below 15° are normal);
* ``pelvic_tilt``: ``g`` = the distance outside 5°–15° (0 inside).

A counted change is ``improved`` when ``g`` fell by more than the same
threshold, ``worse`` when it rose by more, and otherwise ``changed``: the value
moved but not measurably closer to or further from normal (it crossed to the
other side by about as much, or moved within a normal range that has no
ideal value, e.g. CVA 52° → 58°). Since ``|Δg| ≤ |Δ|`` for every rule, an
improvement or worsening is always also a counted change.

Measurements without a default band (``hip_angle``, ``shank_angle``,
``head_flexion``: "shown for information") have no better or worse direction:
a counted change is ``changed``.

**Units must match.** A value in ``px`` (no scale in that photo) is never
compared: pixels depend on how far the camera stood and its zoom, so a pixel
distance says nothing about centimetres, nor about pixels of another photo.
Such rows, and rows measured in only one visit, get ``not_comparable`` with a
one-sentence reason.
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
from .result import Band, Measurement, Result

__all__ = [
    "VERDICTS", "UNGRADED", "Change", "ViewComparison", "Comparison", "TrendPoint", "TrendSeries",
    "change_threshold", "distance_from_normal", "verdict", "compare_view", "compare_results", "compare_visits", "trends",
]  # fmt: skip

#: Possible verdicts of a :class:`Change`.
VERDICTS = ("improved", "worse", "unchanged", "changed", "not_comparable")
#: Measurements shown for information only: no better or worse direction.
UNGRADED = frozenset(all_measurement_ids() - set(grading.default_bands()))

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


def distance_from_normal(measurement_id: str, value: float, band: Band | None = None) -> float | None:
    """How far ``value`` lies from normal under the measurement's grading rule (module docstring); ``None`` if ungraded.

    ``band`` (a result's ``band`` object) gives the CVA's normal edge
    (``mild``); the default band's is used without it.
    """
    if measurement_id in UNGRADED:
        return None
    in_force = grading.Band(**band) if band else grading.default_bands()[measurement_id]
    return grading.rule_for(measurement_id).distance_from_normal(value, in_force)


def verdict(
    measurement_id: str, before: float, after: float, u_before: float, u_after: float, band: Band | None = None
) -> tuple[str, str]:
    """``(verdict, reason)`` for two values of one measurement in the same unit (module docstring)."""
    k = change_threshold(u_before, u_after)
    if abs(after - before) <= k:
        return "unchanged", ""
    g1 = distance_from_normal(measurement_id, before, band)
    g2 = distance_from_normal(measurement_id, after, band)
    if g1 is None or g2 is None:
        return "changed", "Shown for information: this measurement has no better or worse direction."
    if g1 - g2 > k:
        return "improved", ""
    if g2 - g1 > k:
        return "worse", ""
    return "changed", "The value moved, but not measurably closer to or further from normal."


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
    for visit in ordered:
        for view, result in visit.results.items():
            for mid, m in (result.get("measurements") or {}).items():
                unit = m.get("unit")
                if unit == _PIXELS and not include_pixels:
                    continue
                labels.setdefault((view, mid), m.get("label") or mid)
                point = TrendPoint(visit.id, visit.visit_date, m["value"], m["uncertainty"], m.get("severity"))
                series.setdefault((view, mid, unit), []).append(point)
    out = []
    for view in [v for v in VIEWS if any(k[0] == v for k in series)] + sorted({k[0] for k in series} - set(VIEWS)):
        keys = [k for k in series if k[0] == view]
        for mid in _order(view, {k[1] for k in keys}):
            for key in sorted(k for k in keys if k[1] == mid):
                out.append(TrendSeries(view, mid, labels[(view, mid)], key[2], tuple(series[key])))
    return out
