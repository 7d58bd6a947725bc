"""Client files in the app: the client list, a client's page, the banner and the save step of an assessment.

Small ``*_ui()`` functions in the style of :mod:`ui.views`. The logic that
moves an assessment in and out of the store is :mod:`ui.client_file`; the
store itself is :mod:`posture.store`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import streamlit as st

from posture import landmarks
from posture.errors import ConflictError, PostureError
from posture.store import (
    MAX_HEIGHT_CM,
    MIN_HEIGHT_CM,
    PRECAUTION_LABELS,
    SEX_LABELS,
    Client,
    ClientSummary,
    Precautions,
    RevisionSummary,
    Store,
    VisitSummary,
    age_years,
)

from . import client_file, drafts, state, view_checks
from .model import Assessment

PAGE_CLIENTS = "pages/clients.py"
PAGE_ASSESSMENT = "pages/assessment.py"
PAGE_COMPARE = "pages/compare.py"


def _day(d: date | None) -> str:
    return d.isoformat() if d else "–"


def precautions_ui(labels: list[str] | tuple[str, ...]) -> None:
    """The precautions, shown prominently (red) whenever there are any."""
    if labels:
        st.error("**Precautions:** " + " · ".join(labels), icon=":material/warning:")
    else:
        st.caption("No precautions recorded.")


# --- the client form (create and edit) --------------------------------------------------


def client_form_ui(key: str, client: Client | None = None) -> dict[str, Any] | None:
    """A form for a client record; the fields when submitted (``None`` otherwise)."""
    c = client
    with st.form(key, border=True):
        name = st.text_input("Name *", value=c.name if c else "", max_chars=200, key=f"{key}_name")
        col1, col2, col3 = st.columns(3)
        dob = col1.date_input(
            "Date of birth (optional)",
            value=c.date_of_birth if c else None,
            min_value=date(1900, 1, 1),
            max_value=date.today(),
            key=f"{key}_dob",
        )
        sexes = list(SEX_LABELS)
        sex = col2.selectbox(
            "Sex", sexes, index=sexes.index(c.sex) if c and c.sex in sexes else 0, format_func=SEX_LABELS.get, key=f"{key}_sex"
        )
        height = col3.number_input(
            "Height (cm, optional)",
            min_value=MIN_HEIGHT_CM,
            max_value=MAX_HEIGHT_CM,
            value=c.height_cm if c else None,
            step=0.5,
            key=f"{key}_height",
            help="A height calibration of this client's photos starts at it.",
        )
        contact = st.text_area("Contact (phone, e-mail, address)", value=c.contact if c else "", height=68, key=f"{key}_contact")
        st.markdown("**Precautions** (check all that apply)")
        checked = c.precautions.checked if c else frozenset()
        cols = st.columns(2)
        ticks = {}
        for i, (k, label) in enumerate(PRECAUTION_LABELS.items()):
            ticks[k] = cols[i % 2].checkbox(label, value=k in checked, key=f"{key}_pre_{k}")
        other = st.text_input("Other precaution (describe)", value=c.precautions.other_text if c else "", key=f"{key}_other")
        col1, col2 = st.columns(2)
        consent = col1.checkbox(
            "Consents to being photographed", value=c.consent_photography if c else False, key=f"{key}_consent"
        )
        consent_date = col2.date_input(
            "Date of consent",
            value=(c.consent_date if c and c.consent_date else date.today()),
            max_value=date.today(),
            key=f"{key}_consent_date",
        )
        notes = st.text_area("Notes", value=c.notes if c else "", height=90, key=f"{key}_notes")
        submitted = st.form_submit_button("Save client" if c else "Create client", type="primary", key=f"{key}_submit")
    if not submitted:
        return None
    return {
        "name": name.strip(),
        "date_of_birth": dob,
        "sex": sex,
        "height_cm": height,
        "contact": contact,
        "notes": notes,
        "precautions": Precautions(frozenset(k for k, v in ticks.items() if v), other),
        "consent_photography": consent,
        "consent_date": consent_date if consent else None,
    }


# --- the client list --------------------------------------------------------------------


def open_client(client_id: str | None) -> None:
    s = state.session()
    s.open_client = client_id
    s.record_form = None  # a record form opened afresh starts from the record as it is now


def _reload_record() -> None:
    """Forget what the record form was opened with, so it shows the record as saved now.

    The form's widgets get new keys (a widget keeps what the browser sent it under its old key).
    """
    rf = state.session().record_form
    if rf is not None:
        rf.base_revision, rf.conflict, rf.generation = None, None, rf.generation + 1


def client_list_ui(store: Store) -> None:
    st.title("Client files", anchor=False)
    st.caption(f"Kept on this computer in `{store.root}`. Photos are stored without GPS or other EXIF data.")
    search_col, new_col = st.columns([3, 1], vertical_alignment="bottom")
    # live: the list follows the typing after a 250 ms pause (Streamlit's own text input, no Enter needed)
    search = search_col.text_input(
        "Find a client",
        key="client_search",
        type="search",
        live=True,
        placeholder="name, e-mail or phone (accents, case and spacing don't matter)",
    )
    with new_col.popover("New client", icon=":material/person_add:", width="stretch"):
        fields = client_form_ui("new_client")
        if fields is not None:
            _create_client(store, fields)
        _duplicate_ui(store)  # below the form's button, where the therapist is looking
    shown = state.session().client_list_shown
    try:
        total = store.count_clients(search)
        rows = store.list_clients(search, limit=shown)
    except PostureError as exc:
        st.error(str(exc))
        return
    if not rows:
        st.info("No client matches." if search else "No clients yet: create the first one with “New client”.")
    for row in rows:
        with st.container(border=True):
            c1, c2, c3 = st.columns([4, 3, 1], vertical_alignment="center")
            flag = " ⚠️" if row.precautions.any else ""
            c1.markdown(f"**{_escape_md(row.name)}**{flag}")
            c2.caption(f"{row.visit_count} visit{'s' if row.visit_count != 1 else ''} · last {_day(row.last_visit_date)}")
            c3.button("Open", key=f"open_{row.id}", on_click=open_client, args=(row.id,), width="stretch")
            for p in row.problems:
                c1.warning(p)
    if total > len(rows):
        st.caption(f"Showing {len(rows)} of {total}.")
        if st.button("Show more", key="client_list_more"):
            state.session().client_list_shown = shown + state.LIST_PAGE
            st.rerun()
    import_ui(store)


def _create_client(store: Store, fields: dict[str, Any], *, checked: bool = False) -> None:
    """Create the client; a name already in the file (up to case, accents and word order) first asks (:func:`_duplicate_ui`)."""
    if not fields["name"]:
        st.error("A client needs a name (or a reference such as initials).")
        return
    session = state.session()
    try:
        if not checked and store.similar_clients(fields["name"]):
            session.new_client_pending = fields
            st.rerun()
        client = store.create_client(**fields)
    except PostureError as exc:
        st.error(str(exc))
        return
    session.new_client_pending = None
    open_client(client.id)
    state.session().notify(f"{client.name} added.")
    st.rerun()


def _born(row: Client | ClientSummary, today: date | None = None) -> str:
    """``"born 1980-03-14 · 46 years"`` (``"date of birth not recorded"`` without one)."""
    if row.date_of_birth is None:
        return "date of birth not recorded"
    years = age_years(row.date_of_birth, today or date.today())
    return f"born {row.date_of_birth.isoformat()} · {years} year{'s' if years != 1 else ''}"


def _duplicate_ui(store: Store) -> None:
    """A new client's name is already in the file: say whose, with their date of birth; create anyway or open theirs."""
    session = state.session()
    pending = session.new_client_pending
    if pending is None:
        return
    name = str(pending.get("name", ""))
    try:
        similar = store.similar_clients(name)
    except PostureError as exc:
        st.error(str(exc))
        return
    if not similar:  # erased meanwhile: nothing to ask
        session.new_client_pending = None
        _create_client(store, dict(pending), checked=True)
        return
    with st.container(border=True, key="duplicate_client"):
        whom = "; ".join(f"{_escape_md(r.name)} ({_born(r)})" for r in similar)
        st.warning(f"The file already holds a client named like “{_escape_md(name)}”: {whom}.", icon=":material/group:")
        for row in similar:
            st.button(
                f"Open {_escape_md(row.name)} ({_born(row)})", key=f"duplicate_open_{row.id}", on_click=_open_existing, args=(row.id,),
                icon=":material/folder_shared:", width="stretch",
            )  # fmt: skip
        if st.button("Create a new client anyway", key="duplicate_create", type="primary", width="stretch"):
            _create_client(store, dict(pending), checked=True)
        st.button("Cancel", key="duplicate_cancel", on_click=_open_existing, args=(None,), width="stretch")


def _open_existing(client_id: str | None) -> None:
    """Button callback: drop the new client waiting to be created, and open ``client_id`` (``None``: stay on the list)."""
    state.session().new_client_pending = None
    if client_id is not None:
        open_client(client_id)


def _escape_md(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>$~" else ch for ch in text)


def import_ui(store: Store) -> None:
    from posture import archive

    with st.expander("Import a client file (ZIP exported by Posture)"):
        up = st.file_uploader("Client archive", type=["zip"], key="import_zip")
        if up is not None:
            done = state.session().imports_done
            if up.file_id not in done:
                try:
                    with st.spinner("Importing…"):
                        outcome = archive.import_archive_bytes(store, up.getvalue(), up.name)
                    done[up.file_id] = (True, outcome)
                except PostureError as exc:
                    done[up.file_id] = (False, str(exc))
            ok, message = done[up.file_id]
            (st.success if ok else st.error)(str(message))


# --- one client's page ------------------------------------------------------------------


def client_page_ui(store: Store, a: Assessment, client_id: str) -> None:
    try:
        client = store.get_client(client_id)
        visits = store.list_visits(client_id)
    except PostureError as exc:
        st.error(str(exc))
        st.button("Back to the client list", on_click=open_client, args=(None,))
        return
    st.button("← All clients", key="back_to_list", on_click=open_client, args=(None,), type="tertiary")
    st.title(client.name, anchor=False)
    facts = [_born(client)]
    if client.sex:
        facts.append(SEX_LABELS.get(client.sex, client.sex).lower())
    if client.height_cm is not None:
        facts.append(f"{client.height_cm:g} cm")
    facts.append(
        f"consented to photography on {client.consent_date.isoformat()}"
        if client.consent_photography and client.consent_date
        else "no consent to photography recorded"
    )
    st.caption(" · ".join(facts))
    for p in client.problems:
        st.warning(p)
    precautions_ui(client.precautions.labels())
    _client_action_ui(store, a, client)
    if not client.consent_photography:
        st.warning("Record the client's consent to photography before taking posture photos (Edit the record).")

    c1, c2, c3 = st.columns(3)
    c1.button(
        "New assessment", type="primary", icon=":material/add_a_photo:", key="new_visit", width="stretch",
        on_click=_request, args=(client.id, "new"),
    )  # fmt: skip
    c2.download_button(
        "Export (ZIP)",
        lambda: _export_bytes(store, client.id),
        file_name=f"posture-client-{client.id[:8]}.zip",
        mime="application/zip",
        on_click="ignore",
        icon=":material/folder_zip:",
        key="export_client",
        width="stretch",
        help="A folder with the client record and, per visit, the view documents, photos, annotated images and report.",
    )
    with c3.popover("Erase client…", icon=":material/delete_forever:", width="stretch"):
        _erase_ui(store, a, client)

    session = state.session()
    rf = session.record_form
    if rf is None or rf.client_id != client.id:
        rf = session.record_form = state.RecordForm(client.id)
    if rf.base_revision is None:
        rf.base_revision = client.revision  # the revision the form is opened with, checked when it is saved
    form_key = f"edit_client_{client.id}_g{rf.generation}"
    with st.expander("Edit the record", expanded=rf.conflict is not None):
        if rf.conflict is not None:
            st.error(rf.conflict)
            st.button("Reload the record", key=f"{form_key}_reload", on_click=_reload_record)
        fields = client_form_ui(form_key, client)
        if fields is not None:
            if not fields["name"]:
                st.error("A client needs a name (or a reference such as initials).")
            else:
                try:
                    updated = store.update_client(client.id, base_revision=rf.base_revision, **fields)
                except ConflictError as exc:
                    rf.conflict = str(exc)  # shown above the form, which keeps what was typed
                    st.rerun()
                except PostureError as exc:
                    st.error(str(exc))
                else:
                    rf.base_revision, rf.conflict = updated.revision, None
                    client_file.refresh_client(a, updated)
                    session.notify("Record saved.")
                    st.rerun()
    if client.contact or client.notes:
        with st.expander("Contact and notes"):
            if client.contact:
                st.text(client.contact)
            if client.notes:
                st.text(client.notes)

    state.session().compare_client = client.id  # the compare page opens on this client
    head, link = st.columns([4, 1], vertical_alignment="bottom")
    head.subheader("Visits", anchor=False)
    if len(visits) >= 2:
        link.page_link(PAGE_COMPARE, label="Compare visits", icon=":material/compare:")
    if not visits:
        st.info("No visits yet: start a new assessment, then save it from its step 6.")
    for v in visits:
        with st.container(border=True):
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            names = ", ".join(landmarks.VIEW_LABELS[x] for x in v.views) or "no views"
            rev = f" · revision {v.revision_count}" if v.revision_count > 1 else ""
            c1.markdown(f"**{_day(v.visit_date)}** · {names}{rev}")
            if v.notes:
                c1.caption(v.notes[:300])
            for p in v.problems:
                c1.warning(p)
            c2.button("Open", key=f"open_visit_{v.id}", on_click=_request, args=(client.id, "open", v.id), width="stretch")
            if v.revision_count > 1:
                _revisions_ui(store, client, v)


def _revisions_ui(store: Store, client: Client, v: VisitSummary) -> None:
    """Every saved revision of a visit, newest first, each with its time and notes and a button to open it."""
    try:
        revisions = store.list_revisions(v.id)
    except PostureError as exc:
        st.warning(str(exc))
        return
    with st.expander(f"All {len(revisions)} revisions of this visit"):
        for r in reversed(revisions):
            c1, c2 = st.columns([5, 1], vertical_alignment="center")
            latest = " (latest)" if r.number == v.revision_count else ""
            c1.markdown(f"**Revision {r.number}**{latest} · saved {_saved_when(r)} · visit date {_day(r.visit_date)}")
            if r.notes:
                c1.caption(r.notes[:300])
            c2.button(
                "Open", key=f"open_revision_{v.id}_{r.number}", on_click=_request,
                args=(client.id, "open", v.id, r.number), width="stretch",
            )  # fmt: skip


def _saved_when(r: RevisionSummary) -> str:
    try:
        return drafts.when_text(datetime.fromisoformat(r.saved_at))
    except (TypeError, ValueError):
        return "(time unreadable)"


def _client_action_ui(store: Store, a: Assessment, client: Client) -> None:
    """Carry out "new assessment" / "open visit" once any unsaved work has been dealt with."""
    s = state.session()
    action = s.client_action
    if action is None or action.client_id != client.id:
        return
    if not _confirm_discard_ui(a):
        return
    s.client_action = None
    if action.kind == "new":
        _start_assessment(a, client)
    elif action.visit_id is not None:
        _open_visit(store, client, action.visit_id, action.revision)


def _request(client_id: str, kind: str, visit_id: str | None = None, revision: int | None = None) -> None:
    """Button callback: start a new assessment (``"new"``) or open a visit (``"open"``, at ``revision``) on this run."""
    s = state.session()
    s.client_action = state.ClientAction(client_id, kind, visit_id, revision)
    s.discard_confirmed = False


def _confirm_discard_ui(a: Assessment) -> bool:
    """When another assessment with unsaved work is open, ask before replacing it; True when it may be replaced."""
    if not a.unsaved or state.session().discard_confirmed:
        return True
    whose = f" of {a.link.client_name}" if a.link else ""
    st.warning(f"The assessment{whose} that is open has changes that are not saved in a client file.")
    c1, c2 = st.columns(2)
    if c1.button("Discard them and go on", key="discard_go"):
        state.session().discard_confirmed = True
        st.rerun()
    c2.page_link(PAGE_ASSESSMENT, label="Back to it (save it first)", icon=":material/undo:")
    return False


def _start_assessment(a: Assessment, client: Client) -> None:
    state.session().discard_confirmed = False
    state.new_assessment()
    client_file.link_client(state.get(), client)
    state.session().notify(f"New assessment for {client.name}.")
    st.switch_page(PAGE_ASSESSMENT)


def _open_visit(store: Store, client: Client, visit_id: str, revision: int | None = None) -> None:
    try:
        visit = store.get_visit(visit_id, revision)
    except PostureError as exc:
        st.error(str(exc))
        return
    state.session().discard_confirmed = False
    state.new_assessment()
    fresh = state.get()
    with st.spinner("Opening the visit…"):
        problems = client_file.open_visit(fresh, store, client, visit)
    if visit.is_latest:
        msg = f"Visit of {_day(visit.visit_date)} opened: saving it again adds revision {visit.revision + 1}."
    else:
        msg = (
            f"Revision {visit.revision} of the visit of {_day(visit.visit_date)} opened (the latest is "
            f"{visit.revision_count}): saving it adds revision {visit.revision_count + 1}, the earlier ones stay."
        )
    s = state.session()
    s.notify(msg + (" " + " ".join(problems) if problems else ""))
    s.pending_view = fresh.current
    st.switch_page(PAGE_ASSESSMENT)


def _export_bytes(store: Store, client_id: str) -> bytes:
    from posture import archive

    return archive.export_client_bytes(store, client_id)


def _erase_ui(store: Store, a: Assessment, client: Client) -> None:
    st.markdown(
        f"This removes **{_escape_md(client.name)}**, every visit, photo, annotated image and report of theirs from this "
        "computer. It cannot be undone; export the file first if it must be kept."
    )
    typed = st.text_input("Type the client's name to confirm", key=f"erase_confirm_{client.id}")
    if st.button(
        "Erase everything of this client", type="primary", key=f"erase_{client.id}", disabled=typed.strip() != client.name
    ):
        try:
            complete = store.delete_client(client.id)
        except PostureError as exc:
            st.error(str(exc))
            return
        if a.link is not None and a.link.client_id == client.id:
            state.new_assessment()
        open_client(None)
        state.session().notify(
            f"{client.name} erased."
            if complete
            else f"{client.name} erased from the client file; another window is still reading it, so the last copies "
            "in the database's log are removed as soon as it stops (at the latest when Posture next starts)."
        )
        st.rerun()


# --- in the assessment ------------------------------------------------------------------


def client_banner_ui(a: Assessment) -> None:
    """Whose assessment this is, and their precautions, above everything else."""
    link = a.link
    if link is None:
        return
    of = f" of {link.latest_revision}" if link.latest_revision and link.latest_revision != link.revision else ""
    visit = f"visit of {_day(link.visit_date)}, revision {link.revision}{of}" if link.visit_id else "new visit, not saved yet"
    c1, c2 = st.columns([5, 1], vertical_alignment="center")
    c1.markdown(f"**Client:** {_escape_md(link.client_name)} · {visit}")
    if c2.button("Client file", key="goto_client", icon=":material/folder_shared:", width="stretch"):
        open_client(link.client_id)
        st.switch_page(PAGE_CLIENTS)
    precautions_ui(link.precautions)


def save_to_file_ui(a: Assessment, store: Store | None) -> None:
    """Step 6, continued: save the whole assessment (all views) into the client's file."""
    st.markdown("##### Client file")
    if store is None:
        st.caption("The client file is not available (see the message above); use the downloads instead.")
        return
    if a.link is None:
        _pick_client_ui(a, store)
        return
    link = a.link
    if not link.consent:
        st.warning(
            f"{link.client_name}'s consent to photography is not recorded, so their photos cannot be saved. "
            "Record it in their client file (Edit the record), then save."
        )
    with st.container(border=True, key="save_visit"):
        c1, c2 = st.columns([1, 3])
        default_day = (link.visit_date or date.today()).isoformat()
        typed = c1.text_input(
            "Visit date",
            value=default_day,
            max_chars=10,
            key=f"visit_date_{link.visit_id or 'new'}",
            placeholder="YYYY-MM-DD",
            help="The day the photos were taken (YYYY-MM-DD). The report, the captions and the file names carry it.",
        )
        parsed = client_file.parse_visit_date(typed)
        date_problem = parsed if isinstance(parsed, str) else None
        notes = c2.text_input(
            "Therapist's notes for this visit", value=link.notes, max_chars=5000, key=f"visit_notes_{link.visit_id or 'new'}"
        )
        client_file.set_visit_fields(a, visit_date=parsed if isinstance(parsed, date) else None, notes=notes)
        if date_problem:
            st.error(date_problem)
        incomplete = view_checks.incomplete_sentence(a)
        if incomplete:
            st.caption(incomplete + " You can save it as it is and complete it later.")
        label = "Save changes as a new revision" if link.visit_id else f"Save to {link.client_name}'s file"
        if link.visit_id and link.latest_revision and link.revision != link.latest_revision:
            st.caption(
                f"This is revision {link.revision} of {link.latest_revision}: saving it makes it the newest "
                f"(revision {link.latest_revision + 1}); the others stay."
            )
        elif link.visit_id and not (a.unsaved or a.link.changed):
            st.caption("No changes since this visit was saved.")
        clicked = st.button(
            label,
            type="primary",
            icon=":material/save:",
            key="save_visit_submit",
            disabled=not link.consent or date_problem is not None,
            help=date_problem,
        )
    if clicked and isinstance(parsed, date):
        _save(a, store, parsed, notes)


def _save(a: Assessment, store: Store, day: date, notes: str) -> None:
    incomplete = view_checks.incomplete_sentence(a)
    before = a.link
    try:
        with st.status("Saving to the client file…", expanded=False) as status:
            status.update(label="Rendering the annotated photos and the report…")
            visit, warning = client_file.save(a, store, day, notes)
            status.update(label="Saved.", state="complete")
    except PostureError as exc:
        st.error(str(exc))
        return
    drafts.saved(a)
    if client_file.nothing_changed(before, visit):
        state.session().notify("Nothing changed since the saved revision.")
        st.rerun()
    done = f"Saved to {a.link.client_name}'s file: visit of {_day(visit.visit_date)}, revision {visit.revision}."
    extra = " ".join(x for x in (warning, incomplete) if x)
    state.session().notify(done + (f" {extra}" if extra else ""))
    st.rerun()


def _pick_client_ui(a: Assessment, store: Store) -> None:
    st.caption("Link this assessment to a client to keep it in their file (photos stay on this computer).")
    c1, c2 = st.columns([2, 2], vertical_alignment="bottom")
    search = c1.text_input("Find the client", key="link_search", type="search", live=True, placeholder="name, e-mail or phone")
    try:
        rows = store.list_clients(search, limit=20)
    except PostureError as exc:
        st.error(str(exc))
        return
    if not rows:
        c2.page_link(PAGE_CLIENTS, label="Create the client in Client files", icon=":material/person_add:")
        return
    options = {r.id: r.name for r in rows}
    chosen = c2.selectbox("Client", list(options), format_func=options.get, key="link_pick")
    if st.button("Link to this client", key="link_client", disabled=chosen is None):
        try:
            client = store.get_client(chosen)
        except PostureError as exc:
            st.error(str(exc))
            return
        client_file.link_client(a, client)
        st.rerun()


def store_or_none() -> Store | None:
    """The client store, or ``None`` with one sentence on screen when it cannot be opened."""
    try:
        return state.store()
    except PostureError as exc:
        st.error(f"The client file cannot be opened: {exc}")
        return None
