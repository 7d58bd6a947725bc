"""Precaution-aware treatment planning (issue 14): each precaution recorded for the client becomes a caution
on the plan items it touches, and lines beside the plan.

The table is data, shipped in ``posture/data/precautions.json`` with its sources
and overridable like the bands (a practice's settings file, ``"precautions"``,
read by :mod:`posture.settings`). Each precaution (a key of the client file's
checklist, ``posture.store.PRECAUTION_KEYS``) has a short name and rules; a
rule is one sentence with the plan stages and body areas it touches:

* **Stages** are the plan's (spec §8): 1 pressure and trigger-point work, 2
  soft-tissue and positional work, 3 lengthening and stretching, 4 strength,
  5 endurance. A rule without stages is a line beside the plan whatever the
  items.
* **Areas** are the table's body areas, each the words a plan item uses for its
  muscles (the one home of which muscle lies where), or the plan's regions
  (``posture.measurements.REGIONS``). A rule without areas touches every item
  of its stages. An item's areas are those of the muscles it names
  (:func:`item_areas`); a soft-tissue item names aims, not muscles, so it
  works on the muscles its region's pressure and lengthening items name.

:func:`cautioned_plan` marks each item with the cautions of the rules that
touch it; ``general`` holds the lines beside the plan (rules without stages,
rules that touched no item, the "other" precaution's text) and, whenever a
precaution is recorded, the prompt to check with the client's physician. The
wording is considerations, never medical advice.

Plain data in, plain data out; no I/O beyond reading the shipped table. This
module sits below :mod:`posture.settings` (which carries the practice's table),
so it cannot import the store: the tests check the table's keys against
``PRECAUTION_KEYS``.

Examples
--------
>>> plan = [{"stage": 1, "title": "Relieve pain and trigger points",
...          "items": ["Knees: consider assessing hamstrings and gastrocnemius and soleus for trigger points."]}]
>>> item = cautioned_plan(plan, ["blood_clots_or_clotting_disorders"]).stages[0]["items"][0]
>>> item["cautions"][0]
'Clotting disorder: consider no deep pressure, stripping or friction on the calf or the medial thigh, where a clot can form and be dislodged.'
>>> sorted(item_areas(plan[0]["items"][0]))
['back of the thigh', 'calf']
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, TypedDict

from .errors import SettingsError
from .measurements import REGIONS
from .patterns import check_keys
from .result import PlanStage

#: The plan's stages a rule may name (spec §8: 1 pressure … 5 endurance).
STAGE_NUMBERS = (1, 2, 3, 4, 5)
#: The line beside the plan whenever a precaution is recorded.
PHYSICIAN_PROMPT = (
    "These are considerations, not medical advice: check with the client's physician how the recorded precautions "
    "bear on this plan before treatment."
)
#: What ``{other}`` becomes when the "other" precaution is checked without a description.
OTHER_NOT_DESCRIBED = "not described"
_FILE = "precautions.json"
_RULE_KEYS = ("caution", "stages", "areas", "sources", "own_choice")
_PRECAUTION_KEYS = ("name", "rules")
#: A stage whose items name aims, not muscles: it works on the muscles its region's pressure and lengthening items name.
_AIM_STAGE, _MUSCLE_STAGES = 2, (1, 3)


class PlanItem(TypedDict):
    """One item of the starter with the cautions that touch it (each one sentence; empty when none)."""

    text: str
    cautions: list[str]


class CautionedStage(TypedDict):
    stage: int
    title: str
    items: list[PlanItem]


@dataclass(frozen=True)
class CautionedPlan:
    """The starter with its cautions. ``general`` holds what is printed beside the plan whatever the items
    (the "other" precaution's text, cautions that touch no item, the prompt to check with the physician);
    ``sources`` the citations of the rules that gave a caution or a line, in the order first used."""

    stages: list[CautionedStage] = field(default_factory=list)
    general: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    @property
    def any_caution(self) -> bool:
        return bool(self.general) or any(i["cautions"] for s in self.stages for i in s["items"])


@dataclass(frozen=True)
class Rule:
    """One consideration: ``caution`` (one sentence, lower-case start; may hold ``{other}``) touches the
    items of ``stages`` in ``areas`` (every item of the stages when empty; no stages: a line beside the plan).

    ``sources`` are keys of the shipped table's sources or, from a practice's settings, citations;
    ``own_choice`` marks the project's own conservative extension of what the sources say.
    """

    caution: str
    stages: tuple[int, ...] = ()
    areas: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    own_choice: bool = False


@dataclass(frozen=True)
class Precaution:
    """A checklist precaution's short ``name`` (what its cautions start with) and its rules."""

    name: str
    rules: tuple[Rule, ...]


#: Every precaution by checklist key: the shipped table, or it merged with a practice's settings.
PrecautionTable = Mapping[str, Precaution]


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Shipped:
    sources: Mapping[str, str]
    areas: Mapping[str, tuple[str, ...]]
    table: PrecautionTable


def _text(raw: Any, name: str) -> str:
    """A caution: one non-empty sentence whose only placeholder is ``{other}``."""
    if not isinstance(raw, str) or not raw.strip():
        raise SettingsError(f"{name} must be a sentence of text.")
    try:
        fields = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(raw) if f is not None]
    except ValueError:
        raise SettingsError(f"{name} has an unmatched {{ or }} (the one placeholder is written {{other}}).") from None
    for f, spec, conv in fields:
        if f != "other" or spec or conv:
            raise SettingsError(f"{name} uses {{{f}}}, which is not a placeholder (use {{other}}, the other precaution's text).")
    return raw.strip()


def _names(raw: Any, name: str, what: str) -> list[Any]:
    if not isinstance(raw, list) or not raw:
        raise SettingsError(f"{name} must be a non-empty list of {what}.")
    return raw


def _parse_rule(raw: Any, name: str, areas: Mapping[str, tuple[str, ...]], sources: Mapping[str, str] | None) -> Rule:
    """One rule; ``sources`` given (the shipped file): every source must be one of its keys."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} must be an object with caution, stages, areas and sources.")
    check_keys(raw, _RULE_KEYS, name, "rule", required=("caution",))
    caution = _text(raw["caution"], f"{name}.caution")
    stages: tuple[int, ...] = ()
    if "stages" in raw:
        for i, s in enumerate(_names(raw["stages"], f"{name}.stages", "plan stages (1 to 5)")):
            if isinstance(s, bool) or s not in STAGE_NUMBERS:
                raise SettingsError(f"{name}.stages[{i}] must be a plan stage, a whole number from 1 to 5.")
        stages = tuple(sorted(set(raw["stages"])))
    where: tuple[str, ...] = ()
    if "areas" in raw:
        if not stages:
            raise SettingsError(f"{name}.areas needs stages: a rule without stages is a line beside the plan.")
        for i, a in enumerate(_names(raw["areas"], f"{name}.areas", "body areas or plan regions")):
            if not isinstance(a, str) or (a not in areas and a not in REGIONS):
                known = ", ".join([*areas, *REGIONS])
                raise SettingsError(f"{name}.areas[{i}] is not a body area of {_FILE} or a plan region (use {known}).")
        where = tuple(dict.fromkeys(raw["areas"]))
    if "sources" in raw:
        cited = _names(raw["sources"], f"{name}.sources", "sources")
        for i, c in enumerate(cited):
            if not isinstance(c, str) or not c.strip():
                raise SettingsError(f"{name}.sources[{i}] must be text: a citation, or a source key of {_FILE}.")
            if sources is not None and c not in sources:
                raise SettingsError(f"{name}.sources[{i}] is not a key of {_FILE}'s sources.")
        cited_t = tuple(c.strip() for c in cited)
    elif sources is not None:
        raise SettingsError(f"{name}.sources is missing.")
    else:
        cited_t = ("practice settings",)
    own = raw.get("own_choice", False)
    if not isinstance(own, bool):
        raise SettingsError(f"{name}.own_choice must be true or false.")
    return Rule(caution, stages, where, cited_t, own)


def _parse_precaution(
    raw: Any, prior: Precaution | None, name: str, areas: Mapping[str, tuple[str, ...]], sources: Mapping[str, str] | None
) -> Precaution:
    """A precaution object; what it leaves out (``name``, ``rules``) stays as in ``prior``."""
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} must be an object with name and rules.")
    check_keys(raw, _PRECAUTION_KEYS, name, "precaution", required=_PRECAUTION_KEYS if prior is None else ())
    short = prior.name if prior else ""
    if "name" in raw:
        if not isinstance(raw["name"], str) or not raw["name"].strip():
            raise SettingsError(f"{name}.name must be text: the short name the cautions start with.")
        short = raw["name"].strip()
    rules = prior.rules if prior else ()
    if "rules" in raw:
        if not isinstance(raw["rules"], list):
            raise SettingsError(f"{name}.rules must be a list of rules (an empty list gives no cautions).")
        rules = tuple(_parse_rule(r, f"{name}.rules[{i}]", areas, sources) for i, r in enumerate(raw["rules"]))
    return Precaution(short, rules)


@lru_cache(maxsize=1)
def _shipped() -> _Shipped:
    raw = json.loads(resources.files("posture").joinpath(f"data/{_FILE}").read_text(encoding="utf-8"))
    sources = MappingProxyType(dict(raw["sources"]))
    areas: dict[str, tuple[str, ...]] = {}
    for area, words in raw["areas"].items():
        if area in REGIONS:
            raise SettingsError(f"{_FILE}: areas.{area} has the name of a plan region.")
        areas[area] = tuple(words)
    table = {
        key: _parse_precaution(p, None, f"{_FILE}: precautions.{key}", areas, sources) for key, p in raw["precautions"].items()
    }
    return _Shipped(sources, MappingProxyType(areas), MappingProxyType(table))


def shipped_precautions() -> PrecautionTable:
    """The precautions shipped in ``posture/data/precautions.json``, by checklist key (read once)."""
    return _shipped().table


def body_areas() -> Mapping[str, tuple[str, ...]]:
    """The body areas by name, each with the words a plan item uses for its muscles."""
    return _shipped().areas


def citation(source: str) -> str:
    """A rule's source as a reader sees it: the shipped citation of a source key, else the text as given."""
    return _shipped().sources.get(source, source)


def precautions_from_dict(raw: Any, where: str) -> PrecautionTable:
    """A settings file's ``"precautions"`` merged over the shipped table; :class:`SettingsError` naming the field.

    ``raw`` maps checklist keys to precaution objects, as under ``"precautions"``
    in the shipped file; ``rules`` given replace the shipped rules of that
    precaution, and a ``name`` or ``rules`` left out stays as shipped. A rule's
    sources may be citations (a rule without them is sourced "practice settings").
    """
    if not isinstance(raw, dict):
        raise SettingsError(f"{where}: precautions must be an object keyed by precaution (e.g. pregnancy).")
    shipped = _shipped()
    out = dict(shipped.table)
    for key, p in raw.items():
        if key not in shipped.table:
            known = ", ".join(shipped.table)
            raise SettingsError(f"{where}: precautions.{key} is not a precaution of the client file (use {known}).")
        out[key] = _parse_precaution(p, shipped.table[key], f"{where}: precautions.{key}", shipped.areas, None)
    return MappingProxyType(out)


def _rule_to_dict(rule: Rule) -> dict[str, Any]:
    out: dict[str, Any] = {"caution": rule.caution}
    if rule.stages:
        out["stages"] = list(rule.stages)
    if rule.areas:
        out["areas"] = list(rule.areas)
    out["sources"] = list(rule.sources)
    if rule.own_choice:
        out["own_choice"] = True
    return out


def precautions_to_dict(table: PrecautionTable) -> dict[str, Any]:
    """The ``"precautions"`` of a settings file that reproduces ``table``: each precaution that differs from the shipped one, in full."""
    shipped = shipped_precautions()
    return {
        key: {"name": p.name, "rules": [_rule_to_dict(r) for r in p.rules]} for key, p in table.items() if p != shipped.get(key)
    }


# --- matching ---------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _area_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """Each body area's words as one pattern: a whole word or phrase, its plural too ("adductor", "adductors")."""
    return tuple(
        (area, re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")(?:e?s)?\b", re.IGNORECASE))
        for area, words in body_areas().items()
    )


def item_areas(text: str) -> frozenset[str]:
    """The body areas of the muscles a plan item (or any text) names."""
    return frozenset(area for area, pattern in _area_patterns() if pattern.search(text))


def item_region(text: str) -> str | None:
    """The plan region an item is about: its ``"Region: …"`` label (``None`` when it has none)."""
    label = text.split(":", 1)[0].strip().lower()
    return label if ":" in text and label in REGIONS else None


def _touches(rule: Rule, stage: int, where: frozenset[str]) -> bool:
    return stage in rule.stages and (not rule.areas or not where.isdisjoint(rule.areas))


def _line(p: Precaution, rule: Rule, other: str) -> str:
    name = p.name[:1].upper() + p.name[1:]
    return f"{name}: {rule.caution.format_map({'other': other})}"


def cautioned_plan(
    plan: Sequence[PlanStage],
    checked: Iterable[str] = (),
    other_text: str = "",
    *,
    table: PrecautionTable | None = None,
) -> CautionedPlan:
    """``plan`` with the cautions of the checked precaution keys (``posture.store.PRECAUTION_KEYS``).

    ``table``: the precautions in force (``Settings.precautions``; default: the
    shipped table). An ``other_text`` checks ``"other"``, as in the client file.
    Each item's cautions start with the precaution's short name; a rule's caution
    appears once per item. ``general`` lists, precaution by precaution in the
    table's order, the rules without stages and the rules that touched no item,
    then :data:`PHYSICIAN_PROMPT`; it is empty, like every item's cautions, when
    nothing is recorded. Raise :class:`ValueError` for a key the table lacks.
    """
    table = shipped_precautions() if table is None else table
    wanted = set(checked) | ({"other"} if other_text.strip() else set())
    unknown = sorted(wanted - set(table))
    if unknown:
        raise ValueError(f"{unknown[0]} is not a precaution of the table (use {', '.join(table)}).")
    recorded = [(key, table[key]) for key in table if key in wanted]
    other = other_text.strip().rstrip(".") or OTHER_NOT_DESCRIBED

    worked_on: dict[str | None, set[str]] = {}  # the areas each region's pressure and lengthening items name
    for s in plan:
        if s["stage"] in _MUSCLE_STAGES:
            for text in s["items"]:
                worked_on.setdefault(item_region(text), set()).update(item_areas(text))

    used: set[tuple[str, int]] = set()
    stages: list[CautionedStage] = []
    for s in plan:
        items: list[PlanItem] = []
        for text in s["items"]:
            region = item_region(text)
            where = set(item_areas(text)) | ({region} if region else set())
            if s["stage"] == _AIM_STAGE:
                where |= worked_on.get(region, set())
            cautions: list[str] = []
            for key, p in recorded:
                for i, rule in enumerate(p.rules):
                    if _touches(rule, s["stage"], frozenset(where)):
                        used.add((key, i))
                        line = _line(p, rule, other)
                        if line not in cautions:
                            cautions.append(line)
            items.append({"text": text, "cautions": cautions})
        stages.append({"stage": s["stage"], "title": s["title"], "items": items})

    general: list[str] = []
    cited: list[str] = []
    for key, p in recorded:
        for i, rule in enumerate(p.rules):
            if not rule.stages or (key, i) not in used:
                line = _line(p, rule, other)
                if line not in general:
                    general.append(line)
            for src in rule.sources:  # every rule of a recorded precaution gives a caution or a line
                if citation(src) not in cited:
                    cited.append(citation(src))
    if recorded:
        general.append(PHYSICIAN_PROMPT)
    return CautionedPlan(stages, general, cited)
