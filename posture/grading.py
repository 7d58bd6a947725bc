"""Grading: severity bands (spec §5) shipped as data, overridable by a settings file.

Default bands live in ``posture/data/default_bands.json`` with their sources. A
practice overrides any of them with a JSON settings file
``{"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}}}``
given by ``--settings FILE`` or the ``POSTURE_SETTINGS`` environment variable.
A band set to ``null`` switches grading off for that measurement.

Grading rules (how a value maps onto its band) are fixed per measurement:
``abs`` (default: ``|value|`` against the thresholds), ``above_reference``
(Q angle: ``value - 15``), ``lower_is_worse`` (CVA) and ``outside_range``
(pelvic tilt: distance outside 5°–15°).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import SettingsError

SEVERITIES = ("normal", "mild", "moderate", "marked")
SEVERITY_RANK = {None: -1, "normal": 0, "mild": 1, "moderate": 2, "marked": 3}
SETTINGS_ENV = "POSTURE_SETTINGS"
_BAND_KEYS = ("mild", "moderate", "marked", "source")


@dataclass(frozen=True)
class Band:
    mild: float
    moderate: float
    marked: float
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {"mild": self.mild, "moderate": self.moderate, "marked": self.marked, "source": self.source}


@dataclass(frozen=True)
class Rule:
    kind: str = "abs"  # abs | above_reference | lower_is_worse | outside_range
    reference: float = 0.0
    low: float = 0.0
    high: float = 0.0
    note: str = ""


@lru_cache(maxsize=1)
def _defaults() -> dict[str, Any]:
    text = resources.files("posture").joinpath("data/default_bands.json").read_text(encoding="utf-8")
    return json.loads(text)


def default_bands() -> dict[str, Band]:
    return {k: Band(**v) for k, v in _defaults()["bands"].items()}


def rule_for(measurement_id: str) -> Rule:
    raw = _defaults()["rules"].get(measurement_id)
    if raw is None:
        return Rule()
    low, high = raw.get("range", (0.0, 0.0))
    return Rule(raw["kind"], float(raw.get("reference", 0.0)), float(low), float(high), raw.get("note", ""))


# --- settings -------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """The grading bands in force (defaults merged with a practice's settings)."""

    bands: Mapping[str, Band | None]
    path: str | None = None

    def band(self, measurement_id: str) -> Band | None:
        return self.bands.get(measurement_id)


def _check_band(mid: str, raw: Any, base: Band | None, where: str) -> Band | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: bands.{mid} must be an object with mild, moderate, marked and source, or null.")
    unknown = sorted(set(raw) - set(_BAND_KEYS))
    if unknown:
        raise SettingsError(f"{where}: bands.{mid}.{unknown[0]} is not a band key (use mild, moderate, marked, source).")
    values: dict[str, Any] = base.as_dict() if base else {}
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
    descending = rule_for(mid).kind == "lower_is_worse"
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
    from .measurements import all_measurement_ids  # local: measurements imports grading

    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: the settings file must be a JSON object.")
    unknown = sorted(set(raw) - {"bands", "about", "rules"})  # "about"/"rules": a copy of the shipped file
    if unknown:
        raise SettingsError(f'{where}: {unknown[0]} is not a settings key (bands go under "bands").')
    bands: dict[str, Band | None] = dict(default_bands())
    raw_bands = raw.get("bands", {})
    if not isinstance(raw_bands, dict):
        raise SettingsError(f"{where}: bands must be an object keyed by measurement id.")
    known = all_measurement_ids()
    for mid, rb in raw_bands.items():
        if mid not in known:
            raise SettingsError(f"{where}: bands.{mid} is not a measurement id.")
        bands[mid] = _check_band(mid, rb, bands.get(mid), where)
    return Settings(bands)


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
            return Settings(default_bands())
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
    s = settings_from_dict(raw, where=str(p))
    return Settings(s.bands, str(p))


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """The settings file content that reproduces ``settings`` (only what differs from the defaults)."""
    defaults = default_bands()
    out = {}
    for mid, band in settings.bands.items():
        if band != defaults.get(mid):
            out[mid] = None if band is None else band.as_dict()
    return {"bands": out}


# --- grading ------------------------------------------------------------------------


def _graded_quantity(value: float, rule: Rule) -> float:
    if rule.kind == "above_reference":
        return value - rule.reference
    if rule.kind == "outside_range":
        return max(rule.low - value, value - rule.high, 0.0)
    return abs(value)


def severity(value: float, band: Band, rule: Rule) -> str:
    """``normal``/``mild``/``moderate``/``marked`` of ``value`` under ``band`` and ``rule``."""
    if rule.kind == "lower_is_worse":
        if value < band.marked:
            return "marked"
        if value < band.moderate:
            return "moderate"
        return "mild" if value < band.mild else "normal"
    g = _graded_quantity(value, rule)
    if g >= band.marked:
        return "marked"
    if g >= band.moderate:
        return "moderate"
    # ``> 0``: a value at its reference is never a deviation (matters when mild is 0).
    return "mild" if g >= band.mild and g > 0 else "normal"


def thresholds(band: Band, rule: Rule) -> list[float]:
    """The values at which the severity changes, in the measurement's unit."""
    cuts = (band.mild, band.moderate, band.marked)
    if rule.kind == "lower_is_worse":
        return list(cuts)
    if rule.kind == "above_reference":
        return [rule.reference + c for c in cuts]
    if rule.kind == "outside_range":
        return [t for c in cuts for t in (rule.low - c, rule.high + c)]
    return [t for c in cuts for t in (c, -c) if c > 0] + ([0.0] if band.mild == 0 else [])


def is_borderline(value: float, uncertainty: float, band: Band, rule: Rule) -> bool:
    """True when ``value`` lies within ``2 * uncertainty`` of a severity change."""
    return any(abs(value - t) < 2 * uncertainty for t in thresholds(band, rule))
