"""``docs/measurements.md`` is generated from the registries and must be current."""

from __future__ import annotations

import importlib.util
import sys

from helpers_core import REPO

from posture import landmarks
from posture.measurements import all_measurement_ids


def _tool():
    spec = importlib.util.spec_from_file_location("make_measurements_doc", REPO / "tools" / "make_measurements_doc.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["make_measurements_doc"] = mod
    spec.loader.exec_module(mod)
    return mod


def test_the_reference_is_current():
    text = (REPO / "docs" / "measurements.md").read_text(encoding="utf-8")
    assert text == _tool().render(), "docs/measurements.md is stale: run python tools/make_measurements_doc.py (make docs)"


def test_the_reference_names_every_id_and_hint():
    text = _tool().render()
    for mid in all_measurement_ids():
        assert f"| `{mid}` |" in text, mid
    for view in landmarks.VIEWS:
        for lm in landmarks.view_landmarks(view):
            assert f"`{lm.id}`" in text, lm.id
            if view != "left_lateral":  # its table is right_lateral's
                assert lm.hint in text, (view, lm.id)


def test_check_mode_reports_a_stale_file(tmp_path, monkeypatch, capsys):
    tool = _tool()
    stale = tmp_path / "measurements.md"
    stale.write_text("old\n", encoding="utf-8")
    monkeypatch.setattr(tool, "OUT", stale)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    assert tool.main(["--check"]) == 1
    assert tool.main([]) == 0 and stale.read_text(encoding="utf-8") == tool.render()
    assert tool.main(["--check"]) == 0
