"""Comparison between visits (posture.compare): the combined-uncertainty rule, better/worse per grading rule, units, trends."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from datetime import date

import cv2
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_store import new_client, sample_doc

from posture import grading
from posture.analysis import analyze
from posture.compare import (
    NOISE_REASON,
    NORMAL_REASON,
    UNGRADED,
    VERDICTS,
    Change,
    change_threshold,
    compare_results,
    compare_view,
    compare_visits,
    distance_from_normal,
    most_changed,
    normal_range,
    trends,
    verdict,
)
from posture.formatting import format_number
from posture.render.align import align_pair, cannot_align, plumb_frame_matrix
from posture.result import check_result, severity_rank
from posture.store import Store, ViewDraft, VisitDraft

values = st.floats(-90, 90, allow_nan=False)
sigmas = st.one_of(st.just(0.0), st.floats(1e-6, 5))  # (squares of subnormal floats underflow)
RULE_IDS = ["head_tilt", "shoulder_height_diff", "knee_angle", "cva", "q_angle_r", "pelvic_tilt", "hip_angle"]


# --- the rule, as properties ------------------------------------------------------------


def _rank(mid, value):
    """The severity rank of ``value`` under the default band, by the grading rule itself (not by compare)."""
    return severity_rank(grading.rule_for(mid).severity(value, grading.default_bands()[mid]))


@given(st.sampled_from(RULE_IDS), values, values, sigmas, sigmas)
def test_a_change_counts_only_beyond_twice_the_combined_uncertainty(mid, v1, v2, u1, u2):
    v, reason = verdict(mid, v1, v2, u1, u2)
    k = 2 * math.sqrt(u1**2 + u2**2)
    assert v in VERDICTS
    assert (v == "unchanged") == (abs(v2 - v1) <= k)
    assert (reason == NOISE_REASON) == (v == "unchanged")
    if v in ("improved", "worse"):
        g1, g2 = distance_from_normal(mid, v1), distance_from_normal(mid, v2)
        assert (g2 < g1) == (v == "improved")
        # a severity step, or a measurable move at the same severity
        assert _rank(mid, v1) != _rank(mid, v2) or abs(g2 - g1) > k
    if v == "changed":
        assert reason.endswith(".")


@given(st.sampled_from(RULE_IDS[:-1]), values, values, sigmas, sigmas)
def test_a_verdict_never_contradicts_the_severities_beside_it(mid, v1, v2, u1, u2):
    """Issue 14: "Moderate → Normal" never reads worse or sideways once the change counts; two normals are neither."""
    v, reason = verdict(mid, v1, v2, u1, u2)
    r1, r2 = _rank(mid, v1), _rank(mid, v2)
    if v == "unchanged":
        return
    if r1 == r2 == 0:
        assert (v, reason) == ("changed", NORMAL_REASON)
    elif r2 < r1:
        assert v == "improved"
    elif r2 > r1:
        assert v == "worse"


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
        ("head_tilt", 1.5, 0.2, 0.3, "changed"),  # both normal: within the normal range
        ("head_tilt", 4.1, -3.9, 0.3, "improved"),  # moderate → mild, though |value| fell by only 0.2°
        ("cva", 44.0, 49.0, 0.5, "improved"),  # higher is better below 50°
        ("cva", 49.0, 44.0, 0.5, "worse"),
        ("cva", 52.0, 58.0, 0.5, "changed"),  # both normal: no better or worse
        ("cva", 46.0, 58.0, 0.5, "improved"),
        ("cva", 44.8, 51.0, 2.0, "improved"),  # issue 14: 6.2° > k = 5.66°, though g fell only 5.2° (it stops at 50°)
        ("cva", 51.0, 44.8, 2.0, "worse"),
        ("cva", 44.8, 51.0, 2.5, "unchanged"),  # 6.2° ≤ k = 7.07°: within measurement noise
        ("cva", 47.0, 48.5, 0.5, "improved"),  # mild both, g fell 1.5° > 1.41°
        ("head_tilt", 2.5, -2.6, 0.3, "changed"),  # mild both, to the other side by about as much
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


# --- issue 14: severities, noise, the CVA example, the measurement that changed most, the normal band --------------


def _head_back(doc, dx_px):
    """The side view with the tragus moved ``dx_px`` toward the back (the head drawn back over the trunk)."""
    t = doc.landmarks["tragus"]
    back = -1 if doc.effective_facing == "right" else 1
    return doc.with_landmark("tragus", (t.x + back * dx_px, t.y))


def test_the_cva_example_of_the_issue_on_the_sample():
    """The sample's CVA 44.8° → 51.3° (the tragus 15 px back): within noise for the CVA, counted for its neighbours.

    The CVA's threshold (twice the combined uncertainty) is larger than its change, while head forward and head
    vertical alignment of the same movement count: the verdict is the measurement's, and it now says so.
    """
    side = sample_doc("right_lateral")
    before, after = analyze(side), analyze(_head_back(side, 15))
    rows = {c.measurement: c for c in compare_view("right_lateral", before, after).changes}
    cva = rows["cva"]
    assert round(cva.before, 1) == 44.8 and cva.after > 51 and (cva.before_severity, cva.after_severity) == ("moderate", "normal")
    assert cva.delta < cva.threshold and (cva.verdict, cva.reason) == ("unchanged", NOISE_REASON)
    assert rows["head_forward"].verdict == rows["head_vertical_alignment"].verdict == "improved"


def test_the_cva_example_gets_its_direction_once_the_change_beats_the_noise():
    """The same movement with a smaller placement error (σ = 2.5 px): the CVA's 6.5° counts, moderate → normal: improved."""
    side = sample_doc("right_lateral")
    precise = dataclasses.replace(side, calibration=dataclasses.replace(side.calibration, landmark_sigma_px=2.5))
    before, after = analyze(precise), analyze(_head_back(precise, 15))
    cva = {c.measurement: c for c in compare_view("right_lateral", before, after).changes}["cva"]
    g1, g2 = distance_from_normal("cva", cva.before), distance_from_normal("cva", cva.after)
    assert cva.threshold < cva.delta and g1 - g2 < cva.threshold  # the old rule (g must fall by more than k) said "changed"
    assert cva.verdict == "improved" and cva.reason == ""


def test_rows_carry_both_severities_and_borderline_flags():
    doc = sample_doc("anterior")
    r, left = doc.landmarks["acromion_r"], doc.landmarks["acromion_l"]
    before, after = analyze(doc.with_landmark("acromion_r", (r.x, left.y + 40))), analyze(doc)
    for c in compare_view("anterior", before, after).changes:
        mb, ma = before["measurements"][c.measurement], after["measurements"][c.measurement]
        assert (c.before_severity, c.after_severity) == (mb["severity"], ma["severity"])
        assert (c.before_borderline, c.after_borderline) == (mb["borderline"], ma["borderline"])


def test_two_normal_values_are_changed_within_the_normal_range():
    before = _result("anterior", {"head_tilt": _m(1.5, band=grading.default_bands()["head_tilt"].as_dict(), severity="normal")})
    after = _result("anterior", {"head_tilt": _m(-0.1, band=grading.default_bands()["head_tilt"].as_dict(), severity="normal")})
    (row,) = compare_view("anterior", before, after).changes
    assert (row.verdict, row.reason) == ("changed", NORMAL_REASON)


def test_a_practice_band_grades_a_measurement_without_a_default_one():
    band = {"mild": 5.0, "moderate": 10.0, "marked": 15.0, "source": "our clinic"}
    assert verdict("thoracic_kyphosis", 12.0, 2.0, 0.5, 0.5, band)[0] == "improved"
    assert verdict("thoracic_kyphosis", 12.0, 2.0, 0.5, 0.5)[0] == "changed"  # not graded by default


def _row(mid, delta, threshold, verdict_="improved"):
    return Change("anterior", mid, mid, "deg", 0.0, delta, 0.1, 0.1, delta, threshold, verdict_)


def test_most_changed_is_the_largest_change_relative_to_its_threshold():
    rows = [_row("a", 4.0, 2.0), _row("b", 3.0, 1.0), _row("c", 30.0, 100.0, "unchanged"), _row("d", 9.0, None, "not_comparable")]
    assert most_changed(rows).measurement == "b"  # 3 thresholds beats 2, however large the raw numbers
    assert [r.size for r in rows] == [2.0, 3.0, 0.3, None]
    assert most_changed([_row("a", 1.0, 1.0), _row("b", 1.0, 1.0)]).measurement == "a"  # ties: registry order
    assert most_changed([_row("z", 0.0, 0.0), _row("y", 0.1, 0.0)]).measurement == "y"  # exact values: any change wins
    assert most_changed([rows[3]]) is None and most_changed([]) is None
    assert most_changed(rows[2:]).measurement == "c"  # nothing counted: still the largest movement


@given(st.lists(st.tuples(st.floats(-50, 50), st.floats(0, 10)), min_size=1, max_size=12))
def test_most_changed_beats_every_other_row(pairs):
    rows = [_row(f"m{i}", d, k) for i, (d, k) in enumerate(pairs)]
    best = most_changed(rows)
    assert all(best.size >= r.size for r in rows)


def test_most_changed_on_real_results():
    doc = sample_doc("anterior")
    r, left = doc.landmarks["acromion_r"], doc.landmarks["acromion_l"]
    vc = compare_view("anterior", analyze(doc.with_landmark("acromion_r", (r.x, left.y + 40))), analyze(doc))
    best = most_changed(vc.changes)
    assert best.measurement in {"shoulder_tilt", "shoulder_height_diff", "shoulder_pelvis_angle"}
    assert best.verdict == "improved" and best.size == max(c.size for c in vc.changes if c.size is not None)


bands = st.tuples(st.floats(0, 10), st.floats(0, 10), st.floats(0, 10)).map(sorted)


@given(st.sampled_from(RULE_IDS[:-1]), bands, values)
def test_the_normal_range_holds_exactly_the_values_graded_normal(mid, cuts, value):
    mild, moderate, marked = cuts
    if mid == "cva":  # descending thresholds, in degrees around the default edge
        mild, moderate, marked = 50 - mild, 50 - moderate, 50 - marked
    band = {"mild": mild, "moderate": moderate, "marked": marked, "source": "test"}
    rng = normal_range(mid, band)
    severity = grading.rule_for(mid).severity(value, grading.Band(**band))
    low, high = rng if rng is not None else (math.inf, -math.inf)
    inside = (low is None or value >= low) and (high is None or value <= high)
    on_edge = value in (low, high)
    assert inside == (severity == "normal") or on_edge  # the edge value itself is graded by the rule's own ≥ / >


def test_normal_ranges_of_each_rule_and_a_practice_band():
    assert normal_range("shoulder_height_diff") == (-1.0, 1.0)
    assert normal_range("cva") == (50.0, None) and normal_range("q_angle_l") == (None, 20.0)
    assert normal_range("pelvic_tilt") == (5.0, 15.0) and normal_range("hip_angle") is None
    assert normal_range("cva", {"mild": 47.0, "moderate": 44.0, "marked": 40.0, "source": "clinic"}) == (47.0, None)
    assert normal_range("head_tilt", {"mild": 0.0, "moderate": 4.0, "marked": 6.0, "source": "strict"}) == (0.0, 0.0)


def test_trend_series_carry_the_latest_band():
    old = {"mild": 3.0, "moderate": 5.0, "marked": 8.0, "source": "old"}
    new = {"mild": 2.0, "moderate": 4.0, "marked": 6.0, "source": "new"}
    visits = [_V("a", date(2025, 1, 1), {"anterior": _result("anterior", {"head_tilt": _m(4.0, band=old)})}),
              _V("b", date(2025, 2, 1), {"anterior": _result("anterior", {"head_tilt": _m(1.0, band=new)})})]  # fmt: skip
    (series,) = trends(visits)
    assert series.band == new and normal_range(series.measurement, series.band) == (-2.0, 2.0)


# --- photos at the same scale, aligned at the plumb line (posture.render.align) -------------------------------------


def _photo(w, h, anchor, roll_deg, cm_per_px, dots_cm, radius_px):
    """A white photo with a plumb line through ``anchor`` rolled by ``roll_deg`` and black dots at ``dots_cm``.

    ``dots_cm``: (cm to the image-right of the plumb line, cm below the anchor) in the plumb frame. Returns the
    image and the result fields the alignment reads (``plumb_line`` with p2 500 px up the line).
    """
    a = math.radians(roll_deg)
    down = (-math.sin(a), math.cos(a))  # the plumb line's downward direction in the image
    right = (down[1], -down[0])
    img = np.full((h, w, 3), 255, np.uint8)
    for du, dv in dots_cm:
        x = anchor[0] + (du * right[0] + dv * down[0]) / cm_per_px
        y = anchor[1] + (du * right[1] + dv * down[1]) / cm_per_px
        cv2.circle(img, (round(x * 16), round(y * 16)), round(radius_px * 16), (0, 0, 0), -1, cv2.LINE_AA, shift=4)
    p2 = [anchor[0] - 500 * down[0], anchor[1] - 500 * down[1]]
    return img, {"cm_per_px": cm_per_px, "plumb_line": {"p1": list(anchor), "p2": p2}}


def _dark_centroid(img, near, r):
    """The centroid (x, y) of the dark pixels within ``r`` px of ``near``."""
    x0, y0 = round(near[0]), round(near[1])
    patch = 255.0 - img[max(0, y0 - r) : y0 + r + 1, max(0, x0 - r) : x0 + r + 1].mean(axis=2)
    ys, xs = np.mgrid[max(0, y0 - r) : y0 + r + 1, max(0, x0 - r) : x0 + r + 1]
    return float((xs * patch).sum() / patch.sum()), float((ys * patch).sum() / patch.sum())


def test_a_dot_at_a_known_offset_from_the_plumb_line_lands_on_the_same_pixel_in_both():
    dots = [(10.0, -30.0), (-15.0, -120.0)]  # 10 cm right, 30 cm above the anchor; 15 cm left, 120 cm up
    before, rb = _photo(400, 900, (200.0, 850.0), 0.0, 0.2, dots, 6)  # coarse, straight
    after, ra = _photo(900, 1800, (420.0, 1700.0), 4.0, 0.1, dots, 12)  # finer, the camera rolled 4°
    pair = align_pair(before, rb, after, ra)
    assert pair.before.shape == pair.after.shape and pair.cm_per_px == pytest.approx(0.2)  # the coarser scale
    for du, dv in dots:
        expected = (pair.anchor_px[0] + du / pair.cm_per_px, pair.anchor_px[1] + dv / pair.cm_per_px)
        for img in (pair.before, pair.after):
            x, y = _dark_centroid(img, expected, 12)
            assert math.hypot(x - expected[0], y - expected[1]) < 0.75, (du, dv, x, y, expected)
    both = pair.overlay()
    x, y = _dark_centroid(both, (pair.anchor_px[0] + 50, pair.anchor_px[1] - 150), 12)
    assert both.min() < 140 and math.hypot(x - pair.anchor_px[0] - 50, y - pair.anchor_px[1] + 150) < 0.75


def test_a_display_copy_aligns_like_its_original():
    dots = [(8.0, -40.0)]
    big, r = _photo(800, 1600, (400.0, 1500.0), -3.0, 0.1, dots, 10)
    half = cv2.resize(big, (400, 800), interpolation=cv2.INTER_AREA)
    a = align_pair(big, r, big, r, max_side=2000)
    b = align_pair(half, r, big, r, before_scale=0.5, max_side=2000)
    assert b.cm_per_px == pytest.approx(0.2) and a.cm_per_px == pytest.approx(0.1)  # the half-size copy is coarser
    for pair in (a, b):
        expected = (pair.anchor_px[0] + 8 / pair.cm_per_px, pair.anchor_px[1] - 40 / pair.cm_per_px)
        for img in (pair.before, pair.after):
            x, y = _dark_centroid(img, expected, 10)
            assert math.hypot(x - expected[0], y - expected[1]) < 0.75


def test_the_canvas_is_bounded_and_the_inputs_are_untouched():
    img, r = _photo(1200, 1600, (600.0, 1500.0), 0.0, 0.05, [(0.0, -50.0)], 8)
    copy = img.copy()
    pair = align_pair(img, r, img, r, max_side=500)
    assert max(pair.before.shape[:2]) <= 501 and pair.cm_per_px == pytest.approx(1600 * 0.05 / 500)
    assert np.array_equal(img, copy) and np.array_equal(pair.before, pair.after)


def test_photos_without_a_scale_or_a_plumb_line_are_not_aligned():
    img, r = _photo(300, 400, (150.0, 380.0), 0.0, 0.2, [], 4)
    assert cannot_align(r, r) is None
    assert (
        cannot_align({**r, "cm_per_px": None}, r)
        == "The earlier photo has no scale, so the two cannot be shown at the same scale."
    )
    assert "later photo has no plumb line" in cannot_align(r, {**r, "plumb_line": None})
    with pytest.raises(ValueError, match="no scale"):
        align_pair(img, r, img, {**r, "cm_per_px": None})


@given(
    st.floats(0.02, 1.0), st.floats(0.02, 1.0), st.floats(-25, 25), st.floats(-25, 25),
    st.tuples(st.floats(-80, 80), st.floats(-200, 20)), st.floats(0.25, 4),
)  # fmt: skip
def test_the_plumb_frame_keeps_centimetres_and_angles(c1, c2, roll1, roll2, dot, image_scale):
    """Property: any scale, roll and display copy → the same cm offset maps to the same output pixel; lengths scale."""
    out = max(c1, c2)
    points = []
    for c, roll in ((c1, roll1), (c2, roll2)):
        _, r = _photo(10, 10, (300.0, 700.0), roll, c, [], 1)
        m = plumb_frame_matrix(r["plumb_line"], c, out, (40.0, 90.0), image_scale)
        a = math.radians(roll)
        down, right = np.array([-math.sin(a), math.cos(a)]), np.array([math.cos(a), math.sin(a)])
        p = (np.array([300.0, 700.0]) + (dot[0] * right + dot[1] * down) / c) * image_scale
        points.append(m @ [*p, 1.0])
        q = p + np.array([image_scale * 37.0, 0.0])  # 37 original px along the image x
        assert np.hypot(*(m @ [*q, 1.0] - points[-1])) == pytest.approx(37.0 * c / out)
    assert np.allclose(points[0], points[1], atol=1e-6)
    assert np.allclose(points[0], [40.0 + dot[0] / out, 90.0 + dot[1] / out], atol=1e-6)


# --- the page's pure parts (ui.compare_views): the table and the chart's specification ------------------------------


def test_the_change_table_shows_both_severities_and_noise_in_words():
    from ui import format as fmt
    from ui.compare_views import change_table_html

    side = sample_doc("right_lateral")
    before, after = analyze(side), analyze(_head_back(side, 15))
    vc = compare_view("right_lateral", before, after)
    html = change_table_html(vc, "2025-01-01 (earlier)", "2025-03-01 (later)")
    cva = next(c for c in vc.changes if c.measurement == "cva")
    row = html[html.index('data-mid="cva"') : html.index("</tr>", html.index('data-mid="cva"'))]
    assert 'data-verdict="unchanged"' in row and "Within measurement noise" in row and "Unchanged" not in html
    assert fmt.severity_badge(cva.before_severity, cva.before_borderline) in row  # the app's own pill, twice
    assert fmt.severity_badge(cva.after_severity, cva.after_borderline) in row
    assert 'data-before-severity="moderate" data-after-severity="normal"' in row
    assert f"counts beyond ±{format_number(cva.threshold, 'deg')}" in row


def test_the_trend_chart_ticks_at_the_visits_and_shades_the_normal_band():
    from ui.compare_views import trend_chart

    days = [date(2025, 1, 3), date(2025, 2, 20), date(2025, 6, 1)]
    band = {"mild": 50.0, "moderate": 45.5, "marked": 40.0, "source": "spec"}
    visits = [_V(f"v{i}", d, {"right_lateral": _result("right_lateral", {"cva": _m(v, band=band)})})
              for i, (d, v) in enumerate(zip(days, (44.8, 47.0, 51.0), strict=True))]  # fmt: skip
    (series,) = trends(visits)
    spec = trend_chart(series).to_dict()
    x = spec["layer"][-1]["encoding"]["x"]
    assert [(v["year"], v["month"], v["date"]) for v in x["axis"]["values"]] == [(d.year, d.month, d.day) for d in days]
    assert x["scale"]["type"] == "utc" and all(v["utc"] for v in x["axis"]["values"])
    (rect,) = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rect"]
    band_rows = spec["datasets"][rect["data"]["name"]]
    top = spec["layer"][-1]["encoding"]["y"]["scale"]["domain"][1]
    assert band_rows[0]["low"] == 50.0 and band_rows[0]["high"] == top  # normal from 50° up: to the top of the axis
    ungraded = trends(
        [_V(f"v{i}", d, {"anterior": _result("anterior", {"hip_angle": _m(float(i))})}) for i, d in enumerate(days)]
    )
    assert not [layer for layer in trend_chart(ungraded[0]).to_dict()["layer"] if layer["mark"]["type"] in ("rect", "rule")]
