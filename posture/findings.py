"""Words: the only module that turns signs into sides, and findings into a plan.

* :func:`direction` — what the sign of a value means ("right shoulder lower").
* :func:`build_findings` — one finding per graded, non-normal measurement,
  most important first, each with muscles to consider assessing and, where a
  finding lies outside massage scope, a referral prompt.
* :func:`build_plan` — the treatment-planning starter: the NMT rehabilitation
  stages in order, items grouped by body region.

Everything here is phrased as something to *consider assessing*, never as a
diagnosis. The muscle patterns follow common postural teaching (spec §8).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import grading
from .formatting import format_number
from .landmarks import VIEWS
from .measurements import REGIONS
from .result import Finding, Measurement, Notice, PlanStage, RankedFinding, Result, Severity, severity_rank

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


# (positive, negative, zero) phrases; "{side}" is filled for *_r / *_l measurements.
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
    "knee_alignment": ("{side} knee valgus, knock-knee", "{side} knee varus, bow-leg", "{side} knee straight"),
    "hindfoot_angle": (
        "{side} hindfoot valgus, heel everted",
        "{side} hindfoot varus, heel inverted",
        "{side} hindfoot straight",
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
    fill = {
        "side": _limb(mid).capitalize() if mid.endswith(("_r", "_l")) else "",
        "level": ((extra or {}).get("level") or "").upper(),
    }
    text = text.format(**fill)
    return text[0].upper() + text[1:] if text.startswith(("Right", "Left")) else text


# --- muscles to consider ------------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    """Muscles commonly implicated: ``tight`` (assess for trigger points / hypertonicity / shortness)
    and ``weak`` (assess strength), with what the structural work aims at."""

    tight: tuple[str, ...]
    weak: tuple[str, ...]
    aim: str
    rationale: str


_FORWARD_HEAD = Pattern(
    ("sternocleidomastoid", "suboccipitals", "upper trapezius", "levator scapulae", "pectoralis minor"),
    ("deep neck flexors", "lower trapezius"),
    "bringing the head back over the shoulders",
    "forward head posture; with forward shoulders this is the upper crossed pattern",
)
_FORWARD_SHOULDER = Pattern(
    ("pectoralis minor", "pectoralis major", "anterior deltoid"),
    ("middle trapezius", "lower trapezius", "rhomboids"),
    "bringing the shoulders back over the trunk",
    "forward (protracted) shoulders",
)
_LATERAL_TRUNK = Pattern(
    ("quadratus lumborum", "lateral abdominal wall (obliques)", "latissimus dorsi"),
    ("gluteus medius",),
    "centring the trunk over the pelvis",
    "lateral trunk shift or side bend",
)


def _above_range(mid: str, value: float) -> bool:
    """A value graded by its distance outside a range (pelvic tilt) lies above that range."""
    rule = grading.rule_for(mid)
    return isinstance(rule, grading.OutsideRange) and value > rule.high


def _pattern(mid: str, value: float, severity: Severity, extra: Mapping[str, Any]) -> Pattern:
    """The muscle pattern for a non-normal finding (side-aware)."""
    base = _base_id(mid)
    pos = value > 0
    side = "right" if pos else "left"
    if base == "head_tilt":
        return Pattern(
            (f"sternocleidomastoid ({side})", f"scalenes ({side})", f"upper trapezius ({side})"),
            ("deep neck flexors",),
            "levelling the head",
            f"lateral head tilt toward the {side}: the muscles on the side the head tilts toward",
        )
    if base in ("shoulder_tilt", "shoulder_height_diff"):
        high = _other(side)
        return Pattern(
            (f"upper trapezius ({high}, the higher shoulder)", f"levator scapulae ({high})"),
            (f"lower trapezius ({high})",),
            "levelling the shoulders",
            f"elevated {high} shoulder",
        )
    if base == "scapula_tilt":
        high = _other(side)
        return Pattern(
            (f"levator scapulae ({high})", f"rhomboids ({high})"),
            (f"lower trapezius ({side})", f"serratus anterior ({side})"),
            "levelling the scapulae",
            f"{high} scapula higher",
        )
    if base == "scapular_asymmetry":
        return Pattern(
            (f"pectoralis minor ({side})", f"serratus anterior ({side})"),
            (f"rhomboids ({side})", f"middle trapezius ({side})"),
            "centring the scapulae on the spine",
            f"{side} scapula further from the spine (abducted)",
        )
    if base in ("pelvic_obliquity", "pelvic_height_diff"):
        high = _other(side)
        return Pattern(
            (f"quadratus lumborum ({high}, the high side)", f"gluteus medius and TFL ({high})", f"hip adductors ({side})"),
            (f"gluteus medius ({side})", "lateral abdominal wall"),
            "levelling the pelvis",
            f"pelvic obliquity, {high} side high",
        )
    if base in ("trunk_shift", "pelvic_shift", "shoulder_pelvis_angle", "head_shift"):
        if base == "head_shift":
            return Pattern(
                ("sternocleidomastoid", "scalenes", "upper trapezius"),
                ("deep neck flexors",),
                "centring the head over the trunk",
                f"head shifted to the {side}; compare both sides",
            )
        return Pattern(
            _LATERAL_TRUNK.tight + ("hip adductors",),
            _LATERAL_TRUNK.weak,
            _LATERAL_TRUNK.aim,
            f"{_LATERAL_TRUNK.rationale} toward the {side}; compare both sides",
        )
    if base == "spine_deviation":
        level = str(extra.get("level", "")).upper()
        return Pattern(
            ("erector spinae and multifidus along the curve", "quadratus lumborum", "intercostals"),
            ("erector spinae on the convex side",),
            "balancing the muscles along the curve",
            f"lateral spinal deviation at {level} toward the {side}",
        )
    if base == "leg_length_diff":
        return Pattern(
            ("quadratus lumborum (on the shorter side)", "gluteus medius", "iliopsoas"),
            ("gluteus medius",),
            "relating the apparent leg length difference to pelvic obliquity",
            f"apparent leg length difference ({side} longer)",
        )
    if base == "tibial_tuberosity_tilt":
        # Not a valgus sign: a lower tuberosity goes with a knee held more flexed on that
        # side, or a structural (tibial) length difference, which soft tissue cannot change.
        return Pattern(
            (f"hamstrings ({side}, the lower side)", f"gastrocnemius and soleus ({side})"),
            (f"quadriceps ({side})",),
            "relating the uneven knees to pelvic obliquity and leg length",
            f"{side} tibial tuberosity lower; compare with pelvic obliquity and leg length "
            "(a structural difference in tibial length is possible)",
        )
    if base in ("q_angle", "knee_alignment") and (base != "knee_alignment" or pos):
        limb = _limb(mid)
        return Pattern(
            (f"TFL and iliotibial band ({limb})", f"hip adductors ({limb})"),
            (f"gluteus medius ({limb})", "vastus medialis"),
            "aligning the knee over the foot",
            "knee valgus / increased Q angle",
        )
    if base == "knee_alignment":
        limb = _limb(mid)
        return Pattern(
            (f"TFL and iliotibial band ({limb})", f"biceps femoris ({limb})"),
            (f"hip adductors ({limb})", "medial hamstrings"),
            "aligning the knee over the foot",
            "knee varus",
        )
    if base == "hindfoot_angle":
        limb = _limb(mid)
        if pos:
            return Pattern(
                (f"peroneals (fibularis longus and brevis, {limb})",),
                (f"tibialis posterior ({limb})",),
                "aligning the heel under the leg",
                "hindfoot valgus (heel everted)",
            )
        return Pattern(
            (f"tibialis posterior ({limb})", f"gastrocnemius and soleus ({limb})"),
            (f"peroneals ({limb})",),
            "aligning the heel under the leg",
            "hindfoot varus (heel inverted)",
        )
    if base == "cva" or (base in ("head_forward", "head_vertical_alignment", "ear_plumb_offset") and pos):
        return _FORWARD_HEAD
    if base in ("head_forward", "head_vertical_alignment", "ear_plumb_offset"):
        # |value| is graded, so a head *behind* the shoulder or the plumb line is a finding
        # too; the forward-head muscles would be the wrong ones to suggest.
        return Pattern(
            (),
            (),
            "relating the head position to the shoulders and trunk",
            "head behind the shoulder / plumb line: compare with trunk lean (a backward-leaning upper trunk "
            "carries the head back) and shoulder position (protracted shoulders bring the acromion forward) "
            "before attributing it to the neck",
        )
    if base == "shoulder_plumb_offset":
        return (
            _FORWARD_SHOULDER
            if pos
            else Pattern(
                ("rhomboids", "middle trapezius"), ("pectoralis major",), "balancing the shoulders", "retracted shoulders"
            )
        )
    if base == "pelvic_tilt":
        if _above_range(mid, value):  # beyond the typical range on the anterior side
            return Pattern(
                ("iliopsoas", "rectus femoris", "lumbar erector spinae"),
                ("gluteus maximus", "abdominals"),
                "restoring a neutral pelvis",
                "increased anterior pelvic tilt (lower crossed pattern)",
            )
        return Pattern(
            ("hamstrings", "rectus abdominis", "gluteus maximus"),
            ("iliopsoas", "lumbar erector spinae"),
            "restoring a neutral pelvis",
            "reduced anterior / posterior pelvic tilt (flat back)",
        )
    if base in ("trunk_lean", "body_lean", "hip_plumb_offset", "hip_angle"):
        if (pos and base != "hip_plumb_offset") or (not pos and base == "hip_plumb_offset"):
            return Pattern(
                ("iliopsoas", "rectus abdominis", "gastrocnemius and soleus"),
                ("thoracic erector spinae", "gluteus maximus"),
                "bringing the trunk upright over the pelvis",
                "trunk forward of the line of gravity",
            )
        return Pattern(
            ("hamstrings", "upper rectus abdominis"),
            ("iliopsoas", "external obliques"),
            "bringing the pelvis back under the trunk",
            "sway-back: pelvis forward, trunk back",
        )
    if base in ("knee_angle", "knee_plumb_offset", "shank_angle"):
        hyper = (base == "knee_angle" and pos) or (base != "knee_angle" and not pos)
        if hyper:
            return Pattern(
                ("hamstrings", "gastrocnemius and soleus"),
                ("quadriceps (control at end range)", "popliteus"),
                "unlocking the knees",
                "knee hyperextension",
            )
        return Pattern(
            ("hamstrings", "gastrocnemius", "popliteus"),
            ("quadriceps",),
            "straightening the knees",
            "knees held flexed",
        )
    return Pattern((), (), "", "")


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


def build_findings(measurements: Mapping[str, Measurement]) -> list[Found]:
    """Findings for the graded, non-normal measurements of one view, most important first.

    Order: severity (marked first), then region (head/neck and trunk before
    limbs), then how far past its band the value lies.
    """
    out = []
    for mid, m in measurements.items():
        sev = m["severity"]
        if sev is None or sev == "normal":
            continue
        extra = {"level": m.get("level")}
        pattern = _pattern(mid, m["value"], sev, extra)
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


def combined_plan(results: Sequence[Result]) -> list[PlanStage]:
    """The treatment-planning starter of all views together (NMT stage order, by region)."""
    ordered = sorted(results, key=lambda r: _view_rank(r["view"]))
    return build_plan(_most_important_first([f for r in ordered for f in build_findings(r["measurements"])]))
