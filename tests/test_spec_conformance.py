"""An independent audit of the core against the measurement spec (``docs/measurements.md``).

Each test names the spec section it checks. Expected values are worked out
here by hand (plain ``math`` on the coordinates, the reasoning in comments),
never by calling the geometry under test. The last part fuzzes the document
parser and the CLI with malformed JSON: the outcome must always be a clean
result or a :class:`~posture.errors.DocumentError` (exit 2), never anything
else (exit 1).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import math
import os
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from posture import analyze, cli, findings, grading
from posture.document import loads, parse_document
from posture.errors import DocumentError, SettingsError
from posture.result import severity_rank
from posture.settings import Settings, load_settings, settings_from_dict

W, H = 2000, 3000
VERTICAL = {"p1": [50, 2900], "p2": [50, 100]}  # exactly vertical: X = x, Y = -y
SCALE_01 = {"p1": [100, 100], "p2": [100, 600], "distance_cm": 50.0}  # 0.1 cm/px


def doc(view, lms, *, cal=None, width=W, height=H, **top):
    image = {"file": f"{view}.jpg"}
    if width is not None:
        image["width"] = width
    if height is not None:
        image["height"] = height
    d = {
        "schema_version": 1,
        "view": view,
        "image": image,
        "landmarks": {k: {"x": float(x), "y": float(y)} for k, (x, y) in lms.items()},
        "calibration": {"vertical": VERTICAL, "scale": SCALE_01} if cal is None else cal,
    }
    d.update(top)
    return copy.deepcopy(d)  # never share the module's constants with a test that mutates


def run(d, settings_=None):
    return analyze(parse_document(copy.deepcopy(d)), settings_ or Settings(grading.default_bands()))


def value(res, mid):
    assert mid in res["measurements"], res["not_measured"].get(mid)
    return res["measurements"][mid]["value"]


def deg(x):
    return math.degrees(x)


def bend(A, B, C):
    """180 - interior angle at B, unsigned, from image points (the angle does not care about the Y flip)."""
    a = math.atan2(B[1] - A[1], B[0] - A[0])
    c = math.atan2(C[1] - B[1], C[0] - B[0])
    d = abs(deg(c - a)) % 360
    return min(d, 360 - d)


# --- §3 reference frame ---------------------------------------------------------------------


def test_roll_sign_upper_end_to_image_right_is_positive():
    # upper end (y=100) 10 px to the image-right of the lower end (y=1100): + atan(10/1000)
    for p1, p2 in (([110, 100], [100, 1100]), ([100, 1100], [110, 100])):
        res = run(doc("anterior", {}, cal={"vertical": {"p1": p1, "p2": p2}}))
        assert res["vertical_source"] == "line"
        assert res["vertical_roll_deg"] == pytest.approx(deg(math.atan(10 / 1000)), abs=1e-12)
    res = run(doc("anterior", {}, cal={"vertical": {"p1": [90, 100], "p2": [100, 1100]}}))
    assert res["vertical_roll_deg"] == pytest.approx(-deg(math.atan(10 / 1000)), abs=1e-12)


def test_no_vertical_line_means_image_vertical_and_a_warning():
    res = run(doc("anterior", {}, cal={}))
    assert res["vertical_source"] == "image"
    assert res["vertical_roll_deg"] == 0
    assert any("vertical" in w.lower() for w in res["warnings"])
    assert res["cm_per_px"] is None
    assert any("scale" in w.lower() for w in res["warnings"])


def test_rolled_photo_is_corrected_about_the_image_centre():
    # A level pair of shoulders and a vertical line, both rolled 7° clockwise about the centre:
    # the tilt must come back as exactly 0 and the plumb line must be drawn along the rolled line.
    t = math.radians(7)
    cx, cy = W / 2, H / 2

    def rot(p):
        dx, dy = p[0] - cx, p[1] - cy
        return (cx + dx * math.cos(t) - dy * math.sin(t), cy + dx * math.sin(t) + dy * math.cos(t))

    lms = {"acromion_r": rot((800, 700)), "acromion_l": rot((1200, 700)), "medial_malleolus_r": rot((960, 2600)),
           "medial_malleolus_l": rot((1040, 2600))}  # fmt: skip
    line = {"p1": list(rot((1000, 2800))), "p2": list(rot((1000, 300)))}
    res = run(doc("anterior", lms, cal={"vertical": line}))
    assert res["vertical_roll_deg"] == pytest.approx(7.0, abs=1e-9)
    assert value(res, "shoulder_tilt") == pytest.approx(0.0, abs=1e-9)
    # the anchor is the malleoli's midpoint; the line goes up along the rolled vertical to y = 0
    ax, ay = rot((1000, 2600))
    (p1x, p1y), (p2x, p2y) = res["plumb_line"]["p1"], res["plumb_line"]["p2"]
    assert (p1x, p1y) == pytest.approx((ax, ay), abs=1e-9)
    assert p2y == pytest.approx(0.0, abs=1e-6)
    assert p2x == pytest.approx(ax + ay * math.tan(t), abs=1e-6)  # upper end to the image-right


def test_vertical_line_more_than_30_degrees_is_refused():
    ok = {"p1": [0, 1000], "p2": [1000 * math.tan(math.radians(29.9)), 0]}
    run(doc("anterior", {}, cal={"vertical": ok}))
    bad = {"p1": [0, 1000], "p2": [1000 * math.tan(math.radians(30.1)), 0]}
    with pytest.raises(DocumentError) as e:
        run(doc("anterior", {}, cal={"vertical": bad}))
    assert e.value.field == "calibration.vertical"


def test_two_scale_forms():
    res = run(doc("anterior", {}, cal={"scale": {"p1": [10, 10], "p2": [40, 50], "distance_cm": 25.0}}))
    assert res["cm_per_px"] == pytest.approx(25.0 / 50.0)  # |p1 - p2| = 50
    # height scale in the corrected frame: roll 0 → |Y_top - Y_floor| = 2000 - 300
    res = run(doc("anterior", {}, cal={"scale": {"height_cm": 170.0, "top": [990, 300], "floor": [1020, 2000]}}))
    assert res["cm_per_px"] == pytest.approx(170.0 / 1700.0)
    # with a roll the vertical extent is taken after the correction, not in image pixels
    t = math.radians(5)
    line = {"p1": [1000, 2000], "p2": [1000 + 1000 * math.tan(t), 1000]}
    top, floor = [1000 + 1700 * math.sin(t), 2000 - 1700 * math.cos(t)], [1000, 2000]  # 1700 px along the true vertical
    res = run(doc("anterior", {}, cal={"vertical": line, "scale": {"height_cm": 170.0, "top": top, "floor": floor}}))
    assert res["cm_per_px"] == pytest.approx(0.1, rel=1e-12)


@pytest.mark.parametrize(
    ("pairs", "view", "r"),
    [
        # anterior, client's right on image-left: every X_r < X_l → r = -1
        ({"acromion_r": (800, 700), "acromion_l": (1200, 700)}, "anterior", -1),
        # mixed pairs: mean of (+10, -30) = -10 → r = -1 even though one pair says +1
        ({"tragus_r": (1010, 400), "tragus_l": (1000, 400), "acromion_r": (985, 700), "acromion_l": (1015, 700)}, "anterior", -1),
        # mirrored selfie: X_r > X_l → r = +1
        ({"acromion_r": (1200, 700), "acromion_l": (800, 700)}, "anterior", +1),
        # mean exactly 0 → the view's default (anterior -1, posterior +1)
        ({"tragus_r": (1010, 400), "tragus_l": (1000, 400), "acromion_r": (990, 700), "acromion_l": (1000, 700)}, "anterior", -1),
        (
            {"tragus_r": (1010, 400), "tragus_l": (1000, 400), "acromion_r": (990, 700), "acromion_l": (1000, 700)},
            "posterior",
            +1,
        ),
        ({}, "posterior", +1),
    ],
)
def test_client_right_direction(pairs, view, r):
    # a trunk/c7 landmark 30 px to the image-right of the pinned plumb line: shift = 30 px * 0.1 * r
    mid = "trunk_shift"
    extra = {"sternal_notch": (1030, 720)} if view == "anterior" else {"c7": (1030, 650)}
    cal = {"vertical": VERTICAL, "scale": SCALE_01, "plumb_anchor": [1000, 2900]}
    res = run(doc(view, {**pairs, **extra}, cal=cal))
    assert value(res, mid) == pytest.approx(3.0 * r, abs=1e-9)


@pytest.mark.parametrize("view", ["right_lateral", "left_lateral"])
@pytest.mark.parametrize("facing", ["right", "left"])
def test_facing_contradiction_warns_but_keeps_facing(view, facing):
    f = 1 if facing == "right" else -1
    good = {
        "tragus": (1000, 400),
        "eye_canthus": (1000 + 80 * f, 410),
        "asis": (1000 + 70 * f, 1100),
        "psis": (1000 - 80 * f, 1090),
    }
    res = run(doc(view, good, facing=facing))
    assert res["warnings"] == []
    assert res["facing"] == facing
    bad = {
        "tragus": (1000, 400),
        "eye_canthus": (1000 - 80 * f, 410),
        "asis": (1000 - 70 * f, 1100),
        "psis": (1000 + 80 * f, 1090),
    }
    res = run(doc(view, bad, facing=facing))
    assert len(res["warnings"]) == 2
    # facing kept: head_flexion uses the given f; Y_tragus - Y_eye = -400 + 410 = 10 and
    # (X_eye - X_tragus) * f = -80, so atan2(10, -80) (the eye "behind" the tragus)
    assert value(res, "head_flexion") == pytest.approx(deg(math.atan2(10, -80)))


def test_default_facing_per_lateral_view():
    # the eye 80 px image-right of the tragus: anterior for right_lateral (default facing right)
    lms = {"tragus": (1000, 400), "eye_canthus": (1080, 400)}
    assert run(doc("right_lateral", lms))["warnings"] == []
    assert len(run(doc("left_lateral", lms))["warnings"]) == 1


@pytest.mark.parametrize(
    ("view", "lms", "mid", "expected_px"),
    [
        # anterior anchor: midpoint of the medial malleoli (x = 1000); glabella 20 px image-right,
        # client's right is image-left (r = -1) → 20 px toward the client's left
        (
            "anterior",
            {"medial_malleolus_r": (960, 2600), "medial_malleolus_l": (1040, 2600), "glabella": (1020, 400)},
            "head_shift",
            -20,
        ),
        # posterior anchor: midpoint of the calcanei (x = 1010); c7 at 1000 → 10 px image-left,
        # client's right is image-right (r = +1) → -10
        ("posterior", {"calcaneus_r": (1090, 2640), "calcaneus_l": (930, 2640), "c7": (1000, 650)}, "trunk_shift", -10),
        # lateral anchor: lateral malleolus; tragus 40 px in front (facing right) → +40
        ("right_lateral", {"lateral_malleolus": (960, 2500), "tragus": (1000, 400)}, "ear_plumb_offset", 40),
        # facing left: 40 px image-right of the malleolus is 40 px posterior
        ("left_lateral", {"lateral_malleolus": (960, 2500), "tragus": (1000, 400)}, "ear_plumb_offset", -40),
    ],
)
def test_plumb_anchor_per_view(view, lms, mid, expected_px):
    res = run(doc(view, lms))
    assert value(res, mid) == pytest.approx(expected_px * 0.1, abs=1e-9)


def test_pinned_plumb_anchor_wins_and_missing_anchor_is_not_measured():
    lms = {"medial_malleolus_r": (960, 2600), "medial_malleolus_l": (1040, 2600), "glabella": (1020, 400)}
    cal = {"vertical": VERTICAL, "scale": SCALE_01, "plumb_anchor": [1050, 2000]}
    res = run(doc("anterior", lms, cal=cal))
    assert value(res, "head_shift") == pytest.approx((1020 - 1050) * -1 * 0.1)
    assert res["plumb_line"]["p1"] == pytest.approx([1050, 2000])
    assert res["measurements"]["head_shift"]["landmarks"] == ["glabella"]
    res = run(doc("anterior", {"glabella": (1020, 400), "medial_malleolus_r": (960, 2600)}))
    assert "head_shift" in res["not_measured"] and "medial_malleolus_l" in res["not_measured"]["head_shift"]
    assert res["plumb_line"] is None


# --- §4 measurements: the tricky signs, by hand --------------------------------------------------


def test_knee_alignment_signs_in_normal_and_mirrored_anterior_photos():
    # Normal anterior photo: client's right leg on image-left, midline at x ≈ 1000. The right
    # trochanter–malleolus chord passes y = 1900 at x = 840 + 20 * 500/1200 ≈ 848; the right knee at
    # 880 lies image-right of it, toward the midline → medial → valgus (+). The left chord passes
    # y = 1900 at 1160 - 20 * 500/1200 ≈ 1152; the left knee at 1190 lies image-right of it, away
    # from the midline → lateral → varus (−).
    lms = {"greater_trochanter_r": (840, 1400), "knee_lateral_r": (880, 1900), "lateral_malleolus_r": (860, 2600),
           "greater_trochanter_l": (1160, 1400), "knee_lateral_l": (1190, 1900), "lateral_malleolus_l": (1140, 2600)}  # fmt: skip
    exp_r = bend(lms["greater_trochanter_r"], lms["knee_lateral_r"], lms["lateral_malleolus_r"])
    exp_l = bend(lms["greater_trochanter_l"], lms["knee_lateral_l"], lms["lateral_malleolus_l"])
    res = run(doc("anterior", lms))
    assert value(res, "knee_alignment_r") == pytest.approx(+exp_r, abs=1e-9)
    assert value(res, "knee_alignment_l") == pytest.approx(-exp_l, abs=1e-9)
    assert "valgus" in res["measurements"]["knee_alignment_r"]["direction"]
    assert "varus" in res["measurements"]["knee_alignment_l"]["direction"]
    # the same client in a mirrored selfie: the same anatomy, the same signs
    mirrored = {k: (W - x, y) for k, (x, y) in lms.items()}
    res = run(doc("anterior", mirrored))
    assert value(res, "knee_alignment_r") == pytest.approx(+exp_r, abs=1e-9)
    assert value(res, "knee_alignment_l") == pytest.approx(-exp_l, abs=1e-9)


def test_hindfoot_signs_in_normal_and_mirrored_posterior_photos():
    # Posterior photo: client's right on image-right. Right calcaneus 15 px further image-right
    # (lateral) than the leg line → heel everted → valgus (+). Left calcaneus 10 px image-right,
    # i.e. toward the midline (medial) → varus (−).
    lms = {"leg_midline_r": (1075, 2100), "achilles_r": (1075, 2500), "calcaneus_r": (1090, 2640),
           "leg_midline_l": (925, 2100), "achilles_l": (925, 2500), "calcaneus_l": (935, 2640)}  # fmt: skip
    exp_r = bend(lms["leg_midline_r"], lms["achilles_r"], lms["calcaneus_r"])
    exp_l = bend(lms["leg_midline_l"], lms["achilles_l"], lms["calcaneus_l"])
    assert exp_r == pytest.approx(deg(math.atan(15 / 140)))
    for body in (lms, {k: (W - x, y) for k, (x, y) in lms.items()}):
        res = run(doc("posterior", body))
        assert value(res, "hindfoot_angle_r") == pytest.approx(+exp_r, abs=1e-9)
        assert value(res, "hindfoot_angle_l") == pytest.approx(-exp_l, abs=1e-9)


@pytest.mark.parametrize("view", ["right_lateral", "left_lateral"])
@pytest.mark.parametrize("facing", ["right", "left"])
def test_hip_and_knee_angle_signs_with_either_facing(view, facing):
    f = 1 if facing == "right" else -1
    # knee 30 px posterior of the trochanter–malleolus chord (the chord is vertical at x=1000):
    # hyperextension, + atan(30/600) + atan(30/700)
    # acromion 20 px anterior, knee 30 px posterior: the chord acromion–knee passes the trochanter's
    # height (1200) at 1000 + 20f - 50f*(600/1200) = 1000 - 5f, so the trochanter (1000) lies 5 px
    # anterior of it → hip angle negative.
    lms = {"acromion": (1000 + 20 * f, 600), "greater_trochanter": (1000, 1200), "knee": (1000 - 30 * f, 1800),
           "lateral_malleolus": (1000, 2500)}  # fmt: skip
    res = run(doc(view, lms, facing=facing))
    knee = deg(math.atan(30 / 600)) + deg(math.atan(30 / 700))
    assert value(res, "knee_angle") == pytest.approx(knee, abs=1e-9)
    hip = bend(lms["acromion"], lms["greater_trochanter"], lms["knee"])
    assert hip > 0.5
    assert value(res, "hip_angle") == pytest.approx(-hip, abs=1e-9)
    # flexed knee: knee anterior of the chord → negative
    lms["knee"] = (1000 + 30 * f, 1800)
    assert value(run(doc(view, lms, facing=facing)), "knee_angle") == pytest.approx(-knee, abs=1e-9)


@pytest.mark.parametrize("facing", ["right", "left"])
def test_cva_head_flexion_pelvic_tilt_with_either_facing(facing):
    f = 1 if facing == "right" else -1
    # tragus 60 px anterior of and 80 px above C7: CVA = atan2(80, 60)
    # eye 80 px anterior of and 10 px below the tragus: flexion + atan2(10, 80)
    # ASIS 150 px anterior of and 20 px below the PSIS: anterior tilt + atan2(20, 150)
    lms = {"tragus": (1000 + 60 * f, 400), "c7": (1000, 480), "eye_canthus": (1000 + 140 * f, 410),
           "asis": (1000 + 75 * f, 1100), "psis": (1000 - 75 * f, 1080)}  # fmt: skip
    res = run(doc("right_lateral", lms, facing=facing))
    assert value(res, "cva") == pytest.approx(deg(math.atan2(80, 60)), abs=1e-9)
    assert value(res, "head_flexion") == pytest.approx(deg(math.atan2(10, 80)), abs=1e-9)
    assert value(res, "pelvic_tilt") == pytest.approx(deg(math.atan2(20, 150)), abs=1e-9)
    assert res["warnings"] == []


def test_spine_deviation_level_choice_sign_and_perpendicular_distance():
    # C7 (1000, 600) → S1 (1100, 1600): a leaning line. The perpendicular distance of P from it is
    # |cross| / |S1 - C7|. t7 sits on the line's image-right (client's right in a posterior photo).
    c7, s1 = (1000, 600), (1100, 1600)
    norm = math.hypot(100, 1000)

    def perp(p):  # + when p is image-right of the line (x greater than the line's x at that height)
        x_line = c7[0] + (p[1] - c7[1]) * 100 / 1000
        return (p[0] - x_line) * 1000 / norm

    lms = {"c7": c7, "s1": s1, "t3": (1010, 800), "t7": (1075, 1000), "t12": (1080, 1200), "l3": (1095, 1400)}
    # distances: t3 (1010-1020)=-10, t7 (1075-1040)=+35, t12 (1080-1060)=+20, l3 (1095-1080)=+15 (× 1000/norm)
    res = run(doc("posterior", lms))
    m = res["measurements"]["spine_deviation"]
    assert m["level"] == "t7"
    assert m["value"] == pytest.approx(perp(lms["t7"]) * 0.1, abs=1e-9)
    assert m["value"] > 0 and "right" in m["direction"]
    # not the horizontal distance (which would be 3.5 cm)
    assert abs(m["value"] - 3.5) > 0.01
    # ties go to the higher level: t3 on the other side at the same distance as t7
    lms["t3"] = (1020 - 35, 800)
    m = run(doc("posterior", lms))["measurements"]["spine_deviation"]
    assert m["level"] == "t3"
    assert m["value"] == pytest.approx(-35 * 1000 / norm * 0.1, abs=1e-9)
    # mirrored photo (with a bilateral pair, so r can tell): the deviation keeps its anatomical sign
    lms.update({"acromion_r": (1200, 700), "acromion_l": (800, 700)})
    assert run(doc("posterior", lms))["measurements"]["spine_deviation"]["value"] == pytest.approx(m["value"], abs=1e-9)
    mirrored = {k: (W - x, y) for k, (x, y) in lms.items()}
    assert run(doc("posterior", mirrored))["measurements"]["spine_deviation"]["value"] == pytest.approx(m["value"], abs=1e-9)


def test_scapular_asymmetry_and_leg_length_by_hand():
    # m = |1110 - 1000| = 110, n = |880 - 1000| = 120 → (110 - 120) / 115 * 100
    res = run(
        doc("posterior", {"scapula_inferior_angle_r": (1110, 1000), "scapula_inferior_angle_l": (880, 1010), "t3": (1000, 800)})
    )
    assert value(res, "scapular_asymmetry") == pytest.approx(-10 / 115 * 100, abs=1e-9)
    assert res["measurements"]["scapular_asymmetry"]["unit"] == "%"
    # right ASIS → medial malleolus: hypot(70, 1300); left: hypot(60, 1290)
    lms = {"asis_r": (870, 1300), "medial_malleolus_r": (940, 2600), "asis_l": (1120, 1300), "medial_malleolus_l": (1060, 2590)}
    res = run(doc("anterior", lms))
    assert value(res, "leg_length_diff") == pytest.approx((math.hypot(70, 1300) - math.hypot(60, 1290)) * 0.1, abs=1e-9)


def test_tilts_height_and_shoulder_pelvis_angle_by_hand():
    # right acromion 12 px lower than the left (y grows downward), 400 px apart: + atan2(12, 400)
    lms = {"acromion_r": (800, 712), "acromion_l": (1200, 700), "asis_r": (870, 1300), "asis_l": (1120, 1305)}
    res = run(doc("anterior", lms))
    st_ = deg(math.atan2(12, 400))
    po = deg(math.atan2(-5, 250))
    assert value(res, "shoulder_tilt") == pytest.approx(st_)
    assert value(res, "shoulder_height_diff") == pytest.approx(1.2)
    assert value(res, "pelvic_obliquity") == pytest.approx(po)
    assert value(res, "pelvic_height_diff") == pytest.approx(-0.5)
    assert value(res, "shoulder_pelvis_angle") == pytest.approx(st_ - po)


@pytest.mark.parametrize(
    ("view", "lms", "mid"),
    [
        ("anterior", {"acromion_r": (900, 700), "acromion_l": (900, 700)}, "shoulder_tilt"),
        (
            "anterior",
            {"acromion_r": (900, 700), "acromion_l": (900, 700), "asis_r": (1, 2), "asis_l": (3, 4)},
            "shoulder_pelvis_angle",
        ),
        ("right_lateral", {"tragus": (900, 400), "c7": (900, 400)}, "cva"),
        ("right_lateral", {"tragus": (900, 400), "eye_canthus": (900, 400)}, "head_flexion"),
        ("right_lateral", {"asis": (900, 1100), "psis": (900, 1100)}, "pelvic_tilt"),
        ("right_lateral", {"acromion": (900, 600), "greater_trochanter": (900, 600)}, "trunk_lean"),
        (
            "posterior",
            {"scapula_inferior_angle_r": (1000, 1000), "scapula_inferior_angle_l": (1000, 1000), "t3": (1000, 800)},
            "scapular_asymmetry",
        ),
    ],
)
def test_coincident_landmarks_are_not_measured_never_reported_as_level(view, lms, mid):
    # atan2(0, 0) is undefined; reporting it as 0° ("level") would be a guess (spec §2)
    res = run(doc(view, lms))
    assert mid not in res["measurements"]
    assert res["not_measured"][mid].startswith("landmarks coincide")


# --- §5 grading -----------------------------------------------------------------------------------

SPEC_SOURCES = {
    "head_tilt": "heuristic; small asymmetries are normal (Ferreira et al. 2011, JMPT 34:371)",
    "shoulder_tilt": "heuristic",
    "pelvic_obliquity": "heuristic",
    "scapula_tilt": "heuristic",
    "tibial_tuberosity_tilt": "heuristic",
    "shoulder_height_diff": "heuristic",
    "pelvic_height_diff": "heuristic",
    "shoulder_pelvis_angle": "heuristic",
    "head_shift": "heuristic",
    "trunk_shift": "heuristic",
    "pelvic_shift": "heuristic",
    "q_angle_r": "SAPO reference table; heuristic bands",
    "q_angle_l": "SAPO reference table; heuristic bands",
    "knee_alignment_r": "heuristic (healthy mean ≈ 178°, i.e. ≈ 2°, Ferreira 2011)",
    "knee_alignment_l": "heuristic (healthy mean ≈ 178°, i.e. ≈ 2°, Ferreira 2011)",
    "leg_length_diff": "≥ 2 cm clinically relevant (BMC Musculoskelet Disord 2022, s12891-022-05113-2)",
    "scapular_asymmetry": "heuristic",
    "spine_deviation": "heuristic",
    "hindfoot_angle_r": "heuristic",
    "hindfoot_angle_l": "heuristic",
    "cva": "Lau et al. 2009, Man Ther 14:363 (pain 43.9±3.6° vs 50.6±2.1°); Heidary et al. 2024 (45.5° mild/moderate)",
    "head_forward": "heuristic",
    "head_vertical_alignment": "heuristic",
    "trunk_lean": "heuristic",
    "body_lean": "heuristic",
    "pelvic_tilt": "heuristic band",
    "knee_angle": "genu recurvatum is commonly defined as > 5° hyperextension",
    "ear_plumb_offset": "heuristic",
    "shoulder_plumb_offset": "heuristic",
    "hip_plumb_offset": "heuristic",
    "knee_plumb_offset": "heuristic",
    # v1.1 (spec §9); thoracic_kyphosis, lumbar_lordosis, cog_shift and cog_asymmetry are not graded by default
    "head_on_trunk_shift": "heuristic",
    "trunk_on_pelvis_shift": "heuristic",
    "shoulder_forward_of_hip": "heuristic",
}


def test_band_sources_are_the_spec_s_words():
    bands = grading.default_bands()
    assert {k: b.source for k, b in bands.items()} == SPEC_SOURCES


def _sev(mid, v):
    return grading.rule_for(mid).severity(v, grading.default_bands()[mid])


def test_special_rules_at_their_edges():
    # Q angle: graded value - 15; below 15 normal; edges 20, 25, 30 (at or above)
    assert [_sev("q_angle_r", v) for v in (0, 14.9, 19.999, 20, 25, 30)] == [
        "normal",
        "normal",
        "normal",
        "mild",
        "moderate",
        "marked",
    ]
    # CVA: lower is worse, normal ≥ 50, mild < 50, moderate < 45.5, marked < 40
    assert [_sev("cva", v) for v in (55, 50, 49.99, 45.5, 45.49, 40, 39.99)] == [
        "normal", "normal", "mild", "mild", "moderate", "moderate", "marked"]  # fmt: skip
    # pelvic tilt: distance outside 5–15; any distance is mild, 5 moderate, 10 marked
    assert [_sev("pelvic_tilt", v) for v in (5, 10, 15, 15.01, 4.99, 0, -5, 20, 25)] == [
        "normal", "normal", "normal", "mild", "mild", "moderate", "marked", "moderate", "marked"]  # fmt: skip
    # |value| for the rest, both directions
    assert [_sev("shoulder_tilt", v) for v in (-1.49, -1.5, 3, -5)] == ["normal", "mild", "moderate", "marked"]


def test_ungraded_and_pixel_distances_have_null_severity_and_band():
    lms = {"acromion": (1000, 600), "greater_trochanter": (990, 1200), "knee": (1000, 1800), "lateral_malleolus": (990, 2500),
           "tragus": (1010, 400), "eye_canthus": (1090, 410)}  # fmt: skip
    res = run(doc("right_lateral", lms))
    for mid in ("hip_angle", "shank_angle", "head_flexion"):
        m = res["measurements"][mid]
        assert (m["severity"], m["band"], m["borderline"]) == (None, None, False)
    res = run(doc("right_lateral", lms, cal={"vertical": VERTICAL}))
    m = res["measurements"]["ear_plumb_offset"]
    assert (m["unit"], m["severity"], m["band"], m["borderline"]) == ("px", None, None, False)
    assert res["measurements"]["trunk_lean"]["severity"] is not None  # angles still graded


def test_settings_refuse_what_is_not_a_finite_non_negative_number():
    for bad in (True, 10**400, "2", None if False else float("inf")):
        with pytest.raises(SettingsError):
            settings_from_dict({"bands": {"head_tilt": {"mild": bad}}})
    with pytest.raises(SettingsError, match="zero or more"):
        settings_from_dict({"bands": {"head_tilt": {"mild": -1, "moderate": 4, "marked": 6}}})
    # lower-is-worse bands still decrease
    settings_from_dict({"bands": {"cva": {"mild": 52, "moderate": 47, "marked": 42}}})


@pytest.mark.parametrize("text", ['{"bands": {"head_tilt": {"mild": ' + "9" * 5000 + "}}}", "[" * 100000 + "]" * 100000])
def test_settings_file_with_absurd_json_is_a_settings_error(tmp_path, text):
    p = tmp_path / "s.json"
    p.write_text(text)
    with pytest.raises(SettingsError):
        load_settings(p)


# --- §6 uncertainty ---------------------------------------------------------------------------------


def test_sigma_default_and_analytic_tilt_uncertainty():
    lms = {"acromion_r": (800, 700), "acromion_l": (1200, 700)}
    # default sigma: max(2, 0.002 * 3000) = 6 px; tilt of a level 400 px pair: sigma * sqrt(2) / 400 rad
    res = run(doc("anterior", lms))
    assert res["landmark_sigma_px"] == 6.0
    assert res["measurements"]["shoulder_tilt"]["uncertainty"] == pytest.approx(deg(6 * math.sqrt(2) / 400), rel=1e-4)
    # height difference: sqrt(2) * sigma * k
    assert res["measurements"]["shoulder_height_diff"]["uncertainty"] == pytest.approx(math.sqrt(2) * 6 * 0.1, rel=1e-6)
    # unknown height → 2 px; small photo → 2 px; zero sigma allowed → zero uncertainty, never borderline
    assert run(doc("anterior", lms, height=None))["landmark_sigma_px"] == 2.0
    small = doc("anterior", {"acromion_r": (80, 70), "acromion_l": (120, 70)}, cal={}, width=200, height=500)
    assert run(small)["landmark_sigma_px"] == 2.0  # 0.002 * 500 = 1 < 2
    cal = {"vertical": VERTICAL, "scale": SCALE_01, "landmark_sigma_px": 0}
    m = run(doc("anterior", {"acromion_r": (800, 710), "acromion_l": (1200, 700)}, cal=cal))["measurements"][
        "shoulder_height_diff"
    ]
    assert m["uncertainty"] == 0 and m["borderline"] is False


def test_borderline_means_within_two_uncertainties_of_a_severity_edge():
    # height diff 0.95 cm with sigma 2 px → uncertainty sqrt(2)*2*0.1 = 0.283 cm; the mild edge (1 cm)
    # is 0.05 away → borderline. With 2.2 cm the nearest edge is 2 cm, 0.2 < 0.566 → borderline;
    # 1.5 cm is 0.5 from both 1 and 2 → 0.5 < 0.566 → borderline; 2.6 cm: 0.4 from 3 → borderline;
    # with sigma 0.5 px (uncertainty 0.0707) 1.5 is not.
    def hd(dy_px, sigma):
        cal = {"vertical": VERTICAL, "scale": SCALE_01, "landmark_sigma_px": sigma}
        return run(doc("anterior", {"acromion_r": (800, 700 + dy_px), "acromion_l": (1200, 700)}, cal=cal))["measurements"][
            "shoulder_height_diff"
        ]

    assert hd(9.5, 2)["borderline"] is True
    assert hd(15, 2)["borderline"] is True
    assert hd(15, 0.5)["borderline"] is False
    assert hd(15, 0.5)["severity"] == "mild"


# --- §7 documents -----------------------------------------------------------------------------------


def _base():
    return doc("anterior", {"acromion_r": (800, 700), "acromion_l": (1200, 700)})


@pytest.mark.parametrize("bad", [0, False, "", [], "front.jpg"])
def test_image_that_is_not_an_object_is_refused_even_when_falsy(bad):
    d = _base()
    d["image"] = bad
    with pytest.raises(DocumentError) as e:
        parse_document(d)
    assert e.value.field == "image"


def test_null_image_and_landmarks_mean_unknown_size_and_none_placed():
    d = _base()
    d["image"] = None
    d["landmarks"] = {"acromion_r": None}
    doc_ = parse_document(d)
    assert doc_.image_width is None and doc_.landmarks == {}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"schema_version":1,"view":"anterior","landmarks":{"glabella":{"x":' + "9" * 400 + ',"y":1}}}', "landmarks.glabella.x"),
        ('{"schema_version":1,"view":"anterior","landmarks":{"glabella":{"x":' + "9" * 5000 + ',"y":1}}}', ""),
        ('{"schema_version":1,"view":"anterior","landmarks":{"glabella":{"x":-Infinity,"y":1}}}', "landmarks.glabella.x"),
        ('{"schema_version":1,"view":"anterior","image":{"width":1e300,"height":10}}', "image.width"),
        ('{"schema_version":1,"view":"anterior","calibration":{"landmark_sigma_px":1e300}}', "calibration.landmark_sigma_px"),
        ("[" * 50000 + "]" * 50000, ""),
        (
            '{"schema_version":1,"view":"anterior","calibration":{"scale":{"p1":[0,0],"p2":[0,1e-300],"distance_cm":1e8}}}',
            "calibration.scale",
        ),
        (
            '{"schema_version":1,"view":"anterior","calibration":{"vertical":{"p1":{"x":1,"y":2,"z":3},"p2":[1,9]}}}',
            "calibration.vertical.p1",
        ),
    ],
)
def test_absurd_numbers_and_json_are_refused_naming_the_field(text, field):
    with pytest.raises(DocumentError) as e:
        loads(text)
    assert e.value.field == field
    assert "\n" not in str(e.value)


def test_a_key_with_a_newline_still_gives_a_one_line_message():
    d = _base()
    d["landmarks"]["bad\nid"] = {"x": 1, "y": 1}
    with pytest.raises(DocumentError) as e:
        parse_document(d)
    assert "\n" not in str(e.value) and e.value.field == "landmarks.bad\nid"


def test_calibration_points_in_either_order_give_the_same_result():
    lms = {"acromion_r": (800, 712), "acromion_l": (1200, 700)}
    a = run(
        doc(
            "anterior",
            lms,
            cal={"vertical": {"p1": [50, 2900], "p2": [60, 100]}, "scale": {"p1": [1, 1], "p2": [1, 501], "distance_cm": 50}},
        )
    )
    b = run(
        doc(
            "anterior",
            lms,
            cal={"vertical": {"p1": [60, 100], "p2": [50, 2900]}, "scale": {"p1": [1, 501], "p2": [1, 1], "distance_cm": 50}},
        )
    )
    assert a["measurements"] == b["measurements"]
    assert a["vertical_roll_deg"] == b["vertical_roll_deg"]


def test_programmatic_document_with_a_bad_point_or_source_is_refused():
    d = parse_document(_base())
    with pytest.raises(DocumentError):
        d.with_landmark("glabella", (float("nan"), 3.0))
    with pytest.raises(DocumentError):
        d.with_landmark("glabella", (3.0, 3.0), source="guess")


# --- §7 result object --------------------------------------------------------------------------------

FULL_ANTERIOR = {
    "glabella": (1010, 400), "tragus_r": (940, 420), "tragus_l": (1060, 410), "acromion_r": (800, 730),
    "acromion_l": (1200, 690), "sternal_notch": (1005, 720), "asis_r": (870, 1320), "asis_l": (1120, 1296),
    "greater_trochanter_r": (840, 1400), "greater_trochanter_l": (1160, 1400), "patella_r": (900, 1900),
    "patella_l": (1100, 1900), "knee_lateral_r": (870, 1900), "knee_lateral_l": (1170, 1900),
    "tibial_tuberosity_r": (915, 2000), "tibial_tuberosity_l": (1095, 2004), "lateral_malleolus_r": (860, 2600),
    "lateral_malleolus_l": (1140, 2600), "medial_malleolus_r": (940, 2590), "medial_malleolus_l": (1060, 2594),
}  # fmt: skip


def test_result_types_and_json_cleanliness():
    res = run(doc("anterior", FULL_ANTERIOR))
    json.dumps(res, allow_nan=False)
    assert isinstance(res["vertical_roll_deg"], float) and isinstance(res["cm_per_px"], float)
    assert isinstance(res["warnings"], list) and isinstance(res["not_measured"], dict)
    for mid, m in res["measurements"].items():
        assert type(m["value"]) is float and type(m["uncertainty"]) is float, mid
        assert m["severity"] in (None, "normal", "mild", "moderate", "marked")
        assert type(m["borderline"]) is bool
        assert all(isinstance(x, str) for x in m["landmarks"])
    # one finding per graded non-normal measurement, most severe first
    graded = {k for k, m in res["measurements"].items() if m["severity"] not in (None, "normal")}
    assert {f["measurement"] for f in res["findings"]} == graded and len(res["findings"]) == len(graded)
    ranks = [severity_rank(f["severity"]) for f in res["findings"]]
    assert ranks == sorted(ranks, reverse=True)
    assert [p["stage"] for p in res["plan"]] == sorted(p["stage"] for p in res["plan"])
    # full precision: values are not rounded for display
    v = res["measurements"]["shoulder_tilt"]["value"]
    assert v == pytest.approx(deg(math.atan2(40, 400)), abs=1e-12)


# --- §8 findings ------------------------------------------------------------------------------------


def _finding(mid, v, unit="cm", severity="mild", region="head and neck", extra=None):
    m = {"value": v, "unit": unit, "severity": severity, "region": region,
         "band": grading.default_bands().get(mid, grading.Band(1, 2, 3, "x")).as_dict(), **(extra or {})}  # fmt: skip
    return findings.public(findings.build_findings({mid: m}))[0]


def test_consider_lists_are_phrased_as_things_to_consider():
    res = run(doc("anterior", FULL_ANTERIOR))
    assert res["findings"]
    for f in res["findings"]:
        for item in f["consider"]:
            assert "consider assessing" in item or item.startswith("Why:")
        text = " ".join(f["consider"] + [f["text"]]).lower()
        assert "diagnos" not in text and "you have" not in text
    for stage in res["plan"]:
        assert all("consider" in item for item in stage["items"])


def test_forward_head_muscles_only_for_a_forward_head():
    fwd = _finding("head_forward", 5.0)
    assert any("suboccipitals" in c for c in fwd["consider"])
    back = _finding("head_forward", -5.0)
    assert not any("suboccipitals" in c or "deep neck flexors" in c for c in back["consider"])
    assert "behind" in " ".join(back["consider"])


@pytest.mark.parametrize(("mid", "v", "side"), [("head_tilt", 4.0, "right"), ("head_tilt", -4.0, "left")])
def test_head_tilt_muscles_on_the_side_it_tilts_toward(mid, v, side):
    f = _finding(mid, v, unit="deg")
    assert any(f"sternocleidomastoid ({side})" in c for c in f["consider"])
    assert any(f"scalenes ({side})" in c for c in f["consider"])


def test_elevated_shoulder_and_pelvis_muscles_on_the_high_side():
    f = _finding("shoulder_tilt", 3.0, unit="deg")  # + right lower → left high
    assert any("upper trapezius (left" in c for c in f["consider"])
    f = _finding("pelvic_obliquity", -3.0, unit="deg")  # − left lower → right high
    assert any("quadratus lumborum (right" in c for c in f["consider"])


def test_tibial_tuberosity_tilt_is_not_called_valgus():
    f = _finding("tibial_tuberosity_tilt", 3.5, unit="deg", region="knees")
    assert not any("valgus" in c for c in f["consider"])
    assert any("leg length" in c for c in f["consider"])


def test_referrals():
    assert _finding("leg_length_diff", 2.0, severity="moderate")["referral"]
    assert _finding("leg_length_diff", -2.5, severity="moderate")["referral"]
    assert _finding("leg_length_diff", 1.99, severity="mild")["referral"] is None
    assert _finding("spine_deviation", 2.0, severity="moderate", extra={"level": "t7"})["referral"]
    assert _finding("spine_deviation", 1.5, severity="mild", extra={"level": "t7"})["referral"] is None


# --- robustness: malformed documents never escape as anything but DocumentError ----------------------

_junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.sampled_from([10**400, -(10**400), 0, 1, -1, 2**63])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([1e308, -1e308, 5e-324, 1e9, 1e9 + 1])
    | st.text(max_size=8)
    | st.sampled_from(["anterior", "right", "manual", "x", "y", "p1", "1"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["x", "y", "p1", "p2", "z", "source"]), inner, max_size=3)
    ),
    max_leaves=8,
)


def _full_doc(view):
    lms = {
        "anterior": FULL_ANTERIOR,
        "posterior": {
            "c7": (1000, 650),
            "s1": (1030, 1550),
            "t7": (1015, 1000),
            "calcaneus_r": (1090, 2640),
            "calcaneus_l": (930, 2640),
        },
        "right_lateral": {"tragus": (1000, 400), "c7": (940, 500), "acromion": (980, 600), "lateral_malleolus": (960, 2500)},
        "left_lateral": {"tragus": (1000, 400), "c7": (1060, 500), "acromion": (1020, 600), "lateral_malleolus": (1040, 2500)},
    }[view]
    d = doc(view, lms)
    d["calibration"]["plumb_anchor"] = [1000, 2900]
    d["calibration"]["landmark_sigma_px"] = 3
    return d


def _paths(obj, prefix=()):
    yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


def _set(obj, path, val):
    if not path:
        return val
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    cur[path[-1]] = val
    return obj


def _clean_or_document_error(d):
    try:
        result = analyze(parse_document(d), Settings(grading.default_bands()))
    except DocumentError as exc:
        assert "\n" not in str(exc)
        return
    text = json.dumps(result, allow_nan=False)  # never NaN/Infinity in a result
    assert json.loads(text)["view"] == result["view"]
    for m in result["measurements"].values():
        assert math.isfinite(m["value"]) and math.isfinite(m["uncertainty"]) and m["uncertainty"] >= 0


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["anterior", "posterior", "right_lateral", "left_lateral"]), st.data())
def test_fuzz_one_field_replaced_by_junk(view, data):
    d = _full_doc(view)
    paths = list(_paths(d))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        d = _set(d, path, data.draw(_junk))
        paths = list(_paths(d))  # the next replacement may go inside the junk
    _clean_or_document_error(d)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["anterior", "posterior", "right_lateral", "left_lateral"]),
    st.dictionaries(st.text(max_size=12), _junk, max_size=4),
    st.dictionaries(st.sampled_from(["vertical", "scale", "plumb_anchor", "landmark_sigma_px"]), _junk, max_size=3),
)
def test_fuzz_landmarks_and_calibration(view, lms, cal):
    d = _full_doc(view)
    d["landmarks"].update(lms)
    d["calibration"].update(cal)
    _clean_or_document_error(d)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.floats(min_value=0, max_value=1e9, allow_nan=False) | st.sampled_from([0.0, 1e-300, 5e-324, 1e9]),
        min_size=12,
        max_size=12,
    ),
    st.sampled_from([None, 1e-300, 1e-9, 1.0, 1e9]),
    st.sampled_from([None, 0.0, 1e-9, 1e9]),
)
def test_fuzz_extreme_but_valid_numbers_give_a_clean_result(nums, dist, sigma):
    # every number is individually acceptable; together they may make degenerate geometry
    d = _full_doc("anterior")
    d["image"] = {"file": "a.jpg"}
    it = iter(nums)
    for k in ("acromion_r", "acromion_l", "medial_malleolus_r", "medial_malleolus_l", "asis_r"):
        d["landmarks"][k] = {"x": next(it), "y": next(it)}
    d["calibration"]["plumb_anchor"] = None
    d["calibration"]["landmark_sigma_px"] = sigma
    if dist is not None:
        d["calibration"]["scale"] = {"p1": [next(it), 0], "p2": [next(it), 1], "distance_cm": dist}
    _clean_or_document_error(d)


def _cli(argv):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_fuzz_cli_exit_status_is_0_or_2_with_one_line(data):
    d = _full_doc(data.draw(st.sampled_from(["anterior", "posterior", "right_lateral", "left_lateral"])))
    paths = list(_paths(d))
    d = _set(d, data.draw(st.sampled_from(paths)), data.draw(_junk))
    text = json.dumps(d)  # Python writes NaN / Infinity literals for non-finite floats, as some tools do
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "doc.json")
        with open(p, "w", encoding="utf-8") as fh:
            fh.write(text)
        code, out, err = _cli(["analyze", p, "--format", data.draw(st.sampled_from(["json", "text", "csv"]))])
    assert code in (0, 2), err
    if code == 2:
        assert out == "" and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    else:
        assert err == ""


def test_cli_usage_errors_are_one_line_exit_2(tmp_path):
    p = tmp_path / "d.json"
    p.write_text(json.dumps(_full_doc("anterior")))
    for argv in (["analyze", str(p), "--format", "xml"], ["analyze"], ["nonsense"], ["analyze", str(p), "--bogus"]):
        code, out, err = _cli(argv)
        assert code == 2 and out == ""
        assert len(err.strip().splitlines()) == 1, err


def test_cli_json_default_text_and_settings(tmp_path, monkeypatch):
    p = tmp_path / "d.json"
    p.write_text(json.dumps(_full_doc("anterior")))
    monkeypatch.delenv("POSTURE_SETTINGS", raising=False)
    code, out, err = _cli(["analyze", str(p)])
    assert code == 0 and not out.lstrip().startswith("{"), err  # text by default
    code, out, _ = _cli(["analyze", str(p), "--format", "json"])
    assert json.loads(out)["measurements"]["shoulder_tilt"]["band"]["mild"] == 1.5
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"bands": {"shoulder_tilt": {"mild": 0.5, "moderate": 1, "marked": 2, "source": "our clinic"}}}))
    code, out, _ = _cli(["analyze", str(p), "--format", "json", "--settings", str(s)])
    assert json.loads(out)["measurements"]["shoulder_tilt"]["band"] == {
        "mild": 0.5,
        "moderate": 1,
        "marked": 2,
        "source": "our clinic",
    }
    monkeypatch.setenv("POSTURE_SETTINGS", str(s))
    code, out, _ = _cli(["analyze", str(p), "--format", "json"])
    assert json.loads(out)["measurements"]["shoulder_tilt"]["band"]["source"] == "our clinic"
    s.write_text('{"bands": {"shoulder_tilt": {"mild": ' + "9" * 5000 + "}}}")
    code, out, err = _cli(["analyze", str(p), "--format", "json"])
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1


def test_leg_length_referral_survives_a_practice_band_that_grades_it_normal():
    # |2.5 cm| ≥ 2 cm: the referral is a fixed clinical rule (§8), whatever a practice's band says
    lms = {"asis_r": (870, 1300), "medial_malleolus_r": (870, 2625), "asis_l": (1120, 1300), "medial_malleolus_l": (1120, 2600)}
    res = run(doc("anterior", lms))
    assert value(res, "leg_length_diff") == pytest.approx(2.5)
    (f,) = [f for f in res["findings"] if f["measurement"] == "leg_length_diff"]
    assert f["referral"] and not any("leg length" in w for w in res["warnings"])
    lenient = settings_from_dict({"bands": {"leg_length_diff": {"mild": 3, "moderate": 4, "marked": 5}}})
    for s in (lenient, settings_from_dict({"bands": {"leg_length_diff": None}})):
        res = run(doc("anterior", lms), s)
        assert not any(f["measurement"] == "leg_length_diff" for f in res["findings"])
        assert any("measured leg length" in w for w in res["warnings"])
    # below 2 cm: no prompt anywhere
    lms["medial_malleolus_r"] = (870, 2615)
    res = run(doc("anterior", lms), lenient)
    assert not any("leg length" in w for w in res["warnings"])


def test_settings_without_the_bands_wrapper_are_refused_not_ignored():
    # a practice that forgets {"bands": ...} must not silently get the defaults
    with pytest.raises(SettingsError, match="head_tilt"):
        settings_from_dict({"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8}})
    # a copy of the shipped defaults file is a valid settings file
    shipped = json.loads((grading.resources.files("posture") / "data/default_bands.json").read_text(encoding="utf-8"))
    assert settings_from_dict(shipped).bands == grading.default_bands()


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        _junk,
        st.dictionaries(st.sampled_from(["bands", "about", "x"]), _junk, max_size=2),
        st.fixed_dictionaries(
            {
                "bands": st.dictionaries(
                    st.sampled_from(["head_tilt", "cva", "pelvic_tilt", "hip_angle", "nope"]), _junk, max_size=3
                )
            }
        ),
        st.fixed_dictionaries(
            {
                "bands": st.dictionaries(
                    st.sampled_from(["head_tilt", "cva", "q_angle_r"]),
                    st.dictionaries(st.sampled_from(["mild", "moderate", "marked", "source"]), _junk, max_size=4),
                    max_size=2,
                )
            }
        ),
    )
)
def test_fuzz_settings_are_a_settings_object_or_a_settings_error(raw):
    try:
        s = settings_from_dict(raw)
    except SettingsError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    for band in s.bands.values():
        assert band is None or all(math.isfinite(x) for x in (band.mild, band.moderate, band.marked))


@pytest.mark.parametrize("roll", [0.0, 0.3, 5.0, 7.0, 23.0, 29.0])
def test_spine_level_tie_goes_to_the_higher_level_in_a_rolled_photo_too(roll):
    # t3 and t7 lie 35 px on either side of the leaning C7–S1 line (see the test above); rolling the
    # photo with its plumb line changes nothing, so the tie must still go to t3. (Float rounding
    # of the roll correction makes the two offsets differ in their last bits.)
    t, cx, cy = math.radians(roll), W / 2, H / 2

    def rot(p):
        dx, dy = p[0] - cx, p[1] - cy
        return (cx + dx * math.cos(t) - dy * math.sin(t), cy + dx * math.sin(t) + dy * math.cos(t))

    lms = {k: rot(p) for k, p in {"c7": (1000, 600), "s1": (1100, 1600), "t3": (985, 800), "t7": (1075, 1000)}.items()}
    res = run(doc("posterior", lms, cal={"vertical": {"p1": list(rot((1000, 2800))), "p2": list(rot((1000, 300)))}}))
    m = res["measurements"]["spine_deviation"]
    assert m["level"] == "t3"
    assert m["value"] == pytest.approx(-35 * 1000 / math.hypot(100, 1000), abs=1e-6)  # px: no scale


@pytest.mark.parametrize("roll", [0.0, 3.0, 7.0, 13.0, 19.0, 29.0])
@pytest.mark.parametrize(("view", "r"), [("anterior", -1), ("posterior", +1)])
def test_a_zero_mean_falls_back_to_the_view_default_in_a_rolled_photo_too(roll, view, r):
    # pairs +10 and -10 px apart: the mean is 0 whatever the roll, so r is the view's default
    t, cx, cy = math.radians(roll), W / 2, H / 2

    def rot(p):
        dx, dy = p[0] - cx, p[1] - cy
        return (cx + dx * math.cos(t) - dy * math.sin(t), cy + dx * math.sin(t) + dy * math.cos(t))

    body = {"tragus_r": (1010, 400), "tragus_l": (1000, 400), "acromion_r": (990, 700), "acromion_l": (1000, 700)}
    body["sternal_notch" if view == "anterior" else "c7"] = (1030, 720)
    lms = {k: rot(p) for k, p in body.items()}
    cal = {"vertical": {"p1": list(rot((1000, 2800))), "p2": list(rot((1000, 300)))}, "plumb_anchor": list(rot((1000, 2900)))}
    res = run(doc(view, lms, cal=cal))
    assert value(res, "trunk_shift") == pytest.approx(30 * r, abs=1e-6)  # px: 30 px image-right of the anchor


def test_plan_names_each_muscle_once_with_its_side():
    """A head tilt (SCM on the low side) with a head shift (SCM unsided): the plan says "sternocleidomastoid (right)" once."""
    ms = {
        "head_tilt": {"value": 4.0, "unit": "deg", "severity": "mild", "region": "head and neck",
                      "band": grading.default_bands()["head_tilt"].as_dict()},
        "head_shift": {"value": 2.5, "unit": "cm", "severity": "moderate", "region": "head and neck",
                       "band": grading.default_bands()["head_shift"].as_dict()},
    }  # fmt: skip
    found = findings.build_findings(ms)
    plain = [c for f in findings.public(found) for c in f["consider"]]
    assert any(c.startswith("sternocleidomastoid:") for c in plain), "the shift alone names the muscle without a side"
    stage1 = findings.build_plan(found)[0]["items"][0]
    assert stage1.count("sternocleidomastoid") == 1 and "sternocleidomastoid (right)" in stage1, stage1
