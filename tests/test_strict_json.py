"""Issue 12, item 5: one strict JSON parser for view documents, settings files and archive manifests.

A key given twice in one object is refused naming the key (the last one used to win silently),
and a scale no posture photo has is refused, so nothing is graded on it.
"""

from __future__ import annotations

import json
import math

import pytest
from helpers_core import ANTERIOR, doc_dict, height_scale, two_point_scale
from test_archive import _assert_untouched, _client_json, _members, _replace_member, _zip, exported, target  # noqa: F401

from posture import document, inputs
from posture.archive import import_archive_bytes
from posture.errors import ArchiveError, DocumentError, JSONInputError, SettingsError
from posture.settings import load_settings


def _doc_text() -> str:
    return json.dumps(doc_dict("anterior", ANTERIOR, scale=two_point_scale((100, 200), (100, 1200), 100.0)))


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ('"view": "anterior"', '"view": "anterior", "view": "posterior"', "view"),
        ('"schema_version": 1', '"schema_version": 1, "schema_version": 1', "schema_version"),  # equal values too
        ('"x": 1010', '"x": 1010, "x": 5', "x"),  # deep inside a landmark
        ('"distance_cm": 100.0', '"distance_cm": 100.0, "distance_cm": 1e9', "distance_cm"),
    ],
)
def test_a_document_giving_a_key_twice_is_refused_naming_it(old: str, new: str, key: str) -> None:
    text = _doc_text()
    assert old in text
    with pytest.raises(DocumentError) as exc:
        document.loads(text.replace(old, new, 1))
    msg = str(exc.value)
    assert f'"{key}" twice' in msg and msg.startswith("The view document") and "\n" not in msg


def test_the_app_and_the_command_line_share_the_parser(tmp_path) -> None:
    text = _doc_text().replace('"view": "anterior"', '"view": "anterior", "view": "posterior"', 1)
    path = tmp_path / "dup.json"
    path.write_text(text)
    with pytest.raises(DocumentError, match='"view" twice'):
        document.load(path)
    with pytest.raises(DocumentError, match='"view" twice'):
        document.loads(text.encode("utf-8"))  # the app's upload hands in bytes


def test_a_settings_file_giving_a_key_twice_is_refused_naming_it(tmp_path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"bands": {"head_tilt": {"mild": 1, "moderate": 2, "marked": 3, "mild": 9}}}')
    with pytest.raises(SettingsError) as exc:
        load_settings(path)
    msg = str(exc.value)
    assert '"mild" twice' in msg and str(path) in msg and "\n" not in msg


def test_a_settings_file_over_the_size_limit_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "settings.json"
    with open(path, "wb") as fh:
        fh.truncate(inputs.MAX_JSON_BYTES + 1)
    with pytest.raises(SettingsError, match="at most 5 MB"):
        load_settings(path)


def test_an_archive_manifest_giving_a_key_twice_is_refused_naming_it(exported, target) -> None:  # noqa: F811
    members = _members(exported[1])
    name = _client_json(members)
    text = dict((i.filename, d) for i, d in members)[name].decode()
    assert text.startswith("{")
    bad = _zip(_replace_member(members, name, ('{"format": "x", ' + text[1:]).encode()))
    with pytest.raises(ArchiveError) as exc:
        import_archive_bytes(target, bad, "bad.zip")
    assert '"format" twice' in str(exc.value) and "\n" not in str(exc.value)
    _assert_untouched(target)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ('{"a": 1, "a": 1}', '"a" twice'),
        ('{"a": {"b": [1, {"c": 1, "c": 2}]}}', '"c" twice'),
        ('{"a": NaN}', "NaN is not a number JSON allows"),
        ('{"a": -Infinity}', "-Infinity is not a number JSON allows"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"a": ' + "9" * 5000 + "}", "too many digits"),
        (b'{"a": "\xff"}', "not UTF-8"),
        ("{oops", "not valid JSON (Expecting property name"),
    ],
)
def test_the_parser_refuses_with_a_phrase(data: str | bytes, says: str) -> None:
    with pytest.raises(JSONInputError) as exc:
        inputs.parse_json(data)
    assert says in exc.value.reason and "\n" not in exc.value.reason


def test_the_parser_keeps_what_json_allows() -> None:
    assert inputs.parse_json('{"a": [1, 2.5, "x", null, true], "b": {"a": 1}}') == {"a": [1, 2.5, "x", None, True], "b": {"a": 1}}
    assert inputs.parse_json("\ufeff{}".encode()) == {}  # a UTF-8 BOM, as Windows' Notepad writes
    assert math.isnan(inputs.parse_json('{"a": NaN}', allow_constants=True)["a"])


def test_the_parser_refuses_text_over_its_limit() -> None:
    with pytest.raises(JSONInputError, match="more than the"):
        inputs.parse_json('{"a": "' + "x" * 100 + '"}', limit=50)


# --- the scale ----------------------------------------------------------------------------------


def _with_scale(scale: dict) -> dict:
    return doc_dict("anterior", ANTERIOR, scale=scale)


@pytest.mark.parametrize(
    ("scale", "ok"),
    [
        (two_point_scale((100, 200), (100, 1200), 1e9), False),  # 1e6 cm/px
        (two_point_scale((100, 200), (100, 201), 1e9), False),  # 1e9 cm/px: was graded "+12000000000.0 cm"
        (two_point_scale((100, 200), (100, 1200), 1000.0), True),  # exactly 1 cm/px
        (two_point_scale((100, 200), (100, 1200), 1001.0), False),
        (two_point_scale((100, 200), (100, 1200), 5.0), True),  # exactly 0.005 cm/px
        (two_point_scale((100, 200), (100, 1200), 4.99), False),
        (height_scale(170.0, (1000, 300), (1000, 1900)), True),  # 0.106 cm/px, an ordinary photo
        (height_scale(170.0, (1000, 300), (1000, 320)), False),  # 8.5 cm/px
    ],
)
def test_a_scale_outside_the_plausible_range_is_refused(scale: dict, ok: bool) -> None:
    d = _with_scale(scale)
    if ok:
        assert document.parse_document(d).calibration.scale is not None
        return
    with pytest.raises(DocumentError) as exc:
        document.parse_document(d)
    assert exc.value.field == "calibration.scale"
    assert "cm per pixel" in exc.value.message and "0.005 to 1" in exc.value.message and "\n" not in str(exc.value)


def test_the_range_is_checked_on_the_computed_scale_under_roll() -> None:
    """0.4 cm/px from two points of any length, with a rolled plumb line, is accepted (the range is on cm per px)."""
    for k in (1, 2, 4):
        d = _with_scale(two_point_scale((100, 200), (100, 200 + 250 * k), 100.0 * k))
        d["calibration"]["vertical"] = {"p1": [500, 1800], "p2": [560, 300]}  # a rolled plumb line
        assert document.parse_document(d).calibration.scale is not None


def test_detected_marks_too_close_for_a_scale_give_no_scale_and_a_warning() -> None:
    """Two false marks 40 px apart for 100 cm (2.5 cm/px) must not make detection's document refused."""
    from posture.detect.base import Detection
    from posture.detect.suggest import DETECTION_KEY, with_detection

    doc = document.ViewDocument(view="anterior", image_width=1200.0, image_height=1600.0)
    close = Detection("anterior", 1200, 1600, vertical=((600, 500), (600, 540)), scale=((600, 500), (600, 540), 100.0))
    out = with_detection(doc, close)
    assert out.calibration.vertical is not None and out.calibration.scale is None
    assert any("40 px apart for 100 cm" in w for w in out.extra[DETECTION_KEY]["warnings"])
    apart = Detection("anterior", 1200, 1600, vertical=((600, 300), (600, 1300)), scale=((600, 300), (600, 1300), 100.0))
    assert with_detection(doc, apart).calibration.scale is not None  # 0.1 cm/px: kept
