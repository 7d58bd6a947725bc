"""Registry invariants: landmark ids per view, labels and hints, and the measurements that use them (spec §2, §4)."""

from __future__ import annotations

from dataclasses import replace

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
    "right_lateral": {
        "tragus", "eye_canthus", "c7", "acromion", "asis", "psis", "greater_trochanter", "knee", "lateral_malleolus",
        "thoracic_apex", "t12", "lumbar_apex", "s1",  # v1.1 (spec §9), optional
    },
}  # fmt: skip
SPEC_LANDMARKS["left_lateral"] = SPEC_LANDMARKS["right_lateral"]
SPEC_COUNTS = {"anterior": 20, "posterior": 20, "right_lateral": 13, "left_lateral": 13}
#: The landmarks a view counts as complete without (spec §9: "optional").
SPEC_OPTIONAL = {
    "anterior": set(),
    "posterior": set(),
    "right_lateral": {"thoracic_apex", "t12", "lumbar_apex", "s1"},
    "left_lateral": {"thoracic_apex", "t12", "lumbar_apex", "s1"},
}

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
    # v1.1 (spec §9)
    "thoracic_kyphosis": ("coronal", "deg"),
    "lumbar_lordosis": ("coronal", "deg"),
    "shoulder_forward_of_hip": ("coronal", "len"),
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
        # v1.1 (spec §9)
        "head_on_trunk_shift": ("midsagittal", "len"),
        "trunk_on_pelvis_shift": ("midsagittal", "len"),
        "cog_shift": ("midsagittal", "len"),
        "cog_asymmetry": ("midsagittal", "%"),
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
def test_optional_landmarks_are_the_spec_s_and_come_last_as_groups(view):
    ids = landmarks.landmark_ids(view)
    required, optional = landmarks.required_landmark_ids(view), landmarks.optional_landmark_ids(view)
    assert set(optional) == SPEC_OPTIONAL[view]
    assert required + optional == ids  # the optional ones last, in guide order: the therapist may stop before them
    assert len(required) == SPEC_COUNTS[view] - len(SPEC_OPTIONAL[view])
    for i in ids:
        assert landmarks.is_optional(view, i) == (i in SPEC_OPTIONAL[view]) == landmarks.get(view, i).optional, i
    groups = landmarks.optional_groups(view)
    assert tuple(i for grp in groups for i in grp.ids) == optional  # every optional landmark in exactly one group
    for grp in groups:
        assert grp.title.strip() and grp.hint.strip() and "optional" in grp.title.lower()
        assert all(landmarks.get(view, i).group == grp.id for i in grp.ids)
    with pytest.raises(KeyError):
        landmarks.is_optional(view, "not_a_landmark")


def test_an_id_optional_in_one_view_stays_required_in_another():
    """T12 and S1 are optional landmarks of the side views but required ones of the posterior view."""
    for i in ("t12", "s1"):
        assert not landmarks.is_optional("posterior", i)
        assert landmarks.is_optional("right_lateral", i) and landmarks.is_optional("left_lateral", i)
        assert landmarks.get("posterior", i).hint != landmarks.get("right_lateral", i).hint  # the side view's own hint


@pytest.mark.parametrize("view", ("right_lateral", "left_lateral"))
def test_only_the_curves_need_the_optional_landmarks(view):
    """The v1 measurements of a side view never need an optional landmark, so a view without them is complete."""
    optional = set(landmarks.optional_landmark_ids(view))
    needs = {d.id for d in definitions(view) if optional & set(d.landmarks)}
    assert needs == {"thoracic_kyphosis", "lumbar_lordosis"}


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
    assert lm("right_lateral", "thoracic_kyphosis") == ("c7", "thoracic_apex", "t12")
    assert lm("left_lateral", "lumbar_lordosis") == ("t12", "lumbar_apex", "s1")
    assert lm("right_lateral", "shoulder_forward_of_hip") == ("acromion", "greater_trochanter")
    assert lm("anterior", "head_on_trunk_shift") == ("glabella", "sternal_notch")
    assert set(lm("anterior", "trunk_on_pelvis_shift")) == {"sternal_notch", "asis_r", "asis_l"}
    cog = {f"{b}_{s}" for b in ("tragus", "acromion", "greater_trochanter", "knee_lateral", "lateral_malleolus") for s in "rl"}
    assert set(lm("anterior", "cog_shift")) == set(lm("anterior", "cog_asymmetry")) == cog  # the ten of spec §9
    assert PLUMB_LANDMARKS == {
        "anterior": ("medial_malleolus_r", "medial_malleolus_l"),
        "posterior": ("calcaneus_r", "calcaneus_l"),
        "right_lateral": ("lateral_malleolus",),
        "left_lateral": ("lateral_malleolus",),
    }


# --- drawing conventions: one home each, shared by the annotated photo and the landmark editor ----------------


@pytest.mark.parametrize("view", VIEWS)
def test_short_labels(view):
    for lm in landmarks.view_landmarks(view):
        assert lm.short.strip() and "\n" not in lm.short, lm.id
        assert len(lm.short) <= len(lm.label), lm.id
        assert landmarks.short_label(lm.id) == lm.short
        if lm.side is not None:  # the client's side first, as in the label; the pair differs only in it
            assert lm.short.startswith(f"{lm.side.upper()} "), lm.id
            assert landmarks.get(view, mirror_id(lm.id)).short[2:] == lm.short[2:], lm.id
        else:
            assert lm.short[0].isupper(), lm.id


def test_short_label_of_an_id_is_the_same_in_every_view():
    shorts: dict[str, set[str]] = {}
    for view in VIEWS:
        for lm in landmarks.view_landmarks(view):
            shorts.setdefault(lm.id, set()).add(lm.short)
    assert all(len(s) == 1 for s in shorts.values()), {i: s for i, s in shorts.items() if len(s) > 1}
    with pytest.raises(KeyError):
        landmarks.short_label("not_a_landmark")


@pytest.mark.parametrize("view", VIEWS)
def test_joint_chains_exist_in_their_view(view):
    ids = set(landmarks.landmark_ids(view))
    chains = landmarks.JOINT_CHAINS[view]
    assert chains
    defs = {d.id: d for d in definitions(view)}
    for name, chain in chains.items():
        assert len(chain) >= 2 and len(set(chain)) == len(chain), name
        assert set(chain) <= ids, (name, set(chain) - ids)
        if name in defs:  # a chain named after a measurement is that measurement's landmarks, in its order
            assert chain == defs[name].landmarks, name
    assert set(landmarks.JOINT_CHAINS) == set(VIEWS)


def test_joint_chains_cover_the_chained_measurements():
    """Every three-point limb angle is a chain (or consecutive joints of one), so both drawings show its joints."""
    for view in VIEWS:
        chains = landmarks.JOINT_CHAINS[view].values()
        for d in definitions(view):
            if d.kind == "angle" and len(d.landmarks) == 3:
                assert any(tuple(c[k : k + 3]) == d.landmarks for c in chains for k in range(len(c) - 2)), (view, d.id)
    spine = landmarks.JOINT_CHAINS["posterior"]["spine"]
    assert spine == ("c7", *landmarks.SPINE_LEVELS, "s1")


def test_spine_levels_have_one_home():
    from posture import measurements

    assert measurements.SPINE_LEVELS is landmarks.SPINE_LEVELS
    sd = next(d for d in definitions("posterior") if d.id == "spine_deviation")
    assert sd.candidates == landmarks.SPINE_LEVELS
    order = landmarks.landmark_ids("posterior")
    positions = [order.index(i) for i in ("c7", *landmarks.SPINE_LEVELS, "s1")]
    assert positions == sorted(positions)  # top down, between C7 and S1


def test_severity_colours_have_one_home():
    """The palette defines a colour for every severity and "not graded"; nothing else in the code defines them."""
    from pathlib import Path

    from posture.render import SEVERITY_COLORS, palette, severity_color
    from posture.result import SEVERITIES

    assert set(SEVERITY_COLORS) == {*SEVERITIES, None}
    assert len(set(SEVERITY_COLORS.values())) == len(SEVERITY_COLORS)
    for s in (*SEVERITIES, None):
        assert severity_color(s) == SEVERITY_COLORS[s]
    assert severity_color("unknown") == SEVERITY_COLORS[None]
    repo = Path(__file__).resolve().parents[1]
    palette_file = Path(palette.__file__).resolve()
    for path in [*repo.glob("posture/**/*.py"), *repo.glob("ui/*.py"), *repo.glob("pages/*.py"), repo / "app.py"]:
        if path.resolve() == palette_file:
            continue
        text = "".join(path.read_text(encoding="utf-8").split())
        for s, (r, g, b) in SEVERITY_COLORS.items():
            assert f"({r},{g},{b})" not in text and f"rgb({r},{g},{b})" not in text, (path.name, s)


def test_the_ui_badge_uses_the_palette():
    from posture.render import severity_color
    from ui import format as fmt

    for s in ("normal", "mild", "moderate", "marked", None):
        r, g, b = severity_color(s)
        assert f"background:rgb({r},{g},{b})" in fmt.severity_badge(s)


def _mirrored(doc):
    """``doc`` seen in a mirror: every x flipped, so the client's right (or the way they face) is on the other image side."""
    from dataclasses import replace

    w = doc.image_width
    flip = {i: replace(lm, x=w - lm.x) for i, lm in doc.landmarks.items()}
    facing = {"right": "left", "left": "right"}.get(doc.effective_facing or "")
    return replace(doc, landmarks=flip, calibration=replace(doc.calibration, vertical=None, scale=None), facing=facing)


@pytest.mark.parametrize("view", VIEWS)
@pytest.mark.parametrize("mirror", [False, True])
def test_editor_data_takes_the_conventions_from_the_core(view, mirror):
    """The editor shows the registry's short labels and chains and gets the frame's r and f from the server."""
    import io

    import numpy as np
    from PIL import Image
    from support.synthetic import synthetic_document

    from posture.frame import build_frame
    from ui import body_figures
    from ui.editor import editor_data
    from ui.model import Assessment

    a = Assessment()
    buf = io.BytesIO()
    Image.fromarray(np.zeros((800, 600, 3), np.uint8)).save(buf, "PNG")
    assert a.ingest(view, "photo.png", buf.getvalue()) is None
    doc = synthetic_document(view, 600, 800)
    if mirror:
        doc = _mirrored(doc)
    vs = a.views[view]
    vs.load_document(doc)
    data = editor_data(vs)
    frame = build_frame(vs.doc)
    assert data["frame"] == {"r": frame.r, "f": frame.f}
    if view in ("anterior", "posterior"):
        assert frame.r != 0 and frame.f == 0
        default = -1.0 if view == "anterior" else 1.0  # the client's right as a camera sees it (spec §3.3)
        assert frame.r == (-default if mirror else default)
        # the guide figure puts the client's right on the photo's side of it, mirrored for a mirrored photo
        fig = body_figures.figure_points(frame)
        right, left = ("acromion_r", "acromion_l")
        assert (fig[right][0] - fig[left][0]) * frame.r > 0
        assert ("scale(-1 1)" in data["figure"]) == mirror
    else:
        assert frame.r == 0 and frame.f == (1.0 if vs.doc.effective_facing == "right" else -1.0)
    assert {lm["id"]: lm["short"] for lm in data["landmarks"]} == {
        i: landmarks.short_label(i) for i in landmarks.landmark_ids(view)
    }
    assert data["chains"] == [list(c) for c in landmarks.JOINT_CHAINS[view].values()]
    assert {lm["id"]: tuple(lm["fig"]) for lm in data["landmarks"]} == body_figures.figure_points(frame)
    if view in ("right_lateral", "left_lateral"):  # the guide figure faces the way the client does
        nose_x = body_figures.figure_points(frame)["eye_canthus"][0] - body_figures.figure_points(frame)["tragus"][0]
        assert nose_x * frame.f > 0
        assert ("scale(-1 1)" in data["figure"]) == (frame.f < 0)


@pytest.mark.parametrize("view", ["right_lateral", "left_lateral", "anterior"])
def test_the_editor_and_the_progress_leave_the_optional_landmarks_out_of_complete(view: str) -> None:
    import io

    import numpy as np
    from PIL import Image
    from support.synthetic import synthetic_document

    from ui.editor import editor_data
    from ui.model import Assessment
    from ui.view_checks import progress

    a = Assessment()
    buf = io.BytesIO()
    Image.fromarray(np.zeros((800, 600, 3), np.uint8)).save(buf, "PNG")
    assert a.ingest(view, "photo.png", buf.getvalue()) is None
    vs = a.views[view]
    full = synthetic_document(view, 600, 800)
    required = landmarks.required_landmark_ids(view)
    vs.load_document(replace(full, landmarks={i: lm for i, lm in full.landmarks.items() if i in required}))
    data = editor_data(vs)
    assert {lm["id"] for lm in data["landmarks"] if lm["optional"]} == set(landmarks.optional_landmark_ids(view))
    ids = [lm["id"] for lm in data["landmarks"]]
    assert ids[: len(required)] == list(required), "the optional group comes after every required landmark"
    assert vs.total_count == len(required) and vs.required_placed == len(required)
    assert progress(vs).placed == progress(vs).total  # complete without the spinal points
    assert not progress(vs).missing or progress(vs).missing == ["calibration"]
