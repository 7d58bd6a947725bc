"""Comparison between visits (posture.compare): the combined-uncertainty rule, better/worse per grading rule, units, trends."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_store import new_client, sample_doc

from posture.analysis import analyze
from posture.compare import (
    UNGRADED,
    VERDICTS,
    change_threshold,
    compare_results,
    compare_view,
    compare_visits,
    distance_from_normal,
    trends,
    verdict,
)
from posture.result import check_result
from posture.store import Store, ViewDraft, VisitDraft

values = st.floats(-90, 90, allow_nan=False)
sigmas = st.one_of(st.just(0.0), st.floats(1e-6, 5))  # (squares of subnormal floats underflow)
RULE_IDS = ["head_tilt", "shoulder_height_diff", "knee_angle", "cva", "q_angle_r", "pelvic_tilt", "hip_angle"]


# --- the rule, as properties ------------------------------------------------------------


@given(st.sampled_from(RULE_IDS), values, values, sigmas, sigmas)
def test_a_change_counts_only_beyond_twice_the_combined_uncertainty(mid, v1, v2, u1, u2):
    v, reason = verdict(mid, v1, v2, u1, u2)
    k = 2 * math.sqrt(u1**2 + u2**2)
    assert v in VERDICTS
    assert (v == "unchanged") == (abs(v2 - v1) <= k)
    if v in ("improved", "worse"):
        g1, g2 = distance_from_normal(mid, v1), distance_from_normal(mid, v2)
        assert abs(g2 - g1) > k and (g2 < g1) == (v == "improved")
    if v == "changed":
        assert reason.endswith(".")


@given(st.sampled_from(RULE_IDS), values, values, sigmas, sigmas)
def test_swapping_the_visits_swaps_improved_and_worse(mid, v1, v2, u1, u2):
    swap = {"improved": "worse", "worse": "improved"}
    forward, _ = verdict(mid, v1, v2, u1, u2)
    backward, _ = verdict(mid, v2, v1, u2, u1)
    assert backward == swap.get(forward, forward)


@given(
    st.sampled_from(["head_tilt", "shoulder_tilt", "trunk_shift", "knee_alignment_r", "hindfoot_angle_l"]),
    values,
    values,
    sigmas,
    sigmas,
)
def test_two_sided_measurements_judge_both_sides_alike(mid, v1, v2, u1, u2):
    """A mirrored client (every sign flipped) gets the same verdicts."""
    assert verdict(mid, v1, v2, u1, u2)[0] == verdict(mid, -v1, -v2, u1, u2)[0]


@given(st.sampled_from(sorted(UNGRADED)), values, values, sigmas, sigmas)
def test_ungraded_measurements_are_never_better_or_worse(mid, v1, v2, u1, u2):
    assert verdict(mid, v1, v2, u1, u2)[0] in ("unchanged", "changed")


@given(values, values)
def test_distance_from_normal_is_one_lipschitz(v1, v2):
    for mid in RULE_IDS[:-1]:
        assert abs(distance_from_normal(mid, v1) - distance_from_normal(mid, v2)) <= abs(v1 - v2) + 1e-9


# --- the rule, worked examples ----------------------------------------------------------


@pytest.mark.parametrize(
    ("mid", "before", "after", "u", "expected"),
    [
        ("head_tilt", 3.0, 1.0, 0.3, "improved"),  # |Δ| = 2 > 2·√(0.09+0.09) = 0.85
        ("head_tilt", 3.0, 2.5, 0.3, "unchanged"),  # 0.5 ≤ 0.85
        ("head_tilt", 1.0, -1.0, 0.3, "changed"),  # the other side by as much
        ("head_tilt", -1.0, -4.0, 0.3, "worse"),
        ("cva", 44.0, 49.0, 0.5, "improved"),  # higher is better below 50°
        ("cva", 49.0, 44.0, 0.5, "worse"),
        ("cva", 52.0, 58.0, 0.5, "changed"),  # both normal: no better or worse
        ("cva", 46.0, 58.0, 0.5, "improved"),
        ("q_angle_l", 22.0, 16.0, 0.5, "improved"),  # distance above 15°
        ("q_angle_l", 10.0, 14.0, 0.5, "changed"),  # both below 15°: normal
        ("pelvic_tilt", 20.0, 14.0, 0.5, "improved"),  # outside 5°–15° → inside
        ("pelvic_tilt", 6.0, 14.0, 0.5, "changed"),
        ("pelvic_tilt", 2.0, 0.0, 0.5, "worse"),
        ("hip_angle", 1.0, 9.0, 0.5, "changed"),  # shown for information
        ("head_flexion", 1.0, 1.2, 0.5, "unchanged"),
    ],
)
def test_worked_examples(mid, before, after, u, expected):
    assert verdict(mid, before, after, u, u)[0] == expected


def test_the_cva_edge_follows_the_practice_band():
    assert distance_from_normal("cva", 48.0) == 2.0
    assert distance_from_normal("cva", 48.0, {"mild": 47.0, "moderate": 44, "marked": 40, "source": "clinic"}) == 0.0
    assert change_threshold(0.3, 0.4) == pytest.approx(1.0)


# --- results and visits -----------------------------------------------------------------


def _m(value, unit="deg", u=0.2, **extra):
    """A measurement of a result (posture.result.Measurement), ungraded unless ``extra`` says otherwise."""
    return {
        "label": extra.pop("label", "X"),
        "plane": "horizontal",
        "value": value,
        "unit": unit,
        "uncertainty": u,
        "severity": None,
        "borderline": False,
        "direction": "",
        "landmarks": [],
        "band": None,
        **extra,
    }


def _result(view, measurements, not_measured=None):
    """A result (posture.result.Result) with these measurements, as check_result accepts it."""
    result = {
        "schema_version": 1, "view": view, "vertical_source": "line", "vertical_roll_deg": 0.0, "cm_per_px": 0.05,
        "plumb_line": None, "warnings": [], "measurements": measurements, "not_measured": not_measured or {},
        "findings": [], "plan": [],
    }  # fmt: skip
    return check_result(result, view)


def test_units_must_match_and_pixels_are_never_compared():
    before = _result("anterior", {"head_shift": _m(2.0, "cm"), "trunk_shift": _m(40.0, "px"), "pelvic_shift": _m(30.0, "px")})
    after = _result("anterior", {"head_shift": _m(0.5, "px"), "trunk_shift": _m(2.0, "cm"), "pelvic_shift": _m(10.0, "px")})
    rows = {c.measurement: c for c in compare_view("anterior", before, after).changes}
    assert {c.verdict for c in rows.values()} == {"not_comparable"}
    assert "cannot be compared with centimetres" in rows["head_shift"].reason and rows["head_shift"].unit is None
    assert "depend on the camera" in rows["pelvic_shift"].reason and rows["pelvic_shift"].delta == -20.0


def test_measured_in_one_visit_only_says_why():
    before = _result("anterior", {"head_tilt": _m(1.0)}, {"shoulder_tilt": "missing landmark: acromion_l"})
    after = _result("anterior", {"shoulder_tilt": _m(2.0)}, {"head_tilt": "missing landmark: tragus_r"})
    rows = {c.measurement: c for c in compare_view("anterior", before, after).changes}
    assert rows["head_tilt"].reason == "Not measured in the later visit (missing landmark: tragus_r)."
    assert rows["shoulder_tilt"].reason == "Not measured in the earlier visit (missing landmark: acromion_l)."
    assert [c.measurement for c in compare_view("anterior", before, after).changes] == [
        "head_tilt",
        "shoulder_tilt",
    ]  # registry order


def test_real_results_of_a_moved_landmark():
    doc = sample_doc("anterior")
    r, left = doc.landmarks["acromion_r"], doc.landmarks["acromion_l"]
    before = analyze(doc.with_landmark("acromion_r", (r.x, left.y + 40)))  # right shoulder about 7.5° lower
    after = analyze(doc.with_landmark("acromion_r", (r.x, left.y)))  # level
    comp = compare_results({"anterior": before}, {"anterior": after})
    rows = {c.measurement: c for c in comp["anterior"].changes}
    tilt = rows["shoulder_tilt"]
    assert tilt.before > 7 and abs(tilt.after) < 0.5 and tilt.verdict == "improved"
    assert tilt.delta == pytest.approx(tilt.after - tilt.before) and tilt.threshold == pytest.approx(
        2 * math.hypot(tilt.before_uncertainty, tilt.after_uncertainty)
    )
    assert rows["head_tilt"].verdict == "unchanged" and rows["head_tilt"].delta == 0
    assert comp["anterior"].counts()["improved"] >= 2  # shoulder tilt and height difference


@dataclass
class _V:
    id: str
    visit_date: date
    results: dict = field(default_factory=dict)
    created_at: str = ""


def test_compare_visits_puts_the_earlier_one_first_and_lists_views_in_one_only():
    early = _V(
        "a", date(2025, 1, 1), {"anterior": _result("anterior", {"head_tilt": _m(4.0)}), "posterior": _result("posterior", {})}
    )
    late = _V(
        "b",
        date(2025, 6, 1),
        {"anterior": _result("anterior", {"head_tilt": _m(1.0)}), "left_lateral": _result("left_lateral", {})},
    )
    for a, b in ((early, late), (late, early)):
        c = compare_visits(a, b)
        assert (c.before_id, c.after_id, list(c.views)) == ("a", "b", ["anterior"])
        assert (c.only_before, c.only_after) == (("posterior",), ("left_lateral",))
        assert c.views["anterior"].changes[0].verdict == "improved"


def test_trends_per_measurement_and_unit_oldest_first():
    visits = [
        _V("v3", date(2025, 9, 1), {"anterior": _result("anterior", {"head_tilt": _m(1.0), "head_shift": _m(3.0, "cm")})}),
        _V("v1", date(2025, 1, 1), {"anterior": _result("anterior", {"head_tilt": _m(4.0, label="Head tilt"), "head_shift": _m(50.0, "px")})}),
        _V("v2", date(2025, 5, 1), {"anterior": _result("anterior", {"head_tilt": _m(2.5), "head_shift": _m(2.0, "cm")}),
                                    "right_lateral": _result("right_lateral", {"cva": _m(45.0)})}),
    ]  # fmt: skip
    series = trends(visits)
    assert [(s.view, s.measurement, s.unit) for s in series] == [
        ("anterior", "head_tilt", "deg"), ("anterior", "head_shift", "cm"), ("right_lateral", "cva", "deg"),
    ]  # fmt: skip
    tilt = series[0]
    assert tilt.label == "Head tilt" and [p.visit_id for p in tilt.points] == ["v1", "v2", "v3"]
    assert tilt.records()[0] == {
        "date": "2025-01-01",
        "value": 4.0,
        "uncertainty": 0.2,
        "low": 3.6,
        "high": 4.4,
        "severity": None,
    }
    assert [p.value for p in series[1].points] == [2.0, 3.0]  # the pixel value is not on the centimetre axis
    with_px = trends(visits, include_pixels=True)
    assert ("anterior", "head_shift", "px") in [(s.view, s.measurement, s.unit) for s in with_px]


def test_compare_and_trends_on_stored_visits(tmp_path):
    with Store(tmp_path / "d") as store:
        cid = new_client(store)
        doc = sample_doc("anterior")
        r, left = doc.landmarks["acromion_r"], doc.landmarks["acromion_l"]
        low = doc.with_landmark("acromion_r", (r.x, left.y + 40))
        level = doc.with_landmark("acromion_r", (r.x, left.y))
        first = store.add_visit(cid, VisitDraft(date(2025, 1, 1), views=[ViewDraft(low)]))
        second = store.add_visit(cid, VisitDraft(date(2025, 3, 1), views=[ViewDraft(level)]))
        c = compare_visits(store.get_visit(second.id), store.get_visit(first.id))
        assert c.before_id == first.id
        assert {r.measurement: r.verdict for r in c.views["anterior"].changes}["shoulder_tilt"] == "improved"
        series = {s.measurement: s for s in trends(store.history(cid))}
        assert [p.visit_id for p in series["shoulder_tilt"].points] == [first.id, second.id]


def test_the_v11_measurements_are_compared_and_trended():
    """Spec §9: the curves (side view) and the centre of gravity (front view) take part like any measurement."""
    side = sample_doc("right_lateral")
    apex = side.landmarks["thoracic_apex"]
    flatter = side.with_landmark("thoracic_apex", (apex.x + 20 * (1 if side.effective_facing == "right" else -1), apex.y))
    before, after = analyze(side), analyze(flatter)  # the apex 20 px forward: a smaller kyphosis
    rows = {
        c.measurement: c for c in compare_results({"right_lateral": before}, {"right_lateral": after})["right_lateral"].changes
    }
    k = rows["thoracic_kyphosis"]
    assert k.after < k.before and k.verdict == "changed"  # not graded by default: no better or worse direction
    assert "thoracic_kyphosis" in UNGRADED and "lumbar_lordosis" in UNGRADED
    front = sample_doc("anterior")
    visits = [_V("a", date(2025, 1, 1), {"right_lateral": before, "anterior": analyze(front)}),
              _V("b", date(2025, 2, 1), {"right_lateral": after, "anterior": analyze(front)})]  # fmt: skip
    series = {(s.view, s.measurement): s for s in trends(visits)}
    for key in (("right_lateral", "thoracic_kyphosis"), ("right_lateral", "lumbar_lordosis"), ("anterior", "cog_shift"),
                ("anterior", "cog_asymmetry"), ("anterior", "head_on_trunk_shift")):  # fmt: skip
        assert len(series[key].points) == 2, key
    assert [p.value for p in series[("right_lateral", "thoracic_kyphosis")].points] == [k.before, k.after]
