"""The core never imports Streamlit: ``import posture`` and every submodule, each in a fresh interpreter."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import pytest
from helpers_core import REPO

import posture

SUBMODULES = sorted(m.name for m in pkgutil.walk_packages(posture.__path__, prefix="posture.") if m.name != "posture.__main__")

# Record any attempt to import streamlit (even one that would fail), then import the module.
PROBE = r"""
import json, sys

attempts = []


class Spy:
    def find_spec(self, name, path=None, target=None):
        if name == "streamlit" or name.startswith("streamlit."):
            attempts.append(name)
        return None


sys.meta_path.insert(0, Spy())
import importlib

importlib.import_module(sys.argv[1])
print(json.dumps({"attempts": attempts, "loaded": sorted(m for m in sys.modules if m.split(".")[0] == "streamlit")}))
"""


def test_submodules_found():
    assert {"posture.geometry", "posture.measurements", "posture.document", "posture.cli"} <= set(SUBMODULES)


@pytest.mark.parametrize("module", ["posture", *SUBMODULES])
def test_import_does_not_pull_in_streamlit(module):
    env = {**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, module], capture_output=True, text=True, env=env, cwd=str(REPO), timeout=120
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["loaded"] == [], f"{module} imports streamlit"
    assert report["attempts"] == [], f"{module} tries to import streamlit"
