"""The practice's grading bands in the app: loading them without losing a broken file, and the table the settings page edits.

The file is the one the command line reads (:func:`posture.settings.default_settings_path`:
``$POSTURE_SETTINGS`` when set, else ``settings.json`` in the per-user config
folder); :func:`posture.settings.save_settings` writes it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

from posture import grading, landmarks, measurements
from posture.errors import SettingsError
from posture.settings import Settings, default_settings, load_settings, parse_hex_color, settings_from_dict

COLUMNS = ("measurement", "id", "graded", "mild", "moderate", "marked", "source", "how graded")


def load(path: Path) -> tuple[Settings, str | None]:
    """The settings in ``path`` (defaults when it does not exist) and a problem sentence, if any.

    A broken file is reported and left alone (the defaults are used), never overwritten unasked.
    """
    if not path.exists():
        return default_settings(), None
    try:
        return load_settings(path), None
    except SettingsError as exc:
        problem = f"The settings file could not be used, so the default bands apply: {exc}"
        return default_settings(), problem


def _labels() -> dict[str, str]:
    out: dict[str, str] = {}
    for view in landmarks.VIEWS:
        for d in measurements.definitions(view):
            out.setdefault(d.id, d.label)
    return out


def table_rows(settings: Settings) -> list[dict[str, Any]]:
    """One row per measurement id (in the order of the views), for ``st.data_editor``."""
    labels = _labels()
    defaults = grading.default_bands()
    rows = []
    for mid, label in labels.items():
        band = settings.band(mid) if mid in settings.bands else defaults.get(mid)
        base = band or defaults.get(mid)
        rows.append(
            {
                "measurement": label,
                "id": mid,
                "graded": band is not None,
                "mild": base.mild if base else None,
                "moderate": base.moderate if base else None,
                "marked": base.marked if base else None,
                "source": base.source if base else "",
                "how graded": grading.rule_for(mid).how(),
            }
        )
    return rows


def _number(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def settings_from_rows(rows: list[dict[str, Any]], current: Settings | None = None) -> Settings:
    """Validate an edited table into :class:`~posture.settings.Settings`; raise :class:`SettingsError` with one sentence.

    The table edits the bands only: everything else of ``current`` (the practice's muscle patterns) is kept.
    """
    defaults = grading.default_bands()
    bands: dict[str, Any] = {}
    for row in rows:
        mid = row["id"]
        label = row.get("measurement") or mid
        if not row.get("graded"):
            if defaults.get(mid) is not None:
                bands[mid] = None
            continue
        values = {k: _number(row.get(k)) for k in ("mild", "moderate", "marked")}
        missing = [k for k, v in values.items() if v is None]
        if missing:
            raise SettingsError(f"{label}: enter a number for {', '.join(missing)} (or untick “graded”).")
        source = str(row.get("source") or "").strip() or "practice settings"
        band = {**values, "source": source}
        default = defaults.get(mid)
        if default is None or band != default.as_dict():
            bands[mid] = band
    try:
        edited = settings_from_dict({"bands": bands}, where="grading bands")
    except SettingsError as exc:
        raise SettingsError(str(exc).replace("grading bands: ", "")) from None
    return edited if current is None else replace(current, bands=edited.bands)


def with_capture(settings: Settings, marker_color: str | None, mark_distance_cm: float | None) -> Settings:
    """``settings`` with the practice's capture settings (spec §10); raise :class:`SettingsError` with one sentence.

    ``marker_color``: ``"#RRGGBB"``, or ``None`` to let detection find the colour; ``mark_distance_cm``: the plumb
    marks' distance (cm, more than zero), or ``None`` for detection's default (100 cm).
    """
    color = None if marker_color is None else parse_hex_color(marker_color, "The marker colour")
    if mark_distance_cm is not None and not (math.isfinite(mark_distance_cm) and mark_distance_cm > 0):
        raise SettingsError("The plumb marks' distance must be a number of cm more than zero.")
    return replace(settings, marker_color=color, mark_distance_cm=mark_distance_cm)
