"""Rules of the codebase itself that a review asked for and a test can keep: files of one idea, session state in one place."""

from __future__ import annotations

import pytest
from helpers_core import REPO

MAX_LINES = 800
MODULES = sorted(
    p
    for p in [*(REPO / "posture").rglob("*.py"), *(REPO / "ui").iterdir()]
    if p.is_file() and p.suffix in (".py", ".js", ".css", ".html")
)


def test_modules_found():
    assert len(MODULES) > 30 and REPO / "ui" / "editor.js" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_module_over_800_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.name} has {lines} lines: split it along its seams"


def test_only_ui_state_touches_the_session_state():
    """Every key the app keeps between reruns is named and typed in ui/state.py (ui.state.Session, the assessment,
    the widget keys set from code); pages and widgets go through it."""
    touching = [
        str(p.relative_to(REPO))
        for p in [*(REPO / "ui").glob("*.py"), *(REPO / "pages").glob("*.py"), REPO / "app.py"]
        if "session_state" in p.read_text(encoding="utf-8") and p.name != "state.py"
    ]
    assert touching == []
