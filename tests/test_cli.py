"""``python -m posture analyze`` end to end, in a subprocess (spec §7 "Result")."""

from __future__ import annotations

import csv
import io
import json

import pytest
from helpers_core import ANTERIOR, POSTERIOR, RIGHT_LATERAL, doc_dict, run, run_cli, two_point_scale

RESULT_KEYS = {
    "schema_version",
    "view",
    "vertical_source",
    "vertical_roll_deg",
    "cm_per_px",
    "plumb_line",
    "warnings",
    "measurements",
    "not_measured",
    "findings",
    "plan",
}
MEASUREMENT_KEYS = {
    "label",
    "plane",
    "value",
    "unit",
    "uncertainty",
    "severity",
    "borderline",
    "direction",
    "landmarks",
    "band",
}
FINDING_KEYS = {"measurement", "severity", "region", "text", "consider", "referral"}


def _write(tmp_path, d, name="doc.json"):
    p = tmp_path / name
    p.write_text(json.dumps(d), encoding="utf-8")
    return p


def _full(view="anterior", body=ANTERIOR, **kw):
    kw.setdefault("vertical", ((50, 2900), (50, 100)))
    kw.setdefault("scale", two_point_scale((100, 100), (100, 600), 50.0))
    return doc_dict(view, body, width=2000, height=3000, **kw)


def assert_bad_input(out):
    assert out.returncode == 2, (out.returncode, out.stderr)
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


@pytest.mark.parametrize(("view", "body"), [("anterior", ANTERIOR), ("posterior", POSTERIOR), ("right_lateral", RIGHT_LATERAL)])
def test_json_output(tmp_path, view, body):
    d = _full(view, body)
    assert not (tmp_path / f"{view}.jpg").exists()  # the photo need not exist
    out = run_cli("analyze", str(_write(tmp_path, d)), "--format", "json")
    assert out.returncode == 0, out.stderr
    assert out.stderr == ""
    res = json.loads(out.stdout)
    assert set(res) >= RESULT_KEYS
    assert res["schema_version"] == 1
    assert res["view"] == view
    assert res["vertical_source"] == "line"
    assert isinstance(res["vertical_roll_deg"], float)
    assert res["cm_per_px"] == pytest.approx(0.1)
    assert set(res["plumb_line"]) == {"p1", "p2"}
    assert isinstance(res["warnings"], list)
    assert res["measurements"]
    for mid, m in res["measurements"].items():
        assert set(m) >= MEASUREMENT_KEYS, mid
        assert isinstance(m["value"], float)
        assert m["unit"] in ("deg", "cm", "%")
        assert m["severity"] in (None, "normal", "mild", "moderate", "marked")
        assert isinstance(m["borderline"], bool)
        assert isinstance(m["landmarks"], list)
    for f in res["findings"]:
        assert set(f) >= FINDING_KEYS
    assert [s["stage"] for s in res["plan"]] == sorted(s["stage"] for s in res["plan"])
    for s in res["plan"]:
        assert {"stage", "title", "items"} <= set(s)
    # the same numbers as the library, full precision
    lib = run(d)
    for mid, m in lib["measurements"].items():
        assert res["measurements"][mid]["value"] == m["value"]
        assert res["measurements"][mid]["uncertainty"] == m["uncertainty"]


def test_spine_level_in_json(tmp_path):
    out = run_cli("analyze", str(_write(tmp_path, _full("posterior", POSTERIOR))), "--format", "json")
    assert json.loads(out.stdout)["measurements"]["spine_deviation"]["level"] == "t12"


def test_text_is_the_default(tmp_path):
    p = _write(tmp_path, _full())
    out = run_cli("analyze", str(p))
    assert out.returncode == 0, out.stderr
    assert "Shoulder tilt" in out.stdout
    assert "{" not in out.stdout.splitlines()[0]
    explicit = run_cli("analyze", str(p), "--format", "text")
    assert explicit.stdout == out.stdout


def test_text_mentions_missing_and_warnings(tmp_path):
    d = doc_dict("anterior", {"acromion_r": (800, 700), "acromion_l": (1200, 690)})
    out = run_cli("analyze", str(_write(tmp_path, d)), "--format", "text")
    assert out.returncode == 0, out.stderr
    assert "q_angle_r" in out.stdout  # listed as not measured
    assert "Warning" in out.stdout


def test_csv_output(tmp_path):
    d = _full()
    d["landmarks"].pop("patella_r")
    out = run_cli("analyze", str(_write(tmp_path, d)), "--format", "csv")
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    lib = run(d)
    measured = {r["measurement"]: r for r in rows if r["value"] != ""}
    assert set(measured) == set(lib["measurements"])
    for mid, m in lib["measurements"].items():
        r = measured[mid]
        assert float(r["value"]) == m["value"]
        assert r["unit"] == m["unit"]
        assert r["view"] == "anterior"
    missing = {r["measurement"] for r in rows if r["value"] == ""}
    assert missing == set(lib["not_measured"]) == {"q_angle_r"}


def test_no_scale_json_has_px_and_null_severity(tmp_path):
    d = _full(scale=None)
    res = json.loads(run_cli("analyze", str(_write(tmp_path, d)), "--format", "json").stdout)
    assert res["cm_per_px"] is None
    m = res["measurements"]["shoulder_height_diff"]
    assert m["unit"] == "px" and m["severity"] is None and m["band"] is None and m["borderline"] is False


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(schema_version="1"), "schema_version"),
        (lambda d: d.update(view="front"), "view"),
        (lambda d: d["landmarks"].update(c7={"x": 1, "y": 1}), "landmarks.c7"),
        (lambda d: d["landmarks"]["acromion_r"].update(x="left"), "landmarks.acromion_r.x"),
        (lambda d: d["calibration"].update(plumb=[1, 2]), "calibration.plumb"),
        (lambda d: d["calibration"]["scale"].update(distance_cm=0), "calibration.scale.distance_cm"),
    ],
)
def test_malformed_document_exit_2(tmp_path, mutate, field):
    d = _full()
    mutate(d)
    line = assert_bad_input(run_cli("analyze", str(_write(tmp_path, d)), "--format", "json"))
    assert field in line


def test_not_json_exit_2(tmp_path):
    p = tmp_path / "doc.json"
    p.write_text("{ this is not json")
    assert "JSON" in assert_bad_input(run_cli("analyze", str(p), "--format", "json"))


def test_missing_file_exit_2(tmp_path):
    line = assert_bad_input(run_cli("analyze", str(tmp_path / "nope.json"), "--format", "json"))
    assert "nope.json" in line


def test_bad_settings_exit_2(tmp_path):
    doc = _write(tmp_path, _full())
    s = tmp_path / "settings.json"
    s.write_text("{not json")
    assert_bad_input(run_cli("analyze", str(doc), "--settings", str(s)))
    assert_bad_input(run_cli("analyze", str(doc), "--settings", str(tmp_path / "missing.json")))
    assert_bad_input(run_cli("analyze", str(doc), env_extra={"POSTURE_SETTINGS": str(tmp_path / "missing.json")}))


def test_relative_document_path(tmp_path):
    _write(tmp_path, _full(), "front.json")
    out = run_cli("analyze", "front.json", "--format", "json", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["view"] == "anterior"


# --- version, help, the client list -----------------------------------------------------


def test_version_prints_the_package_version_and_exits_0():
    import posture

    out = run_cli("--version")
    assert (out.returncode, out.stdout, out.stderr) == (0, f"posture {posture.__version__}\n", "")


def _help_entries(help_text: str) -> dict[str, str]:
    """Option string or positional name → its whole help entry (wrapped lines joined), from a ``--help``."""
    entries: dict[str, str] = {}
    current = None
    for line in help_text.splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            current = line.split()[0].rstrip(",")
            entries[current] = line
        elif current and line.startswith("    "):
            entries[current] += " " + line.strip()
        else:
            current = None
    return {k: " ".join(v.split()) for k, v in entries.items()}


def test_every_help_shows_the_defaults_of_its_options():
    import argparse

    from posture import cli

    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert {"analyze", "render", "report", "detect", "bench", "export", "import", "clients"} == set(sub.choices)
    checked = 0
    for name, p in sub.choices.items():
        out = run_cli(name, "--help")
        assert out.returncode == 0 and out.stderr == "", name
        entries = _help_entries(out.stdout)
        for action in p._actions:
            if isinstance(action, argparse._HelpAction) or (not action.option_strings and action.nargs != "?"):
                continue  # --help, and positionals one must give
            entry = entries[action.option_strings[0] if action.option_strings else action.dest]
            if action.nargs == 0 or action.required:  # a flag is off unless given; a required option has no default
                assert "(default" not in entry, (name, entry)
                continue
            assert "(default: " in entry, (name, entry)
            if action.default is not None:
                assert f"(default: {action.default})" in entry, (name, entry)  # the value in force, not a copy of it
            checked += 1
    assert checked >= 12


def test_help_of_a_command_starts_with_what_it_does():
    out = run_cli("clients", "--help")
    assert "list clients (id, visits, last visit, name)" in out.stdout
    assert "(default: every client)" in " ".join(out.stdout.split())


def test_usage_errors_stay_one_line_with_the_help_formatter():
    for args in (("analyze",), ("analyze", "x.json", "--format", "yaml"), ("nope",), ("clients", "--bogus")):
        line = assert_bad_input(run_cli(*args))
        assert line.startswith("error: python -m posture") and "(see --help)" in line, args


def test_clients_says_in_one_line_when_nothing_matches(tmp_path):
    data = tmp_path / "data"
    empty = run_cli("clients", "--data-dir", str(data))
    assert (empty.returncode, empty.stdout) == (0, "")
    assert empty.stderr == f"No clients yet in {data}.\n"

    from posture.store import Store

    with Store(data) as store:
        cid = store.create_client("Łucja Żółć").id
    found = run_cli("clients", "ZOLC", "--data-dir", str(data))
    assert found.returncode == 0 and found.stderr == "" and found.stdout.startswith(cid) and "Łucja Żółć" in found.stdout
    nothing = run_cli("clients", "nobody\nhere", "--data-dir", str(data))
    assert (nothing.returncode, nothing.stdout) == (0, "")
    assert nothing.stderr == f'No client in {data} matches "nobody\\nhere" (case and accents are ignored).\n'
    as_json = run_cli("clients", "nobody", "--json", "--data-dir", str(data))
    assert (as_json.returncode, as_json.stderr, json.loads(as_json.stdout)) == (0, "", [])


def test_commands_outside_the_client_file_do_not_load_the_database_layer():
    import subprocess
    import sys

    from helpers_core import REPO

    probe = "import sys; from posture import cli; cli.build_parser(); print(sorted(m for m in sys.modules if m.startswith(('sqlalchemy', 'posture.store', 'posture.archive'))))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=str(REPO), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
