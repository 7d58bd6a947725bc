"""Registry invariants: landmark ids per view, labels and hints, and the measurements that use them (spec §2, §4)."""

from __future__ import annotations

import pytest

from posture import landmarks
from posture.frame import PLUMB_LANDMARKS
from posture.landmarks import mirror_id
from posture.measurements import all_measurement_ids, definitions

VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")

SPEC_LANDMARKS = {
    "anterior": {
        "glabella", "tragus_r", "tragus_l", "acromion_r", "acromion_l", "sternal_notch", "asis_r", "asis_l",
        "greater_trochanter_r", "greater_trochanter_l", "patella_r", "patella_l", "knee_lateral_r", "knee_lateral_l",
        "tibial_tuberosity_r", "tibial_tuberosity_l", "lateral_malleolus_r", "lateral_malleolus_l",
        "medial_malleolus_r", "medial_malleolus_l",
    },
    "posterior": {
        "tragus_r", "tragus_l", "acromion_r", "acromion_l", "scapula_inferior_angle_r", "scapula_inferior_angle_l",
        "c7", "t3", "t7", "t12", "l3", "s1", "psis_r", "psis_l", "leg_midline_r", "leg_midline_l",
        "achilles_r", "achilles_l", "calcaneus_r", "calcaneus_l",
    },
    "right_lateral": {"tragus", "eye_canthus", "c7", "acromion", "asis", "psis", "greater_trochanter", "knee", "lateral_malleolus"},
}  # fmt: skip
SPEC_LANDMARKS["left_lateral"] = SPEC_LANDMARKS["right_lateral"]
SPEC_COUNTS = {"anterior": 20, "posterior": 20, "right_lateral": 9, "left_lateral": 9}

# (plane, unit kind) per measurement id and view, from the spec's tables
_LATERAL = {
    "cva": ("coronal", "deg"),
    "head_forward": ("coronal", "len"),
    "head_flexion": ("horizontal", "deg"),
    "head_vertical_alignment": ("coronal", "deg"),
    "trunk_lean": ("coronal", "deg"),
    "body_lean": ("coronal", "deg"),
    "pelvic_tilt": ("horizontal", "deg"),
    "hip_angle": ("coronal", "deg"),
    "knee_angle": ("coronal", "deg"),
    "shank_angle": ("coronal", "deg"),
    "ear_plumb_offset": ("coronal", "len"),
    "shoulder_plumb_offset": ("coronal", "len"),
    "hip_plumb_offset": ("coronal", "len"),
    "knee_plumb_offset": ("coronal", "len"),
}
SPEC_MEASUREMENTS = {
    "anterior": {
        "head_tilt": ("horizontal", "deg"),
        "shoulder_tilt": ("horizontal", "deg"),
        "shoulder_height_diff": ("horizontal", "len"),
        "pelvic_obliquity": ("horizontal", "deg"),
        "pelvic_height_diff": ("horizontal", "len"),
        "tibial_tuberosity_tilt": ("horizontal", "deg"),
        "shoulder_pelvis_angle": ("horizontal", "deg"),
        "head_shift": ("midsagittal", "len"),
        "trunk_shift": ("midsagittal", "len"),
        "pelvic_shift": ("midsagittal", "len"),
        "q_angle_r": ("midsagittal", "deg"),
        "q_angle_l": ("midsagittal", "deg"),
        "knee_alignment_r": ("midsagittal", "deg"),
        "knee_alignment_l": ("midsagittal", "deg"),
        "leg_length_diff": ("horizontal", "len"),
    },
    "posterior": {
        "head_tilt": ("horizontal", "deg"),
        "shoulder_tilt": ("horizontal", "deg"),
        "shoulder_height_diff": ("horizontal", "len"),
        "scapula_tilt": ("horizontal", "deg"),
        "scapular_asymmetry": ("midsagittal", "%"),
        "pelvic_obliquity": ("horizontal", "deg"),
        "pelvic_height_diff": ("horizontal", "len"),
        "trunk_shift": ("midsagittal", "len"),
        "spine_deviation": ("midsagittal", "len"),
        "hindfoot_angle_r": ("midsagittal", "deg"),
        "hindfoot_angle_l": ("midsagittal", "deg"),
    },
    "right_lateral": _LATERAL,
    "left_lateral": _LATERAL,
}
_KIND = {"deg": "angle", "len": "length", "%": "percent"}


@pytest.mark.parametrize("view", VIEWS)
def test_landmark_ids_and_counts(view):
    ids = landmarks.landmark_ids(view)
    assert len(ids) == len(set(ids)) == SPEC_COUNTS[view]
    assert set(ids) == SPEC_LANDMARKS[view]
    assert tuple(lm.id for lm in landmarks.view_landmarks(view)) == ids


@pytest.mark.parametrize("view", VIEWS)
def test_every_landmark_has_label_hint_and_view(view):
    for lm in landmarks.view_landmarks(view):
        assert isinstance(lm.label, str) and lm.label.strip(), lm.id
        assert isinstance(lm.hint, str) and lm.hint.strip(), lm.id
        assert "\n" not in lm.hint and "\n" not in lm.label, lm.id
        assert len(lm.hint) < 200, lm.id  # one line
        assert view in lm.views
        assert landmarks.get(view, lm.id) == lm


@pytest.mark.parametrize("view", VIEWS)
def test_sides_mirror_within_the_view(view):
    ids = set(landmarks.landmark_ids(view))
    for i in ids:
        if i.endswith(("_r", "_l")):
            assert mirror_id(i) in ids, i
            assert mirror_id(mirror_id(i)) == i
        else:
            assert mirror_id(i) == i
    pairs = landmarks.bilateral_pairs(view)
    assert all(r.endswith("_r") and l_ == mirror_id(r) for r, l_ in pairs)
    assert len(pairs) == sum(1 for i in ids if i.endswith("_r"))
    if view in ("right_lateral", "left_lateral"):
        assert pairs == ()


def test_landmark_side_labels_are_the_clients():
    lm = landmarks.get("anterior", "acromion_r")
    assert lm.side == "r" and "right" in lm.label.lower()
    lm = landmarks.get("posterior", "calcaneus_l")
    assert lm.side == "l" and "left" in lm.label.lower()
    assert landmarks.get("right_lateral", "knee").side is None


def test_unknown_landmark_is_a_key_error():
    with pytest.raises(KeyError):
        landmarks.get("anterior", "c7")
    with pytest.raises(KeyError):
        landmarks.get("right_lateral", "tragus_r")


@pytest.mark.parametrize("view", VIEWS)
def test_measurement_ids_planes_units(view):
    defs = definitions(view)
    ids = [d.id for d in defs]
    assert len(ids) == len(set(ids))
    assert set(ids) == set(SPEC_MEASUREMENTS[view])
    for d in defs:
        plane, unit = SPEC_MEASUREMENTS[view][d.id]
        assert d.plane == plane, d.id
        assert d.kind == _KIND[unit], d.id
        assert d.view == view
        assert d.label.strip()


def test_all_measurement_ids():
    assert all_measurement_ids() == frozenset(k for v in SPEC_MEASUREMENTS.values() for k in v)


@pytest.mark.parametrize("view", VIEWS)
def test_measurement_landmarks_exist_in_view(view):
    ids = set(landmarks.landmark_ids(view))
    for d in definitions(view):
        assert set(d.landmarks) <= ids, d.id
        assert set(d.candidates) <= ids, d.id
    assert set(PLUMB_LANDMARKS[view]) <= ids


@pytest.mark.parametrize("view", VIEWS)
def test_every_landmark_is_used(view):
    used = set(PLUMB_LANDMARKS[view])
    for d in definitions(view):
        used |= set(d.landmarks) | set(d.candidates)
    assert used == set(landmarks.landmark_ids(view))


@pytest.mark.parametrize(
    ("view", "right", "left"),
    [
        ("anterior", "q_angle_r", "q_angle_l"),
        ("anterior", "knee_alignment_r", "knee_alignment_l"),
        ("posterior", "hindfoot_angle_r", "hindfoot_angle_l"),
    ],
)
def test_left_right_pairs_use_mirrored_landmarks(view, right, left):
    dr = next(d for d in definitions(view) if d.id == right)
    dl = next(d for d in definitions(view) if d.id == left)
    assert all(i.endswith("_r") for i in dr.landmarks)
    assert tuple(mirror_id(i) for i in dr.landmarks) == dl.landmarks
    assert (dr.plane, dr.kind, dr.region) == (dl.plane, dl.kind, dl.region)


def test_formula_landmarks_match_the_spec():
    def lm(view, mid):
        return next(d for d in definitions(view) if d.id == mid).landmarks

    assert lm("anterior", "q_angle_r") == ("asis_r", "patella_r", "tibial_tuberosity_r")
    assert lm("anterior", "knee_alignment_r") == ("greater_trochanter_r", "knee_lateral_r", "lateral_malleolus_r")
    assert lm("posterior", "hindfoot_angle_l") == ("leg_midline_l", "achilles_l", "calcaneus_l")
    assert lm("posterior", "pelvic_obliquity") == ("psis_r", "psis_l")
    assert lm("anterior", "pelvic_obliquity") == ("asis_r", "asis_l")
    assert set(lm("posterior", "scapular_asymmetry")) == {"scapula_inferior_angle_r", "scapula_inferior_angle_l", "t3"}
    assert set(lm("posterior", "spine_deviation")) == {"c7", "s1"}
    sd = next(d for d in definitions("posterior") if d.id == "spine_deviation")
    assert sd.candidates == ("t3", "t7", "t12", "l3")  # highest first: ties go to the higher level
    assert lm("right_lateral", "hip_angle") == ("acromion", "greater_trochanter", "knee")
    assert lm("left_lateral", "knee_angle") == ("greater_trochanter", "knee", "lateral_malleolus")
    assert PLUMB_LANDMARKS == {
        "anterior": ("medial_malleolus_r", "medial_malleolus_l"),
        "posterior": ("calcaneus_r", "calcaneus_l"),
        "right_lateral": ("lateral_malleolus",),
        "left_lateral": ("lateral_malleolus",),
    }
