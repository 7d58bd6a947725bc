"""Session state in one place: one :class:`ui.model.Assessment` per browser session.

Everything the app remembers between reruns lives in that object (photos,
views, landmarks, calibration, grading settings); widget keys are named
here so that the tests can reach them.
"""

from __future__ import annotations

import streamlit as st

from posture import grading
from posture.store import Store, default_data_dir

from . import settings_store
from .model import Assessment

ASSESSMENT_KEY = "assessment"
#: The landmark editor component's key: ``st.session_state[EDITOR_KEY]`` is ``{"edit": snapshot}``.
EDITOR_KEY = "landmark_editor"


def get() -> Assessment:
    """The session's assessment, created on first use with the practice's grading settings."""
    a = st.session_state.get(ASSESSMENT_KEY)
    if a is None:
        path = grading.default_settings_path()
        settings, problem = settings_store.load(path)
        a = Assessment(settings=settings)
        st.session_state[ASSESSMENT_KEY] = a
        st.session_state["settings_problem"] = problem
    return a


def editor_value() -> object:
    """The editor's latest snapshot as the browser sent it (``None`` before the first edit)."""
    value = st.session_state.get(EDITOR_KEY)
    return value.get("edit") if isinstance(value, dict) else None


def sync_editor(a: Assessment) -> bool:
    """Apply the editor's latest snapshot to the current view (idempotent; True when something changed)."""
    return a.view.apply_editor(editor_value())


def new_assessment() -> None:
    """Forget everything of this session (photos, landmarks); the grading settings are reloaded."""
    for key in (ASSESSMENT_KEY, EDITOR_KEY):
        st.session_state.pop(key, None)


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_store(root: str) -> Store:
    return Store(root)


def store() -> Store:
    """The client store of this machine (``$POSTURE_DATA_DIR`` or the per-user data folder), opened once per process.

    Raises :class:`posture.store.StoreError` with one sentence when it cannot be opened.
    """
    return _open_store(str(default_data_dir()))
