"""The assessment: choose a view → add its photo (or the sample client) → calibrate → place the landmarks →
live results → download, or save into the client's file."""

import streamlit as st

from ui import client_views, drafts, follow, state, views

assessment = state.get()
state.sync_editor(assessment)  # the landmark editor's latest clicks, before anything is drawn
views.flash_ui()
views.header_ui()
drafts.restore_offer_ui(assessment)  # after a reload, a crash or a restart: the unsaved work, to restore or discard
client_views.client_banner_ui(assessment)  # whose assessment, and their precautions

view = views.view_picker_ui(assessment)  # 1 · which view
views.photo_ui(assessment, view)  # 2 · its photo
if view.photo is None:
    views.empty_view_ui(view)
    views.settings_ui(assessment)
    drafts.autosave_ui(assessment)  # the draft and the unsaved-work guard, at the end of the run
    st.stop()


@st.fragment
def edit() -> None:
    """Steps 3–5. A click in the editor reruns only this part of the page, so the live results follow the mouse."""
    state.sync_editor(assessment)
    with st.container(key=views.focus_ui()):  # focus mode: the results go below the photo
        work, live = st.columns([3, 2], gap="medium")
        with work:
            views.calibration_ui(view)  # 3 · true vertical, scale, facing
            views.suggestions_ui(view)  # what detection found: warnings, suggestions waiting, "Accept all markers"
            views.editor_ui(view)  # 4 · landmarks (and calibration clicks) on the photo
            views.next_view_ui(assessment, view)  # the view is complete: on to the next one
        with live:
            views.measurements_ui(view, view.analyze(assessment.settings))  # 5 · live results
    drafts.autosave_ui(assessment, "edit")  # every change is in the draft before the run ends


@st.fragment
def outcome() -> None:
    """Findings, plan, preview and step 6. They follow each edit by themselves once its live results are shown
    (``ui/follow.py``), so a click never waits for them."""
    state.sync_editor(assessment)
    follow.follower(state.session().edits)
    result = view.analyze(assessment.settings)
    findings, preview = st.columns([3, 2], gap="medium")
    with findings:
        views.findings_ui(view, result)
        views.plan_ui(assessment, result)  # with the cautions of the client's precautions
        views.not_measured_ui(view, result)
    with preview:
        views.preview_ui(assessment, view, result)
    views.downloads_ui(assessment, view, result)  # 6 · save: downloads…
    client_views.save_to_file_ui(assessment, client_views.store_or_none())  # …and the client's file
    drafts.autosave_ui(assessment, "outcome")


edit()
outcome()
views.settings_ui(assessment)
