"""The app's glue to automatic detection (spec §10): the pose model loaded once per process, detection once per photo.

:func:`detect_view` runs :func:`posture.detect.detect` on a view's photo the
first time it is seen (the result is cached in the
:class:`~ui.model.ViewState` by the photo's digest), with the practice's
marker colour and plumb-mark distance (:class:`posture.settings.Settings`),
exactly as ``python -m posture detect`` does (the detector makes its own
quarter-size copy for the searches and the pose model: never a second full
decode), so the app's suggestions and the command line's are the same points. What it finds goes into the view document
(:meth:`ui.model.ViewState.apply_detection`): the calibration from the plumb
marks, the suggestions, the record of every marker.
"""

from __future__ import annotations

import time
from typing import Any

import streamlit as st

from posture import detect
from posture.detect.base import Detection
from posture.errors import DetectError

from .model import Assessment, Photo, ViewState

PROGRESS = "Finding the plumb line and markers…"


@st.cache_resource(show_spinner=False)
def pose_model() -> tuple[Any, str | None]:
    """The pose model, loaded once per server process; ``(None, why)`` when it cannot be loaded."""
    try:
        return detect.load_pose_model(), None
    except DetectError as exc:
        return None, str(exc)


def run_detection(photo: Photo, view: str, facing: str | None, a: Assessment) -> Detection:
    """:func:`posture.detect.detect` on ``photo`` for ``view`` with the practice's capture settings."""
    model, _ = pose_model()
    kwargs: dict[str, Any] = {"facing": facing, "mark_distance_cm": a.mark_distance_cm(), "pose_model": model}
    if a.settings.marker_color is not None:
        kwargs["marker_color"] = a.settings.marker_color
    # the detector's own quarter-size copy, not the display copy: the same points as the command line's
    return detect.detect(photo.image, view, **kwargs)


def summary(det: Detection, ms: float) -> str:
    """One sentence on what detection found (for the progress box and the notice after it)."""
    n_sug = len(det.suggestions)
    line = "the plumb line and both marks" if det.scale else "the plumb line" if det.vertical else "no plumb line"
    return f"Found {line}, {len(det.markers)} markers and {n_sug} suggestions in {ms:.0f} ms."


def detect_view(a: Assessment, vs: ViewState) -> str | None:
    """Run detection on ``vs``'s photo unless it already ran for it; the sentence to show, or ``None``."""
    photo = vs.photo
    if photo is None or vs.detected == photo.digest:
        return None
    with st.status(PROGRESS, expanded=False) as status:
        t0 = time.perf_counter()
        try:
            det = run_detection(photo, vs.view, vs.doc.effective_facing, a)
        except DetectError as exc:
            vs.detected = photo.digest  # do not try again on every run
            status.update(label=f"Detection did not run: {exc}", state="error")
            return f"Detection did not run: {exc}"
        ms = (time.perf_counter() - t0) * 1000
        vs.apply_detection(det)
        text = summary(det, ms)
        why = pose_model()[1]
        if why:
            text += f" The pose model was not used: {why}"
        status.update(label=text, state="complete")
    return text
