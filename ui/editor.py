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
(``editor.js``, ``editor_draw.js`` for the overlay and the magnifier, ``editor_tiles.js`` for the full-resolution tiles).

The drawing conventions come from the core, so the editor and the annotated
photo agree: the short labels written next to the points
(:func:`posture.landmarks.short_label`), the joint chains
(:data:`posture.landmarks.JOINT_CHAINS`), the bilateral pairs, the plumb
line's anchor landmarks, and the frame's signs ``r`` (client's right along
+X, frontal views) and ``f`` (anterior along +X, lateral views) from
:func:`posture.frame.build_frame`, which also turn the guide figure. The
browser still works out the true vertical from the two plumb-line clicks and
the plumb line's anchor from its landmarks itself, live while they are
dragged: that is feedback only; the measurements use the server's frame.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from posture import landmarks
from posture.frame import PLUMB_LANDMARKS, build_frame

from . import body_figures, tiles
from .model import HEIGHT_MARKS, MARK_GUIDE, MARK_IDS, SCALE_MARKS, VERTICAL_MARKS, ViewState
from .state import EDITOR_KEY, photo_request, session, tile_cache, tile_request

_HERE = Path(__file__).resolve().parent

_component = st.components.v2.component(
    "posture_landmark_editor",
    html=(_HERE / "editor.html").read_text(encoding="utf-8"),
    css=(_HERE / "editor.css").read_text(encoding="utf-8"),
    # one ES module: the editor (state, input, panel), then its drawing and its full-resolution tiles
    js="\n".join((_HERE / name).read_text(encoding="utf-8") for name in ("editor.js", "editor_draw.js", "editor_tiles.js")),
)


def _targets(ids: tuple[str, ...]) -> list[dict[str, str]]:
    return [{"id": i, "label": MARK_GUIDE[i][0], "hint": MARK_GUIDE[i][1], "short": MARK_GUIDE[i][0]} for i in ids]


def editor_data(vs: ViewState) -> dict[str, Any]:
    """Everything the editor needs for ``vs`` (JSON-serialisable). The photo (its display JPEG) is not in it:
    :func:`landmark_editor` adds it when the page does not have it yet."""
    photo = vs.photo
    assert photo is not None
    frame = build_frame(vs.doc)
    fig = body_figures.figure_points(frame)
    groups = {i: g.title for g in landmarks.optional_groups(vs.view) for i in g.ids}
    lms = [
        {
            "id": lm.id,
            "label": lm.label,
            "hint": lm.hint,
            "side": lm.side or "m",
            "short": lm.short,
            "fig": fig[lm.id],
            # optional landmarks (the side views' spinal points) come last; the view is complete without them
            "optional": lm.id in groups,
            "group": groups.get(lm.id),
        }
        for lm in landmarks.view_landmarks(vs.view)
    ]
    scale_targets = {"plumb": [], "marks": _targets(SCALE_MARKS), "height": _targets(HEIGHT_MARKS), "none": []}[vs.scale_mode]
    # the plumb marks give the vertical and (scale "plumb") the scale: one step, two clicks
    vertical_targets = _targets(VERTICAL_MARKS) if vs.vertical_mode == "line" or vs.scale_mode == "plumb" else []
    active = {t["id"] for t in vertical_targets + scale_targets}
    hidden = [i for i in MARK_IDS if i not in active]
    pinned = vs.doc.calibration.plumb_anchor
    return {
        "doc": vs.doc_id,
        "ack": {"nonce": vs.applied[0], "seq": vs.applied[1]} if vs.applied else None,
        "image_id": photo.digest,
        # display-copy px per original px: above it the editor asks for full-resolution tiles (ui/tiles.py)
        "display_scale": photo.display_scale,
        "width": photo.width,
        "height": photo.height,
        "view": vs.view,
        "view_label": vs.label,
        "facing": vs.doc.effective_facing,
        # the frame's signs along the corrected +X: r = client's right (frontal views), f = anterior (lateral); 0 elsewhere
        "frame": {"r": frame.r, "f": frame.f},
        "landmarks": lms,
        "vertical": vertical_targets,
        "vertical_mode": vs.vertical_mode,
        "scale": scale_targets,
        "scale_mode": vs.scale_mode,
        "scale_text": f"{vs.height_cm:g} cm tall" if vs.scale_mode == "height" else f"{vs.distance_cm:g} cm",
        "points": vs.editor_points(),
        "hidden": hidden,
        "pairs": [list(p) for p in landmarks.bilateral_pairs(vs.view)],
        "chains": [list(chain) for chain in landmarks.JOINT_CHAINS[vs.view].values()],
        "plumb": {"ids": list(PLUMB_LANDMARKS[vs.view]), "pinned": list(pinned) if pinned else None},
        "figure": body_figures.figure_svg(frame),
        "figure_viewbox": body_figures.VIEWBOX,
        **suggestion_data(vs),
    }


def suggestion_data(vs: ViewState) -> dict[str, Any]:
    """Detection's part of the editor's data (spec §10), in original pixels.

    ``suggestions``: every suggestion made for this photo, ``{id: {"x", "y", "from", "confidence"}}`` (the
    browser hides those whose landmark is placed, so undoing a placement shows its suggestion again);
    ``markers``: every adhesive-marker centre found, for the unlabelled rings and for snapping a click
    onto a marker's centre; ``plumb_marks``: the plumb line's marks found.
    """
    record = vs.detection_record()
    return {
        "suggestions": {
            i: {"x": s.x, "y": s.y, "from": s.origin, "confidence": round(s.confidence, 3)} for i, s in vs.suggested.items()
        },
        "markers": record["markers"],
        "plumb_marks": record["plumb_marks"],
        "scale_on_plumb": vs.scale_mode == "plumb",
    }


def landmark_editor(vs: ViewState) -> None:
    """Show the editor for ``vs``; its edits reach ``vs`` through :func:`ui.state.sync_editor` on the next run.

    The editor's ``"tile"`` state asks for a full-resolution crop of the photo; the answer goes out with the data.
    """
    data = editor_data(vs)
    assert vs.photo is not None
    data["tile"] = tiles.answer(tile_request(), vs.photo, tile_cache())
    s = session()
    # the display copy goes once per photo; the page keeps it (and asks again if it lost it)
    data["image"] = vs.photo.data_url if s.photo_wanted(vs.photo.digest, photo_request()) else None
    data["reveal"] = s.take_reveal()  # a new photo or view: the editor scrolls itself into view
    s.edits += 1
    data["follow"] = s.edits  # the outcome part reruns by itself when it shows an older count (ui/follow.py)
    _component(
        data=data,
        key=EDITOR_KEY,
        default={"edit": None, "tile": None, "photo": None},
        on_edit_change=_noop,
        on_tile_change=_noop,
        on_photo_change=_noop,
        height="content",
    )


def _noop() -> None:
    """The component's change callback: the snapshot is applied at the top of the next run (``sync_editor``)."""
