"""Issue 12, item 3: the command line refuses pipes, devices and oversized documents before reading them.

Each case runs the real command in a subprocess with a timeout (``run_cli``: 60 s), so a
command that hangs on a named pipe fails the test instead of hanging the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers_core import ANTERIOR, REPO, doc_dict, run_cli, two_point_scale

from posture.inputs import MAX_JSON_BYTES

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")


def _one_line_error(proc: subprocess.CompletedProcess, *words: str) -> str:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), proc.stderr
    assert "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "doc.json"
    os.mkfifo(path)  # nobody ever writes: opening it for reading would block for ever
    return path


def _good_doc(tmp_path: Path) -> Path:
    d = doc_dict("anterior", ANTERIOR, scale=two_point_scale((100, 200), (100, 1200), 100.0))
    path = tmp_path / "good.json"
    path.write_text(json.dumps(d))
    return path


def test_analyze_of_a_named_pipe_is_refused_not_waited_on(fifo: Path) -> None:
    _one_line_error(run_cli("analyze", str(fifo)), str(fifo), "not an ordinary file")


def test_analyze_of_dev_zero_is_refused_before_reading() -> None:
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    _one_line_error(run_cli("analyze", "/dev/zero"), "/dev/zero", "not an ordinary file")


def test_settings_from_a_pipe_are_refused(tmp_path: Path, fifo: Path) -> None:
    _one_line_error(run_cli("analyze", str(_good_doc(tmp_path)), "--settings", str(fifo)), "not an ordinary file")


def test_detect_of_a_pipe_or_a_device_is_refused(fifo: Path) -> None:
    _one_line_error(run_cli("detect", str(fifo), "--view", "anterior"), "not an ordinary file")
    if Path("/dev/zero").exists():
        _one_line_error(run_cli("detect", "/dev/zero", "--view", "anterior"), "not an ordinary file")


def test_render_of_a_photo_from_a_pipe_is_refused(tmp_path: Path, fifo: Path) -> None:
    out = tmp_path / "out.jpg"
    _one_line_error(run_cli("render", str(_good_doc(tmp_path)), "--image", str(fifo), "--out", str(out)), "not an ordinary file")
    assert not out.exists()


def test_import_of_a_named_pipe_is_refused(tmp_path: Path, fifo: Path) -> None:
    _one_line_error(run_cli("import", str(fifo), "--data-dir", str(tmp_path / "data")), "not an ordinary file")
    if Path("/dev/zero").exists():
        _one_line_error(run_cli("import", "/dev/zero", "--data-dir", str(tmp_path / "data")), "not an ordinary file")


def test_a_folder_is_named_as_a_folder(tmp_path: Path) -> None:
    _one_line_error(run_cli("analyze", str(tmp_path)), "is a folder")


#: Peak resident memory of this process in KB: VmHWM (reset at exec; ``ru_maxrss`` on Linux keeps the
#: forking parent's peak, so a big pytest process would show through), else ``resource``'s ``ru_maxrss``.
PEAK_KB = """
def peak_kb():
    try:
        with open("/proc/self/status") as fh:
            return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""

_MEASURED = (
    PEAK_KB
    + """
import sys
from posture.cli import main
code = main(sys.argv[1:])
print(f"maxrss_kb={peak_kb()}", file=sys.stderr)
sys.exit(code)
"""
)


def test_a_240_mb_document_is_refused_from_its_size_without_being_read(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:  # sparse: 240 MB long, nothing on disk
        fh.truncate(240 * 1024 * 1024)
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_SETTINGS"}
    env["PYTHONPATH"] = str(REPO)
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, "analyze", str(big)], capture_output=True, text=True, env=env, timeout=60
    )
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 2, proc.stderr
    assert "240 MB" in lines[0] and "at most 5 MB" in lines[0]
    peak_mb = int(lines[1].split("=")[1]) / 1024
    assert peak_mb < 250, f"peak {peak_mb:.0f} MB: the document was read"  # the interpreter and numpy alone are ~100 MB


def test_a_document_just_over_the_limit_is_refused_and_one_under_is_read(tmp_path: Path) -> None:
    doc = json.loads(_good_doc(tmp_path).read_text())
    doc["notes"] = "x" * (MAX_JSON_BYTES + 10)
    over = tmp_path / "over.json"
    over.write_text(json.dumps(doc))
    _one_line_error(run_cli("analyze", str(over)), "at most 5 MB")
    doc["notes"] = "x" * (MAX_JSON_BYTES - 10_000)
    under = tmp_path / "under.json"
    under.write_text(json.dumps(doc))
    assert run_cli("analyze", str(under), "--format", "json").returncode == 0


def test_a_duplicate_key_in_a_document_is_refused_naming_the_key(tmp_path: Path) -> None:
    text = _good_doc(tmp_path).read_text()
    dup = tmp_path / "dup.json"
    dup.write_text(text.replace('"view": "anterior"', '"view": "anterior", "view": "posterior"', 1))
    _one_line_error(run_cli("analyze", str(dup)), '"view"', "twice")


def test_an_implausible_scale_is_refused_not_graded(tmp_path: Path) -> None:
    d = doc_dict("anterior", ANTERIOR, scale=two_point_scale((100, 200), (100, 201), 1e9))  # 1e9 cm/px
    path = tmp_path / "scale.json"
    path.write_text(json.dumps(d))
    proc = run_cli("analyze", str(path), "--format", "json")
    line = _one_line_error(proc, "calibration.scale", "cm per pixel")
    assert "1e+09" in line and proc.stdout == ""
