"""Observations (issue 14): the findings of one postural pattern in one view together, and each pattern once
across views (the report's first page).

The documents are built by hand with a 0.1 cm/px scale and no placement error,
so every value is known from the spec's formulas (``helpers_core``'s plain
math); the sample client (``sample_images/``) checks the whole assessment.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
from helpers_core import doc_dict, run, two_point_scale

from posture import analysis, document, findings
from posture.landmarks import VIEWS

SAMPLE = Path(__file__).resolve().parents[1] / "sample_images"
SCALE = two_point_scale((10, 10), (10, 1010), 100.0)  # 1000 px = 100 cm: 0.1 cm/px


def _doc(view: str, lms: dict, **kw) -> dict:
    return doc_dict(view, lms, scale=SCALE, sigma=0, width=2000, height=3000, **kw)


def _by_id(result: dict) -> dict:
    ids = [o["id"] for o in result["observations"]]
    assert len(ids) == len(set(ids)), ids
    return {o["id"]: o for o in result["observations"]}


def _deg(dy: float, dx: float) -> str:
    return f"{math.degrees(math.atan2(dy, dx)):.1f}°"


def _muscles(consider: list[str]) -> list[str]:
    return [c.split(": ", 1)[0] for c in consider if not c.startswith("Why: ")]


def _covers_its_findings(result: dict) -> None:
    """Every finding is in exactly one observation, which takes its worst severity and lists no muscle twice."""
    by_finding = {f["measurement"]: f for f in result["findings"]}
    listed = [mid for o in result["observations"] for mid in o["measurements"]]
    assert sorted(listed) == sorted(by_finding), "each finding in one observation, and only findings"
    rank = ("mild", "moderate", "marked")
    for o in result["observations"]:
        worst = max((by_finding[mid]["severity"] for mid in o["measurements"]), key=rank.index)
        assert o["severity"] == worst
        assert len(_muscles(o["consider"])) == len(set(_muscles(o["consider"]))), o["consider"]
        for mid in o["measurements"]:  # nothing of a finding's is lost
            for c in by_finding[mid]["consider"]:
                assert c in o["consider"] or c.split(": ", 1)[0].split(" (")[0] in {
                    m.split(" (")[0] for m in _muscles(o["consider"])
                }, c


# --- one test per grouping ---------------------------------------------------------------------------------

# anterior: the client's right on image-left (r = -1); the plumb line through the medial malleoli at x = 1000
FRONT = {
    "acromion_r": (800, 700), "acromion_l": (1200, 680),  # right 20 px (2 cm) lower over 400 px
    "asis_r": (900, 1300), "asis_l": (1100, 1288),  # right 12 px (1.2 cm) lower over 200 px
    "medial_malleolus_r": (980, 2600), "medial_malleolus_l": (1020, 2600),
}  # fmt: skip


def test_shoulder_angle_and_height_are_one_observation():
    res = run(_doc("anterior", FRONT))
    o = _by_id(res)["right_shoulder_lower"]
    assert o["measurements"] == ["shoulder_tilt", "shoulder_height_diff"], "the angle first"
    assert o["text"] == f"Right shoulder lower: {_deg(20, 400)}, 2.0 cm"
    assert o["severity"] == "moderate" and o["region"] == "shoulder girdle"  # 2.9° mild, 2.0 cm moderate
    assert not any("shoulder lower" in p["text"] for p in res["observations"] if p is not o)
    _covers_its_findings(res)
    # the other side: the mirror image of the client lowers the other shoulder
    left = {**FRONT, "acromion_r": (800, 680), "acromion_l": (1200, 700)}
    o = _by_id(run(_doc("anterior", left)))["left_shoulder_lower"]
    assert o["text"] == f"Left shoulder lower: {_deg(20, 400)}, 2.0 cm"


@pytest.mark.parametrize("view", ["anterior", "posterior"])
def test_pelvis_angle_and_height_are_one_observation_asis_and_psis(view):
    if view == "anterior":
        lms = {**FRONT}
    else:  # posterior: the client's right on image-right; PSIS
        lms = {"acromion_r": (1200, 700), "acromion_l": (800, 700), "psis_r": (1100, 1300), "psis_l": (900, 1288),
               "calcaneus_r": (1020, 2600), "calcaneus_l": (980, 2600)}  # fmt: skip
    res = run(_doc(view, lms))
    o = _by_id(res)["right_pelvis_lower"]
    assert o["measurements"] == ["pelvic_obliquity", "pelvic_height_diff"]
    assert o["text"] == f"Right side of the pelvis lower: {_deg(12, 200)}, 1.2 cm"
    assert o["severity"] == "moderate" and o["region"] == "pelvis and hips"  # 3.4° moderate, 1.2 cm mild
    _covers_its_findings(res)


def test_only_graded_non_normal_values_join_an_observation():
    # a 0.4 cm drop over 40 cm: 0.6° and 0.4 cm, both normal; then 0.8 cm over 20 cm: 2.3° mild, 0.8 cm normal
    res = run(_doc("anterior", {**FRONT, "asis_r": (800, 1304), "asis_l": (1200, 1300)}))
    assert not any(o["id"].endswith("pelvis_lower") for o in res["observations"])
    res = run(_doc("anterior", {**FRONT, "asis_r": (900, 1308), "asis_l": (1100, 1300)}))
    o = _by_id(res)["right_pelvis_lower"]
    assert o["measurements"] == ["pelvic_obliquity"]
    assert o["text"] == res["findings"][[f["measurement"] for f in res["findings"]].index("pelvic_obliquity")]["text"]


# right side view, facing right (f = +1): c7 (1000, 600); the plumb line through the lateral malleolus at x = 1000
SIDE = {"c7": (1000, 600), "acromion": (1030, 650), "greater_trochanter": (1030, 1100), "lateral_malleolus": (1000, 2600)}


def test_forward_head_from_cva_head_alignment_head_forward_and_the_ear_over_the_plumb_line():
    res = run(_doc("right_lateral", {**SIDE, "tragus": (1100, 500)}, facing="right"))
    o = _by_id(res)["forward_head"]
    assert o["measurements"] == ["cva", "head_vertical_alignment", "head_forward", "ear_plumb_offset"], "CVA first"
    cva, hva = _deg(100, 100), _deg(70, 150)  # tragus 100 px above and ahead of C7; 70 px ahead of, 150 above the acromion
    assert (
        o["text"] == f"Forward head posture: CVA {cva}, head alignment {hva}, ear to shoulder 7.0 cm, ear to plumb line 10.0 cm"
    )
    assert o["severity"] == "marked" and o["region"] == "head and neck"
    assert [p for p in res["observations"] if "head" in p["text"].lower()] == [o], "the forward head once"
    _covers_its_findings(res)


def test_a_head_behind_the_shoulder_is_its_own_pattern_and_never_a_forward_head():
    res = run(_doc("right_lateral", {**SIDE, "tragus": (960, 500)}, facing="right"))
    obs = _by_id(res)
    assert "forward_head" not in obs and res["measurements"]["cva"]["severity"] == "normal"
    o = obs["head_behind"]
    assert o["measurements"] == ["head_vertical_alignment", "head_forward", "ear_plumb_offset"]
    assert (
        o["text"] == f"Head behind the shoulder: head alignment {_deg(70, 150)}, ear to shoulder 7.0 cm, ear to plumb line 4.0 cm"
    )
    _covers_its_findings(res)


def test_trunk_lean_and_shoulder_over_hip_are_one_observation():
    res = run(_doc("right_lateral", {**SIDE, "acromion": (1060, 650), "greater_trochanter": (1000, 1100)}, facing="right"))
    o = _by_id(res)["trunk_forward"]
    assert o["measurements"] == ["trunk_lean", "shoulder_forward_of_hip"]
    assert o["text"] == f"Trunk leaning forward: {_deg(60, 450)}, 6.0 cm"
    _covers_its_findings(res)
    # the same lean facing left is the same anatomy
    mirrored = {k: (2000 - x, y) for k, (x, y) in {**SIDE, "acromion": (1060, 650), "greater_trochanter": (1000, 1100)}.items()}
    assert _by_id(run(_doc("left_lateral", mirrored, facing="left")))["trunk_forward"]["text"] == o["text"]


def test_head_shift_from_the_plumb_line_and_from_the_trunk_are_one_observation():
    # glabella 20 px image-left of the plumb line (the client's right: 2.0 cm) and 15 px of the sternal notch (1.5 cm)
    res = run(_doc("anterior", {**FRONT, "glabella": (980, 300), "sternal_notch": (995, 650)}))
    o = _by_id(res)["head_shifted_right"]
    assert o["measurements"] == ["head_shift", "head_on_trunk_shift"]
    assert o["text"] == "Head shifted to the client's right: 2.0 cm from the plumb line, 1.5 cm from the trunk"
    assert not any(k.startswith("trunk_shifted") for k in _by_id(res)), "the trunk shift (0.5 cm) is normal"
    _covers_its_findings(res)


def test_trunk_shift_from_the_plumb_line_and_from_the_pelvis_are_one_observation():
    lms = {**FRONT, "asis_r": (900, 1300), "asis_l": (1100, 1300), "glabella": (1030, 300), "sternal_notch": (1030, 650)}
    res = run(_doc("anterior", lms))
    obs = _by_id(res)
    o = obs["trunk_shifted_left"]
    assert o["measurements"] == ["trunk_shift", "trunk_on_pelvis_shift"]
    assert o["text"] == "Trunk shifted to the client's left: 3.0 cm from the plumb line, 3.0 cm from the pelvis"
    assert obs["head_shifted_left"]["measurements"] == ["head_shift"], "over the trunk, the head is centred"
    _covers_its_findings(res)


def test_the_grouping_table_names_each_measurement_once_and_only_known_ids():
    from posture.measurements import all_measurement_ids

    members = [mid for g in findings.GROUPS for mid, _ in g.members]
    assert len(members) == len(set(members)) and set(members) <= all_measurement_ids()
    ids = [i for g in findings.GROUPS for i in g.ids if i]
    assert len(ids) == len(set(ids))
    for g in findings.GROUPS:
        assert all(label.count("{}") == 1 for _, label in g.members)


# --- the sample client ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample() -> list[dict]:
    return [analysis.analyze(document.load(SAMPLE / f"{v}.json")) for v in VIEWS]


def _pattern(text: str) -> str:
    """An observation's words without its values: ``"Right shoulder lower: 2.3°, 1.5 cm"`` → ``"right shoulder lower"``."""
    return re.split(r": | \(", text, maxsplit=1)[0].lower()


def test_in_the_sample_no_pattern_appears_twice_within_a_view(sample):
    for res in sample:
        patterns = [_pattern(o["text"]) for o in res["observations"]]
        assert len(patterns) == len(set(patterns)), (res["view"], patterns)
        _covers_its_findings(res)
        if res["view"] in ("anterior", "posterior"):
            assert sum("right shoulder lower" in o["text"].lower() for o in res["observations"]) == 1
        assert len(res["observations"]) <= len(res["findings"])
    assert sum(len(r["observations"]) for r in sample) < sum(len(r["findings"]) for r in sample)


def test_the_report_list_names_each_pattern_once_across_the_views(sample):
    ranked = findings.ranked_observations(sample)
    ids = [o["id"] for o in ranked]
    assert len(ids) == len(set(ids))
    patterns = [_pattern(o["text"]) for o in ranked]
    assert len(patterns) == len(set(patterns)), patterns
    assert sum("right shoulder lower" in o["text"].lower() for o in ranked) == 1
    shoulder = next(o for o in ranked if o["id"] == "right_shoulder_lower")
    assert shoulder["views"] == ["anterior", "posterior"] and shoulder["view"] == "anterior"
    assert next(o for o in ranked if o["id"] == "forward_head")["views"] == ["right_lateral", "left_lateral"]
    # every view's every observation is on the list, under its id, with its view named
    for res in sample:
        for o in res["observations"]:
            entry = next(e for e in ranked if e["id"] == o["id"])
            assert res["view"] in entry["views"]
            assert set(o["measurements"]) <= set(entry["measurements"])
            assert ("mild", "moderate", "marked").index(entry["severity"]) >= ("mild", "moderate", "marked").index(o["severity"])
        assert len(_muscles(entry["consider"])) == len(set(_muscles(entry["consider"])))
    rank = [("mild", "moderate", "marked").index(o["severity"]) for o in ranked]
    assert rank == sorted(rank, reverse=True), "most important first"


def test_a_pattern_pointing_the_other_way_in_another_view_is_not_merged():
    a = run(_doc("anterior", FRONT))
    p = run(_doc("posterior", {"acromion_r": (1200, 680), "acromion_l": (800, 700)}))  # left lower, from behind
    ranked = findings.ranked_observations([a, p])
    assert {o["id"]: o["views"] for o in ranked if o["id"].endswith("shoulder_lower")} == {
        "right_shoulder_lower": ["anterior"],
        "left_shoulder_lower": ["posterior"],
    }


def test_a_result_stored_before_observations_gets_them_from_its_findings(sample):
    """A visit saved by an earlier version has no ``observations``: the report's list is the same all the same."""
    old = [{k: v for k, v in r.items() if k != "observations"} for r in sample]
    assert all("observations" not in r for r in old)
    fresh, again = findings.ranked_observations(sample), findings.ranked_observations(old)
    keys = ("id", "severity", "region", "text", "measurements", "referral", "view", "views")
    assert [{k: o[k] for k in keys} for o in again] == [{k: o[k] for k in keys} for o in fresh]
