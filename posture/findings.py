"""Words: the only module that turns signs into sides, and findings into observations and a plan.

* :func:`direction` — what the sign of a value means ("right shoulder lower"):
  condition words from mild up, neutral words ("shoulders level") in the normal band.
* :func:`build_findings` — one finding per graded, non-normal measurement,
  most important first, each with muscles to consider assessing and, where a
  finding lies outside massage scope, a referral prompt.
* :func:`build_observations` — the findings of one postural pattern together
  (:data:`GROUPS`); :func:`ranked_observations` — those of several views, each pattern once.
* :func:`borderline_advice` — what to do when many values lie near a band edge.
* :func:`build_plan` — the treatment-planning starter: the NMT rehabilitation
  stages in order, items grouped by body region.

Everything here is phrased as something to *consider assessing*, never as a
diagnosis. The muscle patterns follow common postural teaching (spec §8) and
are data (:mod:`posture.patterns`, whose names this module re-exports).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import grading
from .formatting import format_number, format_value, shown_value
from .landmarks import VIEWS
from .measurements import REGIONS
from .patterns import _NO_PATTERN, _fill, _limb, case_for, pattern_for
from .patterns import ANY as ANY
from .patterns import PLACEHOLDERS as PLACEHOLDERS
from .patterns import RANGE_CASES as RANGE_CASES
from .patterns import SIGN_CASES as SIGN_CASES
from .patterns import Cases as Cases
from .patterns import Pattern as Pattern
from .patterns import PatternTable as PatternTable
from .patterns import patterns_from_dict as patterns_from_dict
from .patterns import patterns_to_dict as patterns_to_dict
from .patterns import shipped_patterns as shipped_patterns
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
    worst_severity,
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

# (positive, negative, zero) phrases; "{limb}" is the limb of a *_r / *_l measurement, "{level}" the spine level.
# The positive and negative phrases are condition words: a value in its normal band reads as the zero phrase
# or as its entry of _NORMAL_WORDS instead (direction()). Every phrase starts in lower case.
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
    "knee_alignment": ("{limb} knee valgus, knock-knee", "{limb} knee varus, bow-leg", "{limb} knee straight"),
    "hindfoot_angle": (
        "{limb} hindfoot valgus, heel everted",
        "{limb} hindfoot varus, heel inverted",
        "{limb} hindfoot straight",
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


#: Words for a value inside its normal band where the zero phrase would say too little: (positive, negative),
#: ``{value}`` its size as displayed. Everything else in its normal band reads as its zero phrase.
_NORMAL_WORDS: dict[str, tuple[str, str]] = {
    "knee_alignment": (
        "{limb} knee {value} valgus, within the normal range",
        "{limb} knee {value} varus, within the normal range",
    ),
    "hindfoot_angle": (
        "{limb} hindfoot {value} valgus, within the normal range",
        "{limb} hindfoot {value} varus, within the normal range",
    ),
    "leg_length_diff": ("legs of about equal length", "legs of about equal length"),
    "ear_plumb_offset": ("ear near the plumb line", "ear near the plumb line"),
    "shoulder_plumb_offset": ("shoulder near the plumb line", "shoulder near the plumb line"),
    "hip_plumb_offset": ("hip near the plumb line", "hip near the plumb line"),
    "knee_plumb_offset": ("knee near the plumb line", "knee near the plumb line"),
}


def _base_id(mid: str) -> str:
    return mid[:-2] if mid.endswith(("_r", "_l")) and mid[:-2] in _DIRECTIONS else mid


def _band(mid: str, band: grading.Band | None) -> grading.Band:
    """The band in force, else the shipped one: where the words need a band edge (the CVA's normal edge)."""
    return band or grading.default_bands()[mid]


#: ``direction``'s default ``severity``: grade the value under the band given, else the shipped one.
FROM_BAND = "from band"


def _severity(mid: str, value: float, band: grading.Band | None, severity: Severity | None | str) -> Severity | None:
    if severity != FROM_BAND:
        return severity  # type: ignore[return-value]
    b = band or grading.default_bands().get(mid)
    return grading.rule_for(mid).severity(value, b) if b else None


def _tiny(mid: str, value: float, unit: str, uncertainty: float) -> bool:
    """An ungraded value around zero that cannot be told from zero: within one uncertainty, or shown as zero."""
    if type(grading.rule_for(mid)) is not grading.Magnitude:
        return False  # graded against a reference or a range: zero is not "no deviation"
    return abs(value) <= uncertainty or float(format_number(value, unit, symbol=False)) == 0


def direction(
    mid: str,
    value: float,
    extra: Mapping[str, Any] | None = None,
    band: grading.Band | None = None,
    *,
    severity: Severity | None | str = FROM_BAND,
    unit: str = "deg",
    uncertainty: float = 0.0,
) -> str:
    """What the sign of ``value`` means for measurement ``mid``, in the client's terms (lower case).

    ``band`` is the band in force (the shipped one when ``None``); the words of
    a measurement graded against a reference (CVA, Q angle) follow its rule.
    Condition words ("right knee valgus, knock-knee") describe a value graded
    mild or worse, or an ungraded one; a value in its normal band, or an
    ungraded one that cannot be told from zero (:func:`_tiny`, given its
    ``unit`` and ``uncertainty``), reads neutrally ("shoulders level",
    "right knee 3.5° valgus, within the normal range"). ``severity`` is the
    grade the result shows (default: graded here under ``band``).
    """
    sev = _severity(mid, value, band, severity)
    if sev == "normal" or sev is None and _tiny(mid, value, unit, uncertainty):
        return _neutral_words(mid, value, extra or {}, band, unit)
    return condition_words(mid, value, extra, band)


def condition_words(mid: str, value: float, extra: Mapping[str, Any] | None = None, band: grading.Band | None = None) -> str:
    """The side or sense of a deviation of ``mid`` ("right shoulder lower"), whatever its grade (the findings' words)."""
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


def _neutral_words(mid: str, value: float, extra: Mapping[str, Any], band: grading.Band | None, unit: str) -> str:
    """The words of a value inside its normal band: no condition named."""
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.LowerIsWorse):
        return "head well over the trunk"
    if isinstance(rule, grading.AboveReference):
        return f"{_limb(mid)} Q angle within the normal range"
    if isinstance(rule, grading.OutsideRange):
        return "pelvic tilt within the normal range"
    base = _base_id(mid)
    fill = _fill(mid, value, extra)
    in_force = band or grading.default_bands().get(mid)
    raw = in_force.as_dict() if in_force else None
    shown, digits = shown_value(mid, {"value": value, "unit": unit, "band": raw})
    words = _NORMAL_WORDS.get(base)
    if words is None or shown == 0:
        return _DIRECTIONS[base][2].format_map(fill)
    size = format_number(abs(shown), unit, digits=digits)
    return words[0 if value > 0 else 1].format_map({**fill, "value": size})


def sign_words(mid: str) -> str:
    """What the sign of ``mid`` means, for the measurement reference (``docs/measurements.md``)."""
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.LowerIsWorse):
        return "smaller = more forward head"
    if isinstance(rule, grading.AboveReference):
        return "unsigned (0° = straight)"
    pos, neg, _ = _DIRECTIONS[_base_id(mid)]
    fill = {"limb": _limb(mid) if mid.endswith(("_r", "_l")) else "", "level": "the level"}
    return f"+ {pos.format_map(fill)}; − {neg.format_map(fill)}"


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
    #: The measurement the finding is of, as the result shows it (its value, unit and band).
    measurement: Measurement


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


def finding_text(mid: str, value: float, unit: str, extra: Mapping[str, Any], band: grading.Band | None = None) -> str:
    """One-line finding: the direction in words and the value (with the decimals ``band``'s edges need)."""
    rule = grading.rule_for(mid)
    m = {"value": value, "unit": unit, "band": band.as_dict() if band else None}
    shown = format_value(mid, m, magnitude=type(rule) is grading.Magnitude)
    if mid == "cva":
        return f"Forward head posture (craniovertebral angle {shown})"
    if isinstance(rule, grading.AboveReference):
        return f"{_limb(mid).capitalize()} Q angle increased ({shown}; reference {rule.reference:g}°)"
    if isinstance(rule, grading.OutsideRange):
        kind = "Increased anterior pelvic tilt" if value > rule.high else "Reduced anterior pelvic tilt"
        return f"{kind} ({shown}; typical {rule.low:g}–{rule.high:g}°)"
    return f"{_capital(condition_words(mid, value, extra, band))} ({shown})"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


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
            "text": finding_text(mid, m["value"], m["unit"], extra, band),
            "consider": consider,
            "referral": _referral(mid, m["value"], m["unit"], sev),
        }
        out.append(Found(finding, pattern, grading.rule_for(mid).excess(m["value"], band), m))
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


# --- observations: the findings of one postural pattern together (issue 14) ---------------------


@dataclass(frozen=True)
class Group:
    """Measurements that show one postural pattern: their findings become one observation.

    ``ids`` names the observation when the findings point the positive way
    (value > 0; one-way measurements such as the CVA always do) and the
    negative way; ``None``: findings pointing that way are not this pattern.
    ``members`` are the measurement ids, most telling first, each with how its
    value reads in the text (``{}`` is the value). ``titles`` name the pattern
    each way; an empty title is the first member's condition words.
    """

    ids: tuple[str | None, str | None]
    members: tuple[tuple[str, str], ...]
    titles: tuple[str, str] = ("", "")


#: The one table of groupings (docs/decisions.md). A finding of a measurement in no group, or pointing a way its
#: group does not name, is an observation of its own: id ``<measurement>_<case>`` (the pattern case, :func:`case_for`).
GROUPS: tuple[Group, ...] = (
    Group(
        ("forward_head", "head_behind"),
        (
            ("cva", "CVA {}"),
            ("head_vertical_alignment", "head alignment {}"),
            ("head_forward", "ear to shoulder {}"),
            ("ear_plumb_offset", "ear to plumb line {}"),
        ),
        ("forward head posture", "head behind the shoulder"),
    ),
    Group(("right_shoulder_lower", "left_shoulder_lower"), (("shoulder_tilt", "{}"), ("shoulder_height_diff", "{}"))),
    Group(("right_pelvis_lower", "left_pelvis_lower"), (("pelvic_obliquity", "{}"), ("pelvic_height_diff", "{}"))),
    Group(("trunk_forward", "trunk_backward"), (("trunk_lean", "{}"), ("shoulder_forward_of_hip", "{}"))),
    Group(
        ("head_shifted_right", "head_shifted_left"),
        (("head_shift", "{} from the plumb line"), ("head_on_trunk_shift", "{} from the trunk")),
    ),
    Group(
        ("trunk_shifted_right", "trunk_shifted_left"),
        (("trunk_shift", "{} from the plumb line"), ("trunk_on_pelvis_shift", "{} from the pelvis")),
    ),
)


@lru_cache(maxsize=1)
def _group_of() -> dict[str, tuple[Group, int]]:
    """Measurement id → its group and its place there."""
    out: dict[str, tuple[Group, int]] = {}
    for g in GROUPS:
        for i, (mid, _) in enumerate(g.members):
            assert mid not in out, f"{mid} is in two observation groups"
            out[mid] = (g, i)
    return out


def _way(mid: str, value: float) -> int:
    """0 when a finding of ``mid`` points the positive way (a one-way measurement always does), else 1."""
    rule = grading.rule_for(mid)
    if isinstance(rule, grading.LowerIsWorse | grading.AboveReference):
        return 0
    return 0 if case_for(mid, value) in ("positive", "above") else 1


def _merge_consider(entries: Sequence[str]) -> list[str]:
    """The consider lines of several findings, each muscle once (a muscle named with its side wins over it without)."""
    seen = list(dict.fromkeys(entries))
    muscles = [e.split(": ", 1)[0] for e in seen if not e.startswith("Why: ")]
    keep = set(_merge_muscles(list(dict.fromkeys(muscles))))
    out, named = [], set()
    for e in seen:
        muscle = e.split(": ", 1)[0]
        if e.startswith("Why: "):
            out.append(e)
        elif muscle in keep and muscle not in named:
            named.add(muscle)
            out.append(e)
    return out


def _value_text(f: Found) -> str:
    """A finding's value as an observation quotes it: its size, with the decimals its band edges need."""
    mid = f.finding["measurement"]
    return format_value(mid, f.measurement, magnitude=type(grading.rule_for(mid)) is grading.Magnitude)


def build_observations(found: Sequence[Found]) -> list[Observation]:
    """The view's findings grouped by postural pattern (:data:`GROUPS`), most important first.

    Findings of one group pointing the same way become one observation:
    "Right shoulder lower: 2.3°, 1.5 cm" lists its measurements most telling
    first, takes the worst severity, the region of its first measurement, the
    consider lines of all without repeating a muscle, and the first referral.
    An observation of one finding reads as that finding. Order: severity,
    region, then how far past its band the worst value lies.
    """
    groups = _group_of()
    slots: dict[str, list[tuple[int, Found]]] = {}
    heads: dict[str, Group | None] = {}
    for f in found:
        mid = f.finding["measurement"]
        way = _way(mid, f.measurement["value"])
        group, place = groups.get(mid, (None, 0))
        oid = group.ids[way] if group else None
        if group is None or oid is None:
            oid, group = f"{mid}_{case_for(mid, f.measurement['value'])}", None
        slots.setdefault(oid, []).append((place, f))
        heads[oid] = group
    out: list[tuple[Observation, float]] = []
    for oid, members in slots.items():
        fs = [f for _, f in sorted(members, key=lambda pf: pf[0])]
        lead, group = fs[0].finding, heads[oid]
        if group is None or len(fs) == 1:
            text = lead["text"]
        else:
            labels = dict(group.members)
            way = 0 if oid == group.ids[0] else 1
            title = group.titles[way] or condition_words(group.members[0][0], 1.0 - 2.0 * way)
            parts = [labels[f.finding["measurement"]].format(_value_text(f)) for f in fs]
            text = f"{_capital(title)}: {', '.join(parts)}"
        obs: Observation = {
            "id": oid,
            "severity": worst_severity(f.finding["severity"] for f in fs) or lead["severity"],
            "region": lead["region"],
            "text": text,
            "measurements": [f.finding["measurement"] for f in fs],
            "consider": _merge_consider([c for f in fs for c in f.finding["consider"]]),
            "referral": next((f.finding["referral"] for f in fs if f.finding["referral"]), None),
        }
        out.append((obs, max(f.excess for f in fs)))
    out.sort(key=lambda oe: (-severity_rank(oe[0]["severity"]), _region_rank(oe[0]["region"]), -oe[1]))
    return [o for o, _ in out]


def observations_of(result: Result) -> list[Observation]:
    """The result's observations; a result stored before they existed gets them from its findings."""
    if "observations" in result:
        return result["observations"]
    found = []
    for f in result["findings"]:
        m = result["measurements"].get(f["measurement"])
        if m is not None:
            band = grading.Band(**m["band"]) if m["band"] else None
            found.append(Found(f, _NO_PATTERN, grading.rule_for(f["measurement"]).excess(m["value"], band), m))
    return build_observations(found)


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
    """Every view's observations ranked together, each pattern once: the report's first page.

    The same observation (same ``id``: the same pattern pointing the same way,
    e.g. "right_shoulder_lower") seen in several views is one entry: its
    ``views`` lists them in view order; ``view``, ``text`` and ``region`` are
    those of its most important sighting (worst severity, then view order),
    whose values the text quotes; ``severity`` is the worst, ``measurements``
    and ``consider`` are merged without repeats, ``referral`` the first.
    Ranked by severity, then region, then view, then each view's own order.
    """
    seen: list[tuple[int, RankedObservation]] = []
    for result in sorted(results, key=lambda r: _view_rank(r["view"])):
        for order, o in enumerate(observations_of(result)):
            seen.append((order, {**o, "view": result["view"], "views": [result["view"]]}))
    seen.sort(key=lambda oo: (-severity_rank(oo[1]["severity"]), _view_rank(oo[1]["view"]), oo[0]))
    merged: dict[str, tuple[int, RankedObservation]] = {}
    for order, o in seen:
        if o["id"] not in merged:
            merged[o["id"]] = (order, o)
            continue
        first = merged[o["id"]][1]
        first["views"] = sorted({*first.get("views", []), o["view"]}, key=_view_rank)
        first["measurements"] = list(dict.fromkeys([*first["measurements"], *o["measurements"]]))
        first["consider"] = _merge_consider([*first["consider"], *o["consider"]])
        first["referral"] = first["referral"] or o["referral"]
    out = list(merged.values())
    out.sort(key=lambda oo: (-severity_rank(oo[1]["severity"]), _region_rank(oo[1]["region"]), _view_rank(oo[1]["view"]), oo[0]))
    return [o for _, o in out]


#: How many borderline values make a view's photo worth checking again (:func:`borderline_advice`).
BORDERLINE_ADVICE_MIN = 3


def borderline_advice(result: Result) -> str | None:
    """One sentence when :data:`BORDERLINE_ADVICE_MIN` or more of a view's values lie within measurement error
    (two uncertainties, spec §6) of a band edge, saying what to do; ``None`` otherwise."""
    near = [m["label"] for m in result["measurements"].values() if m["borderline"]]
    if len(near) < BORDERLINE_ADVICE_MIN:
        return None
    graded = sum(1 for m in result["measurements"].values() if m["severity"] is not None)
    return (
        f"{len(near)} of the {graded} graded values lie within measurement error of a band edge (their grade could "
        "be one step either way): confirm those landmarks by palpation, and retake the photo if the client moved or "
        "the camera was not level."
    )


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
