"""The muscle patterns: which muscles to consider assessing for a finding (spec §8), as data.

The table is ``posture/data/muscle_patterns.json``, read once by
:func:`shipped_patterns`; :func:`pattern_for` chooses a case for a value
(:func:`case_for`) and fills its placeholders (the side, the limb, the spine
level). A practice overrides cases in its settings file (``"patterns"``,
:func:`patterns_from_dict`, written back by :func:`patterns_to_dict`).
:mod:`posture.findings` turns the patterns into words and the plan.
"""

from __future__ import annotations

import json
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from . import grading
from .errors import SettingsError
from .measurements import all_measurement_ids

_SIDE = {1: "right", -1: "left"}


def _other(side: str) -> str:
    return "left" if side == "right" else "right"


def _limb(mid: str) -> str:
    return "right" if mid.endswith("_r") else "left"


@dataclass(frozen=True)
class Pattern:
    """Muscles commonly implicated: ``tight`` (assess for trigger points / hypertonicity / shortness)
    and ``weak`` (assess strength), with what the structural work aims at.

    In the table the texts hold placeholders (:data:`PLACEHOLDERS`); :func:`pattern_for` fills them.
    """

    tight: tuple[str, ...]
    weak: tuple[str, ...]
    aim: str
    rationale: str

    def filled(self, fill: Mapping[str, str]) -> Pattern:
        """The pattern with its placeholders replaced by ``fill``'s values."""
        return Pattern(
            tuple(t.format_map(fill) for t in self.tight),
            tuple(w.format_map(fill) for w in self.weak),
            self.aim.format_map(fill),
            self.rationale.format_map(fill),
        )


#: One measurement's patterns by case (:data:`ANY`, :data:`SIGN_CASES` or :data:`RANGE_CASES`).
Cases = Mapping[str, Pattern]
#: Every measurement's cases by measurement id: the shipped table, or it merged with a practice's settings.
PatternTable = Mapping[str, Cases]

#: The case that covers every value of a measurement; a more specific case, when there is one, comes first.
ANY = "any"
#: Cases by the sign of the value: ``positive`` is a value > 0, ``negative`` any other.
SIGN_CASES = ("positive", "negative")
#: Cases of a measurement graded outside a range (pelvic tilt): ``above`` its grading rule's range, ``below`` otherwise.
RANGE_CASES = ("above", "below")
#: What a pattern's text may name: the side the sign points to (+: right), the other side, the limb, the spine level.
PLACEHOLDERS = ("side", "other", "limb", "level")
_PATTERN_KEYS = ("tight", "weak", "aim", "rationale")
_NO_PATTERN = Pattern((), (), "", "")
_PATTERNS_FILE = "muscle_patterns.json"


def _fill(mid: str, value: float, extra: Mapping[str, Any]) -> dict[str, str]:
    """The placeholders' values for one value of ``mid``."""
    side = _SIDE[1] if value > 0 else _SIDE[-1]
    limb = _limb(mid) if mid.endswith(("_r", "_l")) else ""
    return {
        "side": side,
        "other": _other(side),
        "limb": limb,
        "level": (extra.get("level") or "").upper(),
    }


def case_for(mid: str, value: float) -> str:
    """Which case of ``mid``'s patterns a value falls under (the band edges are its grading rule's)."""
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.OutsideRange):
        return RANGE_CASES[0] if value > rule.high else RANGE_CASES[1]
    return SIGN_CASES[0] if value > 0 else SIGN_CASES[1]


def _cases_of(mid: str) -> tuple[str, ...]:
    return (ANY, *(RANGE_CASES if isinstance(grading.rule_for(mid), grading.OutsideRange) else SIGN_CASES))


def pattern_for(mid: str, value: float, extra: Mapping[str, Any] | None = None, patterns: PatternTable | None = None) -> Pattern:
    """The muscle pattern for a finding of ``mid`` with ``value`` (side-aware), from ``patterns`` (default: shipped).

    ``extra`` carries the spine ``level`` of ``spine_deviation``. A measurement
    with no pattern for the value gives an empty one.
    """
    cases = (shipped_patterns() if patterns is None else patterns).get(mid, {})
    template = cases.get(case_for(mid, value)) or cases.get(ANY)
    return template.filled(_fill(mid, value, extra or {})) if template else _NO_PATTERN


def _text(raw: Any, name: str) -> str:
    """A pattern text: a string whose placeholders are :data:`PLACEHOLDERS`."""
    if not isinstance(raw, str):
        raise SettingsError(f"{name} must be text.")
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(raw) if f is not None]
    except ValueError:
        raise SettingsError(f"{name} has an unmatched {{ or }} (placeholders are written {{side}}).") from None
    for f, spec, conv in fields:
        if f not in PLACEHOLDERS or spec or conv:
            known = ", ".join("{" + p + "}" for p in PLACEHOLDERS)
            raise SettingsError(f"{name} uses {{{f}}}, which is not a placeholder (use {known}).")
    return raw


def _texts(raw: Any, name: str) -> tuple[str, ...]:
    if not isinstance(raw, list):
        raise SettingsError(f"{name} must be a list of muscle names.")
    out = tuple(_text(item, f"{name}[{i}]") for i, item in enumerate(raw))
    for i, item in enumerate(out):
        if not item.strip():
            raise SettingsError(f"{name}[{i}] is empty: name a muscle, or leave it out.")
    return out


def check_keys(raw: dict[str, Any], keys: Sequence[str], name: str, what: str, required: Sequence[str] = ()) -> None:
    """A settings object's keys: each one of ``keys`` (a *what* key), none of ``required`` missing; raise
    :class:`SettingsError` naming the first wrong one (the practice's patterns and precautions share this rule)."""
    unknown = sorted(set(raw) - set(keys))
    if unknown:
        raise SettingsError(f"{name}.{unknown[0]} is not a {what} key (use {', '.join(keys)}).")
    missing = [k for k in required if k not in raw]
    if missing:
        raise SettingsError(f"{name}.{missing[0]} is missing.")


def _parse_pattern(raw: Any, prior: Pattern | None, shared: Mapping[str, Pattern], name: str) -> Pattern:
    """One case: a pattern object (keys it leaves out come from ``prior``) or the name of a shared pattern."""
    if isinstance(raw, str):
        if raw not in shared:
            raise SettingsError(f"{name}: {raw!r} is not a shared pattern of {_PATTERNS_FILE}.")
        return shared[raw]
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} must be an object with tight, weak, aim and rationale, or the name of a shared pattern.")
    check_keys(raw, _PATTERN_KEYS, name, "pattern", required=_PATTERN_KEYS if prior is None else ())
    keep = prior or _NO_PATTERN
    return Pattern(
        _texts(raw["tight"], f"{name}.tight") if "tight" in raw else keep.tight,
        _texts(raw["weak"], f"{name}.weak") if "weak" in raw else keep.weak,
        _text(raw["aim"], f"{name}.aim") if "aim" in raw else keep.aim,
        _text(raw["rationale"], f"{name}.rationale") if "rationale" in raw else keep.rationale,
    )


def _parse_cases(mid: str, raw: Any, base: Cases, shared: Mapping[str, Pattern], name: str) -> Cases:
    """``raw``'s cases merged over ``base`` (``any`` replaces every case; a field left out stays as in the case replaced)."""
    allowed = _cases_of(mid)
    if not isinstance(raw, dict) or not raw:
        raise SettingsError(f"{name} must be an object with one or more of the cases {', '.join(allowed)}.")
    for key in raw:
        if key not in allowed:
            why = " (it is graded by its distance outside a range)" if allowed[1:] == RANGE_CASES else ""
            raise SettingsError(f"{name}.{key} is not a case of {mid}: use {', '.join(allowed)}{why}.")
    out = {} if ANY in raw else dict(base)
    for key, case in raw.items():
        out[key] = _parse_pattern(case, base.get(key) or base.get(ANY), shared, f"{name}.{key}")
    return MappingProxyType(out)


@lru_cache(maxsize=1)
def _shipped() -> tuple[Mapping[str, Pattern], PatternTable]:
    text = resources.files("posture").joinpath(f"data/{_PATTERNS_FILE}").read_text(encoding="utf-8")
    raw = json.loads(text)
    shared = {name: _parse_pattern(p, None, {}, f"{_PATTERNS_FILE}: shared.{name}") for name, p in raw["shared"].items()}
    known = all_measurement_ids()
    table: dict[str, Cases] = {}
    for mid, cases in raw["patterns"].items():
        if mid not in known:
            raise SettingsError(f"{_PATTERNS_FILE}: patterns.{mid} is not a measurement id.")
        table[mid] = _parse_cases(mid, cases, {}, shared, f"{_PATTERNS_FILE}: patterns.{mid}")
    return MappingProxyType(shared), MappingProxyType(table)


def shipped_patterns() -> PatternTable:
    """The muscle patterns shipped in ``posture/data/muscle_patterns.json``, by measurement id (read once)."""
    return _shipped()[1]


def patterns_from_dict(raw: Any, where: str) -> PatternTable:
    """A settings file's ``"patterns"`` merged over the shipped table; :class:`SettingsError` naming the field.

    ``raw`` maps measurement ids to cases, as under ``"patterns"`` in the
    shipped file; a case given replaces the shipped one (``any`` replaces them
    all), and the keys it leaves out (``tight``, ``weak``, ``aim``,
    ``rationale``) stay as shipped. A case may name a shared pattern of the
    shipped file.
    """
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: patterns must be an object keyed by measurement id.")
    shared, table = _shipped()
    known = all_measurement_ids()
    out = dict(table)
    for mid, cases in raw.items():
        if mid not in known:
            raise SettingsError(f"{where}: patterns.{mid} is not a measurement id.")
        out[mid] = _parse_cases(mid, cases, table.get(mid, {}), shared, f"{where}: patterns.{mid}")
    return MappingProxyType(out)


def patterns_to_dict(patterns: PatternTable) -> dict[str, Any]:
    """The ``"patterns"`` of a settings file that reproduces ``patterns``: each measurement that differs from the shipped table, in full."""
    shipped = shipped_patterns()
    out: dict[str, Any] = {}
    for mid, cases in patterns.items():
        if dict(cases) != dict(shipped.get(mid, {})):
            out[mid] = {
                key: {"tight": list(p.tight), "weak": list(p.weak), "aim": p.aim, "rationale": p.rationale}
                for key, p in cases.items()
            }
    return out
