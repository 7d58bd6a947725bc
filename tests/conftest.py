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
