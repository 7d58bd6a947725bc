"""Grading: severity bands (spec §5) shipped as data, and the rules that map a value onto its band.

Default bands live in ``posture/data/default_bands.json`` with their sources;
a practice overrides them with its settings file (:mod:`posture.settings`).

Grading rules (how a value maps onto its band) are fixed per measurement and
shipped in the same file: :class:`Magnitude` (the default: ``|value|`` against
the thresholds), :class:`AboveReference` (Q angle: ``value - 15``),
:class:`LowerIsWorse` (CVA) and :class:`OutsideRange` (pelvic tilt: the
distance outside 5°–15°). Each rule owns everything that depends on its kind:
the severity of a value, the values at which the severity changes, the
distance from normal that comparisons use, and how it is described.

This module reads only the package's own data file.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, ClassVar

from .result import Band as ResultBand
from .result import Severity

BAND_KEYS = ("mild", "moderate", "marked", "source")


@dataclass(frozen=True)
class Band:
    mild: float
    moderate: float
    marked: float
    source: str

    def as_dict(self) -> ResultBand:
        return {"mild": self.mild, "moderate": self.moderate, "marked": self.marked, "source": self.source}


def _num(v: float) -> str:
    return f"{v:g}"


@dataclass(frozen=True)
class Rule:
    """How a value maps onto its band. This base rule is :class:`Magnitude`'s: ``|value|`` against the thresholds.

    Subclasses override :meth:`graded` (the quantity compared with the band)
    and whatever else differs; :class:`LowerIsWorse`, which compares the value
    itself with descending thresholds, overrides every method that uses it.
    """

    note: str = ""
    #: Thresholds decrease from mild to marked (lower values are worse).
    descending: ClassVar[bool] = False

    def graded(self, value: float) -> float:
        """The quantity compared with the band's thresholds: here ``|value|``."""
        return abs(value)

    def severity(self, value: float, band: Band) -> Severity:
        """``normal``/``mild``/``moderate``/``marked`` of ``value`` under ``band``."""
        g = self.graded(value)
        if g >= band.marked:
            return "marked"
        if g >= band.moderate:
            return "moderate"
        # ``> 0``: a value at its reference is never a deviation (matters when mild is 0).
        return "mild" if g >= band.mild and g > 0 else "normal"

    def thresholds(self, band: Band) -> list[float]:
        """The values at which the severity changes, in the measurement's unit."""
        cuts = (band.mild, band.moderate, band.marked)
        return [t for c in cuts for t in (c, -c) if c > 0] + ([0.0] if band.mild == 0 else [])

    def is_borderline(self, value: float, uncertainty: float, band: Band) -> bool:
        """True when ``value`` lies within ``2 * uncertainty`` of a severity change."""
        return any(abs(value - t) < 2 * uncertainty for t in self.thresholds(band))

    def distance_from_normal(self, value: float, band: Band) -> float:
        """How far ``value`` lies from normal (0 = normal or ideal), in the measurement's unit: compare uses it."""
        return self.graded(value)

    def excess(self, value: float, band: Band | None) -> float:
        """How far past its band a value lies, relative to the mild threshold (orders findings of one severity)."""
        mild = band.mild if band else 0.0
        return abs(value) / mild if mild else abs(value)

    def band_text(self, band: Band, unit: str) -> str:
        """The thresholds as the rule applies them, e.g. ``"1.5 / 3 / 5°"`` (``unit`` as printed: ``"°"``, ``" cm"``)."""
        return f"{_num(band.mild)} / {_num(band.moderate)} / {_num(band.marked)}{unit}"

    def how(self) -> str:
        """How a value is graded, in a few words (the settings table)."""
        return "|value| against the band"

    def graded_against(self, unit: str) -> str | None:
        """For a report sentence "<label> <this>": how a rule graded against a reference reads; ``None`` for |value|."""
        return None


Magnitude = Rule


@dataclass(frozen=True)
class AboveReference(Rule):
    """Graded as ``value - reference`` (Q angle: above 15°); values below the reference are normal."""

    reference: float = 0.0

    def graded(self, value: float) -> float:
        return value - self.reference

    def thresholds(self, band: Band) -> list[float]:
        return [self.reference + c for c in (band.mild, band.moderate, band.marked)]

    def distance_from_normal(self, value: float, band: Band) -> float:
        return max(value - self.reference, 0.0)

    def band_text(self, band: Band, unit: str) -> str:
        return f"{_num(self.reference)}{unit} + {super().band_text(band, unit)}"

    def how(self) -> str:
        return f"value − {_num(self.reference)} against the band"

    def graded_against(self, unit: str) -> str | None:
        return f"by how far it exceeds {_num(self.reference)}{unit}"


@dataclass(frozen=True)
class LowerIsWorse(Rule):
    """Lower values are worse (CVA): normal at or above ``mild``; mild below it; moderate below ``moderate``..."""

    descending: ClassVar[bool] = True

    def severity(self, value: float, band: Band) -> Severity:
        if value < band.marked:
            return "marked"
        if value < band.moderate:
            return "moderate"
        return "mild" if value < band.mild else "normal"

    def thresholds(self, band: Band) -> list[float]:
        return [band.mild, band.moderate, band.marked]

    def distance_from_normal(self, value: float, band: Band) -> float:
        return max(band.mild - value, 0.0)

    def excess(self, value: float, band: Band | None) -> float:
        mild = band.mild if band else 0.0
        return (mild - value) / max(abs(mild), 1e-9)

    def band_text(self, band: Band, unit: str) -> str:
        return f"< {super().band_text(band, unit)}"

    def how(self) -> str:
        return "lower is worse (below mild = mild, ...)"

    def graded_against(self, unit: str) -> str | None:
        return "where lower is worse"


@dataclass(frozen=True)
class OutsideRange(Rule):
    """Graded as the distance outside ``low``–``high`` (pelvic tilt: 5°–15°); any distance is at least mild."""

    low: float = 0.0
    high: float = 0.0

    def graded(self, value: float) -> float:
        return max(self.low - value, value - self.high, 0.0)

    def thresholds(self, band: Band) -> list[float]:
        return [t for c in (band.mild, band.moderate, band.marked) for t in (self.low - c, self.high + c)]

    def band_text(self, band: Band, unit: str) -> str:
        return f"outside {_num(self.low)}–{_num(self.high)}{unit} by > {super().band_text(band, unit)}"

    def how(self) -> str:
        return f"distance outside {_num(self.low)}–{_num(self.high)}"

    def graded_against(self, unit: str) -> str | None:
        return f"by how far it lies outside {_num(self.low)}–{_num(self.high)}{unit}"


def _rule(raw: Mapping[str, Any]) -> Rule:
    kind, note = raw["kind"], raw.get("note", "")
    if kind == "above_reference":
        return AboveReference(note, float(raw["reference"]))
    if kind == "lower_is_worse":
        return LowerIsWorse(note)
    if kind == "outside_range":
        low, high = raw["range"]
        return OutsideRange(note, float(low), float(high))
    raise ValueError(f"default_bands.json: unknown rule kind {kind!r}")


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    text = resources.files("posture").joinpath("data/default_bands.json").read_text(encoding="utf-8")
    raw: dict[str, Any] = json.loads(text)
    return raw


@lru_cache(maxsize=1)
def _rules() -> dict[str, Rule]:
    return {mid: _rule(raw) for mid, raw in _defaults()["rules"].items()}


_FOR_INFORMATION = "not graded by default: shown for information"
_NO_PHOTO_NORM = "not graded by default: no validated photo norm; shown, tracked over time, and gradable by a practice's settings"
#: Why a measurement ships without a band (spec §5 and §9); a practice's settings may still grade any of them.
NOT_GRADED_BY_DEFAULT: dict[str, str] = {
    "hip_angle": _FOR_INFORMATION,
    "shank_angle": _FOR_INFORMATION,
    "head_flexion": _FOR_INFORMATION,
    "thoracic_kyphosis": _NO_PHOTO_NORM,
    "lumbar_lordosis": _NO_PHOTO_NORM,
    "cog_shift": _NO_PHOTO_NORM,
    "cog_asymmetry": _NO_PHOTO_NORM,
}


def default_bands() -> dict[str, Band]:
    return {k: Band(**v) for k, v in _defaults()["bands"].items()}


def rule_for(measurement_id: str) -> Rule:
    """The grading rule of ``measurement_id`` (:class:`Magnitude` unless the shipped file says otherwise)."""
    return _rules().get(measurement_id) or Magnitude()
