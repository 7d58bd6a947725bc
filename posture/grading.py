"""Grading: severity bands (spec §5) shipped as data, overridable by a settings file.

Default bands live in ``posture/data/default_bands.json`` with their sources. A
practice overrides any of them with a JSON settings file
``{"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}}}``
given by ``--settings FILE`` or the ``POSTURE_SETTINGS`` environment variable.
A band set to ``null`` switches grading off for that measurement. The same
file may override the muscle patterns the findings suggest (shipped in
``posture/data/muscle_patterns.json``) under ``"patterns"``; they are parsed by
:func:`posture.findings.patterns_from_dict` and carried by :class:`Settings`.

Grading rules (how a value maps onto its band) are fixed per measurement and
shipped in the same file: :class:`Magnitude` (the default: ``|value|`` against
the thresholds), :class:`AboveReference` (Q angle: ``value - 15``),
:class:`LowerIsWorse` (CVA) and :class:`OutsideRange` (pelvic tilt: the
distance outside 5°–15°). Each rule owns everything that depends on its kind:
the severity of a value, the values at which the severity changes, the
distance from normal that comparisons use, and how it is described.

This module reads files only in :func:`load_settings` and writes only in
:func:`save_settings`; :func:`default_settings` comes from the package data.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from .atomic import atomic_write_bytes
from .errors import SettingsError
from .result import Band as ResultBand
from .result import Severity

if TYPE_CHECKING:
    from .findings import PatternTable

SETTINGS_ENV = "POSTURE_SETTINGS"
_BAND_KEYS = ("mild", "moderate", "marked", "source")


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


def default_bands() -> dict[str, Band]:
    return {k: Band(**v) for k, v in _defaults()["bands"].items()}


def rule_for(measurement_id: str) -> Rule:
    """The grading rule of ``measurement_id`` (:class:`Magnitude` unless the shipped file says otherwise)."""
    return _rules().get(measurement_id) or Magnitude()


# --- settings -------------------------------------------------------------------------


def _shipped_patterns() -> PatternTable:
    from .findings import shipped_patterns  # local: findings imports grading

    return shipped_patterns()


@dataclass(frozen=True)
class Settings:
    """The grading bands and muscle patterns in force (defaults merged with a practice's settings).

    ``patterns``: the muscle patterns by measurement id, as
    :func:`posture.findings.pattern_for` reads them (default: the shipped table).
    """

    bands: Mapping[str, Band | None]
    path: str | None = None
    patterns: PatternTable = field(default_factory=_shipped_patterns)

    def band(self, measurement_id: str) -> Band | None:
        return self.bands.get(measurement_id)


@lru_cache(maxsize=1)
def default_settings() -> Settings:
    """The shipped bands and muscle patterns and nothing else (what :func:`posture.analyze` uses unless told otherwise)."""
    return Settings(default_bands())


def _check_band(mid: str, raw: Any, base: Band | None, where: str) -> Band | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: bands.{mid} must be an object with mild, moderate, marked and source, or null.")
    unknown = sorted(set(raw) - set(_BAND_KEYS))
    if unknown:
        raise SettingsError(f"{where}: bands.{mid}.{unknown[0]} is not a band key (use mild, moderate, marked, source).")
    values: dict[str, Any] = dict(base.as_dict()) if base else {}
    for key in ("mild", "moderate", "marked"):
        if key in raw:
            values[key] = _finite(raw[key], f"{where}: bands.{mid}.{key}")
        elif key not in values:
            raise SettingsError(f"{where}: bands.{mid}.{key} is missing.")
    if "source" in raw:
        if not isinstance(raw["source"], str) or not raw["source"].strip():
            raise SettingsError(f"{where}: bands.{mid}.source must be text.")
        values["source"] = raw["source"]
    elif any(k in raw for k in ("mild", "moderate", "marked")):
        values["source"] = "practice settings"
    band = Band(**values)
    order = (band.mild, band.moderate, band.marked)
    descending = rule_for(mid).descending
    if not descending and band.mild < 0:
        # |value|, value - reference and the distance outside a range are never negative
        raise SettingsError(f"{where}: bands.{mid}.mild must be zero or more.")
    ok = order[0] >= order[1] >= order[2] if descending else order[0] <= order[1] <= order[2]
    if not ok:
        way = "decrease" if descending else "increase"
        raise SettingsError(f"{where}: bands.{mid} thresholds must {way} from mild to moderate to marked.")
    return band


def _finite(v: Any, where: str) -> float:
    """A band threshold: a finite JSON number (``true`` is not one, though Python says ``bool`` is an ``int``)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SettingsError(f"{where} must be a finite number.")
    try:
        number = float(v)
    except OverflowError:
        raise SettingsError(f"{where} must be a finite number.") from None
    if not math.isfinite(number):
        raise SettingsError(f"{where} must be a finite number.")
    return number


def settings_from_dict(raw: Any, where: str = "settings") -> Settings:
    """Merge a settings object over the defaults; raise :class:`SettingsError` naming the field."""
    from .findings import patterns_from_dict  # local: findings imports grading
    from .measurements import all_measurement_ids  # local: measurements imports grading

    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: the settings file must be a JSON object.")
    unknown = sorted(set(raw) - {"bands", "patterns", "about", "rules"})  # "about"/"rules": a copy of the shipped file
    if unknown:
        raise SettingsError(
            f'{where}: {unknown[0]} is not a settings key (bands go under "bands", muscle patterns under "patterns").'
        )
    bands: dict[str, Band | None] = dict(default_bands())
    raw_bands = raw.get("bands", {})
    if not isinstance(raw_bands, dict):
        raise SettingsError(f"{where}: bands must be an object keyed by measurement id.")
    known = all_measurement_ids()
    for mid, rb in raw_bands.items():
        if mid not in known:
            raise SettingsError(f"{where}: bands.{mid} is not a measurement id.")
        bands[mid] = _check_band(mid, rb, bands.get(mid), where)
    return Settings(bands, patterns=patterns_from_dict(raw.get("patterns", {}), where))


def default_settings_path() -> Path:
    """The practice's settings file: ``$POSTURE_SETTINGS`` when set, else ``settings.json`` in the per-user
    config folder (``platformdirs.user_config_dir("posture")``, where the app saves the bands)."""
    env = os.environ.get(SETTINGS_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("posture", appauthor=False)) / "settings.json"


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Defaults, overridden by ``path``, else by ``$POSTURE_SETTINGS`` (which must exist), else by the
    per-user settings file the app writes when there is one (:func:`default_settings_path`)."""
    if path is None:
        path = os.environ.get(SETTINGS_ENV) or None
    if path is None:
        user_file = default_settings_path()
        if not user_file.is_file():
            return default_settings()
        path = user_file
    p = Path(path)
    try:
        raw = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"Settings file not found: {p}.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"Cannot read settings file {p}: {exc}.") from None
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{p}: not valid JSON ({exc.msg}, line {exc.lineno}).") from None
    except RecursionError:
        raise SettingsError(f"{p}: not valid JSON (nested too deeply).") from None
    except ValueError:  # an integer with more digits than Python converts
        raise SettingsError(f"{p}: not valid JSON (a number has too many digits).") from None
    return replace(settings_from_dict(raw, where=str(p)), path=str(p))


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """The settings file content that reproduces ``settings`` (only what differs from the defaults).

    ``"bands"`` is always there; ``"patterns"`` only when some differ from the shipped ones.
    """
    from .findings import patterns_to_dict  # local: findings imports grading

    defaults = default_bands()
    bands: dict[str, ResultBand | None] = {}
    for mid, band in settings.bands.items():
        if band != defaults.get(mid):
            bands[mid] = None if band is None else band.as_dict()
    out: dict[str, Any] = {"bands": bands}
    patterns = patterns_to_dict(settings.patterns)
    if patterns:
        out["patterns"] = patterns
    return out


def save_settings(settings: Settings, path: str | os.PathLike[str]) -> None:
    """Write the bands and patterns of ``settings`` that differ from the defaults to ``path`` atomically (creating its folder)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(p, text.encode("utf-8"))
