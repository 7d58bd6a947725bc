"""The landmark editor: an in-page Streamlit component (components v2, no iframe).

The browser gets a small JPEG of the photo (the display copy, as a data URL)
and every point in **original-image pixels**; it draws the photo stretched to
the original size in an SVG, so a click is converted to original pixels by
the browser itself, as a float, whatever the zoom. After every change (a
click, the end of a drag, a burst of arrow-key nudges, undo/redo/clear) it
sends the complete set of points back as one snapshot::

    {"doc": "<view:photo:rev>", "nonce": "<editor instance>", "seq": 7,
     "points": {"acromion_r": [1180.4, 1210.25], "@v1": [101.5, 200.0], ...}}

A snapshot is the whole state, so a lost or merged rerun loses nothing;
:meth:`ui.model.ViewState.apply_editor` applies each snapshot once. The
page is re-sent ``ack`` = the last ``(nonce, seq)`` applied, so the editor
knows when the server has caught up with it. Undo/redo, zoom, pan, the
magnifier and the live reference lines live in the browser
(``editor.js``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from posture import landmarks
from posture.frame import PLUMB_LANDMARKS

from . import body_figures
from .model import HEIGHT_MARKS, MARK_GUIDE, MARK_IDS, SCALE_MARKS, VERTICAL_MARKS, ViewState
from .state import EDITOR_KEY

_HERE = Path(__file__).resolve().parent

_component = st.components.v2.component(
    "posture_landmark_editor",
    html=(_HERE / "editor.html").read_text(encoding="utf-8"),
    css=(_HERE / "editor.css").read_text(encoding="utf-8"),
    js=(_HERE / "editor.js").read_text(encoding="utf-8"),
)

# Segments drawn live between landmarks (besides the bilateral pairs), per view.
_CHAINS: dict[str, list[list[str]]] = {
    "anterior": [
        ["asis_r", "patella_r", "tibial_tuberosity_r"],
        ["asis_l", "patella_l", "tibial_tuberosity_l"],
        ["greater_trochanter_r", "knee_lateral_r", "lateral_malleolus_r"],
        ["greater_trochanter_l", "knee_lateral_l", "lateral_malleolus_l"],
    ],
    "posterior": [
        ["c7", "t3", "t7", "t12", "l3", "s1"],
        ["leg_midline_r", "achilles_r", "calcaneus_r"],
        ["leg_midline_l", "achilles_l", "calcaneus_l"],
    ],
    "right_lateral": [
        ["c7", "tragus", "eye_canthus"],
        ["psis", "asis"],
        ["acromion", "greater_trochanter", "knee", "lateral_malleolus"],
    ],
}
_CHAINS["left_lateral"] = _CHAINS["right_lateral"]

_SHORT_SIDE = {"r": "R", "l": "L"}


def _short_label(lm: landmarks.Landmark) -> str:
    """``"R acromion"``, ``"C7"``: what is written next to a point on the photo."""
    label = lm.label
    side = lm.side
    if side:
        label = label.split(" ", 1)[1]
        return f"{_SHORT_SIDE[side]} {label}"
    return label.replace(" spinous process", "")


def _targets(ids: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"id": i, "label": MARK_GUIDE[i][0], "hint": MARK_GUIDE[i][1], "short": MARK_GUIDE[i][0]} for i in ids]


def editor_data(vs: ViewState) -> dict[str, Any]:
    """Everything the editor needs for ``vs`` (JSON-serialisable; the photo is the display JPEG only)."""
    photo = vs.photo
    assert photo is not None
    facing = vs.doc.effective_facing
    fig = body_figures.figure_points(vs.view, facing)
    lms = [
        {"id": lm.id, "label": lm.label, "hint": lm.hint, "side": lm.side or "m", "short": _short_label(lm), "fig": fig[lm.id]}
        for lm in landmarks.view_landmarks(vs.view)
    ]
    scale_targets = {"marks": _targets(SCALE_MARKS), "height": _targets(HEIGHT_MARKS), "none": []}[vs.scale_mode]
    vertical_targets = _targets(VERTICAL_MARKS) if vs.vertical_mode == "line" else []
    active = {t["id"] for t in vertical_targets + scale_targets}
    hidden = [i for i in MARK_IDS if i not in active]
    pinned = vs.doc.calibration.plumb_anchor
    return {
        "doc": vs.doc_id,
        "ack": {"nonce": vs.applied[0], "seq": vs.applied[1]} if vs.applied else None,
        "image": photo.data_url,
        "image_id": photo.digest,
        "width": photo.width,
        "height": photo.height,
        "view": vs.view,
        "view_label": vs.label,
        "facing": facing,
        "landmarks": lms,
        "vertical": vertical_targets,
        "vertical_mode": vs.vertical_mode,
        "scale": scale_targets,
        "scale_mode": vs.scale_mode,
        "scale_text": f"{vs.distance_cm:g} cm" if vs.scale_mode == "marks" else f"{vs.height_cm:g} cm tall",
        "points": vs.editor_points(),
        "hidden": hidden,
        "pairs": [list(p) for p in landmarks.bilateral_pairs(vs.view)],
        "chains": _CHAINS[vs.view],
        "plumb": {"ids": list(PLUMB_LANDMARKS[vs.view]), "pinned": list(pinned) if pinned else None},
        "figure": body_figures.figure_svg(vs.view, facing),
        "figure_viewbox": body_figures.VIEWBOX,
    }


def landmark_editor(vs: ViewState) -> None:
    """Show the editor for ``vs``; its edits reach ``vs`` through :func:`ui.state.sync_editor` on the next run."""
    _component(data=editor_data(vs), key=EDITOR_KEY, default={"edit": None}, on_edit_change=_noop, height="content")


def _noop() -> None:
    """The component's change callback: the snapshot is applied at the top of the next run (``sync_editor``)."""
