"""Grading (spec §5): default bands, every band edge, the special rules, borderline, settings files."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import pytest
from helpers_core import ANTERIOR, RIGHT_LATERAL, RIGHT_LATERAL_SPINE, doc_dict, run, run_cli, two_point_scale

from posture import grading
from posture.errors import SettingsError
from posture.grading import Band, Rule
from posture.settings import SETTINGS_ENV, Settings, default_settings_path, load_settings, settings_from_dict

# spec §5, verbatim
SPEC_BANDS = {
    "head_tilt": (2, 4, 6),
    "shoulder_tilt": (1.5, 3, 5),
    "pelvic_obliquity": (1.5, 3, 5),
    "scapula_tilt": (1.5, 3, 5),
    "tibial_tuberosity_tilt": (1.5, 3, 5),
    "shoulder_height_diff": (1, 2, 3),
    "pelvic_height_diff": (1, 2, 3),
    "shoulder_pelvis_angle": (2, 4, 6),
    "head_shift": (1, 2, 4),
    "trunk_shift": (1, 2, 4),
    "pelvic_shift": (1, 2, 4),
    "q_angle_r": (5, 10, 15),
    "q_angle_l": (5, 10, 15),
    "knee_alignment_r": (5, 10, 15),
    "knee_alignment_l": (5, 10, 15),
    "leg_length_diff": (1, 2, 3),
    "scapular_asymmetry": (10, 20, 30),
    "spine_deviation": (1, 2, 3),
    "hindfoot_angle_r": (6, 10, 15),
    "hindfoot_angle_l": (6, 10, 15),
    "cva": (50, 45.5, 40),
    "head_forward": (2, 4, 6),
    "head_vertical_alignment": (3, 6, 10),
    "trunk_lean": (3, 6, 10),
    "body_lean": (2, 4, 6),
    "pelvic_tilt": (0, 5, 10),
    "knee_angle": (5, 10, 15),
    "ear_plumb_offset": (2.5, 5, 7.5),
    "shoulder_plumb_offset": (2.5, 5, 7.5),
    "hip_plumb_offset": (2.5, 5, 7.5),
    "knee_plumb_offset": (2.5, 5, 7.5),
    # spec §9 (v1.1), verbatim
    "head_on_trunk_shift": (1, 2, 4),
    "trunk_on_pelvis_shift": (1, 2, 4),
    "shoulder_forward_of_hip": (2, 4, 6),
}
UNGRADED = ("hip_angle", "shank_angle", "head_flexion", "thoracic_kyphosis", "lumbar_lordosis", "cog_shift", "cog_asymmetry")
SPECIAL = ("cva", "q_angle_r", "q_angle_l", "pelvic_tilt")
ABS_GRADED = sorted(set(SPEC_BANDS) - set(SPECIAL))
EPS = 1e-9


def sev(mid: str, value: float, band: Band | None = None) -> str:
    return grading.rule_for(mid).severity(value, band or grading.default_bands()[mid])


def test_default_bands_match_the_spec():
    bands = grading.default_bands()
    assert set(bands) == set(SPEC_BANDS)
    for mid, (mild, moderate, marked) in SPEC_BANDS.items():
        b = bands[mid]
        assert (b.mild, b.moderate, b.marked) == (mild, moderate, marked), mid
        assert isinstance(b.source, str) and b.source.strip(), mid
    for mid in UNGRADED:
        assert mid not in bands
    assert "Lau" in bands["cva"].source


@pytest.mark.parametrize("mid", ABS_GRADED)
def test_abs_band_edges(mid):
    mild, moderate, marked = SPEC_BANDS[mid]
    for sign in (+1, -1):
        assert sev(mid, 0.0) == "normal"
        assert sev(mid, sign * (mild - EPS)) == "normal"
        assert sev(mid, sign * mild) == "mild"
        assert sev(mid, sign * (mild + EPS)) == "mild"
        assert sev(mid, sign * (moderate - EPS)) == "mild"
        assert sev(mid, sign * moderate) == "moderate"
        assert sev(mid, sign * (moderate + EPS)) == "moderate"
        assert sev(mid, sign * (marked - EPS)) == "moderate"
        assert sev(mid, sign * marked) == "marked"
        assert sev(mid, sign * (marked + EPS)) == "marked"
        assert sev(mid, sign * 1e6) == "marked"


def test_cva_lower_is_worse_strict():
    assert sev("cva", 60) == "normal"
    assert sev("cva", 50) == "normal"  # normal ≥ 50
    assert sev("cva", 50 - EPS) == "mild"
    assert sev("cva", 45.5 + EPS) == "mild"
    assert sev("cva", 45.5) == "mild"  # moderate is < 45.5
    assert sev("cva", 45.5 - EPS) == "moderate"
    assert sev("cva", 40) == "moderate"  # marked is < 40
    assert sev("cva", 40 - EPS) == "marked"
    assert sev("cva", -10) == "marked"


@pytest.mark.parametrize("mid", ["q_angle_r", "q_angle_l"])
def test_q_angle_graded_above_15(mid):
    assert sev(mid, 0) == "normal"
    assert sev(mid, 10) == "normal"  # below the reference is normal
    assert sev(mid, 15) == "normal"
    assert sev(mid, 20 - EPS) == "normal"
    assert sev(mid, 20) == "mild"
    assert sev(mid, 25 - EPS) == "mild"
    assert sev(mid, 25) == "moderate"
    assert sev(mid, 30 - EPS) == "moderate"
    assert sev(mid, 30) == "marked"
    assert sev(mid, 45) == "marked"


def test_pelvic_tilt_distance_outside_5_to_15():
    assert sev("pelvic_tilt", 10) == "normal"
    assert sev("pelvic_tilt", 5) == "normal"
    assert sev("pelvic_tilt", 15) == "normal"
    assert sev("pelvic_tilt", 5 - 1e-6) == "mild"  # > 0 outside is mild
    assert sev("pelvic_tilt", 15 + 1e-6) == "mild"
    assert sev("pelvic_tilt", 0 + EPS) == "mild"
    assert sev("pelvic_tilt", 0) == "moderate"  # 5 outside
    assert sev("pelvic_tilt", 20 - EPS) == "mild"
    assert sev("pelvic_tilt", 20) == "moderate"
    assert sev("pelvic_tilt", 25 - EPS) == "moderate"
    assert sev("pelvic_tilt", 25) == "marked"
    assert sev("pelvic_tilt", -5) == "marked"  # posterior tilt 10 outside
    assert sev("pelvic_tilt", -5 + EPS) == "moderate"


# --- borderline ----------------------------------------------------------------------------


def border(mid: str, value: float, u: float) -> bool:
    return grading.rule_for(mid).is_borderline(value, u, grading.default_bands()[mid])


def test_borderline_within_two_uncertainties():
    assert border("shoulder_tilt", 1.4, 0.06)  # 0.1 from 1.5 < 0.12
    assert not border("shoulder_tilt", 1.4, 0.04)  # 0.1 > 0.08
    assert border("shoulder_tilt", -1.4, 0.06)  # the negative side too
    assert border("shoulder_tilt", 3.1, 0.06)
    assert border("shoulder_tilt", -5.05, 0.03)
    assert not border("shoulder_tilt", 0.0, 0.1)
    assert not border("shoulder_tilt", 1.5, 0.0)  # no uncertainty, never borderline
    assert border("cva", 50.1, 0.06)
    assert border("cva", 45.4, 0.06)
    assert not border("cva", 47.7, 1.0)
    assert border("q_angle_r", 19.9, 0.1)  # edge at 15 + 5
    assert not border("q_angle_r", 5.1, 0.1)  # 5 itself is no edge for the Q angle
    assert border("pelvic_tilt", 4.9, 0.06)
    assert border("pelvic_tilt", 15.1, 0.06)
    assert border("pelvic_tilt", 25.1, 0.06)
    assert not border("pelvic_tilt", 10.0, 2.0)


def test_band_edge_end_to_end():
    """shoulder_height_diff = 10 px × 0.1 cm/px = exactly 1 cm: at the mild edge, and borderline."""
    d = doc_dict(
        "anterior",
        {"acromion_r": (800, 700), "acromion_l": (1200, 690)},
        vertical=((50, 2900), (50, 100)),
        scale=two_point_scale((100, 100), (100, 600), 50.0),
    )
    m = run(d)["measurements"]["shoulder_height_diff"]
    assert m["value"] == 1.0
    assert m["severity"] == "mild"
    assert m["band"] == {"mild": 1, "moderate": 2, "marked": 3, "source": "heuristic"}
    assert m["uncertainty"] > 0 and m["borderline"] is True
    d["calibration"]["landmark_sigma_px"] = 0
    m = run(d)["measurements"]["shoulder_height_diff"]
    assert m["severity"] == "mild" and m["borderline"] is False


def test_ungraded_measurements_have_no_band():
    scale = two_point_scale((100, 100), (100, 600), 50.0)
    side = run(doc_dict("right_lateral", {**RIGHT_LATERAL, **RIGHT_LATERAL_SPINE}, scale=scale))["measurements"]
    front = run(doc_dict("anterior", ANTERIOR, scale=scale))["measurements"]
    ms = {**side, **front}
    assert set(UNGRADED) <= set(ms)
    for mid in UNGRADED:
        m = ms[mid]
        assert m["severity"] is None and m["band"] is None and m["borderline"] is False
        assert mid in grading.NOT_GRADED_BY_DEFAULT  # the reason the reference prints
    assert set(grading.NOT_GRADED_BY_DEFAULT) == set(UNGRADED)
    for mid, m in ms.items():
        if mid not in UNGRADED:
            assert m["severity"] in ("normal", "mild", "moderate", "marked"), mid
            assert set(m["band"]) == {"mild", "moderate", "marked", "source"}


def test_a_practice_can_grade_the_curves_and_the_centre_of_gravity():
    """Spec §9: not graded by default, "gradable by a practice's settings"."""
    scale = two_point_scale((100, 100), (100, 600), 50.0)
    bands = {mid: {"mild": 0.1, "moderate": 50, "marked": 90, "source": "our clinic"} for mid in UNGRADED[3:]}
    practice = settings_from_dict({"bands": bands}, "test")
    side = run(doc_dict("right_lateral", {**RIGHT_LATERAL, **RIGHT_LATERAL_SPINE}, scale=scale), practice)
    front = run(doc_dict("anterior", ANTERIOR, scale=scale), practice)
    for res, mids in ((side, ("thoracic_kyphosis", "lumbar_lordosis")), (front, ("cog_shift", "cog_asymmetry"))):
        for mid in mids:
            m = res["measurements"][mid]
            assert m["band"]["source"] == "our clinic", mid
            assert m["severity"] == "mild", (mid, m["value"])  # every template value lies between 0.1 and 50
    found = {f["measurement"]: f for f in side["findings"]}
    assert (
        "pectoralis major and minor: consider assessing for trigger points, hypertonicity or shortening"
        in (found["thoracic_kyphosis"]["consider"])
    )
    assert any(c.startswith("iliopsoas") for c in found["lumbar_lordosis"]["consider"])  # the anterior pelvic tilt pattern


def test_findings_only_for_graded_non_normal():
    res = run(doc_dict("anterior", ANTERIOR, scale=two_point_scale((100, 100), (100, 600), 50.0)))
    graded = {k for k, m in res["measurements"].items() if m["severity"] not in (None, "normal")}
    assert {f["measurement"] for f in res["findings"]} == graded
    rank = {"mild": 1, "moderate": 2, "marked": 3}
    ranks = [rank[f["severity"]] for f in res["findings"]]
    assert ranks == sorted(ranks, reverse=True)


# --- settings ------------------------------------------------------------------------------

OVERRIDE = {"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}}}


def test_settings_from_dict_overrides_one_band():
    s = settings_from_dict(OVERRIDE)
    assert s.band("head_tilt") == Band(2.5, 5, 8, "our clinic")
    assert s.band("shoulder_tilt") == grading.default_bands()["shoulder_tilt"]
    assert Rule().severity(2.4, s.band("head_tilt")) == "normal"
    assert Rule().severity(2.4, grading.default_bands()["head_tilt"]) == "mild"


def test_settings_file_and_env(tmp_path, monkeypatch):
    f = tmp_path / "bands.json"
    f.write_text(json.dumps(OVERRIDE))
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    assert load_settings().band("head_tilt") == grading.default_bands()["head_tilt"]
    assert load_settings(f).band("head_tilt").source == "our clinic"
    monkeypatch.setenv(SETTINGS_ENV, str(f))
    assert load_settings().band("head_tilt").mild == 2.5
    # an explicit file wins over the environment
    g = tmp_path / "other.json"
    g.write_text(json.dumps({"bands": {"head_tilt": {"mild": 1, "moderate": 2, "marked": 3, "source": "x"}}}))
    assert load_settings(g).band("head_tilt").mild == 1


def test_settings_in_analysis():
    d = doc_dict("anterior", {"tragus_r": (940, 420), "tragus_l": (1060, 415.4)}, sigma=0)
    expected_value = math.degrees(math.atan2(4.6, 120))  # ≈ 2.20°: mild by default, normal from 2.5
    default = run(d)["measurements"]["head_tilt"]
    assert default["value"] == pytest.approx(expected_value, abs=1e-9)
    assert default["severity"] == "mild"
    custom = run(d, settings_from_dict(OVERRIDE))["measurements"]["head_tilt"]
    assert custom["severity"] == "normal"
    assert custom["band"] == {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}


def test_partial_override_and_switching_off():
    s = settings_from_dict({"bands": {"shoulder_tilt": {"mild": 1.0}}})
    b = s.band("shoulder_tilt")
    assert (b.mild, b.moderate, b.marked) == (1.0, 3, 5)
    assert b.source != "heuristic"  # a changed number never carries the old citation
    s = settings_from_dict({"bands": {"shoulder_tilt": None}})
    assert s.band("shoulder_tilt") is None
    d = doc_dict("anterior", {"acromion_r": (800, 700), "acromion_l": (1200, 650)})
    m = run(d, s)["measurements"]["shoulder_tilt"]
    assert m["severity"] is None and m["band"] is None and m["borderline"] is False


@pytest.mark.parametrize(
    "content",
    [
        "not json {",
        "[1, 2]",
        json.dumps({"bands": []}),
        json.dumps({"bands": {"no_such_measurement": {"mild": 1, "moderate": 2, "marked": 3}}}),
        json.dumps({"bands": {"head_tilt": {"mild": "two", "moderate": 4, "marked": 6}}}),
        json.dumps({"bands": {"head_tilt": {"mild": True, "moderate": 4, "marked": 6}}}),
        json.dumps({"bands": {"head_tilt": {"mild": 5, "moderate": 4, "marked": 6}}}),
        json.dumps({"bands": {"cva": {"mild": 40, "moderate": 45.5, "marked": 50}}}),
        json.dumps({"bands": {"head_tilt": {"mild": 2, "moderate": 4, "marked": 6, "severe": 9}}}),
        json.dumps({"bands": {"head_tilt": [2, 4, 6]}}),
        json.dumps({"bands": {"hip_angle": {"mild": 2, "moderate": 4}}}),
    ],
)
def test_malformed_settings_rejected(tmp_path, content):
    f = tmp_path / "bad.json"
    f.write_text(content)
    with pytest.raises(SettingsError) as info:
        load_settings(f)
    msg = str(info.value)
    assert msg.strip() and "\n" not in msg
    assert str(f) in msg


def test_missing_settings_file(tmp_path):
    with pytest.raises(SettingsError, match="not found"):
        load_settings(tmp_path / "nope.json")


def test_new_band_for_ungraded_measurement_is_allowed():
    s = settings_from_dict({"bands": {"hip_angle": {"mild": 5, "moderate": 10, "marked": 15, "source": "us"}}})
    assert s.band("hip_angle") == Band(5, 10, 15, "us")


# --- settings through the CLI ---------------------------------------------------------------


def _cli_doc(tmp_path):
    p = tmp_path / "doc.json"
    p.write_text(json.dumps(doc_dict("anterior", {"tragus_r": (940, 420), "tragus_l": (1060, 415.4)}, sigma=0)))
    return p


def test_cli_settings_flag_and_env(tmp_path):
    doc = _cli_doc(tmp_path)
    s = tmp_path / "s.json"
    s.write_text(json.dumps(OVERRIDE))
    out = run_cli("analyze", str(doc), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["measurements"]["head_tilt"]["severity"] == "mild"
    out = run_cli("analyze", str(doc), "--format", "json", "--settings", str(s))
    assert out.returncode == 0, out.stderr
    m = json.loads(out.stdout)["measurements"]["head_tilt"]
    assert m["severity"] == "normal" and m["band"]["source"] == "our clinic"
    out = run_cli("analyze", str(doc), "--format", "json", env_extra={"POSTURE_SETTINGS": str(s)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["measurements"]["head_tilt"]["band"]["source"] == "our clinic"


@pytest.mark.parametrize("how", ["flag", "env"])
def test_cli_bad_settings_exit_2(tmp_path, how):
    doc = _cli_doc(tmp_path)
    s = tmp_path / "s.json"
    s.write_text(json.dumps({"bands": {"head_tilt": {"mild": 9, "moderate": 4, "marked": 6}}}))
    if how == "flag":
        out = run_cli("analyze", str(doc), "--format", "json", "--settings", str(s))
    else:
        out = run_cli("analyze", str(doc), "--format", "json", env_extra={"POSTURE_SETTINGS": str(s)})
    assert out.returncode == 2
    assert out.stdout == ""
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr
    assert "head_tilt" in out.stderr


def test_the_per_user_settings_file_is_read_when_no_path_is_given(tmp_path, monkeypatch):
    """The app saves the practice's bands to the per-user config folder; the core (and the CLI) read them there."""
    monkeypatch.delenv(SETTINGS_ENV, raising=False)
    assert load_settings().band("head_tilt") == grading.default_bands()["head_tilt"], "no file: defaults"
    path = default_settings_path()
    assert path.parent.parent == Path(os.environ["XDG_CONFIG_HOME"])
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": "our clinic"}}}))
    band = load_settings().band("head_tilt")
    assert (band.mild, band.source) == (2.5, "our clinic")
    doc = tmp_path / "doc.json"
    doc.write_text(json.dumps(doc_dict("anterior", ANTERIOR, scale=two_point_scale((100, 100), (100, 600), 50.0))))
    out = run_cli("analyze", str(doc), "--format", "json")
    assert json.loads(out.stdout)["measurements"]["head_tilt"]["band"]["source"] == "our clinic"
    monkeypatch.setenv(SETTINGS_ENV, str(tmp_path / "other.json"))  # the variable wins, and must exist
    with pytest.raises(SettingsError):
        load_settings()


def test_settings_carry_the_shipped_patterns_unless_told_otherwise():
    from posture import findings

    assert Settings(grading.default_bands()).patterns is findings.shipped_patterns()
    assert settings_from_dict(OVERRIDE).patterns == findings.shipped_patterns()
    with pytest.raises(
        SettingsError, match=r'^settings: pattern is not a settings key \(.*muscle patterns under "patterns"\)\.$'
    ):
        settings_from_dict({"pattern": {}})
