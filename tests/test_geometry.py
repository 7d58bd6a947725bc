"""Geometry primitives and the corrected reference frame (spec §3): roll, scale, r, f, plumb line."""

from __future__ import annotations

import math

import numpy as np
import pytest
from helpers_core import (
    ANTERIOR,
    POSTERIOR,
    RIGHT_LATERAL,
    doc_dict,
    height_scale,
    rot_cw,
    run,
    two_point_scale,
)

from posture import geometry as g

# --- primitives ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p1", "p2", "expected"),
    [
        ((100, 1000), (100, 0), 0.0),
        # upper end (smaller y) image-right of the lower end: positive (clockwise on screen)
        ((100, 1000), (200, 0), math.degrees(math.atan2(100, 1000))),
        # upper end image-left: negative
        ((200, 1000), (100, 0), -math.degrees(math.atan2(100, 1000))),
    ],
)
def test_roll_from_line_sign_and_order(p1, p2, expected):
    assert g.roll_deg_from_line(p1, p2) == pytest.approx(expected, abs=1e-12)
    assert g.roll_deg_from_line(p2, p1) == pytest.approx(expected, abs=1e-12)


def test_rotate_px_is_clockwise_on_screen():
    # with y down, a point to the right of the centre turns downward (clockwise as seen)
    out = g.rotate_px([10.0, 0.0], 90.0)
    assert out == pytest.approx([0.0, 10.0], abs=1e-12)
    out = g.rotate_px([[110.0, 50.0]], 30.0, (100.0, 50.0))
    assert out[0] == pytest.approx(rot_cw((110.0, 50.0), 30.0, (100.0, 50.0)), abs=1e-12)


def test_to_corrected_makes_the_line_vertical_and_flips_y():
    p_low, p_up = (300.0, 2000.0), (420.0, 200.0)
    roll = g.roll_deg_from_line(p_low, p_up)
    c = (1000.0, 1500.0)
    low, up = g.to_corrected([p_low, p_up], roll, c)
    assert low[0] == pytest.approx(up[0], abs=1e-9)
    assert up[1] > low[1]  # Y points up
    assert up[1] - low[1] == pytest.approx(math.dist(p_low, p_up), abs=1e-9)
    back = g.from_corrected(np.array([low, up]), roll, c)
    assert back == pytest.approx(np.array([p_low, p_up]), abs=1e-9)


def test_no_roll_is_x_and_minus_y():
    out = g.to_corrected([[12.5, 40.0], [7.0, 3.0]], 0.0, (50.0, 60.0))
    assert out.tolist() == [[12.5, -40.0], [7.0, -3.0]]


def test_primitives_by_hand():
    # corrected frame (Y up)
    assert g.tilt_deg((0, 0), (10, 10)) == pytest.approx(45.0)  # left higher: right low, +
    assert g.tilt_deg((10, 0), (0, 10)) == pytest.approx(45.0)  # |X_L - X_R|: side of the image does not matter
    assert g.tilt_deg((0, 10), (10, 0)) == pytest.approx(-45.0)
    assert g.height_diff_px((0, 3), (5, 10)) == pytest.approx(7.0)
    assert g.shift_px((12, 0), 10.0, -1) == pytest.approx(-2.0)
    assert g.ant_px((12, 0), 10.0, -1) == pytest.approx(-2.0)
    assert g.lean_deg((1, 1), (0, 0), +1) == pytest.approx(45.0)
    assert g.lean_deg((1, 1), (0, 0), -1) == pytest.approx(-45.0)
    assert g.bend_deg((0, 0), (0, 1), (0, 2)) == pytest.approx(0.0)
    assert g.bend_deg((0, 0), (0, 1), (1, 1)) == pytest.approx(90.0)
    assert g.bend_deg((0, 0), (0, 1), (-1, 1)) == pytest.approx(90.0)  # unsigned
    assert math.isnan(float(g.bend_deg((0, 0), (0, 0), (1, 1))))
    assert g.distance((0, 0), (3, 4)) == pytest.approx(5.0)
    assert g.midpoint((0, 0), (3, 4)) == pytest.approx([1.5, 2.0])


def test_side_of_chord_ignores_chord_direction():
    a, c = (0.0, 0.0), (0.0, 10.0)
    assert g.side_of_chord_px(a, (2.0, 5.0), c) == pytest.approx(2.0)
    assert g.side_of_chord_px(c, (2.0, 5.0), a) == pytest.approx(2.0)
    assert g.side_of_chord_px(a, (-3.0, 5.0), c) == pytest.approx(-3.0)


def test_primitives_broadcast():
    R = np.array([[0.0, 0.0], [0.0, 0.0]])
    L = np.array([[10.0, 10.0], [10.0, -10.0]])
    assert g.tilt_deg(R, L) == pytest.approx([45.0, -45.0])


# --- the frame through analyze() --------------------------------------------------------------


LEVEL = {"acromion_r": (800.0, 700.0), "acromion_l": (1200.0, 700.0)}


def test_vertical_roll_sign_and_correction():
    """A camera rolled clockwise shows the plumb line with its top to the image-right (roll > 0), and a
    truly level shoulder line running down to the image-right; the correction levels it again."""
    roll, c = 5.0, (1000.0, 1500.0)
    img = {k: rot_cw(v, roll, c) for k, v in LEVEL.items()}
    line = (rot_cw((500, 2800), roll, c), rot_cw((500, 300), roll, c))
    assert line[1][0] > line[0][0]  # the upper end is image-right
    res = run(doc_dict("anterior", img, vertical=line, width=2000, height=3000))
    assert res["vertical_source"] == "line"
    assert res["vertical_roll_deg"] == pytest.approx(roll, abs=1e-9)
    assert res["measurements"]["shoulder_tilt"]["value"] == pytest.approx(0.0, abs=1e-9)
    # either order of the two points
    res2 = run(doc_dict("anterior", img, vertical=line[::-1], width=2000, height=3000))
    assert res2["vertical_roll_deg"] == pytest.approx(roll, abs=1e-9)
    # without the line the image vertical is trusted: the roll shows up as a tilt (left side lower)
    res3 = run(doc_dict("anterior", img, width=2000, height=3000))
    assert res3["vertical_source"] == "image"
    assert res3["vertical_roll_deg"] == 0
    assert res3["measurements"]["shoulder_tilt"]["value"] == pytest.approx(-roll, abs=1e-9)
    assert len(res3["warnings"]) >= 1
    assert len(res3["warnings"]) > len(res["warnings"])


def test_negative_roll():
    roll, c = -12.0, (1000.0, 1500.0)
    line = (rot_cw((500, 2800), roll, c), rot_cw((500, 300), roll, c))
    assert line[1][0] < line[0][0]
    res = run(doc_dict("right_lateral", {k: rot_cw(v, roll, c) for k, v in RIGHT_LATERAL.items()}, vertical=line))
    assert res["vertical_roll_deg"] == pytest.approx(roll, abs=1e-9)
    unrolled = run(doc_dict("right_lateral", RIGHT_LATERAL, vertical=((2500, 2800), (2500, 300))))
    for mid, m in unrolled["measurements"].items():
        assert res["measurements"][mid]["value"] == pytest.approx(m["value"], abs=1e-7), mid


def test_two_point_scale():
    lms = {"acromion_r": (800.0, 700.0), "acromion_l": (1200.0, 690.0)}
    res = run(doc_dict("anterior", lms, scale=two_point_scale((100, 100), (400, 500), 25.0)))
    assert res["cm_per_px"] == pytest.approx(25.0 / 500.0, rel=1e-12)
    res2 = run(doc_dict("anterior", lms, scale=two_point_scale((400, 500), (100, 100), 25.0)))
    assert res2["cm_per_px"] == pytest.approx(25.0 / 500.0, rel=1e-12)
    assert res["measurements"]["shoulder_height_diff"]["value"] == pytest.approx(10 * 0.05, abs=1e-9)
    assert res["measurements"]["shoulder_height_diff"]["unit"] == "cm"


def test_height_scale_uses_the_corrected_vertical():
    roll, c = 10.0, (1000.0, 1500.0)
    top_true, floor_true = (1200.0, 300.0), (1000.0, 2000.0)  # 1700 px apart vertically in the true frame
    top, floor = rot_cw(top_true, roll, c), rot_cw(floor_true, roll, c)
    line = (rot_cw((500, 2800), roll, c), rot_cw((500, 300), roll, c))
    d = doc_dict("anterior", {}, vertical=line, scale=height_scale(170.0, top, floor), width=2000, height=3000)
    res = run(d)
    assert res["cm_per_px"] == pytest.approx(170.0 / 1700.0, rel=1e-12)
    # the image-y extent and the straight distance both differ enough for this test to tell them apart
    assert abs(170.0 / abs(top[1] - floor[1]) - 0.1) > 1e-4
    assert abs(170.0 / math.dist(top, floor) - 0.1) > 1e-4
    # without roll it is simply the y extent
    d = doc_dict("anterior", {}, scale=height_scale(172.0, (900, 300), (950, 2020)))
    assert run(d)["cm_per_px"] == pytest.approx(172.0 / 1720.0, rel=1e-12)


# --- client's right (frontal views) ------------------------------------------------------------


def _head_shift(view, lms, anchor=(1000.0, 2600.0)):
    lms = {"glabella": (1010.0, 400.0), **lms} if view == "anterior" else {"c7": (1010.0, 650.0), **lms}
    res = run(doc_dict(view, lms, plumb_anchor=anchor, sigma=0))
    return res["measurements"]["head_shift" if view == "anterior" else "trunk_shift"]["value"]


def test_r_defaults_without_pairs():
    # anterior: the client's right is image-left → 10 px image-right is toward the client's left
    assert _head_shift("anterior", {}) == pytest.approx(-10.0)
    # posterior: the client's right is image-right
    assert _head_shift("posterior", {}) == pytest.approx(+10.0)


def test_r_from_landmarks_mirrored_selfie():
    mirrored = {"acromion_r": (1200.0, 700.0), "acromion_l": (800.0, 700.0)}  # client's right on image-right
    assert _head_shift("anterior", mirrored) == pytest.approx(+10.0)
    mirrored_back = {"acromion_r": (800.0, 700.0), "acromion_l": (1200.0, 700.0)}
    assert _head_shift("posterior", mirrored_back) == pytest.approx(-10.0)


def test_r_is_the_sign_of_the_unweighted_mean():
    # two of three pairs say image-left, but the mean of X_r - X_l is (-10 + 50 - 15) / 3 > 0
    lms = {
        "tragus_r": (995.0, 420.0),
        "tragus_l": (1005.0, 420.0),
        "acromion_r": (1025.0, 700.0),
        "acromion_l": (975.0, 700.0),
        "asis_r": (992.5, 1300.0),
        "asis_l": (1007.5, 1300.0),
    }
    assert _head_shift("anterior", lms) == pytest.approx(+10.0)


def test_r_mean_zero_falls_back_to_the_default():
    lms = {
        "tragus_r": (900.0, 420.0),
        "tragus_l": (1100.0, 420.0),
        "acromion_r": (1200.0, 700.0),
        "acromion_l": (1000.0, 700.0),
    }
    assert _head_shift("anterior", lms) == pytest.approx(-10.0)
    assert _head_shift("posterior", lms) == pytest.approx(+10.0)


def test_r_ignores_half_pairs():
    # only acromion_r present: no pair, the default applies
    assert _head_shift("anterior", {"acromion_r": (1900.0, 700.0)}) == pytest.approx(-10.0)


# --- facing (lateral views) -------------------------------------------------------------------


def test_default_facing_and_explicit_facing():
    lms = {"tragus": (1000.0, 400.0), "acromion": (980.0, 600.0)}
    right = run(doc_dict("right_lateral", lms, sigma=0))
    assert right["facing"] == "right"
    assert right["measurements"]["head_forward"]["value"] == pytest.approx(20.0)  # px: ear anterior
    left = run(doc_dict("left_lateral", lms, sigma=0))
    assert left["facing"] == "left"
    assert left["measurements"]["head_forward"]["value"] == pytest.approx(-20.0)
    # facing given explicitly overrides the view's default
    flipped = run(doc_dict("right_lateral", lms, sigma=0, facing="left"))
    assert flipped["facing"] == "left"
    assert flipped["measurements"]["head_forward"]["value"] == pytest.approx(-20.0)


CAL = {"vertical": ((2500, 2800), (2500, 100)), "scale": two_point_scale((2600, 100), (2600, 600), 50.0)}


def test_facing_consistent_has_no_warning():
    assert run(doc_dict("right_lateral", RIGHT_LATERAL, **CAL))["warnings"] == []


@pytest.mark.parametrize(
    "change",
    [
        {"eye_canthus": (940.0, 410.0)},  # eye behind the tragus
        {"asis": (880.0, 1100.0)},  # ASIS behind the PSIS (x=900)
    ],
)
def test_facing_contradiction_warns_but_keeps_facing(change):
    lms = {**RIGHT_LATERAL, **change}
    res = run(doc_dict("right_lateral", lms, **CAL))
    assert len(res["warnings"]) >= 1
    assert res["facing"] == "right"
    # values still use f = +1 (the facing as given)
    assert res["measurements"]["head_forward"]["value"] == pytest.approx(2.0)


def test_wrong_facing_warns():
    res = run(doc_dict("right_lateral", RIGHT_LATERAL, facing="left", **CAL))
    assert len(res["warnings"]) >= 1
    assert res["facing"] == "left"
    assert res["measurements"]["head_forward"]["value"] == pytest.approx(-2.0)


# --- plumb line in the result -----------------------------------------------------------------


def test_plumb_line_from_the_anchor_upward_along_the_true_vertical():
    roll, c = 6.0, (1000.0, 1500.0)
    img = {k: rot_cw(v, roll, c) for k, v in ANTERIOR.items()}
    line = (rot_cw((500, 2800), roll, c), rot_cw((500, 300), roll, c))
    res = run(doc_dict("anterior", img, vertical=line, width=2000, height=3000))
    pl = res["plumb_line"]
    anchor = (
        (img["medial_malleolus_r"][0] + img["medial_malleolus_l"][0]) / 2,
        (img["medial_malleolus_r"][1] + img["medial_malleolus_l"][1]) / 2,
    )
    assert pl["p1"] == pytest.approx(list(anchor), abs=1e-9)
    dx, dy = pl["p2"][0] - pl["p1"][0], pl["p2"][1] - pl["p1"][1]
    assert dy < 0  # upward in the image
    # parallel to the calibration line, from lower to upper end
    ldx, ldy = line[1][0] - line[0][0], line[1][1] - line[0][1]
    assert dx * ldy - dy * ldx == pytest.approx(0.0, abs=1e-6 * math.hypot(dx, dy) * math.hypot(ldx, ldy))


def test_plumb_line_posterior_and_lateral_anchors():
    res = run(doc_dict("posterior", POSTERIOR))
    assert res["plumb_line"]["p1"] == pytest.approx([1010.0, 2640.0])
    assert res["plumb_line"]["p2"][0] == pytest.approx(1010.0)
    res = run(doc_dict("right_lateral", RIGHT_LATERAL))
    assert res["plumb_line"]["p1"] == pytest.approx([960.0, 2500.0])


@pytest.mark.parametrize("roll", [-30.0, -12.0, 0.0, 7.5, 30.0])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_image_side_of_a_sign_along_the_corrected_x(roll, sign):
    """``Frame.image_side``: a step along ``sign``·X lands in that half of the image, for every roll a document allows."""
    from posture.document import MAX_VERTICAL_TILT_DEG
    from posture.frame import Frame

    assert abs(roll) <= MAX_VERTICAL_TILT_DEG
    step_px = g.from_corrected(np.array([sign, 0.0]), roll) - g.from_corrected(np.array([0.0, 0.0]), roll)
    assert math.copysign(1.0, step_px[0]) == Frame.image_side(sign)
    assert Frame.image_side(0.0) == 1.0  # a sign that does not apply counts as the right
