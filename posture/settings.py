"""The practice's settings: grading bands and muscle patterns over the shipped ones, read and written as one file.

A practice overrides any band (:mod:`posture.grading`) or muscle pattern
(:mod:`posture.findings`) with a JSON settings file::

    {"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}},
     "patterns": {"head_tilt": {"any": {"weak": ["deep neck flexors"]}}},
     "capture": {"marker_color": "#E0303A", "mark_distance_cm": 100},
     "precautions": {"pregnancy": {"rules": [{"caution": "consider ...", "stages": [1], "areas": ["abdomen"]}]}},
     "practice": {"name": "Bodywork Studio", "therapist": "A. Therapist", "contact": "01 234 5678"}}

given by ``--settings FILE``, the ``POSTURE_SETTINGS`` environment variable, or
the per-user file the app saves (:func:`default_settings_path`). A band set to
``null`` switches grading off for that measurement; the patterns' form is the
shipped ``posture/data/muscle_patterns.json``'s. ``"capture"`` holds how the
practice takes its photos (spec §10): the adhesive markers' colour
(``"#RRGGBB"``, or ``null`` to let detection find it) and the distance between
the plumb line's two marks in cm (``null``: detection's default, 100 cm). Files
without it load as before. ``"precautions"`` replaces the cautions a recorded
precaution puts on the treatment-planning starter (:mod:`posture.precautions`;
the form is the shipped ``posture/data/precautions.json``'s).
without it load as before. ``"practice"`` holds the practice's details that the
report and the client handout print (:class:`Practice`; each optional text).

This module reads files only in :func:`load_settings` and writes only in
:func:`save_settings`; :func:`default_settings` comes from the package data.
Nothing else in the core reads or writes settings: :func:`posture.analyze`
takes them as an argument.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

from .atomic import atomic_write_bytes
from .errors import JSONInputError, SettingsError
from .findings import PatternTable, patterns_from_dict, patterns_to_dict, shipped_patterns
from .grading import BAND_KEYS, Band, default_bands, rule_for
from .inputs import MAX_JSON_BYTES, parse_json, read_input_file
from .measurements import all_measurement_ids
from .precautions import PrecautionTable, precautions_from_dict, precautions_to_dict, shipped_precautions
from .result import Band as ResultBand

SETTINGS_ENV = "POSTURE_SETTINGS"


#: The keys of ``"practice"`` in a settings file, in the order the report prints them.
PRACTICE_KEYS = ("name", "therapist", "contact")
_PRACTICE_MAX_CHARS = 200


@dataclass(frozen=True)
class Practice:
    """The practice's details as the report and the handout print them; each may be empty."""

    name: str = ""
    therapist: str = ""
    contact: str = ""

    def lines(self) -> list[str]:
        """The details given, in :data:`PRACTICE_KEYS` order."""
        return [v for v in (self.name, self.therapist, self.contact) if v]


@dataclass(frozen=True)
class Settings:
    """The grading bands, muscle patterns and precautions in force (defaults merged with a practice's settings).

    ``patterns``: the muscle patterns by measurement id, as
    :func:`posture.findings.pattern_for` reads them (default: the shipped table).
    """

    bands: Mapping[str, Band | None]
    path: str | None = None
    patterns: PatternTable = field(default_factory=shipped_patterns)
    #: The adhesive markers' colour ``(r, g, b)`` 0–255, or ``None``: detection finds the colour.
    marker_color: tuple[int, int, int] | None = None
    #: The plumb line's two marks' distance (cm), or ``None``: detection's default
    #: (:data:`posture.detect.base.DEFAULT_MARK_DISTANCE_CM`, 100 cm; this layer may not import it).
    mark_distance_cm: float | None = None
    #: The precautions' cautions on the plan by checklist key, as :func:`posture.precautions.cautioned_plan`
    #: reads them (default: the shipped table).
    precautions: PrecautionTable = field(default_factory=shipped_precautions)
    #: The practice's details (``"practice"`` in the settings file) the report and the handout print.
    practice: Practice = Practice()

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
    unknown = sorted(set(raw) - set(BAND_KEYS))
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
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: the settings file must be a JSON object.")
    unknown = sorted(
        set(raw) - {"bands", "patterns", "capture", "precautions", "practice", "about", "rules"}
    )  # "about"/"rules": a copy of the shipped file
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
    color, distance = _capture_from_dict(raw.get("capture", {}), where)
    return Settings(
        bands,
        patterns=patterns_from_dict(raw.get("patterns", {}), where),
        marker_color=color,
        mark_distance_cm=distance,
        precautions=precautions_from_dict(raw.get("precautions", {}), where),
        practice=practice_from_dict(raw.get("practice", {}), where),
    )


def practice_from_dict(raw: Any, where: str = "settings") -> Practice:
    """A settings file's ``"practice"`` (``name``, ``therapist``, ``contact``: text, each optional), trimmed."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: practice must be an object with name, therapist and contact.")
    unknown = sorted(set(raw) - set(PRACTICE_KEYS))
    if unknown:
        raise SettingsError(f"{where}: practice.{unknown[0]} is not a practice detail (use name, therapist, contact).")
    values = {}
    for key in PRACTICE_KEYS:
        value = raw.get(key) or ""
        if not isinstance(value, str):
            raise SettingsError(f"{where}: practice.{key} must be text.")
        value = " ".join(value.split())
        if len(value) > _PRACTICE_MAX_CHARS:
            raise SettingsError(f"{where}: practice.{key} is longer than {_PRACTICE_MAX_CHARS} characters.")
        values[key] = value
    return Practice(**values)


_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def parse_hex_color(text: str, where: str = "colour") -> tuple[int, int, int]:
    """``"#RRGGBB"`` → ``(r, g, b)`` 0–255; raise :class:`SettingsError` naming ``where`` otherwise."""
    if not isinstance(text, str) or not _HEX_COLOR.fullmatch(text.strip()):
        raise SettingsError(f'{where} must be a colour written "#RRGGBB" (e.g. "#E0303A").')
    t = text.strip()
    return (int(t[1:3], 16), int(t[3:5], 16), int(t[5:7], 16))


def hex_color(rgb: tuple[int, int, int]) -> str:
    """``(r, g, b)`` → ``"#RRGGBB"`` (upper case)."""
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _capture_from_dict(raw: Any, where: str) -> tuple[tuple[int, int, int] | None, float | None]:
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: capture must be an object with marker_color and mark_distance_cm.")
    unknown = sorted(set(raw) - {"marker_color", "mark_distance_cm"})
    if unknown:
        raise SettingsError(f"{where}: capture.{unknown[0]} is not a capture setting (use marker_color, mark_distance_cm).")
    color_raw = raw.get("marker_color")
    color = None if color_raw is None else parse_hex_color(color_raw, f"{where}: capture.marker_color")
    distance_raw = raw.get("mark_distance_cm")
    distance = None
    if distance_raw is not None:
        distance = _finite(distance_raw, f"{where}: capture.mark_distance_cm")
        if distance <= 0:
            raise SettingsError(f"{where}: capture.mark_distance_cm must be more than zero.")
    return color, distance


def default_settings_path() -> Path:
    """The practice's settings file: ``$POSTURE_SETTINGS`` when set, else ``settings.json`` in the per-user
    config folder (``platformdirs.user_config_dir("posture")``, where the app saves the bands)."""
    env = os.environ.get(SETTINGS_ENV)
    if env:
        return Path(env).expanduser()
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
    if not p.exists() and not p.is_symlink():
        raise SettingsError(f"Settings file not found: {p}.")
    data = read_input_file(p, "settings file", MAX_JSON_BYTES, SettingsError)
    try:
        raw = parse_json(data, allow_constants=True)  # a NaN threshold is refused naming its band
    except JSONInputError as exc:
        raise SettingsError(f"The settings file {p} {exc.reason}.") from None
    return replace(settings_from_dict(raw, where=str(p)), path=str(p))


def settings_to_dict(settings: Settings) -> dict[str, Any]:
    """The settings file content that reproduces ``settings`` (only what differs from the defaults).

    ``"bands"`` is always there; ``"patterns"`` and ``"precautions"`` only when some differ from the shipped
    ones; ``"capture"`` and ``"practice"`` only when one of theirs is set.
    """
    defaults = default_bands()
    bands: dict[str, ResultBand | None] = {}
    for mid, band in settings.bands.items():
        if band != defaults.get(mid):
            bands[mid] = None if band is None else band.as_dict()
    out: dict[str, Any] = {"bands": bands}
    patterns = patterns_to_dict(settings.patterns)
    if patterns:
        out["patterns"] = patterns
    capture: dict[str, Any] = {}
    if settings.marker_color is not None:
        capture["marker_color"] = hex_color(settings.marker_color)
    if settings.mark_distance_cm is not None:
        capture["mark_distance_cm"] = settings.mark_distance_cm
    if capture:
        out["capture"] = capture
    precautions = precautions_to_dict(settings.precautions)
    if precautions:
        out["precautions"] = precautions
    practice = {k: getattr(settings.practice, k) for k in PRACTICE_KEYS if getattr(settings.practice, k)}
    if practice:
        out["practice"] = practice
    return out


def save_settings(settings: Settings, path: str | os.PathLike[str]) -> None:
    """Write the bands, patterns, capture settings and precautions of ``settings`` that differ from the defaults to ``path`` atomically (creating its folder)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(settings_to_dict(settings), indent=2, ensure_ascii=False) + "\n"
    atomic_write_bytes(p, text.encode("utf-8"))
