"""How far each view is, and the one-click fixes for a view whose facing (or slot) is wrong.

:func:`progress` says, per view, whether it has its photo, its calibration
and how many of its landmarks are placed (``n/N``): the view picker, the
assessment menu and the save step show it, and the save step lists the views
that are not complete. :func:`facing_fix_ui` is drawn where the facing is
chosen: when the landmarks contradict the facing (the view is then not graded,
see :attr:`posture.frame.Frame.grading_withheld`) it offers to flip the facing
or to move the photo to the other lateral slot.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import streamlit as st

from posture import landmarks
from posture.document import DETECTION_KEY
from posture.frame import shows_side

from . import detection, state
from .model import Assessment, ViewState


@dataclass(frozen=True)
class Progress:
    """One view's state: ``photo``; ``vertical`` and ``scale`` taken (or explicitly done without); landmarks ``placed``/``total``."""

    photo: bool
    vertical: bool
    scale: bool
    placed: int
    total: int

    @property
    def calibrated(self) -> bool:
        return self.vertical and self.scale

    @property
    def complete(self) -> bool:
        return self.photo and self.calibrated and self.placed >= self.total

    @property
    def missing(self) -> list[str]:
        """What the view still needs, in words (empty when complete)."""
        if not self.photo:
            return ["photo"]
        out = []
        if not self.calibrated:
            out.append("calibration")
        if self.placed < self.total:
            out.append(f"landmarks {self.placed}/{self.total}")
        return out


def progress(vs: ViewState) -> Progress:
    """The progress of ``vs``: calibration counts as done when taken, or when the therapist chose to go without it
    ("Photo is level" for the vertical, "None" for the scale)."""
    cal = vs.doc.calibration
    return Progress(
        photo=vs.photo is not None,
        vertical=cal.vertical is not None or vs.vertical_mode == "level",
        scale=cal.scale is not None or vs.scale_mode == "none",
        placed=vs.required_placed,
        total=vs.total_count,
    )


def status_text(vs: ViewState) -> str:
    """``"photo ✓ · calibration ✓ · landmarks 12/20"`` (``"no photo"`` before one is added)."""
    p = progress(vs)
    if not p.photo:
        return "no photo"
    cal = "calibration ✓" if p.calibrated else "calibration –"
    return f"photo ✓ · {cal} · landmarks {p.placed}/{p.total}"


def tab_label(vs: ViewState) -> str:
    """The view picker's label: the view's name, ``✓`` only when complete, else ``n/N`` once it has a photo."""
    p = progress(vs)
    name = landmarks.VIEW_LABELS[vs.view]
    if p.complete:
        return f"{name} ✓"
    if p.photo:
        return f"{name} · {p.placed}/{p.total}" + ("" if p.calibrated else " · cal.")
    return name


def incomplete_views(a: Assessment) -> list[str]:
    """``"Posterior (back): calibration, landmarks 12/20"`` for every view with a photo that is not complete."""
    return [f"{vs.label}: {', '.join(progress(vs).missing)}" for vs in a.views_with_photos() if not progress(vs).complete]


def incomplete_sentence(a: Assessment) -> str | None:
    """One sentence naming the incomplete views (``None`` when every view with a photo is complete)."""
    items = incomplete_views(a)
    if not items:
        return None
    return "Not complete: " + "; ".join(items) + "."


# --- wrong facing or slot ------------------------------------------------------------------

_OTHER_LATERAL = {"right_lateral": "left_lateral", "left_lateral": "right_lateral"}


def move_lateral(a: Assessment, view: str) -> str:
    """Move the photo of lateral ``view`` (with its points) to the other lateral slot, which gets what it had.

    The moved view takes that slot's default facing; returns the slot moved to.
    """
    other = _OTHER_LATERAL[view]
    src, dst = a.views[view], a.views[other]
    src.view, dst.view = other, view
    src.doc = replace(src.doc, view=other, facing=landmarks.DEFAULT_FACING[other])
    dst.doc = replace(dst.doc, view=view)
    for vs in (src, dst):
        vs.rev += 1  # the editor and the widgets start afresh for the moved photos
        vs.applied = None
        vs.refresh()
    a.views[other], a.views[view] = src, dst
    a.stored_photos = {_OTHER_LATERAL.get(key, key): v for key, v in a.stored_photos.items()}
    a.current = other
    return other


def move_to_slot(a: Assessment, view: str, to: str) -> None:
    """Move the photo of ``view`` to the slot ``to`` (of another kind: a side photo out of a frontal slot).

    Each slot starts afresh with the other's photo (landmark ids differ between frontal and lateral views, so no
    point can follow); the page runs detection on them again.
    """
    src, dst = a.views[view], a.views[to]
    moved, back = ViewState(to, rev=dst.rev + 1), ViewState(view, rev=src.rev + 1)
    for vs, photo in ((moved, src.photo), (back, dst.photo)):
        if photo is not None:
            vs.set_photo(photo)
            vs.distance_cm = a.mark_distance_cm()
            vs.refresh()
    a.views[to], a.views[view] = moved, back
    swap = {view: to, to: view}
    a.stored_photos = {swap.get(key, key): v for key, v in a.stored_photos.items()}
    a.current = to


def _not_a_side_photo(vs: ViewState) -> None:
    """The therapist says the photo is frontal: forget detection's "side" (the view is graded again)."""
    extra = dict(vs.doc.extra)
    record = dict(extra.get(DETECTION_KEY) or {})
    record.pop("shows", None)
    record.pop("side_facing", None)
    extra[DETECTION_KEY] = record
    vs.doc = replace(vs.doc, extra=extra)
    vs.refresh()


def side_photo_fix_ui(a: Assessment, vs: ViewState, k: str) -> None:
    """A frontal view whose photo detection saw from the side: say so; move it to a lateral slot in one click."""
    if vs.view not in landmarks.FRONTAL_VIEWS or not shows_side(vs.doc):
        return
    record = vs.doc.extra.get(DETECTION_KEY) or {}
    facing = record.get("side_facing")
    targets = [f"{facing}_lateral"] if facing in ("left", "right") else list(_OTHER_LATERAL)
    kind = "front" if vs.view == "anterior" else "back"
    st.warning(
        f"This photo looks like a side view, not the {vs.label.lower()} view: check the facing and the slot. "
        f"Its values are not graded until it is moved to a lateral slot, or you confirm it is a {kind} photo."
    )
    cols = st.columns(len(targets) + 1)
    for col, to in zip(cols, targets, strict=False):
        label = landmarks.VIEW_LABELS[to].split(" (")[0].lower()
        if col.button(f"Move the photo to the {label} slot", key=f"move_side_{k}_{to}", width="stretch", type="primary"):
            move_to_slot(a, vs.view, to)
            for moved in (a.views[to], a.views[vs.view]):
                detection.detect_view(a, moved)  # the moved photos' calibration and suggestions for their new views
            s = state.session()
            s.pending_view = to
            s.reveal_editor()
            s.notify(f"Photo moved to the {landmarks.VIEW_LABELS[to]} view.")
            st.rerun()
    cols[-1].button(
        f"It is a {kind} photo",
        key=f"not_side_{k}",
        on_click=_not_a_side_photo,
        args=(vs,),
        width="stretch",
    )


def _flip(vs: ViewState, k: str, facing: str) -> None:
    vs.set_options(facing=facing)
    state.set_widget(state.facing_key(k), facing)


def facing_fix_ui(a: Assessment, vs: ViewState, k: str) -> None:
    """Lateral views whose landmarks say the client faces the other way: say so, and fix it in one click.

    ``k`` is the suffix of the view's calibration widget keys (its facing control is ``state.facing_key(k)``).
    """
    suggested = vs.suggested_facing()
    if vs.view not in _OTHER_LATERAL or suggested is None or suggested == vs.doc.effective_facing:
        return
    other = _OTHER_LATERAL[vs.view]
    wrong_slot = suggested == landmarks.DEFAULT_FACING[other]
    st.warning(
        f"The landmarks suggest the client faces {suggested} (eye ahead of the tragus, ASIS ahead of the PSIS), but "
        f"this view is set to face {vs.doc.effective_facing}: check the facing. Its values are not graded until it is fixed."
        + (f" If this is a photo of the client's {other.split('_')[0]} side, move it to that slot." if wrong_slot else "")
    )
    cols = st.columns(2 if wrong_slot else 1)
    cols[0].button(
        f"Flip the facing (faces {suggested})",
        key=f"use_facing_{k}",
        on_click=_flip,
        args=(vs, k, suggested),
        width="stretch",
        icon=":material/swap_horiz:",
    )
    if wrong_slot:
        label = landmarks.VIEW_LABELS[other].split(" (")[0].lower()
        if cols[1].button(f"Move the photo to the {label} slot", key=f"move_lateral_{k}", width="stretch"):
            to = move_lateral(a, vs.view)
            s = state.session()
            s.pending_view = to
            s.notify(f"Photo moved to the {landmarks.VIEW_LABELS[to]} view.")
            st.rerun()
