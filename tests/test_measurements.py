"""Worked examples: every measurement id of every view against the spec's formula, computed by hand.

Each document uses exact landmark coordinates, an exactly vertical plumb-line
calibration (so the corrected frame is simply ``X = x, Y = -y``) and a scale
of 0.1 cm/px (two marks 500 px apart are 50 cm apart). Expected values come
from the plain-math primitives in ``helpers_core`` (written from spec §3), not
from the package. Signs are argued in the comments from the picture.
"""

from __future__ import annotations

import math

import pytest
from helpers_core import (
    ANTERIOR,
    LEFT_LATERAL,
    LEFT_LATERAL_SPINE,
    POSTERIOR,
    RIGHT_LATERAL,
    RIGHT_LATERAL_SPINE,
    C,
    ant,
    bend,
    cog_x_by_hand,
    doc_dict,
    height_diff,
    lean,
    midpoint,
    perp_signed,
    rot_cw,
    run,
    shift,
    tilt,
    two_point_scale,
    x_of_chord_at,
)

from posture.measurements import definitions

K = 0.1  # cm per px of SCALE
SCALE = two_point_scale((100, 100), (100, 600), 50.0)
VERTICAL = ((50, 2900), (50, 100))  # exactly vertical: roll 0
W, H = 2000, 3000
ANGLE_TOL = 1e-6
CM_TOL = 1e-6


def _doc(view, lms, **kw):
    kw.setdefault("vertical", VERTICAL)
    kw.setdefault("scale", SCALE)
    kw.setdefault("width", W)
    kw.setdefault("height", H)
    return doc_dict(view, lms, **kw)


def _check(result, expected: dict[str, tuple[float, str]]):
    """Every measurement of the view is present, with the expected value and unit."""
    ms = result["measurements"]
    assert result["not_measured"] == {}
    assert set(ms) == set(expected) == {d.id for d in definitions(result["view"])}
    for mid, (value, unit) in expected.items():
        assert ms[mid]["unit"] == unit, mid
        assert ms[mid]["value"] == pytest.approx(value, abs=ANGLE_TOL if unit == "deg" else CM_TOL), mid


def P(lms, name):
    return C(lms[name])


# --- anterior ------------------------------------------------------------------------------


def test_anterior_worked_example():
    a = ANTERIOR
    res = run(_doc("anterior", a))
    assert res["vertical_source"] == "line"
    assert res["vertical_roll_deg"] == pytest.approx(0.0, abs=1e-12)
    assert res["cm_per_px"] == pytest.approx(K, rel=1e-12)
    assert res["warnings"] == []
    r = -1.0  # client's right is image-left in an anterior photo (every X_r < X_l)
    x0 = midpoint(P(a, "medial_malleolus_r"), P(a, "medial_malleolus_l"))[0]
    assert x0 == 1000.0
    s_tilt = tilt(P(a, "acromion_r"), P(a, "acromion_l"))
    p_tilt = tilt(P(a, "asis_r"), P(a, "asis_l"))
    cg_x = cog_x_by_hand(a)
    x_mid = (a["lateral_malleolus_r"][0] + a["lateral_malleolus_l"][0]) / 2
    expected = {
        "head_tilt": (tilt(P(a, "tragus_r"), P(a, "tragus_l")), "deg"),
        "shoulder_tilt": (s_tilt, "deg"),
        "shoulder_height_diff": (height_diff(P(a, "acromion_r"), P(a, "acromion_l"), K), "cm"),
        "pelvic_obliquity": (p_tilt, "deg"),
        "pelvic_height_diff": (height_diff(P(a, "asis_r"), P(a, "asis_l"), K), "cm"),
        "tibial_tuberosity_tilt": (tilt(P(a, "tibial_tuberosity_r"), P(a, "tibial_tuberosity_l")), "deg"),
        "shoulder_pelvis_angle": (s_tilt - p_tilt, "deg"),
        "head_shift": (shift(P(a, "glabella"), x0, r, K), "cm"),
        "trunk_shift": (shift(P(a, "sternal_notch"), x0, r, K), "cm"),
        "pelvic_shift": (shift(midpoint(P(a, "asis_r"), P(a, "asis_l")), x0, r, K), "cm"),
        "q_angle_r": (bend(P(a, "asis_r"), P(a, "patella_r"), P(a, "tibial_tuberosity_r")), "deg"),
        "q_angle_l": (bend(P(a, "asis_l"), P(a, "patella_l"), P(a, "tibial_tuberosity_l")), "deg"),
        # right knee: lateral joint line at x=870 lies image-right (toward the midline) of the
        # trochanter–malleolus chord (x≈848 there): medial → valgus → +
        "knee_alignment_r": (
            +bend(P(a, "greater_trochanter_r"), P(a, "knee_lateral_r"), P(a, "lateral_malleolus_r")),
            "deg",
        ),
        # left knee: joint line at x=1170, chord at x≈1152: image-right is lateral for the left leg → varus → −
        "knee_alignment_l": (
            -bend(P(a, "greater_trochanter_l"), P(a, "knee_lateral_l"), P(a, "lateral_malleolus_l")),
            "deg",
        ),
        "leg_length_diff": (
            (math.dist(P(a, "asis_r"), P(a, "medial_malleolus_r")) - math.dist(P(a, "asis_l"), P(a, "medial_malleolus_l"))) * K,
            "cm",
        ),
        # spec §9: each segment from the X of the one below, and the centre of gravity from the malleoli's midpoint
        "head_on_trunk_shift": (shift(P(a, "glabella"), P(a, "sternal_notch")[0], r, K), "cm"),
        "trunk_on_pelvis_shift": (shift(P(a, "sternal_notch"), midpoint(P(a, "asis_r"), P(a, "asis_l"))[0], r, K), "cm"),
        "cog_shift": (shift((cg_x, 0.0), x_mid, r, K), "cm"),
        "cog_asymmetry": ((cg_x - x_mid) * r / (abs(a["lateral_malleolus_r"][0] - a["lateral_malleolus_l"][0]) / 2) * 100, "%"),
    }
    assert x_of_chord_at(a["greater_trochanter_r"], a["lateral_malleolus_r"], 1900) < a["knee_lateral_r"][0]
    assert x_of_chord_at(a["greater_trochanter_l"], a["lateral_malleolus_l"], 1900) < a["knee_lateral_l"][0]
    _check(res, expected)
    ms = res["measurements"]
    # signs read off the picture
    assert ms["head_tilt"]["value"] > 0  # tragus_r (y=420) lower than tragus_l (y=410)
    assert ms["shoulder_tilt"]["value"] > 0
    assert ms["shoulder_height_diff"]["value"] == pytest.approx(1.0, abs=1e-12)  # 10 px lower on the right
    assert ms["pelvic_height_diff"]["value"] == pytest.approx(0.4, abs=1e-12)
    assert ms["tibial_tuberosity_tilt"]["value"] < 0  # left tuberosity lower
    assert ms["head_shift"]["value"] == pytest.approx(-1.0, abs=1e-12)  # glabella image-right = client's left
    assert ms["trunk_shift"]["value"] == pytest.approx(-0.5, abs=1e-12)
    assert ms["pelvic_shift"]["value"] == pytest.approx(+0.5, abs=1e-12)  # ASIS midpoint image-left = client's right
    assert ms["knee_alignment_r"]["value"] > 0 > ms["knee_alignment_l"]["value"]
    assert ms["q_angle_r"]["value"] > 0 and ms["q_angle_l"]["value"] > 0
    assert ms["leg_length_diff"]["value"] < 0  # left ASIS–malleolus span ≈1299 px, right ≈1292 px: left longer
    # landmarks, in the formula's order
    assert ms["shoulder_tilt"]["landmarks"] == ["acromion_r", "acromion_l"]
    assert ms["q_angle_r"]["landmarks"] == ["asis_r", "patella_r", "tibial_tuberosity_r"]
    assert ms["knee_alignment_l"]["landmarks"] == ["greater_trochanter_l", "knee_lateral_l", "lateral_malleolus_l"]
    assert ms["leg_length_diff"]["landmarks"][:4] == ["asis_r", "medial_malleolus_r", "asis_l", "medial_malleolus_l"]
    assert ms["shoulder_pelvis_angle"]["landmarks"] == ["acromion_r", "acromion_l", "asis_r", "asis_l"]
    # a landmark-derived plumb line: the formula's landmark first, then the anchor's (docs/decisions.md 9)
    assert ms["head_shift"]["landmarks"][0] == "glabella"
    assert set(ms["head_shift"]["landmarks"]) == {"glabella", "medial_malleolus_r", "medial_malleolus_l"}


def test_q_angle_is_unsigned():
    """Patella on either side of the ASIS–tuberosity chord gives the same, positive Q angle."""
    a = dict(ANTERIOR)
    # straight chord asis_r (870,1300) → tuberosity (870,2000); patella 30 px to one side, then the other
    a["tibial_tuberosity_r"] = (870, 2000)
    a["patella_r"] = (900, 1900)
    v1 = run(_doc("anterior", a))["measurements"]["q_angle_r"]["value"]
    a["patella_r"] = (840, 1900)
    v2 = run(_doc("anterior", a))["measurements"]["q_angle_r"]["value"]
    expected = bend(C((870, 1300)), C((900, 1900)), C((870, 2000)))
    assert v1 == pytest.approx(expected, abs=ANGLE_TOL)
    assert v2 == pytest.approx(expected, abs=ANGLE_TOL)
    assert expected > 0


def test_straight_limb_is_zero():
    a = dict(ANTERIOR)
    a["greater_trochanter_r"], a["knee_lateral_r"], a["lateral_malleolus_r"] = (840, 1400), (850, 1900), (860, 2400)
    v = run(_doc("anterior", a))["measurements"]["knee_alignment_r"]["value"]
    assert v == pytest.approx(0.0, abs=1e-9)


# --- posterior -----------------------------------------------------------------------------


def test_posterior_worked_example():
    p = POSTERIOR
    res = run(_doc("posterior", p))
    r = +1.0  # seen from the back, the client's right is image-right (every X_r > X_l)
    x0 = midpoint(P(p, "calcaneus_r"), P(p, "calcaneus_l"))[0]
    assert x0 == 1010.0
    m = abs(p["scapula_inferior_angle_r"][0] - p["t3"][0])
    n = abs(p["scapula_inferior_angle_l"][0] - p["t3"][0])
    assert (m, n) == (109, 121)
    # spine: furthest of t3, t7, t12, l3 from the line c7–s1 is t12 (≈33 px, image-left = client's left)
    offsets = {lv: perp_signed(P(p, lv), P(p, "s1"), P(p, "c7")) for lv in ("t3", "t7", "t12", "l3")}
    level = max(offsets, key=lambda lv: abs(offsets[lv]))
    assert level == "t12"
    expected = {
        "head_tilt": (tilt(P(p, "tragus_r"), P(p, "tragus_l")), "deg"),
        "shoulder_tilt": (tilt(P(p, "acromion_r"), P(p, "acromion_l")), "deg"),
        "shoulder_height_diff": (height_diff(P(p, "acromion_r"), P(p, "acromion_l"), K), "cm"),
        "scapula_tilt": (tilt(P(p, "scapula_inferior_angle_r"), P(p, "scapula_inferior_angle_l")), "deg"),
        "scapular_asymmetry": ((m - n) / ((m + n) / 2) * 100, "%"),
        "pelvic_obliquity": (tilt(P(p, "psis_r"), P(p, "psis_l")), "deg"),
        "pelvic_height_diff": (height_diff(P(p, "psis_r"), P(p, "psis_l"), K), "cm"),
        "trunk_shift": (shift(P(p, "c7"), x0, r, K), "cm"),
        "spine_deviation": (offsets["t12"] * r * K, "cm"),
        # right heel: calcaneus (1090) lateral of the leg line, Achilles (1075) image-left of the
        # leg_midline–calcaneus chord (≈1086 there) = toward the midline: medial → valgus → +
        "hindfoot_angle_r": (+bend(P(p, "leg_midline_r"), P(p, "achilles_r"), P(p, "calcaneus_r")), "deg"),
        # left heel: calcaneus moves toward the midline, Achilles (925) image-left of the chord (≈928.7)
        # = lateral for the left foot → varus → −
        "hindfoot_angle_l": (-bend(P(p, "leg_midline_l"), P(p, "achilles_l"), P(p, "calcaneus_l")), "deg"),
    }
    assert x_of_chord_at(p["leg_midline_r"], p["calcaneus_r"], 2500) > p["achilles_r"][0]
    assert x_of_chord_at(p["leg_midline_l"], p["calcaneus_l"], 2500) > p["achilles_l"][0]
    _check(res, expected)
    ms = res["measurements"]
    assert ms["head_tilt"]["value"] < 0  # tragus_l (y=424) lower
    assert ms["shoulder_height_diff"]["value"] == pytest.approx(-0.6, abs=1e-12)
    assert ms["scapula_tilt"]["value"] < 0
    assert ms["scapular_asymmetry"]["value"] < 0  # the left scapula is further from T3
    assert ms["pelvic_obliquity"]["value"] > 0  # psis_r (y=1500) lower
    assert ms["trunk_shift"]["value"] == pytest.approx(-1.0, abs=1e-12)  # C7 image-left of the plumb = client's left
    assert ms["spine_deviation"]["level"] == "t12"
    assert ms["spine_deviation"]["value"] < 0
    # the perpendicular distance, not the horizontal one (1018.33 - 985 = 33.33 px)
    assert abs(ms["spine_deviation"]["value"]) < 33.3333 * K - 1e-4
    assert ms["hindfoot_angle_r"]["value"] > 0 > ms["hindfoot_angle_l"]["value"]
    assert ms["scapular_asymmetry"]["landmarks"] == ["scapula_inferior_angle_r", "scapula_inferior_angle_l", "t3"]
    assert ms["spine_deviation"]["landmarks"] == ["c7", "s1", "t12"]
    assert ms["hindfoot_angle_r"]["landmarks"] == ["leg_midline_r", "achilles_r", "calcaneus_r"]


def _spine_doc(levels: dict[str, tuple[float, float]]):
    lms = {"c7": (1000, 600), "s1": (1000, 1600), **levels}
    return _doc("posterior", lms)


@pytest.mark.parametrize(
    ("levels", "level", "offset_px"),
    [
        # exact ties: the higher level wins
        ({"t3": (1020, 800), "t7": (980, 1000), "t12": (1005, 1200), "l3": (995, 1400)}, "t3", +20),
        ({"t3": (1000, 800), "t7": (1005, 1000), "t12": (988, 1200), "l3": (1012, 1400)}, "t12", -12),
        ({"t7": (990, 1000), "l3": (1010, 1400)}, "t7", -10),
        # no tie: the furthest wins wherever it is
        ({"t3": (1001, 800), "t7": (1002, 1000), "t12": (1003, 1200), "l3": (1030, 1400)}, "l3", +30),
        # a single level present
        ({"l3": (993, 1400)}, "l3", -7),
    ],
)
def test_spine_deviation_level_and_tie_rule(levels, level, offset_px):
    ms = run(_spine_doc(levels))["measurements"]
    sd = ms["spine_deviation"]
    assert sd["level"] == level
    # C7–S1 is vertical at x=1000; posterior view: image-right = client's right (r = +1)
    assert sd["value"] == pytest.approx(offset_px * K, abs=CM_TOL)
    assert sd["unit"] == "cm"
    assert sd["landmarks"] == ["c7", "s1", level]


def test_spine_deviation_needs_a_level():
    res = run(_spine_doc({}))
    assert "spine_deviation" not in res["measurements"]
    assert "spine_deviation" in res["not_measured"]


def test_spine_deviation_in_a_mirrored_posterior_photo():
    """With the client's right on the image-left (r = -1), an image-right deviation is toward the client's left."""
    lms = {
        "c7": (1000, 600),
        "s1": (1000, 1600),
        "t7": (1010, 1000),
        "acromion_r": (800, 700),
        "acromion_l": (1200, 700),
    }
    sd = run(_doc("posterior", lms))["measurements"]["spine_deviation"]
    assert sd["value"] == pytest.approx(-10 * K, abs=CM_TOL)


# --- lateral -------------------------------------------------------------------------------


def _lateral_expected(lms, f, x0, k=K):
    t, e, c7, ac = P(lms, "tragus"), P(lms, "eye_canthus"), P(lms, "c7"), P(lms, "acromion")
    asis, psis, gt = P(lms, "asis"), P(lms, "psis"), P(lms, "greater_trochanter")
    kn, lm = P(lms, "knee"), P(lms, "lateral_malleolus")
    return {
        "cva": (math.degrees(math.atan2(t[1] - c7[1], (t[0] - c7[0]) * f)), "deg"),
        "head_forward": (ant(t, ac[0], f, k), "cm"),
        "head_flexion": (math.degrees(math.atan2(t[1] - e[1], (e[0] - t[0]) * f)), "deg"),
        "head_vertical_alignment": (lean(t, ac, f), "deg"),
        "trunk_lean": (lean(ac, gt, f), "deg"),
        "body_lean": (lean(ac, lm, f), "deg"),
        "pelvic_tilt": (math.degrees(math.atan2(psis[1] - asis[1], (asis[0] - psis[0]) * f)), "deg"),
        "hip_angle": (bend(ac, gt, kn), "deg"),  # magnitude; the sign is set per test
        "knee_angle": (bend(gt, kn, lm), "deg"),
        "shank_angle": (lean(kn, lm, f), "deg"),
        "ear_plumb_offset": (ant(t, x0, f, k), "cm"),
        "shoulder_plumb_offset": (ant(ac, x0, f, k), "cm"),
        "hip_plumb_offset": (ant(gt, x0, f, k), "cm"),
        "knee_plumb_offset": (ant(kn, x0, f, k), "cm"),
        # spec §9; the curves' magnitudes (the signs are set per test)
        "thoracic_kyphosis": (bend(c7, P(lms, "thoracic_apex"), P(lms, "t12")), "deg"),
        "lumbar_lordosis": (bend(P(lms, "t12"), P(lms, "lumbar_apex"), P(lms, "s1")), "deg"),
        "shoulder_forward_of_hip": (ant(ac, gt[0], f, k), "cm"),
    }


def _signed(exp, mid, sign):
    v, u = exp[mid]
    exp[mid] = (sign * v, u)


def test_right_lateral_worked_example():
    lm = {**RIGHT_LATERAL, **RIGHT_LATERAL_SPINE}
    res = run(_doc("right_lateral", lm))
    assert res["view"] == "right_lateral"
    assert res["facing"] == "right"  # the default for right_lateral
    exp = _lateral_expected(lm, +1, 960.0)
    # trochanter (x=970) image-left of the acromion–knee chord (x=982.5): posterior for a right-facing client → +
    assert x_of_chord_at(lm["acromion"], lm["knee"], 1200) > lm["greater_trochanter"][0]
    _signed(exp, "hip_angle", +1)
    # knee (x=985) image-right of the trochanter–malleolus chord (≈965.4): anterior → flexion → −
    assert x_of_chord_at(lm["greater_trochanter"], lm["lateral_malleolus"], 1800) < lm["knee"][0]
    _signed(exp, "knee_angle", -1)
    # thoracic apex (x=905) image-left of the C7–T12 chord (x=931 there): posterior → kyphotic → +
    assert x_of_chord_at(lm["c7"], lm["t12"], 800) > lm["thoracic_apex"][0]
    # lumbar apex (x=945) image-right of the T12–S1 chord (x=920 there): anterior → lordotic → +
    assert x_of_chord_at(lm["t12"], lm["s1"], 1060) < lm["lumbar_apex"][0]
    _check(res, exp)
    ms = res["measurements"]
    assert ms["cva"]["value"] == pytest.approx(math.degrees(math.atan2(100, 60)), abs=ANGLE_TOL)
    assert ms["head_forward"]["value"] == pytest.approx(2.0, abs=1e-12)  # ear 20 px anterior of the acromion
    assert ms["head_flexion"]["value"] > 0  # eye (y=410) below the tragus (y=400): flexed
    assert ms["pelvic_tilt"]["value"] > 0  # ASIS lower than PSIS: anterior tilt
    assert ms["trunk_lean"]["value"] > 0 and ms["body_lean"]["value"] > 0 and ms["shank_angle"]["value"] > 0
    assert ms["ear_plumb_offset"]["value"] == pytest.approx(4.0, abs=1e-12)
    assert ms["shoulder_plumb_offset"]["value"] == pytest.approx(2.0, abs=1e-12)
    assert ms["hip_plumb_offset"]["value"] == pytest.approx(1.0, abs=1e-12)
    assert ms["knee_plumb_offset"]["value"] == pytest.approx(2.5, abs=1e-12)
    assert ms["cva"]["landmarks"] == ["tragus", "c7"]
    assert ms["head_flexion"]["landmarks"] == ["tragus", "eye_canthus"]
    assert ms["pelvic_tilt"]["landmarks"] == ["asis", "psis"]
    assert ms["knee_angle"]["landmarks"] == ["greater_trochanter", "knee", "lateral_malleolus"]
    assert ms["ear_plumb_offset"]["landmarks"] == ["tragus", "lateral_malleolus"]


def test_left_lateral_worked_example():
    lm = {**LEFT_LATERAL, **LEFT_LATERAL_SPINE}
    res = run(_doc("left_lateral", lm))
    assert res["view"] == "left_lateral"
    assert res["facing"] == "left"
    exp = _lateral_expected(lm, -1, 1020.0)
    # trochanter (1032) image-left of the acromion–knee chord (1040): anterior for a left-facing client → −
    _signed(exp, "hip_angle", -1)
    # knee (1050) image-right of the chord (≈1026.5): posterior → hyperextension → +
    _signed(exp, "knee_angle", +1)
    # facing left, image-right is posterior: the thoracic apex (x=1100) lies right of its chord (≈1076) → +,
    # the lumbar apex (x=1055) left of its chord (1082.5) → anterior → +
    assert x_of_chord_at(lm["c7"], lm["t12"], 790) < lm["thoracic_apex"][0]
    assert x_of_chord_at(lm["t12"], lm["s1"], 1060) > lm["lumbar_apex"][0]
    _check(res, exp)
    assert res["measurements"]["shoulder_forward_of_hip"]["value"] == pytest.approx(0.2, abs=1e-12)  # 1030 vs 1032
    ms = res["measurements"]
    assert ms["cva"]["value"] == pytest.approx(math.degrees(math.atan2(80, 70)), abs=ANGLE_TOL)
    assert ms["head_forward"]["value"] == pytest.approx(3.0, abs=1e-12)
    assert ms["head_flexion"]["value"] < 0  # eye above the tragus: extended
    assert ms["body_lean"]["value"] < 0  # acromion behind the ankle
    assert ms["shank_angle"]["value"] < 0  # knee posterior of the ankle
    assert ms["hip_angle"]["value"] < 0 < ms["knee_angle"]["value"]
    assert ms["ear_plumb_offset"]["value"] == pytest.approx(2.0, abs=1e-12)
    assert ms["knee_plumb_offset"]["value"] == pytest.approx(-3.0, abs=1e-12)


def test_lateral_views_share_ids():
    assert [d.id for d in definitions("right_lateral")] == [d.id for d in definitions("left_lateral")]


# --- plumb line ----------------------------------------------------------------------------


def test_pinned_plumb_anchor_wins_over_landmarks():
    res = run(_doc("right_lateral", RIGHT_LATERAL, plumb_anchor=(990, 2550)))
    ms = res["measurements"]
    assert ms["ear_plumb_offset"]["value"] == pytest.approx((1000 - 990) * K, abs=CM_TOL)
    assert ms["knee_plumb_offset"]["value"] == pytest.approx((985 - 990) * K, abs=CM_TOL)
    assert ms["ear_plumb_offset"]["landmarks"] == ["tragus"]  # a pinned anchor is not a landmark
    assert res["plumb_line"]["p1"] == pytest.approx([990, 2550])


def test_pinned_plumb_anchor_without_anchor_landmarks():
    a = {k: v for k, v in ANTERIOR.items() if not k.startswith("medial_malleolus")}
    res = run(_doc("anterior", a))
    for mid in ("head_shift", "trunk_shift", "pelvic_shift"):
        assert mid in res["not_measured"]
        assert "medial_malleolus" in res["not_measured"][mid]
    assert res["plumb_line"] is None
    res = run(_doc("anterior", a, plumb_anchor=(1020, 2590)))
    ms = res["measurements"]
    assert ms["head_shift"]["value"] == pytest.approx((1010 - 1020) * -1 * K, abs=CM_TOL)
    assert ms["trunk_shift"]["value"] == pytest.approx((1005 - 1020) * -1 * K, abs=CM_TOL)


def test_plumb_anchor_needs_both_malleoli_and_calcanei():
    a = {k: v for k, v in ANTERIOR.items() if k != "medial_malleolus_l"}
    assert "head_shift" in run(_doc("anterior", a))["not_measured"]
    p = {k: v for k, v in POSTERIOR.items() if k != "calcaneus_r"}
    assert "trunk_shift" in run(_doc("posterior", p))["not_measured"]
    lat = {k: v for k, v in RIGHT_LATERAL.items() if k != "lateral_malleolus"}
    nm = run(_doc("right_lateral", lat))["not_measured"]
    assert {"ear_plumb_offset", "shoulder_plumb_offset", "hip_plumb_offset", "knee_plumb_offset", "body_lean"} <= set(nm)


def test_pinned_anchor_in_a_rolled_photo():
    """The pinned anchor is in original-image pixels; the plumb line through it is the *true* vertical."""
    roll, c = 8.0, (1000.0, 1500.0)
    true = {"tragus": (1000, 400), "acromion": (980, 600), "lateral_malleolus": (960, 2500)}
    anchor_true = (990.0, 2550.0)
    img = {k: rot_cw(v, roll, c) for k, v in true.items()}
    vertical = (rot_cw((500, 2900), roll, c), rot_cw((500, 200), roll, c))
    d = _doc("right_lateral", img, vertical=vertical, plumb_anchor=rot_cw(anchor_true, roll, c), width=None, height=None)
    d["calibration"]["scale"] = two_point_scale(rot_cw((300, 100), roll, c), rot_cw((300, 600), roll, c), 50.0)
    ms = run(d)["measurements"]
    assert ms["ear_plumb_offset"]["value"] == pytest.approx((1000 - 990) * K, abs=CM_TOL)
    assert ms["shoulder_plumb_offset"]["value"] == pytest.approx((980 - 990) * K, abs=CM_TOL)
    # without the roll correction the image-x difference would be quite different
    assert abs((img["tragus"][0] - rot_cw(anchor_true, roll, c)[0]) * K - 1.0) > 1.0


# --- scale and units -----------------------------------------------------------------------


def test_no_scale_gives_pixels_and_no_grade():
    res = run(_doc("anterior", ANTERIOR, scale=None))
    assert res["cm_per_px"] is None
    assert any("scale" in w.lower() for w in res["warnings"])
    ms = res["measurements"]
    for mid in ("shoulder_height_diff", "pelvic_height_diff", "head_shift", "trunk_shift", "pelvic_shift", "leg_length_diff"):
        assert ms[mid]["unit"] == "px"
        assert ms[mid]["severity"] is None
        assert ms[mid]["band"] is None
        assert ms[mid]["borderline"] is False
    assert ms["shoulder_height_diff"]["value"] == pytest.approx(10.0, abs=1e-9)  # pixels
    assert ms["head_shift"]["value"] == pytest.approx(-10.0, abs=1e-9)
    # angles are still graded
    assert ms["shoulder_tilt"]["unit"] == "deg" and ms["shoulder_tilt"]["severity"] is not None
    # a percentage needs no scale either
    post = run(_doc("posterior", POSTERIOR, scale=None))["measurements"]
    assert post["scapular_asymmetry"]["unit"] == "%"
    assert post["scapular_asymmetry"]["severity"] is not None


def test_lateral_no_scale_offsets_in_pixels():
    ms = run(_doc("right_lateral", RIGHT_LATERAL, scale=None))["measurements"]
    assert ms["ear_plumb_offset"]["unit"] == "px"
    assert ms["ear_plumb_offset"]["value"] == pytest.approx(40.0, abs=1e-9)
    assert ms["head_forward"]["value"] == pytest.approx(20.0, abs=1e-9)
    assert ms["cva"]["severity"] is not None


# --- missing landmarks ---------------------------------------------------------------------


def test_missing_landmark_is_not_guessed():
    a = {k: v for k, v in ANTERIOR.items() if k != "tibial_tuberosity_r"}
    res = run(_doc("anterior", a))
    assert "q_angle_r" not in res["measurements"]
    assert "tibial_tuberosity_tilt" not in res["measurements"]
    assert "tibial_tuberosity_r" in res["not_measured"]["q_angle_r"]
    assert "q_angle_l" in res["measurements"]


def test_empty_document_measures_nothing():
    for view in ("anterior", "posterior", "right_lateral", "left_lateral"):
        res = run(doc_dict(view, {}))
        assert res["measurements"] == {}
        assert set(res["not_measured"]) == {d.id for d in definitions(view)}
        assert all(isinstance(v, str) and v for v in res["not_measured"].values())


# --- uncertainty (spec §6) -----------------------------------------------------------------


def test_uncertainty_worked_examples():
    """Linear propagation by hand: sigma times the norm of the gradient of the formula."""
    sigma = 3.0
    res = run(_doc("anterior", ANTERIOR, sigma=sigma))
    ms = res["measurements"]
    # Y_L - Y_R: gradient ±1 on two coordinates
    assert ms["shoulder_height_diff"]["uncertainty"] == pytest.approx(sigma * math.sqrt(2) * K, rel=1e-3)
    # a tilt over a span L: each end's perpendicular placement moves the angle by 1/L rad
    L = math.dist(ANTERIOR["acromion_r"], ANTERIOR["acromion_l"])
    assert ms["shoulder_tilt"]["uncertainty"] == pytest.approx(math.degrees(sigma * math.sqrt(2) / L), rel=1e-3)
    # X_P - (X_a + X_b)/2 with a landmark-derived plumb: gradient 1, 1/2, 1/2
    assert ms["head_shift"]["uncertainty"] == pytest.approx(sigma * math.sqrt(1.5) * K, rel=1e-3)
    # a pinned anchor is exact
    ms = run(_doc("anterior", ANTERIOR, sigma=sigma, plumb_anchor=(1000, 2590)))["measurements"]
    assert ms["head_shift"]["uncertainty"] == pytest.approx(sigma * K, rel=1e-3)


@pytest.mark.parametrize(("height", "sigma"), [(4032, 0.002 * 4032), (800, 2.0), (None, 2.0)])
def test_default_sigma(height, sigma):
    d = _doc(
        "anterior",
        {"acromion_r": (800, 700), "acromion_l": (1200, 690)},
        width=None,
        height=height,
        vertical=((50, 750), (50, 100)),
    )
    ms = run(d)["measurements"]
    assert ms["shoulder_height_diff"]["uncertainty"] == pytest.approx(sigma * math.sqrt(2) * K, rel=1e-3)


def test_uncertainty_zero_sigma_and_nonnegative():
    for view, body in (("anterior", ANTERIOR), ("posterior", POSTERIOR), ("right_lateral", RIGHT_LATERAL)):
        zero = run(_doc(view, body, sigma=0))["measurements"]
        assert all(m["uncertainty"] == 0 for m in zero.values())
        assert all(m["borderline"] is False for m in zero.values())
        some = run(_doc(view, body))["measurements"]
        assert all(m["uncertainty"] >= 0 and math.isfinite(m["uncertainty"]) for m in some.values())
        assert sum(m["uncertainty"] > 0 for m in some.values()) == len(some)
