"""Words: the only module that turns signs into sides, and findings into a plan.

* :func:`direction` — what the sign of a value means ("right shoulder lower").
* :func:`build_findings` — one finding per graded, non-normal measurement,
  most important first, each with muscles to consider assessing and, where a
  finding lies outside massage scope, a referral prompt.
* :func:`build_plan` — the treatment-planning starter: the NMT rehabilitation
  stages in order, items grouped by body region.

Everything here is phrased as something to *consider assessing*, never as a
diagnosis. The muscle patterns follow common postural teaching (spec §8) and
are data: ``posture/data/muscle_patterns.json``, read by :func:`shipped_patterns`,
chosen and filled in by :func:`pattern_for`; a practice overrides them in its
settings file (``"patterns"``, :func:`patterns_from_dict`).
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
from .formatting import format_number
from .landmarks import VIEWS
from .measurements import REGIONS, all_measurement_ids
from .result import (
    Finding,
    Measurement,
    Notice,
    Observation,
    PlanStage,
    RankedFinding,
    RankedObservation,
    Result,
    Severity,
    severity_rank,
)

#: Code of the warning that carries a fixed-rule referral no finding carries (:class:`~posture.result.Notice`).
REFERRAL = "referral"

STAGES = (
    (1, "Relieve pain and trigger points"),
    (2, "Correct structure and restore biomechanics"),
    (3, "Restore flexibility and re-educate neuromuscular pathways"),
    (4, "Restore strength"),
    (5, "Build endurance"),
)

_SIDE = {1: "right", -1: "left"}


def _other(side: str) -> str:
    return "left" if side == "right" else "right"


def _limb(mid: str) -> str:
    return "right" if mid.endswith("_r") else "left"


# (positive, negative, zero) phrases; "{Limb}" is the limb of a *_r / *_l measurement, "{level}" the spine level.
_DIRECTIONS: dict[str, tuple[str, str, str]] = {
    "head_tilt": ("head tilted to the right, right ear lower", "head tilted to the left, left ear lower", "head level"),
    "shoulder_tilt": ("right shoulder lower", "left shoulder lower", "shoulders level"),
    "shoulder_height_diff": ("right shoulder lower", "left shoulder lower", "shoulders level"),
    "pelvic_obliquity": ("right side of the pelvis lower", "left side of the pelvis lower", "pelvis level"),
    "pelvic_height_diff": ("right side of the pelvis lower", "left side of the pelvis lower", "pelvis level"),
    "tibial_tuberosity_tilt": ("right tibial tuberosity lower", "left tibial tuberosity lower", "tibial tuberosities level"),
    "scapula_tilt": ("right scapula lower", "left scapula lower", "scapulae level"),
    "shoulder_pelvis_angle": (
        "shoulder line tilted further to the right than the pelvis",
        "shoulder line tilted further to the left than the pelvis",
        "shoulder and pelvis lines parallel",
    ),
    "head_shift": ("head shifted to the client's right", "head shifted to the client's left", "head centred"),
    "trunk_shift": ("trunk shifted to the client's right", "trunk shifted to the client's left", "trunk centred"),
    "pelvic_shift": ("pelvis shifted to the client's right", "pelvis shifted to the client's left", "pelvis centred"),
    "leg_length_diff": ("right leg longer", "left leg longer", "legs equal"),
    "scapular_asymmetry": (
        "right scapula further from the spine",
        "left scapula further from the spine",
        "scapulae symmetric",
    ),
    "spine_deviation": (
        "spine at {level} deviates to the client's right",
        "spine at {level} deviates to the client's left",
        "spine straight",
    ),
    "knee_alignment": ("{Limb} knee valgus, knock-knee", "{Limb} knee varus, bow-leg", "{Limb} knee straight"),
    "hindfoot_angle": (
        "{Limb} hindfoot valgus, heel everted",
        "{Limb} hindfoot varus, heel inverted",
        "{Limb} hindfoot straight",
    ),
    "head_forward": ("ear anterior of the shoulder", "ear posterior of the shoulder", "ear over the shoulder"),
    "head_flexion": ("head flexed, eye below the tragus", "head extended, eye above the tragus", "head level"),
    "head_vertical_alignment": ("head forward of the shoulder", "head behind the shoulder", "head over the shoulder"),
    "trunk_lean": ("trunk leaning forward", "trunk leaning backward", "trunk upright"),
    "body_lean": ("body leaning forward", "body leaning backward", "body upright"),
    "pelvic_tilt": ("anterior tilt, ASIS lower than PSIS", "posterior tilt, ASIS higher than PSIS", "ASIS level with PSIS"),
    "hip_angle": (
        "trunk flexed forward of the thigh line",
        "hip extended, trochanter ahead of the shoulder–knee line",
        "trunk in line with the thigh",
    ),
    "knee_angle": ("knee hyperextended", "knee flexed", "knee straight"),
    "shank_angle": ("knee anterior of the ankle", "knee posterior of the ankle", "knee over the ankle"),
    "ear_plumb_offset": ("ear anterior of the plumb line", "ear posterior of the plumb line", "ear on the plumb line"),
    "shoulder_plumb_offset": (
        "shoulder anterior of the plumb line",
        "shoulder posterior of the plumb line",
        "shoulder on the plumb line",
    ),
    "hip_plumb_offset": ("hip anterior of the plumb line", "hip posterior of the plumb line", "hip on the plumb line"),
    "knee_plumb_offset": ("knee anterior of the plumb line", "knee posterior of the plumb line", "knee on the plumb line"),
    # v1.1 (spec §9)
    "thoracic_kyphosis": (
        "thoracic curve kyphotic, apex behind the C7–T12 line",
        "thoracic curve reversed, apex in front of the C7–T12 line",
        "thoracic spine straight from C7 to T12",
    ),
    "lumbar_lordosis": (
        "lumbar curve lordotic, apex in front of the T12–S1 line",
        "lumbar curve reversed, apex behind the T12–S1 line",
        "lumbar spine straight from T12 to S1",
    ),
    "shoulder_forward_of_hip": (
        "shoulder anterior of the hip",
        "shoulder posterior of the hip",
        "shoulder over the hip",
    ),
    "head_on_trunk_shift": (
        "head shifted to the client's right of the trunk",
        "head shifted to the client's left of the trunk",
        "head centred over the trunk",
    ),
    "trunk_on_pelvis_shift": (
        "trunk shifted to the client's right of the pelvis",
        "trunk shifted to the client's left of the pelvis",
        "trunk centred over the pelvis",
    ),
    "cog_shift": (
        "centre of gravity to the client's right of the ankles",
        "centre of gravity to the client's left of the ankles",
        "centre of gravity between the ankles",
    ),
    "cog_asymmetry": (
        "centre of gravity toward the client's right foot",
        "centre of gravity toward the client's left foot",
        "centre of gravity midway between the feet",
    ),
}


def _base_id(mid: str) -> str:
    return mid[:-2] if mid.endswith(("_r", "_l")) and mid[:-2] in _DIRECTIONS else mid


def _band(mid: str, band: grading.Band | None) -> grading.Band:
    """The band in force, else the shipped one: where the words need a band edge (the CVA's normal edge)."""
    return band or grading.default_bands()[mid]


def direction(mid: str, value: float, extra: Mapping[str, Any] | None = None, band: grading.Band | None = None) -> str:
    """What the sign of ``value`` means for measurement ``mid``, in the client's terms.

    ``band`` is the band in force (the shipped one when ``None``); the words of
    a measurement graded against a reference (CVA, Q angle) follow its rule.
    """
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.LowerIsWorse):
        forward = rule.distance_from_normal(value, _band(mid, band)) > 0
        return "head forward of the trunk, lower is more forward" if forward else "head well over the trunk"
    if isinstance(rule, grading.AboveReference):
        where = "above" if value > rule.reference else "within"
        return f"{_limb(mid)} Q angle {where} the {rule.reference:g}° reference"
    pos, neg, zero = _DIRECTIONS[_base_id(mid)]
    text = pos if value > 0 else neg if value < 0 else zero
    return text.format_map(_fill(mid, value, extra or {}))


def sign_words(mid: str) -> str:
    """What the sign of ``mid`` means, for the measurement reference (``docs/measurements.md``)."""
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.LowerIsWorse):
        return "smaller = more forward head"
    if isinstance(rule, grading.AboveReference):
        return "unsigned (0° = straight)"
    pos, neg, _ = _DIRECTIONS[_base_id(mid)]
    fill = {"Limb": _limb(mid).capitalize() if mid.endswith(("_r", "_l")) else "", "level": "the level"}
    return f"+ {pos.format_map(fill)}; − {neg.format_map(fill)}"


# --- muscles to consider (posture/data/muscle_patterns.json) -------------------------------


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
    """The placeholders' values for one value of ``mid`` (``Limb``: the limb capitalised, for the directions)."""
    side = _SIDE[1] if value > 0 else _SIDE[-1]
    limb = _limb(mid) if mid.endswith(("_r", "_l")) else ""
    return {
        "side": side,
        "other": _other(side),
        "limb": limb,
        "Limb": limb.capitalize(),
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


def _parse_pattern(raw: Any, prior: Pattern | None, shared: Mapping[str, Pattern], name: str) -> Pattern:
    """One case: a pattern object (keys it leaves out come from ``prior``) or the name of a shared pattern."""
    if isinstance(raw, str):
        if raw not in shared:
            raise SettingsError(f"{name}: {raw!r} is not a shared pattern of {_PATTERNS_FILE}.")
        return shared[raw]
    if not isinstance(raw, dict):
        raise SettingsError(f"{name} must be an object with tight, weak, aim and rationale, or the name of a shared pattern.")
    unknown = sorted(set(raw) - set(_PATTERN_KEYS))
    if unknown:
        raise SettingsError(f"{name}.{unknown[0]} is not a pattern key (use tight, weak, aim, rationale).")
    if prior is None:
        missing = [k for k in _PATTERN_KEYS if k not in raw]
        if missing:
            raise SettingsError(f"{name}.{missing[0]} is missing.")
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


def _referral(mid: str, value: float, unit: str, severity: Severity | None) -> str | None:
    if mid == "leg_length_diff" and unit == "cm" and abs(value) >= 2.0:
        return (
            "Apparent leg length difference of 2 cm or more: refer for a measured leg length "
            "(tape or imaging) before attributing it to soft tissue."
        )
    if mid == "spine_deviation" and severity_rank(severity) >= severity_rank("moderate"):
        return (
            "Lateral spinal deviation: refer for scoliosis screening (e.g. Adam's forward-bend test) by a qualified practitioner."
        )
    return None


@dataclass(frozen=True)
class Found:
    """A finding as the result shows it, with what the planning starter and the ranking need."""

    finding: Finding
    pattern: Pattern
    excess: float


def referrals_without_finding(measurements: Mapping[str, Measurement], found: Sequence[Found | Finding]) -> list[Notice]:
    """Fixed-threshold referral prompts whose measurement has no finding to carry them.

    The leg-length prompt is a clinical rule (≥ 2 cm), not a grade: when a practice's
    band grades such a value normal, or switches grading off, the prompt must not
    vanish with the finding, so the analysis shows it as a warning instead.
    """
    with_finding = {(f.finding if isinstance(f, Found) else f)["measurement"] for f in found}
    m = measurements.get("leg_length_diff")
    if m is None or "leg_length_diff" in with_finding:
        return []
    text = _referral("leg_length_diff", m["value"], m["unit"], m["severity"])
    return [Notice(REFERRAL, text)] if text else []


def _fmt(value: float, unit: str) -> str:
    return format_number(value, unit, digits=1)


def finding_text(mid: str, value: float, unit: str, extra: Mapping[str, Any]) -> str:
    """One-line finding: the direction in words and the value."""
    rule = grading.rule_for(mid)
    if mid == "cva":
        return f"Forward head posture (craniovertebral angle {_fmt(value, unit)})"
    if isinstance(rule, grading.AboveReference):
        return f"{_limb(mid).capitalize()} Q angle increased ({_fmt(value, unit)}; reference {rule.reference:g}°)"
    if isinstance(rule, grading.OutsideRange):
        kind = "Increased anterior pelvic tilt" if value > rule.high else "Reduced anterior pelvic tilt"
        return f"{kind} ({_fmt(value, unit)}; typical {rule.low:g}–{rule.high:g}°)"
    text = direction(mid, value, extra)
    return f"{text[0].upper()}{text[1:]} ({_fmt(abs(value), unit)})"


def build_findings(measurements: Mapping[str, Measurement], patterns: PatternTable | None = None) -> list[Found]:
    """Findings for the graded, non-normal measurements of one view, most important first.

    Order: severity (marked first), then region (head/neck and trunk before
    limbs), then how far past its band the value lies. The muscles to consider
    come from ``patterns`` (the shipped table when ``None``; a practice's come
    with :class:`~posture.settings.Settings`).
    """
    out = []
    for mid, m in measurements.items():
        sev = m["severity"]
        if sev is None or sev == "normal":
            continue
        extra = {"level": m.get("level")}
        pattern = pattern_for(mid, m["value"], extra, patterns)
        consider = [f"{t}: consider assessing for trigger points, hypertonicity or shortening" for t in pattern.tight]
        consider += [f"{w}: consider assessing strength and endurance" for w in pattern.weak]
        if pattern.rationale:
            consider.append(f"Why: {pattern.rationale}.")
        band = grading.Band(**m["band"]) if m["band"] else None
        finding: Finding = {
            "measurement": mid,
            "severity": sev,
            "region": m.get("region", ""),
            "text": finding_text(mid, m["value"], m["unit"], extra),
            "consider": consider,
            "referral": _referral(mid, m["value"], m["unit"], sev),
        }
        out.append(Found(finding, pattern, grading.rule_for(mid).excess(m["value"], band)))
    return _most_important_first(out)


def _most_important_first(found: list[Found]) -> list[Found]:
    """Sorted by severity (marked first), region (head/neck first), then how far past its band (stable)."""
    return sorted(found, key=lambda f: (-severity_rank(f.finding["severity"]), _region_rank(f.finding["region"]), -f.excess))


def _region_rank(region: str) -> int:
    return REGIONS.index(region) if region in REGIONS else len(REGIONS)


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _base_muscle(entry: str) -> str:
    """``"upper trapezius (left, the higher shoulder)"`` → ``"upper trapezius"``."""
    return entry.split(" (", 1)[0]


def _merge_muscles(entries: list[str]) -> list[str]:
    """Drop a muscle named without a side when the same muscle is also named with one (the more specific entry)."""
    qualified = {_base_muscle(e) for e in entries if " (" in e}
    return [e for e in entries if " (" in e or e not in qualified]


def build_plan(found: Sequence[Found]) -> list[PlanStage]:
    """The treatment-planning starter (spec §8): NMT stages in order, items by region."""
    by_region: dict[str, dict[str, list[str]]] = {}
    for f in found:
        p = f.pattern
        slot = by_region.setdefault(f.finding["region"], {"tight": [], "weak": [], "aim": [], "why": []})
        for key, vals in (("tight", p.tight), ("weak", p.weak), ("aim", (p.aim,)), ("why", (f.finding["text"],))):
            for v in vals:
                if v and v not in slot[key]:
                    slot[key].append(v)
    for slot in by_region.values():
        slot["tight"], slot["weak"] = _merge_muscles(slot["tight"]), _merge_muscles(slot["weak"])
    regions = [r for r in REGIONS if r in by_region]
    plan: list[PlanStage] = []
    for stage, title in STAGES:
        items = []
        for region in regions:
            s = by_region[region]
            label = region[0].upper() + region[1:]
            if stage == 1 and s["tight"]:
                items.append(f"{label}: consider assessing {_join(s['tight'])} for trigger points and hypertonicity.")
            elif stage == 2 and s["aim"]:
                items.append(
                    f"{label}: consider soft-tissue and positional work aimed at {_join(s['aim'])} ({'; '.join(s['why'])})."
                )
            elif stage == 3 and s["tight"]:
                items.append(f"{label}: consider lengthening {_join(s['tight'])} and re-educating the habitual posture.")
            elif stage == 4 and s["weak"]:
                items.append(f"{label}: consider assessing and building the strength of {_join(s['weak'])}.")
            elif stage == 5 and s["weak"]:
                items.append(f"{label}: consider building the postural endurance of {_join(s['weak'])}.")
        if items:
            plan.append({"stage": stage, "title": title, "items": items})
    return plan


def build_observations(found: Sequence[Found]) -> list[Observation]:
    """The view's findings grouped by postural pattern (issue 14), most important first.

    STUB (interface only): one observation per finding until the grouping lands.
    """
    return [
        {
            "id": f.finding["measurement"],
            "severity": f.finding["severity"],
            "region": f.finding["region"],
            "text": f.finding["text"],
            "measurements": [f.finding["measurement"]],
            "consider": list(f.finding["consider"]),
            "referral": f.finding["referral"],
        }
        for f in found
    ]


def public(found: Sequence[Found]) -> list[Finding]:
    """The findings as the result shows them (spec §7)."""
    return [f.finding for f in found]


# --- several views together (the report, the app's overview) --------------------------


def _view_rank(view: str) -> int:
    return VIEWS.index(view) if view in VIEWS else len(VIEWS)


def ranked_findings(results: Sequence[Result]) -> list[RankedFinding]:
    """Every view's findings ranked together (severity, then region, then view, then each view's own order)."""
    out: list[tuple[int, RankedFinding]] = []
    for result in results:
        for order, f in enumerate(result["findings"]):
            out.append((order, {**f, "view": result["view"]}))
    out.sort(key=lambda of: (-severity_rank(of[1]["severity"]), _region_rank(of[1]["region"]), _view_rank(of[1]["view"]), of[0]))
    return [f for _, f in out]


def ranked_observations(results: Sequence[Result]) -> list[RankedObservation]:
    """Every view's observations ranked together (severity, then region, then view, then each view's own order)."""
    out: list[tuple[int, RankedObservation]] = []
    for result in results:
        for order, o in enumerate(result.get("observations", [])):
            out.append((order, {**o, "view": result["view"]}))
    out.sort(key=lambda oo: (-severity_rank(oo[1]["severity"]), _region_rank(oo[1]["region"]), _view_rank(oo[1]["view"]), oo[0]))
    return [o for _, o in out]


def all_referrals(results: Sequence[Result]) -> list[str]:
    """Every referral prompt of the views, once each, most important finding first.

    Besides the findings' own prompts this includes the fixed-rule ones that
    have no finding to carry them (a leg length difference of 2 cm or more that
    a practice's band grades normal or does not grade): the analysis lists
    those among its warnings, and a report must not lose them.
    """
    out: list[str] = []
    for f in ranked_findings(results):
        if f["referral"] and f["referral"] not in out:
            out.append(f["referral"])
    for result in results:
        for n in referrals_without_finding(result["measurements"], result["findings"]):
            if n.text not in out:
                out.append(n.text)
    return out


def combined_plan(results: Sequence[Result], patterns: PatternTable | None = None) -> list[PlanStage]:
    """The treatment-planning starter of all views together (NMT stage order, by region), from ``patterns``
    (the shipped table when ``None``: pass the practice's, ``Settings.patterns``, that graded the results)."""
    ordered = sorted(results, key=lambda r: _view_rank(r["view"]))
    return build_plan(_most_important_first([f for r in ordered for f in build_findings(r["measurements"], patterns)]))
