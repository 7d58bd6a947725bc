"""An audit of the v1.1 additions (spec §9, ``docs/measurements.md``) worked out by hand.

Each expected value is argued from the picture and computed here with plain
``math`` from spec §3's primitives (``helpers_core``), never by the package.
The documents use an exactly vertical plumb-line calibration (``X = x``,
``Y = -y``) and 0.1 cm per pixel unless a test says otherwise.
"""

from __future__ import annotations

import math

import pytest
from helpers_core import (
    ANTERIOR,
    LEFT_LATERAL,
    LEFT_LATERAL_SPINE,
    RIGHT_LATERAL,
    RIGHT_LATERAL_SPINE,
    C,
    bend,
    cog_x_by_hand,
    doc_dict,
    rot_cw,
    run,
    shift,
    two_point_scale,
)

from posture import grading
from posture.settings import settings_from_dict

K = 0.1
SCALE = two_point_scale((100, 100), (100, 600), 50.0)
VERTICAL = ((500, 2900), (500, 100))
W, H = 2000, 3000
TOL = 1e-9


def _doc(view, lms, *, vertical=VERTICAL, scale=SCALE, **kw):
    return doc_dict(view, lms, vertical=vertical, scale=scale, width=W, height=H, **kw)


def _m(res, mid):
    assert mid in res["measurements"], res["not_measured"].get(mid)
    return res["measurements"][mid]


# --- lateral: the spinal curves and the shoulder over the hip ---------------------------------

#: A client facing image-right: C7 and T12 on one vertical (x = 1000), the thoracic apex 40 px behind it
#: (posterior = image-left), the lumbar apex 30 px in front of the vertical T12–S1.
SIDE = {
    **RIGHT_LATERAL,
    "c7": (1000, 500),
    "thoracic_apex": (960, 800),
    "t12": (1000, 1100),
    "lumbar_apex": (1030, 1250),
    "s1": (1000, 1400),
    "acromion": (1020, 600),
    "greater_trochanter": (990, 1200),
}


def test_curves_worked_example_facing_right():
    res = run(_doc("right_lateral", SIDE))
    # a symmetric bend about a vertical chord: each arm turns atan(offset / half-length), so 180 - interior = twice that
    kyph = 2 * math.degrees(math.atan2(40, 300))
    lord = 2 * math.degrees(math.atan2(30, 150))
    assert kyph == pytest.approx(bend(C(SIDE["c7"]), C(SIDE["thoracic_apex"]), C(SIDE["t12"])), abs=1e-12)
    assert _m(res, "thoracic_kyphosis")["value"] == pytest.approx(+kyph, abs=TOL)  # apex posterior: +
    assert _m(res, "lumbar_lordosis")["value"] == pytest.approx(+lord, abs=TOL)  # apex anterior: +
    assert kyph == pytest.approx(15.1892, abs=1e-4) and lord == pytest.approx(22.6199, abs=1e-4)
    # acromion 30 px anterior of the trochanter's vertical: 3.0 cm
    sfh = _m(res, "shoulder_forward_of_hip")
    assert sfh["value"] == pytest.approx(3.0, abs=TOL) and sfh["unit"] == "cm"
    assert sfh["severity"] == "mild"  # spec §9: 2 / 4 / 6 cm
    for mid, plane, unit in (
        ("thoracic_kyphosis", "coronal", "deg"),
        ("lumbar_lordosis", "coronal", "deg"),
        ("shoulder_forward_of_hip", "coronal", "cm"),
    ):
        assert (res["measurements"][mid]["plane"], res["measurements"][mid]["unit"]) == (plane, unit)
    assert _m(res, "thoracic_kyphosis")["landmarks"] == ["c7", "thoracic_apex", "t12"]
    assert _m(res, "lumbar_lordosis")["landmarks"] == ["t12", "lumbar_apex", "s1"]
    # the curves are not graded by default (spec §9): no band, no finding
    for mid in ("thoracic_kyphosis", "lumbar_lordosis"):
        assert _m(res, mid)["severity"] is None and _m(res, mid)["band"] is None
        assert mid not in {f["measurement"] for f in res["findings"]}
    assert "kyphotic" in _m(res, "thoracic_kyphosis")["direction"]
    assert "lordotic" in _m(res, "lumbar_lordosis")["direction"]


def test_reversed_curves_are_negative():
    flat = {**SIDE, "thoracic_apex": (1040, 800), "lumbar_apex": (970, 1250)}  # apex in front / behind its chord
    res = run(_doc("right_lateral", flat))
    assert _m(res, "thoracic_kyphosis")["value"] == pytest.approx(-2 * math.degrees(math.atan2(40, 300)), abs=TOL)
    assert _m(res, "lumbar_lordosis")["value"] == pytest.approx(-2 * math.degrees(math.atan2(30, 150)), abs=TOL)
    assert "reversed" in _m(res, "thoracic_kyphosis")["direction"]
    straight = run(_doc("right_lateral", {**SIDE, "thoracic_apex": (1000, 800)}))
    assert _m(straight, "thoracic_kyphosis")["value"] == 0


def test_the_same_body_facing_left_gives_the_same_values():
    """Mirror the photo and say the client faces left: anterior is now image-left, the values stay."""
    mirrored = {k: (W - x, y) for k, (x, y) in SIDE.items()}
    for view in ("right_lateral", "left_lateral"):
        a = run(_doc("right_lateral", SIDE, facing="right"))
        b = run(_doc(view, mirrored, facing="left"))
        for mid in ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip"):
            assert b["measurements"][mid]["value"] == pytest.approx(a["measurements"][mid]["value"], abs=TOL), (view, mid)


def test_the_templates_curves_by_hand_both_facings():
    for view, body, spine, f in (
        ("right_lateral", RIGHT_LATERAL, RIGHT_LATERAL_SPINE, 1.0),
        ("left_lateral", LEFT_LATERAL, LEFT_LATERAL_SPINE, -1.0),
    ):
        lms = {**body, **spine}
        res = run(_doc(view, lms))
        c7, ap, t12 = C(lms["c7"]), C(lms["thoracic_apex"]), C(lms["t12"])
        la, s1 = C(lms["lumbar_apex"]), C(lms["s1"])
        # both templates curve the usual way (kyphotic, lordotic): + magnitudes
        assert _m(res, "thoracic_kyphosis")["value"] == pytest.approx(bend(c7, ap, t12), abs=TOL), view
        assert _m(res, "lumbar_lordosis")["value"] == pytest.approx(bend(t12, la, s1), abs=TOL), view
        want = (lms["acromion"][0] - lms["greater_trochanter"][0]) * f * K
        assert _m(res, "shoulder_forward_of_hip")["value"] == pytest.approx(want, abs=TOL), view


def test_a_rolled_photo_gives_the_same_curves():
    angle, c = 6.0, (W / 2, H / 2)
    rolled = {k: rot_cw(p, angle, c) for k, p in SIDE.items()}
    line = (rot_cw(VERTICAL[0], angle, c), rot_cw(VERTICAL[1], angle, c))
    scale = two_point_scale(rot_cw((100, 100), angle, c), rot_cw((100, 600), angle, c), 50.0)
    a, b = run(_doc("right_lateral", SIDE)), run(_doc("right_lateral", rolled, vertical=line, scale=scale))
    assert b["vertical_roll_deg"] == pytest.approx(angle, abs=1e-9)
    for mid in ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip"):
        assert b["measurements"][mid]["value"] == pytest.approx(a["measurements"][mid]["value"], abs=1e-9), mid


@pytest.mark.parametrize(
    ("dropped", "gone", "kept"),
    [
        ("thoracic_apex", {"thoracic_kyphosis"}, {"lumbar_lordosis"}),
        ("lumbar_apex", {"lumbar_lordosis"}, {"thoracic_kyphosis"}),
        ("t12", {"thoracic_kyphosis", "lumbar_lordosis"}, set()),
        ("s1", {"lumbar_lordosis"}, {"thoracic_kyphosis"}),
        ("c7", {"thoracic_kyphosis", "cva"}, {"lumbar_lordosis"}),
        ("greater_trochanter", {"shoulder_forward_of_hip"}, {"thoracic_kyphosis", "lumbar_lordosis"}),
    ],
)
def test_a_missing_spine_point_is_not_measured_with_its_reason(dropped, gone, kept):
    lms = {k: v for k, v in SIDE.items() if k != dropped}
    res = run(_doc("right_lateral", lms))
    for mid in gone:
        assert mid not in res["measurements"]
        assert dropped in res["not_measured"][mid] and "missing landmark" in res["not_measured"][mid], mid
    assert kept <= set(res["measurements"])


def test_a_v1_side_document_gives_the_v1_result():
    """Without the optional points the v1 values are exactly those of the same document with them."""
    for view, body, spine in (
        ("right_lateral", RIGHT_LATERAL, RIGHT_LATERAL_SPINE),
        ("left_lateral", LEFT_LATERAL, LEFT_LATERAL_SPINE),
    ):
        v1, v11 = run(_doc(view, body)), run(_doc(view, {**body, **spine}))
        assert set(v1["not_measured"]) == {"thoracic_kyphosis", "lumbar_lordosis"}
        assert v1["not_measured"]["thoracic_kyphosis"] == "missing landmarks: thoracic_apex, t12"
        assert v1["not_measured"]["lumbar_lordosis"] == "missing landmarks: t12, lumbar_apex, s1"
        for mid, m in v1["measurements"].items():
            assert m == v11["measurements"][mid], mid  # value, uncertainty, grade and words alike
        assert v1["warnings"] == v11["warnings"]
        assert v1["findings"] == [f for f in v11["findings"] if f["measurement"] in v1["measurements"]]


# --- anterior: segment shifts and the centre of gravity ---------------------------------------

#: A symmetric client seen from the front (client's right on image-left, r = -1): every pair is centred on x = 1000.
FRONT = {
    **ANTERIOR,
    "glabella": (990, 380),
    "sternal_notch": (1000, 720),
    "tragus_r": (950, 400),
    "tragus_l": (1050, 400),
    "acromion_r": (800, 700),
    "acromion_l": (1200, 700),
    "asis_r": (870, 1300),
    "asis_l": (1130, 1300),
    "greater_trochanter_r": (850, 1400),
    "greater_trochanter_l": (1150, 1400),
    "knee_lateral_r": (860, 1900),
    "knee_lateral_l": (1140, 1900),
    "lateral_malleolus_r": (870, 2600),
    "lateral_malleolus_l": (1130, 2600),
}


def test_segment_shifts_worked_example():
    res = run(_doc("anterior", FRONT))
    r = -1.0
    # glabella 10 px image-left of the sternal notch: toward the client's right, 1.0 cm
    hot = _m(res, "head_on_trunk_shift")
    assert hot["value"] == pytest.approx(shift(C(FRONT["glabella"]), 1000.0, r, K), abs=TOL)
    assert hot["value"] == pytest.approx(1.0, abs=TOL) and hot["unit"] == "cm"
    assert "right" in hot["direction"]
    # the sternal notch over the ASIS midpoint: 0
    assert _m(res, "trunk_on_pelvis_shift")["value"] == pytest.approx(0.0, abs=TOL)
    # not the plumb line: head_shift (from the medial malleoli's midpoint) differs
    moved = run(_doc("anterior", {**FRONT, "sternal_notch": (1030, 720)}))
    assert _m(moved, "head_on_trunk_shift")["value"] == pytest.approx((990 - 1030) * r * K, abs=TOL)  # +4.0 cm
    assert _m(moved, "trunk_on_pelvis_shift")["value"] == pytest.approx((1030 - 1000) * r * K, abs=TOL)  # -3.0 cm
    assert _m(moved, "head_shift")["value"] == _m(res, "head_shift")["value"]  # v1: unchanged by the notch
    assert _m(moved, "head_on_trunk_shift")["severity"] == "marked"  # 4 cm: at marked (1 / 2 / 4)
    assert _m(moved, "trunk_on_pelvis_shift")["severity"] == "moderate"


def test_centre_of_gravity_of_a_symmetric_body_is_between_the_ankles():
    res = run(_doc("anterior", FRONT))
    assert cog_x_by_hand(FRONT) == pytest.approx(1000.0, abs=1e-9)  # the weights add up to 1
    assert _m(res, "cog_shift")["value"] == pytest.approx(0.0, abs=TOL)
    assert _m(res, "cog_asymmetry")["value"] == pytest.approx(0.0, abs=TOL)
    assert _m(res, "cog_asymmetry")["unit"] == "%"


def test_centre_of_gravity_worked_example():
    # the left shoulder and the left knee carried 30 px and 20 px toward image-right (the client's left)
    a = {**FRONT, "acromion_l": (1230, 700), "knee_lateral_l": (1160, 1900), "tragus_r": (940, 400)}
    res = run(_doc("anterior", a))
    x = cog_x_by_hand(a)
    # by hand: acromion 0.5245·0.4395·15, knee 0.1447·0.383·20 + 0.0457·0.556·20, tragus 0.0681·(-5)
    by_terms = 1000 + 0.5245 * 0.4395 * 15 + (0.1447 * 0.383 + 0.0457 * 0.556) * 20 - 0.0681 * 5
    assert x == pytest.approx(by_terms, abs=1e-9)
    r, mid, half = -1.0, 1000.0, (1130 - 870) / 2
    assert _m(res, "cog_shift")["value"] == pytest.approx((x - mid) * r * K, abs=TOL)
    assert _m(res, "cog_shift")["value"] < 0  # toward the client's left
    assert "left" in _m(res, "cog_shift")["direction"]
    assert _m(res, "cog_asymmetry")["value"] == pytest.approx((x - mid) * r / half * 100, abs=TOL)
    assert _m(res, "cog_asymmetry")["value"] == pytest.approx(-4.73393 / 130 * 100, abs=1e-4)  # -3.6414 %
    # a mirrored selfie (client's right on image-right, r = +1) gives the same numbers
    mirrored = run(_doc("anterior", {k: (W - px, py) for k, (px, py) in a.items()}))
    for m in ("cog_shift", "cog_asymmetry", "head_on_trunk_shift", "trunk_on_pelvis_shift"):
        assert _m(mirrored, m)["value"] == pytest.approx(_m(res, m)["value"], abs=TOL), m


def test_cog_asymmetry_needs_no_scale_and_cog_shift_is_in_pixels_without_one():
    a = {**FRONT, "acromion_l": (1230, 700)}
    res = run(_doc("anterior", a, scale=None))
    assert _m(res, "cog_shift")["unit"] == "px"
    assert _m(res, "cog_shift")["value"] == pytest.approx((cog_x_by_hand(a) - 1000) * -1, abs=TOL)
    assert _m(res, "cog_asymmetry")["unit"] == "%"
    assert _m(res, "cog_asymmetry")["value"] == pytest.approx((cog_x_by_hand(a) - 1000) * -1 / 130 * 100, abs=TOL)
    assert _m(res, "head_on_trunk_shift")["unit"] == "px" and _m(res, "head_on_trunk_shift")["severity"] is None


@pytest.mark.parametrize("roll", [0.0, 5.0, -12.0])
def test_cog_asymmetry_is_not_measured_when_the_malleoli_share_one_x(roll):
    c = (W / 2, H / 2)
    a = {**FRONT, "lateral_malleolus_r": (1000, 2600), "lateral_malleolus_l": (1000, 2640)}
    a = {k: rot_cw(p, roll, c) for k, p in a.items()}
    line = (rot_cw(VERTICAL[0], roll, c), rot_cw(VERTICAL[1], roll, c))
    res = run(_doc("anterior", a, vertical=line, scale=None))
    assert "cog_asymmetry" not in res["measurements"]
    assert "share one X" in res["not_measured"]["cog_asymmetry"]
    assert "cog_shift" in res["measurements"]  # the shift itself is defined


@pytest.mark.parametrize(
    "dropped",
    sorted({f"{b}_{s}" for b in ("tragus", "acromion", "greater_trochanter", "knee_lateral", "lateral_malleolus") for s in "rl"}),
)
def test_without_any_cg_landmark_both_cg_measurements_are_not_measured(dropped):
    res = run(_doc("anterior", {k: v for k, v in FRONT.items() if k != dropped}))
    for mid in ("cog_shift", "cog_asymmetry"):
        assert mid not in res["measurements"]
        assert dropped in res["not_measured"][mid]
    assert "head_on_trunk_shift" in res["measurements"]


def test_the_cg_uncertainty_is_the_weights_carried_through():
    """Linear propagation (spec §6) of an isotropic error through a linear CG: sigma · sqrt(Σ weight²) exactly."""
    sigma = 3.0
    res = run(_doc("anterior", FRONT, sigma=sigma))
    t, th, lg = 0.4395, 0.617, 0.556
    w = {
        "tragus": 0.0681 / 2,
        "acromion": 0.5245 * t / 2,
        "greater_trochanter": 0.5245 * (1 - t) / 2 + 0.1447 * th,
        "knee_lateral": 0.1447 * (1 - th) + 0.0457 * lg,
        "lateral_malleolus": 0.0457 * (1 - lg) + 0.0133 - 0.5,  # the malleoli's midpoint is subtracted
    }
    per_side = math.sqrt(sum(v * v for v in w.values()))
    want_px = sigma * math.sqrt(2) * per_side  # the same weights on both sides
    assert _m(res, "cog_shift")["uncertainty"] == pytest.approx(want_px * K, rel=1e-6)
    assert _m(res, "cog_asymmetry")["uncertainty"] == pytest.approx(want_px / 130 * 100, rel=1e-6)  # CG at the midpoint


# --- grading of the additions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mid", "edges"),
    [("head_on_trunk_shift", (1, 2, 4)), ("trunk_on_pelvis_shift", (1, 2, 4)), ("shoulder_forward_of_hip", (2, 4, 6))],
)
def test_new_band_edges(mid, edges):
    band = grading.default_bands()[mid]
    assert (band.mild, band.moderate, band.marked) == edges and band.source == "heuristic"
    rule = grading.rule_for(mid)
    mild, moderate, marked = edges
    for sign in (1, -1):
        got = [rule.severity(sign * v, band) for v in (0, mild - 1e-9, mild, moderate - 1e-9, moderate, marked - 1e-9, marked)]
        assert got == ["normal", "normal", "mild", "mild", "moderate", "moderate", "marked"], (mid, sign)


def test_shoulder_forward_of_hip_graded_end_to_end_at_an_edge():
    at_edge = {**SIDE, "acromion": (1030, 600)}  # 40 px = 4.0 cm anterior of the trochanter: moderate
    res = run(_doc("right_lateral", at_edge, sigma=0.0))
    m = _m(res, "shoulder_forward_of_hip")
    assert m["value"] == pytest.approx(4.0, abs=TOL) and m["severity"] == "moderate" and m["borderline"] is False
    found = {f["measurement"]: f for f in res["findings"]}
    assert "trunk" in found["shoulder_forward_of_hip"]["consider"][-1]  # the forward-trunk pattern's "Why:"


def test_not_graded_by_default_but_gradable():
    assert {"thoracic_kyphosis", "lumbar_lordosis", "cog_shift", "cog_asymmetry"}.isdisjoint(grading.default_bands())
    practice = settings_from_dict(
        {"bands": {"thoracic_kyphosis": {"mild": 10, "moderate": 20, "marked": 30, "source": "ours"}}}, "t"
    )
    res = run(_doc("right_lateral", SIDE), practice)  # kyphosis 15.19°: mild under these bands
    m = _m(res, "thoracic_kyphosis")
    assert m["severity"] == "mild" and m["band"]["source"] == "ours"
    (f,) = [f for f in res["findings"] if f["measurement"] == "thoracic_kyphosis"]
    assert f["text"].startswith("Thoracic curve kyphotic") and "15.2°" in f["text"]
    muscles = " ".join(f["consider"])
    for name in ("pectoralis", "upper rectus abdominis", "anterior deltoid", "thoracic erector spinae", "rhomboids"):
        assert name in muscles
