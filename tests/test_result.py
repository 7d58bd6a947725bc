"""The typed result (posture.result): what analyze() returns has the declared shape, and check_result refuses the rest."""

from __future__ import annotations

import copy
import json
import typing

import pytest
from helpers_core import REPO

from posture import analyze, document, formatting, frame
from posture.errors import ResultError
from posture.result import (
    SEVERITIES,
    Measurement,
    Result,
    check_result,
    severity_rank,
    warnings_except,
    worst_severity,
)

SAMPLES = sorted((REPO / "sample_images").glob("*.json"))


@pytest.fixture(scope="module", params=[p.stem for p in SAMPLES])
def sample(request):
    doc = document.load(REPO / "sample_images" / f"{request.param}.json")
    return doc, analyze(doc)


def test_analyze_returns_exactly_the_declared_keys(sample):
    doc, result = sample
    hints = typing.get_type_hints(Result)
    assert set(result) <= set(hints)
    assert Result.__required_keys__ <= set(result)
    for m in result["measurements"].values():
        assert set(m) <= set(typing.get_type_hints(Measurement))
        assert Measurement.__required_keys__ <= set(m)


def test_a_result_survives_json_and_check_result(sample):
    doc, result = sample
    again = json.loads(json.dumps(result))
    assert check_result(again, doc.view) == again


def test_warning_codes_pair_with_the_warnings(sample):
    _, result = sample
    assert len(result["warning_codes"]) == len(result["warnings"])


def test_warnings_except_leaves_out_by_code_not_by_text():
    doc = document.parse_document({"schema_version": 1, "view": "anterior", "landmarks": {}})
    result = analyze(doc)
    assert result["warning_codes"] == [frame.NO_VERTICAL, frame.NO_SCALE]
    kept = warnings_except(result, frame.NO_VERTICAL)
    assert kept == [result["warnings"][1]]
    assert warnings_except(result) == result["warnings"]
    # a result stored before the codes existed: every warning is kept
    old = {k: v for k, v in result.items() if k != "warning_codes"}
    assert warnings_except(old, frame.NO_VERTICAL) == result["warnings"]  # type: ignore[arg-type]


def _bad(result, path, value):
    bad = copy.deepcopy(result)
    target = bad
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return bad


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("measurements", "shoulder_tilt", "value"), float("nan"), "measurements.shoulder_tilt.value must be a finite number"),
        (("measurements", "shoulder_tilt", "value"), "2.4", "measurements.shoulder_tilt.value must be a number"),
        (("measurements", "shoulder_tilt", "value"), True, "must be a number"),
        (("measurements", "shoulder_tilt", "uncertainty"), -0.1, "uncertainty is negative"),
        (("measurements", "shoulder_tilt", "unit"), KeyError, "measurements.shoulder_tilt.unit is missing"),
        (("measurements", "shoulder_tilt", "severity"), "severe", "one of 'normal'"),
        (("measurements", "shoulder_tilt", "band", "mild"), None, "band.mild must be a number"),
        (("measurements", "shoulder_tilt"), [], "measurements.shoulder_tilt must be an object"),
        (("measurements",), [], "measurements must be an object"),
        (("findings",), KeyError, "findings is missing"),
        (("plan",), [{"stage": "1", "title": "x", "items": []}], "plan[0].stage must be an integer"),
        (("vertical_source",), "plumb", "vertical_source must be one of 'line', 'image'"),
        (("cm_per_px",), "0.05", "cm_per_px must be a number."),
        (("warnings",), ["ok", 3], "warnings[1] must be text"),
    ],
)
def test_check_result_names_what_is_wrong(path, value, message):
    doc = document.load(REPO / "sample_images" / "anterior.json")
    result = json.loads(json.dumps(analyze(doc)))
    with pytest.raises(ResultError, match="anterior view is malformed") as exc:
        check_result(_bad(result, path, value), "anterior")
    assert message in str(exc.value)
    assert "\n" not in str(exc.value)


def test_check_result_refuses_another_view_a_version_and_a_non_object():
    doc = document.load(REPO / "sample_images" / "anterior.json")
    result = json.loads(json.dumps(analyze(doc)))
    with pytest.raises(ResultError, match="result of another view"):
        check_result(result, "posterior")
    with pytest.raises(ResultError, match="unsupported schema_version"):
        check_result({**result, "schema_version": 2}, "anterior")
    with pytest.raises(ResultError, match="unsupported schema_version"):
        check_result({**result, "schema_version": True}, "anterior")
    with pytest.raises(ResultError, match="must be the analysis result object"):
        check_result([result], "anterior")


def test_check_result_keeps_unknown_keys_and_accepts_results_without_the_projects_own_keys():
    doc = document.load(REPO / "sample_images" / "anterior.json")
    result = json.loads(json.dumps(analyze(doc)))
    for key in ("warning_codes", "landmark_sigma_px"):
        del result[key]
    for m in result["measurements"].values():
        m.pop("region", None)
    result["from_the_future"] = {"anything": 1}
    assert check_result(result, "anterior")["from_the_future"] == {"anything": 1}


def test_severity_order_is_the_specs():
    assert SEVERITIES == ("normal", "mild", "moderate", "marked")
    assert [severity_rank(s) for s in (None, *SEVERITIES)] == [-1, 0, 1, 2, 3]
    assert worst_severity([]) is None
    assert worst_severity([None, "mild", "normal"]) == "mild"
    assert worst_severity(["marked", None, "moderate"]) == "marked"
    assert worst_severity([None, None]) is None


@pytest.mark.parametrize(
    ("value", "unit", "kwargs", "text"),
    [
        (2.4123, "deg", {}, "2.4°"),
        (-2.46, "deg", {}, "-2.5°"),
        (2.46, "deg", {"sign": True}, "+2.5°"),
        (-0.04, "cm", {"sign": True}, "0.0 cm"),
        (-0.04, "cm", {}, "0.0 cm"),
        (12.6, "%", {}, "13 %"),
        (12.6, "%", {"digits": 1}, "12.6 %"),
        (-3.4, "px", {}, "-3 px"),
        (1.234, "mm", {}, "1.23 mm"),
        (5.0, "deg", {"symbol": False}, "5.0"),
    ],
)
def test_format_number(value, unit, kwargs, text):
    assert formatting.format_number(value, unit, **kwargs) == text


def test_format_measurement_and_severity_label():
    m = {"value": -0.01, "uncertainty": 0.26, "unit": "cm"}
    assert formatting.format_measurement(m) == "0.0 cm ± 0.3"
    assert formatting.format_measurement(m, uncertainty_unit=True) == "0.0 cm ± 0.3 cm"
    assert formatting.format_measurement(m, symbol=False) == "0.0 ± 0.3"
    assert formatting.severity_label("moderate", borderline=True) == "Moderate*"
    assert formatting.severity_label(None) == "Not graded"
