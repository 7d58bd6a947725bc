"""Every test runs with its own empty settings, config and data folders, never the tester's own.

(The core reads the practice's grading bands from ``$POSTURE_SETTINGS`` or the
per-user config folder; the app keeps client files in ``$POSTURE_DATA_DIR`` or
the per-user data folder. Subprocesses inherit these variables.)
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_folders(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("home")
    monkeypatch.delenv("POSTURE_SETTINGS", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("POSTURE_DATA_DIR", str(home / "posture-data"))


#: Figures the tests measured in this run (e.g. the browser test's click latency), shown after the run's summary
#: whatever pytest captured; each is also written to ``test-output/`` by the test that measured it.
FIGURES: list[str] = []


def report_figure(text: str) -> None:
    """Show ``text`` at the end of the run (not in captured output)."""
    FIGURES.append(text)


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 - pytest's hook signature
    if FIGURES:
        terminalreporter.section("measured figures")
        for line in FIGURES:
            terminalreporter.write_line(line)
