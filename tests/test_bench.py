"""The benchmarks' plumbing (not their timings): ``benchmarks.bench`` and ``benchmarks.store`` on small inputs.

Both run from the repository root as ``python -m benchmarks.bench`` / ``python -m benchmarks.store``;
they take their synthetic photos and documents from ``tests.support.synthetic``, which the product
package never imports.
"""

from __future__ import annotations

import ast
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from helpers_core import REPO

from benchmarks import bench, store
from posture.store import Store


def run_module(module: str, *args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m MODULE ARGS`` from the repository root, as ``make bench`` runs it (no PYTHONPATH)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "POSTURE_SETTINGS")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", module, *args], capture_output=True, text=True, env=env, cwd=str(REPO), timeout=300
    )


def test_bench_json_has_the_ratios_and_the_parts():
    out = run_module("benchmarks.bench", "--json", "--long-side", "1600", "--repeat", "1")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    for key in ("decode_ms", "encode_full_ms", "per_click_ms", "save_ms", "peak_memory_mb", "max_rss_mb"):
        assert r[key] > 0, key
    assert set(r["per_click_parts_ms"]) == {"analyze_ms", "render_display_ms", "encode_display_ms"}
    assert set(r["save_parts_ms"]) == {"render_full_ms", "report_pdf_ms"}
    # the ratios come from the unrounded times
    assert r["per_click_vs_decode"] == pytest.approx(r["per_click_ms"] / r["decode_ms"], rel=0.01)
    assert r["save_vs_decode_encode"] == pytest.approx(r["save_ms"] / (r["decode_ms"] + r["encode_full_ms"]), rel=0.01)
    assert r["save_sizes_kb"]["report_pdf"] > 10 and r["image"]["height"] == 1600
    # the detection of a marked photo, against a decode of the same photo in the same run
    assert r["detect_vs_decode"] == pytest.approx(r["detect_ms"] / r["detect_decode_ms"], rel=0.01)
    assert r["detect_found"]["markers"] == 20 and r["detect_found"]["plumb_marks"] == 2
    assert 50 < r["app_rss_mb"] < 4000 and r["goals"]["detect_vs_decode"] == 4.0


def test_posture_bench_passes_the_benchmarks_options_on():
    out = run_module("posture", "bench", "--json", "--long-side", "600", "--repeat", "1")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["image"]["height"] == 600
    bad = run_module("posture", "bench", "--repeat", "0")
    assert bad.returncode == 2 and "--repeat" in bad.stderr


@pytest.mark.parametrize("args", [["--long-side", "100"], ["--repeat", "0"]])
def test_bench_refuses_a_bad_argument_in_one_line(args, capsys):
    assert bench.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_bench_store_command_runs_small(capsys, tmp_path):
    """A small store, every query answered; it says where it builds and how far it is."""
    keep = tmp_path / "bench"
    assert store.main(["--clients", "40", "--visits", "150", "--repeat", "1", "--json", "--keep", str(keep)]) == 0
    captured = capsys.readouterr()
    r = json.loads(captured.out)
    assert (r["clients"], r["visits"]) == (40, 150)
    answers = {q["query"]: q["answer"] for q in r["queries"]}
    assert answers["list_first_page"] == "40 clients" and answers['search "xyzzy"'] == "no match"
    assert {"timeline", "open_visit", 'search "zolc"'} <= set(answers)
    assert all(q["baseline_raw_sqlite_ms"] is not None for q in r["queries"])
    assert f"goes in {keep} (kept afterwards)" in captured.err
    assert "40 clients written" in captured.err and "150 / 150 visits (100 %)" in captured.err
    assert "Removed" not in captured.err
    with Store(keep) as s:
        assert s.count_clients() == 40 and s.verify() == []
    assert store.main(["--keep", str(keep)]) == 2  # not an empty folder
    assert "not empty" in capsys.readouterr().err


def test_bench_store_shows_its_progress_on_stderr(capsys, tmp_path):
    assert store.main(["--clients", "30", "--visits", "4500", "--repeat", "1", "--keep", str(tmp_path / "b")]) == 0
    captured = capsys.readouterr()
    done = [int(n.replace(",", "")) for n in re.findall(r"([\d,]+) / 4,500 visits", captured.err)]
    assert 2 <= len(done) <= 10 and done == sorted(set(done)) and done[-1] == 4500
    assert "All answers under 200 ms" in captured.out  # the text table, on stdout only
    assert "/ 4,500 visits" not in captured.out


def test_bench_store_removes_its_temporary_folder_and_says_so(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert store.main(["--clients", "20", "--visits", "30", "--repeat", "1", "--json"]) == 0
    err = capsys.readouterr().err
    folder = re.search(r"goes in the temporary folder (\S+) \(removed at the end\)", err)
    assert folder and Path(folder[1]).parent == tmp_path
    assert f"Removed the temporary folder {folder[1]}." in err
    assert list(tmp_path.iterdir()) == []


def test_bench_store_removes_its_temporary_folder_on_ctrl_c(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TMPDIR"] = str(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.store"],
        cwd=str(REPO),
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        assert proc.stderr is not None
        seen = []
        for line in proc.stderr:  # the default 10,000 clients / 50,000 visits take seconds to write
            seen.append(line)
            if "clients written" in line:
                break
        folders = list(tmp_path.glob("posture-bench-store-*"))
        assert len(folders) == 1 and (folders[0] / "data").is_dir(), seen  # building there now
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, err
    assert out == "" and "Interrupted." in err and f"Removed the temporary folder {folders[0]}." in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []


def test_the_product_package_imports_neither_the_benchmarks_nor_the_tests():
    leaks = []
    for path in sorted((REPO / "posture").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            leaks += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] in ("benchmarks", "tests", "support")]
    assert leaks == []
