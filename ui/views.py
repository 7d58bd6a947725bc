"""Small ``*_ui()`` functions, one per step of the therapist's workflow.

Each draws its widgets, writes what the therapist chose into the
:class:`~ui.model.Assessment` and returns plain values; none holds state of
its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from html import escape
from pathlib import Path

import pandas as pd
import streamlit as st

from posture import frame, images, landmarks, precautions, render
from posture.detect.base import DEFAULT_MARK_DISTANCE_CM
from posture.errors import SettingsError
from posture.findings import borderline_advice
from posture.formatting import format_number, placement_error
from posture.result import Result, warnings_except
from posture.settings import (
    Settings,
    default_settings,
    default_settings_path,
    hex_color,
    practice_from_dict,
    save_settings,
)

from . import capture_guide, client_file, detection, settings_store, state, view_checks
from . import format as fmt
from .editor import landmark_editor
from .model import Assessment, Photo, ViewState

# --- 0 · header and the assessment menu --------------------------------------------------


_PAGE_CSS = """
<style>
[data-testid="stMainBlockContainer"]{padding-top:4.4rem;padding-bottom:3rem}
h1{padding-top:0 !important;font-size:2.1rem !important}
/* focus mode (issue 11): the editor's row of columns stacks, so the editor gets the page's width and the results
   follow below it: always in a window narrower than 1200 px (a tablet), and when the therapist turns it on */
@media (max-width: 1199px){
[data-testid="stHorizontalBlock"]:has(.st-key-pe-editor){flex-wrap:wrap !important}
[data-testid="stHorizontalBlock"]:has(.st-key-pe-editor)>[data-testid="stColumn"]{flex:1 1 100% !important;width:100% !important;min-width:100% !important}
}
.st-key-pe-focus [data-testid="stHorizontalBlock"]:has(.st-key-pe-editor){flex-wrap:wrap !important}
.st-key-pe-focus [data-testid="stHorizontalBlock"]:has(.st-key-pe-editor)>[data-testid="stColumn"]{flex:1 1 100% !important;width:100% !important;min-width:100% !important}
</style>
"""


def header_ui() -> None:
    """The title and what the app does; the page starts below the top navigation bar (60 px), never under it."""
    st.html(_PAGE_CSS)
    st.title("Posture", anchor=False)
    st.caption(
        "Postural assessment from photos: choose a view, add the client's photo, calibrate, click the landmarks, "
        "and the postural distortion is measured as you go. Photos and results stay on this computer."
    )


def _status(vs: ViewState) -> str:
    return view_checks.status_text(vs)


def assessment_menu_ui(a: Assessment) -> None:
    """The client's name and the whole-assessment actions (sample client, start again)."""
    with st.popover("Assessment", icon=":material/folder_open:", width="stretch"):
        if a.link is not None:
            st.markdown(f"Client: **{a.link.client_name}** (from their client file)")
        else:
            a.client = st.text_input("Client (name or reference, for the report)", value=a.client, key="client_name")
        st.markdown("\n".join(f"- **{vs.label}**: {_status(vs)}" for vs in a.views.values()))
        if a.unsaved:
            st.caption("This assessment has work that is not saved in a client file: the actions below discard it.")
        if _confirmed_button(
            a, "Load the sample client", "sample_menu", "Four demo photos of an invented client, already landmarked."
        ):
            load_sample(a)
        if _confirmed_button(a, "Start a new assessment", "new_assessment", "Forget every photo and landmark of this session."):
            state.new_assessment()
            st.rerun()


def _confirmed_button(a: Assessment, label: str, key: str, help: str) -> bool:
    """A button that asks once more before it discards unsaved work; True when the action should go ahead."""
    if st.button(label, key=key, help=help):
        if not a.unsaved:
            return True
        state.session().confirm_action = key
    if state.session().confirm_action == key:
        st.warning("Unsaved work will be lost.")
        if st.button("Yes, discard it", key=f"{key}_confirm", type="primary"):
            state.session().confirm_action = None
            return True
    return False


def load_sample(a: Assessment) -> None:
    loaded = a.load_sample()
    if not loaded:
        st.error("The sample photos are missing (sample_images/ in the app folder).")
        return
    if a.current not in loaded:
        a.current = loaded[0]
    show_view(a.current, f"Sample client loaded: {len(loaded)} views. Switch views above to see each one.")


def show_view(view: str, message: str | None = None) -> None:
    """Switch the view picker to ``view`` on a fresh run (a widget cannot change once drawn)."""
    s = state.session()
    s.pending_view = view
    s.reveal_editor()
    if message:
        s.notify(message)
    st.rerun()


def flash_ui() -> None:
    """A one-off notice left by the previous run."""
    message = state.session().take_flash()
    if message:
        st.toast(message)


# --- 1 · view ---------------------------------------------------------------------------


def view_picker_ui(a: Assessment) -> ViewState:
    """The four views as one control; switching keeps every view's work."""
    pending = state.session().take_pending_view()
    if pending or not state.widget_is_set(state.VIEW_PICKER_KEY):
        state.set_widget(state.VIEW_PICKER_KEY, pending or a.current)

    def label(view: str) -> str:
        return view_checks.tab_label(a.views[view])

    left, right = st.columns([5, 1], vertical_alignment="bottom")
    a.current = left.segmented_control(
        "1 · Which view?",
        landmarks.VIEWS,
        required=True,
        format_func=label,
        key=state.VIEW_PICKER_KEY,
        help="Each view keeps its own photo, calibration and landmarks.",
    )
    with right:
        assessment_menu_ui(a)
    return a.view


# --- 2 · photo --------------------------------------------------------------------------


def photo_ui(a: Assessment, vs: ViewState) -> None:
    """The view's photo: a big uploader while there is none, else its name and a small "Replace" menu."""
    what = {
        "anterior": "the client's front",
        "posterior": "the client's back",
        "right_lateral": "the client's right side",
        "left_lateral": "the client's left side",
    }[vs.view]
    upload_help = (
        "JPEG, PNG, WebP, TIFF or HEIC (iPhone), as taken: the phone's rotation is applied. "
        "A view document (.json) saved by this app can be uploaded here too."
    )
    if vs.photo is None:
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        with c1:
            uploaded = st.file_uploader(f"2 · Photo of {what}", key=f"upload_{vs.view}", help=upload_help)
        with c2:
            if not a.views_with_photos():
                st.info("New here? Load the sample client to see a finished assessment.")
                if st.button("Load the sample client", key="sample_main", type="primary"):
                    load_sample(a)
    else:
        p = vs.photo
        c1, c2 = st.columns([4, 1], vertical_alignment="center")
        c1.markdown(
            f"**2 · Photo:** {p.name} · {p.width} × {p.height} px "
            f"<small style='color:#6b7380'>(the browser gets a {p.display.shape[1]} px wide copy; points are kept in "
            f"{pixels_words(p)})</small>",
            unsafe_allow_html=True,
        )
        with c2.popover("Replace…", width="stretch"):
            uploaded = st.file_uploader(
                f"A new photo of {what}, or a saved view document", key=f"upload_{vs.view}", help=upload_help
            )
            st.caption("A new photo starts this view afresh (its landmarks are cleared).")
    capture_guide.capture_guide_ui()
    if uploaded is not None:
        outcome = state.session().upload_outcomes
        if uploaded.file_id not in outcome:
            outcome[uploaded.file_id] = a.ingest(vs.view, uploaded.name, uploaded.getvalue())
            if a.current != vs.view:  # a view document for another view
                show_view(a.current, f"{uploaded.name} loaded into the {a.view.label} view.")
            elif outcome[uploaded.file_id] is None:
                found = detection.detect_view(a, vs)  # once per photo: calibration and suggestions
                if found:
                    state.session().notify(found)
                state.session().reveal_editor()
                st.rerun()  # redraw the page for the new photo
        error = outcome[uploaded.file_id]
        if error:
            st.error(error)


def pixels_words(p: Photo) -> str:
    """Whose pixels the points are kept in: the photo's, or those of an upload reduced to
    posture.images.WORKING_PIXELS (a 48 MP photo is worked on at 12.5 MP)."""
    if p.original_size is None:
        return "the original's pixels"
    mp = p.original_size[0] * p.original_size[1] / 1e6
    return f"the pixels of this copy: the {mp:.0f} MP upload is worked on at {p.width * p.height / 1e6:.1f} MP"


def empty_view_ui(vs: ViewState) -> None:
    st.info(
        f"Add a photo of the {vs.label.lower()} view above. Stand the client in front of a plain wall next to a plumb "
        "line, camera at hip height and level, the whole body in the frame."
    )


# --- 3 · calibration --------------------------------------------------------------------

_VERTICAL_LABELS = {"line": "Plumb line", "level": "Photo is level"}
_SCALE_LABELS = {"plumb": "Plumb marks", "marks": "Other marks", "height": "Height", "none": "None"}
_FACING_LABELS = {"right": "Faces right →", "left": "← Faces left"}


def calibration_ui(vs: ViewState) -> None:
    """How the true vertical and the scale are taken (the clicks themselves happen in the editor)."""
    k = f"{vs.view}_{vs.rev}"
    lateral = vs.view in landmarks.LATERAL_VIEWS
    cols = st.columns([1.0, 1.75, 0.75, 1.1] if lateral else [1.0, 1.75, 0.75], vertical_alignment="bottom")
    vertical = cols[0].segmented_control(
        "3 · True vertical",
        list(_VERTICAL_LABELS),
        default=vs.vertical_mode,
        required=True,
        format_func=_VERTICAL_LABELS.get,
        key=f"vmode_{k}",
        help="Plumb line: click two points on the plumb line (or any truly vertical edge) in the photo, tab "
        "“Plumb line”; this corrects a tilted camera. Choose “Photo is level” only when the camera was levelled.",
    )
    scale = cols[1].segmented_control(
        "Scale",
        list(_SCALE_LABELS),
        default=vs.scale_mode,
        required=True,
        format_func=_SCALE_LABELS.get,
        key=f"smode_{k}",
        help="Plumb marks: the two marks on the plumb line (clicked for the true vertical) give the scale too, one step. "
        "Other marks: click two marks a known distance apart. Height: click the top of the head and the floor under "
        "the heels. Without a scale, distances stay in pixels and are not graded.",
    )
    distance = height = None
    with cols[2]:
        if scale in ("plumb", "marks"):
            distance = st.number_input("Marks apart (cm)", 0.1, 1000.0, vs.distance_cm, 1.0, key=f"dist_{k}")
        elif scale == "height":
            height = st.number_input("Client's height (cm)", 30.0, 260.0, _height_start(vs), 0.5, key=f"height_{k}")
        else:
            st.caption("Distances in pixels, not graded.")
    facing = None
    if lateral:
        with cols[3]:
            facing = _facing_ui(vs, k)
    vs.set_options(vertical_mode=vertical, scale_mode=scale, distance_cm=distance, height_cm=height, facing=facing)
    _facing_hint(vs, k)
    if vs.problem:
        st.warning(vs.problem)


def _height_start(vs: ViewState) -> float:
    """Where the height input starts: the view's own height once it is calibrated by height, else the linked
    client's recorded height, else the view's default (170 cm)."""
    link = state.get().link
    if vs.scale_mode != "height" and link is not None and link.height_cm is not None:
        return float(link.height_cm)
    return vs.height_cm


def _facing_ui(vs: ViewState, k: str) -> str:
    return st.segmented_control(
        "The client faces",
        list(_FACING_LABELS),
        default=vs.doc.effective_facing or "right",
        required=True,
        format_func=_FACING_LABELS.get,
        key=state.facing_key(k),
        help="Which way the client's nose points in the photo: it decides what is anterior.",
    )


def _facing_hint(vs: ViewState, k: str) -> None:
    """Say when the landmarks disagree with the facing chosen (lateral views) or the photo is a side view in a
    frontal slot, with one-click fixes (flip, move)."""
    view_checks.facing_fix_ui(state.get(), vs, k)
    view_checks.side_photo_fix_ui(state.get(), vs, k)


# --- 4 · landmarks ----------------------------------------------------------------------


def suggestions_ui(vs: ViewState) -> None:
    """Detection's warnings (one sentence each) and the banner of waiting suggestions, with "Accept all"."""
    for w in vs.detection_record()["warnings"]:
        st.warning(w, icon=":material/visibility:")
    counts = vs.waiting_counts()
    if not counts["marker"] + counts["pose"]:
        return
    c1, c2, c3 = st.columns([3.2, 1.1, 0.8], vertical_alignment="center")
    # the buttons first (their columns are drawn in any order), so the banner counts what is left after them
    if c2.button(
        f"Accept all markers ({counts['marker']})",
        key=f"accept_markers_{vs.view}",
        type="primary",
        disabled=not counts["marker"],
        width="stretch",
        help="Every landmark a marker was found for becomes a landmark (source: auto). Undo in the photo takes it back.",
    ):
        vs.accept(origin="marker")
    if c3.button("Accept all", key=f"accept_all_{vs.view}", width="stretch", help="The markers' and the pose model's."):
        vs.accept()
    counts = vs.waiting_counts()
    total = counts["marker"] + counts["pose"]
    if total:
        parts = [f"{n} from {'markers' if o == 'marker' else 'the pose model'}" for o, n in counts.items() if n]
        noun = "suggestion" if total == 1 else "suggestions"
        hint = "review them or Accept all markers" if counts["marker"] else "review them (Enter accepts, a drag corrects)"
        c1.info(f"{total} {noun} waiting: {', '.join(parts)} — {hint}. Suggestions are not measured until accepted.")
    else:
        c1.success("Every suggestion is accepted. Drag any point to correct it.")


def next_view_ui(a: Assessment, vs: ViewState) -> None:
    """When every landmark of the view is placed, offer the next view that still needs work."""
    if vs.required_placed < vs.total_count:
        return
    order = list(landmarks.VIEWS)
    rest = order[order.index(vs.view) + 1 :] + order[: order.index(vs.view)]
    todo = [v for v in rest if a.views[v].required_placed < a.views[v].total_count]
    if not todo:
        st.success(f"The {vs.label.lower()} view is complete, and so is every other view.")
        return
    nxt = a.views[todo[0]]
    c1, c2 = st.columns([3, 1.2], vertical_alignment="center")
    c1.success(f"The {vs.label.lower()} view is complete: every landmark is placed.")
    if c2.button(f"Next view: {nxt.label} →", key=f"next_view_{vs.view}", type="primary", width="stretch"):
        show_view(nxt.view)


def focus_ui() -> str:
    """The focus-mode switch; returns the key of the container the editor's row goes in (its CSS is in the page's)."""
    on = st.toggle(
        "Focus mode: the photo gets the full width",
        key=state.FOCUS_KEY,
        help="The results move below the photo. A window narrower than 1200 px (a tablet) is always laid out so.",
    )
    return "pe-focus" if on else "pe-work"


def editor_ui(vs: ViewState) -> None:
    st.markdown(
        "**4 · Place the landmarks**: click the photo where the landmark named on the right is; the next one is then "
        "asked for. Hollow points are suggestions: Enter accepts the one asked for, a drag corrects it. Drag a point "
        "to move it; wheel to zoom; arrow keys to nudge."
    )
    with st.container(key="pe-editor"):  # the page's focus-mode CSS finds the editor's row by this key
        landmark_editor(vs)


# --- 5 · results ------------------------------------------------------------------------


def _warnings(vs: ViewState, result: Result) -> list[str]:
    if vs.vertical_mode == "level":  # the therapist said the photo is level: no need to warn that it is trusted
        return warnings_except(result, frame.NO_VERTICAL)
    return list(result["warnings"])


def measurements_ui(vs: ViewState, result: Result) -> None:
    st.subheader(f"5 · Results: {vs.label}", anchor=False)
    for w in _warnings(vs, result):
        st.warning(w)
    facts = []
    if result["vertical_source"] == "line":
        facts.append(f"camera roll corrected by {format_number(result['vertical_roll_deg'], 'deg', digits=2, sign=True)}")
    elif vs.vertical_mode == "level":
        facts.append("photo taken as level")
    if result["cm_per_px"]:
        facts.append(f"scale {result['cm_per_px'] * 10:.3f} mm/px")
    facts.append(f"placement error σ = {placement_error(result)}")
    if result.get("facing"):
        facts.append(f"client faces {result['facing']}")
    st.caption(" · ".join(facts))
    st.html(fmt.measurement_table_html(result, placed=vs.placed_count))
    advice = borderline_advice(result)
    if advice:
        st.info(advice, icon=":material/touch_app:")


def findings_ui(vs: ViewState, result: Result) -> None:
    """The view's observations (its findings grouped by postural pattern), most important first."""
    st.markdown("#### Observations, most important first")
    observations = result.get("observations", [])
    if not observations:
        if result["measurements"]:
            st.success("No graded deviation beyond the normal bands in this view.")
        else:
            st.caption("Observations appear here as soon as there is something to measure.")
    else:
        st.caption(fmt.observations_count(observations, len(result["findings"])))
    for i, o in enumerate(observations, 1):
        st.html(fmt.observation_html(i, o, result))
        with st.expander("What to consider", expanded=i == 1):
            st.markdown("\n".join(f"- {c}" for c in o["consider"]))
        if o["referral"]:
            st.warning(o["referral"], icon="⚕️")
    st.caption("Observations to consider assessing, not a diagnosis.")


def cautioned_plan(a: Assessment, result: Result) -> precautions.CautionedPlan:
    """The view's planning starter with the cautions of the linked client's precautions (none when unlinked)."""
    link = a.link
    keys, other = (link.precaution_keys, link.other_precaution) if link is not None else ((), "")
    return precautions.cautioned_plan(result["plan"], keys, other, table=a.settings.precautions)


_PLAN_CSS = """
<style>
.pm-plan{font-size:0.9rem;line-height:1.4}
.pm-plan ul{margin:0.2rem 0 0.6rem 1.1rem;padding:0}
.pm-plan .pm-caution{color:#a3260f;font-size:0.84rem;margin-top:2px}
.pm-plan .pm-general{border-left:3px solid #d0452a;background:#fff4f1;padding:6px 10px;margin-bottom:8px;color:#7a1d0b}
.pm-plan .pm-general div{margin:2px 0}
.pm-plan .pm-sources{font-size:0.74rem;color:#6b7380;margin-top:6px}
</style>
"""


def _plan_html(plan: precautions.CautionedPlan) -> str:
    """The starter as HTML: the general lines first (beside the plan), each item with its cautions under it."""
    parts = [_PLAN_CSS, '<div class="pm-plan">']
    if plan.general:
        lines = "".join(f'<div data-general="1">⚠ {escape(line)}</div>' for line in plan.general)
        parts.append(f'<div class="pm-general">{lines}</div>')
    for stage in plan.stages:
        parts.append(f'<div data-stage="{stage["stage"]}"><b>{stage["stage"]}. {escape(stage["title"])}</b><ul>')
        for item in stage["items"]:
            cautions = "".join(f'<div class="pm-caution">⚠ {escape(c)}</div>' for c in item["cautions"])
            parts.append(f'<li class="pm-item" data-cautions="{len(item["cautions"])}">{escape(item["text"])}{cautions}</li>')
        parts.append("</ul></div>")
    if plan.sources:
        parts.append('<div class="pm-sources">Cautions after: ' + " · ".join(escape(s) for s in plan.sources) + "</div>")
    parts.append("</div>")
    return "".join(parts)


def plan_ui(a: Assessment, result: Result) -> None:
    """The treatment-planning starter, every item the linked client's precautions touch marked under it."""
    if not result["plan"]:
        return
    plan = cautioned_plan(a, result)
    title = "Treatment-planning starter (NMT sequence)" + (
        ": ⚠ cautions for the client's precautions" if plan.any_caution else ""
    )
    with st.expander(title, expanded=plan.any_caution):
        st.html(_plan_html(plan))


def not_measured_ui(vs: ViewState, result: Result) -> None:
    nm = result["not_measured"]
    if not nm:
        return
    with st.expander(f"Not measured ({len(nm)})"):
        st.markdown("\n".join(f"- **{fmt.measurement_label(vs.view, mid)}**: {reason}" for mid, reason in nm.items()))


def preview_ui(a: Assessment, vs: ViewState, result: Result) -> None:
    """The annotated photo as it will be saved, drawn on the display copy (fast)."""
    assert vs.photo is not None
    img = render.render_annotated(
        vs.photo.display,
        vs.doc,
        result,
        display_scale=vs.photo.display_scale,
        caption=client_file.caption(a, vs, client_file.visit_day(a)),
    )
    st.image(images.encode_jpeg(img, 85), caption="Annotated photo (preview)", width="stretch")


# --- 6 · downloads ----------------------------------------------------------------------


def downloads_ui(a: Assessment, vs: ViewState, result: Result) -> None:
    st.subheader("6 · Save", anchor=False)
    assert vs.photo is not None
    day = client_file.visit_day(a)  # a reopened visit's outputs carry its date, not today's

    def annotated_jpeg() -> bytes:
        return images.encode_jpeg(client_file.annotated_full(a, vs, result, day), 92)

    c1, c2, c3, c4 = st.columns(4)
    with c1:
        st.download_button(
            "Annotated photo (JPEG)",
            annotated_jpeg,
            file_name=f"{vs.view}_annotated_{day.isoformat()}.jpg",
            mime="image/jpeg",
            on_click="ignore",
            key="dl_annotated",
            help="Full resolution, no EXIF or GPS data.",
            icon=":material/image:",
        )
    with c2:
        st.download_button(
            "View document (JSON)",
            vs.document_json(),
            file_name=f"{vs.view}_{day.isoformat()}.json",
            mime="application/json",
            on_click="ignore",
            key="dl_json",
            help="Landmarks and calibration of this view; upload it again later to continue.",
            icon=":material/data_object:",
        )
    with c3:
        st.download_button(
            "All views (ZIP)",
            a.documents_zip,
            file_name=f"posture_assessment_{day.isoformat()}.zip",
            mime="application/zip",
            on_click="ignore",
            key="dl_zip",
            help="Every view's document with a clean copy of its photo (no EXIF): a folder `python -m posture` reads.",
            icon=":material/folder_zip:",
        )
    notes = a.link.notes if a.link else ""
    problem = client_file.report_problem(a, notes)
    with c4:
        st.download_button(
            "PDF report",
            lambda: client_file.report_pdf(a, day, notes),
            disabled=problem is not None,
            file_name=client_file.pdf_name(a, day, "posture"),
            mime="application/pdf",
            on_click="ignore",
            key="dl_pdf",
            help=problem
            or "All views with photos: the overview, annotated images, measurements, findings and the planning starter.",
            icon=":material/picture_as_pdf:",
        )
        st.download_button(
            "Client handout (PDF)",
            lambda: client_file.handout_pdf(a, day),
            disabled=problem is not None,
            file_name=client_file.pdf_name(a, day, "handout"),
            mime="application/pdf",
            on_click="ignore",
            key="dl_handout",
            help=problem
            or "One or two pages in plain words for the client: what we saw, with the photos, and what we will work on.",
            icon=":material/description:",
        )
        if problem:
            st.caption(problem)


# --- settings ---------------------------------------------------------------------------


def settings_ui(a: Assessment) -> None:
    practice_settings_ui(a)
    capture_settings_ui(a)
    path = default_settings_path()
    with st.expander("Practice settings: grading bands"):
        problem = state.session().settings_problem
        if problem:
            st.error(problem)
        st.caption(
            f"Severity bands per measurement (in its unit). Saved to `{path}` (set POSTURE_SETTINGS to use another "
            "file); the command line reads the same file. Untick “graded” to show a measurement without a severity."
        )
        version = state.session().bands_version
        df = pd.DataFrame(settings_store.table_rows(a.settings))
        edited = st.data_editor(
            df,
            key=state.bands_editor_key(version),
            hide_index=True,
            width="stretch",
            disabled=["measurement", "id", "how graded"],
            column_config={
                "measurement": st.column_config.TextColumn("Measurement", width="medium"),
                "id": st.column_config.TextColumn("Id"),
                "graded": st.column_config.CheckboxColumn("Graded"),
                "mild": st.column_config.NumberColumn("Mild ≥", format="%.2f"),
                "moderate": st.column_config.NumberColumn("Moderate ≥", format="%.2f"),
                "marked": st.column_config.NumberColumn("Marked ≥", format="%.2f"),
                "source": st.column_config.TextColumn("Source", width="medium"),
                "how graded": st.column_config.TextColumn("How graded"),
            },
        )
        c1, c2 = st.columns(2)
        if c1.button("Save the bands", type="primary", key="save_bands") and _save_settings_ui(
            a, path, lambda: settings_store.settings_from_rows(edited.to_dict("records"), a.settings)
        ):
            state.session().settings_problem = None
            st.success(f"Saved. Every view is graded with these bands now ({path}).")
        if c2.button("Restore the defaults", key="reset_bands"):
            # the bands only: the capture settings (marker colour, plumb marks) and the practice's details are not bands
            a.settings = replace(
                default_settings(),
                marker_color=a.settings.marker_color,
                mark_distance_cm=a.settings.mark_distance_cm,
                practice=a.settings.practice,
            )
            state.session().bands_version = version + 1
            st.info("Default bands restored on screen; click “Save the bands” to keep them.")
            st.rerun()


def _save_settings_ui(a: Assessment, path: Path, build: Callable[[], Settings]) -> bool:
    """Build the practice's settings, save them to ``path`` and use them; one sentence on screen when that fails."""
    try:
        settings = build()
        save_settings(settings, path)
    except SettingsError as exc:
        st.error(str(exc))
        return False
    except OSError as exc:
        st.error(f"The settings could not be saved to {path}: {exc.strerror or exc}.")
        return False
    a.settings = settings
    return True


def capture_settings_ui(a: Assessment) -> None:
    """The practice's capture settings: the markers' colour and the plumb marks' distance (used by detection)."""
    path = default_settings_path()
    with st.expander("Practice settings: photos and detection"):
        st.caption(
            "How your photos are taken, so that detection reads them: the colour of the adhesive markers and the "
            f"distance between the plumb line's two marks. Saved to `{path}` with the bands."
        )
        s = a.settings
        c1, c2, c3 = st.columns([1.2, 1, 1.2], vertical_alignment="bottom")
        automatic = c1.toggle("Find the marker colour automatically", value=s.marker_color is None, key="capture_auto")
        color = c2.color_picker(
            "Marker colour", value=hex_color(s.marker_color) if s.marker_color else "#E0303A", disabled=automatic,
            key="capture_color",
        )  # fmt: skip
        distance = c3.number_input(
            "Plumb marks apart (cm)", 1.0, 500.0, float(s.mark_distance_cm or DEFAULT_MARK_DISTANCE_CM), 1.0,
            key="capture_distance", help="Also the default distance of a new view's plumb-line calibration.",
        )  # fmt: skip
        if st.button("Save the capture settings", key="save_capture") and _save_settings_ui(
            a,
            path,
            lambda: settings_store.with_capture(
                s, None if automatic else color, None if distance == DEFAULT_MARK_DISTANCE_CM else float(distance)
            ),
        ):
            st.success("Saved. New photos are read with these settings.")


def practice_settings_ui(a: Assessment) -> None:
    """The practice's details printed on the report and the client handout (practice, therapist, contact)."""
    path = default_settings_path()
    with st.expander("Practice settings: details on the report"):
        st.caption(f"Printed in the header and footer of the report and on the client handout. Saved to `{path}` with the bands.")
        p = a.settings.practice
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("Practice", value=p.name, max_chars=200, key="practice_name")
        therapist = c2.text_input("Therapist", value=p.therapist, max_chars=200, key="practice_therapist")
        contact = c3.text_input("Contact (phone, e-mail, address)", value=p.contact, max_chars=200, key="practice_contact")
        if st.button("Save the practice details", key="save_practice") and _save_settings_ui(
            a,
            path,
            lambda: replace(
                a.settings,
                practice=practice_from_dict({"name": name, "therapist": therapist, "contact": contact}, "The practice details"),
            ),
        ):
            st.success("Saved. The report and the handout carry these details now.")
