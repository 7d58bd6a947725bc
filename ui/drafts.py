"""Autosave: the open assessment is kept as a draft in the data folder after every change, and offered back.

At the end of every run that changed the assessment (photos, calibration
clicks and options, landmarks, facing, the documents' own extra keys, the
client link, the visit's date and notes) :func:`autosave` writes it with
:meth:`posture.store.Store.save_draft` (atomic, private, photos once per
digest as clean JPEGs). A cheap fingerprint of the serialised state
(:func:`fingerprint`) tells whether anything changed since the last write.

Each browser session writes only its own draft, keyed by a random id kept in
the page's URL (``?draft=<id>``). A new session (a reload, a crash or a server
restart) whose URL names an existing draft does not take it over silently: the
assessment page offers it back, newest first, with when it was last changed
(:func:`restore_offer_ui`); restoring moves it to this session's id.
A draft goes when the assessment is saved into the client file, discarded,
replaced by a new assessment, or its client is erased.

The serialisation (:func:`draft_state`, :func:`restore_assessment`) is plain
Python, tested without a browser.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import asdict, fields
from datetime import date, datetime, timedelta
from typing import Any

import streamlit as st

from posture import document, images
from posture.errors import PostureError
from posture.settings import Settings
from posture.store import DraftInfo, Store, new_draft_id
from posture.store.drafts import DRAFT_ID_RE

from . import client_file, state
from .model import Assessment, Photo, ViewState
from .unsaved_guard import unsaved_guard

#: The URL query parameter that names this tab's draft.
DRAFT_PARAM = "draft"
STATE_SCHEMA = 1
#: How many drafts the restore offer lists.
OFFER_LIMIT = 5
#: The widget key of the assessment menu's client-name field (``ui.views.assessment_menu_ui``).
CLIENT_NAME_KEY = "client_name"

#: ViewState fields saved explicitly (or rebuilt on restore); every other plain-data field is saved as it is.
_VIEW_OWN = {"view", "photo", "doc", "marks", "rev", "applied", "problem"}


# --- serialising ------------------------------------------------------------------------


def _plain(value: Any) -> bool:
    """True for JSON data (finite numbers, text, lists, dicts with text keys) that survives a round trip."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _view_state(vs: ViewState) -> dict[str, Any]:
    out: dict[str, Any] = {
        "photo": None if vs.photo is None else {"digest": vs.photo.digest, "name": vs.photo.name},
        "doc": document.to_dict(vs.doc),
        "marks": {k: [p[0], p[1]] for k, p in vs.marks.items()},
    }
    extra = {}
    for f in fields(vs):
        if f.name not in _VIEW_OWN:
            value = getattr(vs, f.name)
            if _plain(value):
                extra[f.name] = value
    out["fields"] = extra
    return out


def _link_state(link: Any) -> dict[str, Any] | None:
    if link is None:
        return None
    raw = asdict(link)
    for key in ("visit_date", "saved_date", "date_of_birth"):
        raw[key] = raw[key].isoformat() if raw.get(key) else None
    for key in ("precautions", "precaution_keys"):
        raw[key] = list(raw.get(key) or ())
    return raw


def draft_state(a: Assessment) -> dict[str, Any]:
    """Everything of ``a`` a draft keeps, as plain JSON data (the photos by digest; their pixels go separately)."""
    return {
        "schema": STATE_SCHEMA,
        "client": a.client,
        "current": a.current,
        "link": _link_state(a.link),
        "saved_fingerprint": a.saved_fingerprint,
        "views": {v: _view_state(vs) for v, vs in a.views.items() if vs.photo is not None},
    }


def fingerprint(payload: dict[str, Any]) -> str:
    """A SHA-256 of the serialised state: changes whenever anything a draft keeps changes."""
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


def needs_draft(a: Assessment) -> bool:
    """True while ``a`` has work that is not in the client file (photos, and changes since it was saved or opened)."""
    if not a.views_with_photos():
        return False
    return bool(a.unsaved or (a.link is not None and a.link.changed))


def photo_sources(a: Assessment, store: Store) -> dict[str, Any]:
    """Digest → a function giving the photo's clean JPEG: the stored file's bytes when it came from the client file,
    else the decoded photo encoded without metadata (called only for a photo the draft does not hold yet)."""
    out: dict[str, Any] = {}
    for vs in a.views_with_photos():
        photo = vs.photo
        assert photo is not None
        digest, stored = a.stored_photos.get(vs.view, (None, None))
        if digest == photo.digest and stored is not None:
            out[photo.digest] = lambda stored=stored: store.read_file(stored)
        else:
            out[photo.digest] = lambda photo=photo: images.encode_jpeg(photo.image, images.PHOTO_QUALITY)
    return out


def summary(a: Assessment) -> dict[str, Any]:
    """The restore offer's facts about ``a``: whose it is, how many views and landmarks."""
    with_photos = a.views_with_photos()
    return {
        "client_id": a.link.client_id if a.link is not None else None,
        "client_name": a.link.client_name if a.link is not None else a.client,
        "views": len(with_photos),
        "landmarks": sum(vs.placed_count for vs in with_photos),
    }


# --- restoring --------------------------------------------------------------------------


def _restore_link(raw: Any) -> client_file.Link | None:
    if not isinstance(raw, dict):
        return None
    known = {f.name for f in fields(client_file.Link)}
    values = {k: v for k, v in raw.items() if k in known}
    for key in ("visit_date", "saved_date", "date_of_birth"):
        values[key] = date.fromisoformat(values[key]) if values.get(key) else None
    for key in ("precautions", "precaution_keys"):
        values[key] = tuple(str(k) for k in values.get(key) or ())
    return client_file.Link(**values)


def _restore_view(vs: ViewState, raw: dict[str, Any], photo: Photo) -> None:
    vs.set_photo(photo)
    vs.doc = document.parse_document(raw["doc"])
    vs.marks = {k: (float(p[0]), float(p[1])) for k, p in (raw.get("marks") or {}).items()}
    names = {f.name: f for f in fields(vs)}
    for name, value in (raw.get("fields") or {}).items():
        if name in names and name not in _VIEW_OWN:
            current = getattr(vs, name)
            setattr(vs, name, tuple(value) if isinstance(current, tuple) and isinstance(value, list) else value)
    vs.rev += 1
    vs.applied = None
    vs.refresh()


def restore_assessment(store: Store, draft_id: str, settings: Settings) -> tuple[Assessment, list[str]]:
    """The assessment kept in draft ``draft_id``, graded with ``settings``, and the problems met (one sentence each).

    Raises :class:`posture.store.StoreError` when the draft itself cannot be read.
    """
    draft = store.get_draft(draft_id)
    raw = draft.state
    a = Assessment(settings=settings)
    problems: list[str] = []
    a.client = str(raw.get("client") or "")
    for view, rv in (raw.get("views") or {}).items():
        if view not in a.views or not isinstance(rv, dict) or not isinstance(rv.get("photo"), dict):
            continue
        meta = rv["photo"]
        try:
            data = store.read_draft_photo(draft_id, meta["digest"])
            photo = Photo.from_image(str(meta.get("name") or "photo.jpg"), meta["digest"], images.decode_image(data))
            a.photos[photo.digest] = photo
            _restore_view(a.views[view], rv, photo)
        except (PostureError, KeyError, TypeError, ValueError) as exc:
            problems.append(f"The {a.views[view].label} view could not be restored: {exc}")
    try:
        a.link = _restore_link(raw.get("link"))
    except (TypeError, ValueError):
        problems.append("The client link of the unsaved assessment could not be read: link it again before saving.")
    if a.link is not None:
        try:
            client_file.refresh_client(a, store.get_client(a.link.client_id))
        except PostureError:
            problems.append(f"{a.link.client_name} is no longer in the client file: the assessment is not linked any more.")
            a.link = None
    if a.link is not None and a.link.visit_id is not None:
        try:
            visit = store.get_visit(a.link.visit_id, a.link.revision)
            for view, rec in visit.views.items():
                vs = a.views.get(view)
                if rec.photo is not None and vs is not None and vs.photo is not None and rec.photo.sha256 == vs.photo.digest:
                    a.stored_photos[view] = (vs.photo.digest, rec.photo)
        except PostureError:
            pass  # the photos are simply stored again on save
    fp = raw.get("saved_fingerprint")
    a.saved_fingerprint = fp if isinstance(fp, str) else None
    current = raw.get("current")
    if current in a.views:
        a.current = current
    return a, problems


def when_text(moment: datetime, now: datetime | None = None) -> str:
    """``"today 14:32"``, ``"yesterday 09:05"`` or ``"2026-11-28 14:32"``, in this computer's time zone."""
    local = moment.astimezone()
    now = (now or datetime.now()).astimezone()
    clock = local.strftime("%H:%M")
    if local.date() == now.date():
        return f"today {clock}"
    if local.date() == now.date() - timedelta(days=1):
        return f"yesterday {clock}"
    return f"{local.date().isoformat()} {clock}"


def describe(info: DraftInfo, now: datetime | None = None) -> str:
    """``"An unsaved assessment from today 14:32 (3 views, 41 landmarks) of Ana Ruiz"``."""
    views = f"{info.views} view{'s' if info.views != 1 else ''}"
    lms = f"{info.landmarks} landmark{'s' if info.landmarks != 1 else ''}"
    whose = f" of {info.client_name}" if info.client_name else ""
    return f"An unsaved assessment{whose} from {when_text(info.updated_at, now)} ({views}, {lms})"


# --- in the app -------------------------------------------------------------------------


def _store() -> Store | None:
    try:
        return state.store()
    except PostureError:
        return None


def own_draft_id(store: Store) -> str:
    """This session's draft id, kept in the URL: the URL's own when no draft holds it yet, else a fresh one."""
    s = state.session()
    if s.draft_id is None:
        url = st.query_params.get(DRAFT_PARAM)
        valid = isinstance(url, str) and DRAFT_ID_RE.match(url) is not None
        if valid and not store.has_draft(url):
            s.draft_id = url
        else:
            s.url_draft = url if valid else None  # offered first: this tab's work before the reload
            s.draft_id = new_draft_id()
    if st.query_params.get(DRAFT_PARAM) != s.draft_id:
        st.query_params[DRAFT_PARAM] = s.draft_id
    return s.draft_id


def autosave(a: Assessment, store: Store) -> str | None:
    """Write ``a`` to this session's draft when it changed since the last write (remove it when nothing is unsaved).

    Returns the problem, one sentence, when the draft could not be written.
    """
    s = state.session()
    draft_id = own_draft_id(store)
    try:
        if not needs_draft(a):
            if s.draft_fp is not None:
                store.discard_draft(draft_id)
                s.draft_fp = None
            return None
        payload = draft_state(a)
        fp = fingerprint(payload)
        if fp != s.draft_fp:
            store.save_draft(draft_id, payload, photo_sources(a, store), **summary(a))
            s.draft_fp = fp
    except PostureError as exc:
        return f"The unsaved work could not be kept in the data folder (autosave): {exc}"
    return None


def autosave_ui(a: Assessment, part: str = "page") -> None:
    """End of a run: autosave, then the ``beforeunload`` guard (warns while the assessment is not in the client file).

    ``part`` names the part of the page (a fragment) that ran, one guard each: every part that can change the
    assessment ends with this, so a change made in any of them is in the draft before its run ends.
    """
    store = _store()
    problem = autosave(a, store) if store is not None else "The data folder cannot be opened, so nothing is autosaved."
    if problem and a.views_with_photos():
        st.warning(problem)
    s = state.session()
    s.guard_run += 1
    unsaved_guard(needs_draft(a) or bool(problem and a.views_with_photos()), s.guard_run, key=f"unsaved_guard_{part}")


def saved(a: Assessment) -> None:
    """The assessment was saved into the client file: its draft goes."""
    store = _store()
    s = state.session()
    if store is not None and s.draft_id is not None:
        try:
            store.discard_draft(s.draft_id)
        except PostureError:
            return
        s.draft_fp = None


def _restore(store: Store, draft_id: str) -> None:
    s = state.session()
    own = own_draft_id(store)
    try:
        if draft_id != own:
            store.move_draft(draft_id, own)
        restored, problems = restore_assessment(store, own, state.get().settings)
    except PostureError as exc:
        st.error(str(exc))
        return
    state.replace_assessment(restored)
    state.set_widget(CLIENT_NAME_KEY, restored.client)  # the menu's name field is drawn later in this run
    s.url_draft = None
    s.draft_fp = fingerprint(draft_state(restored))
    s.pending_view = restored.current
    n = len(restored.views_with_photos())
    s.notify(f"Unsaved assessment restored ({n} view{'s' if n != 1 else ''}). " + " ".join(problems))
    st.rerun()


def restore_offer_ui(a: Assessment) -> None:
    """While this session's assessment is empty, offer the newest unsaved drafts back (Restore / Discard)."""
    if a.views_with_photos() or a.link is not None:
        return
    store = _store()
    if store is None:
        return
    own = own_draft_id(store)
    try:
        infos = [i for i in store.list_drafts(limit=OFFER_LIMIT + 1) if i.id != own]
    except PostureError:
        return
    if not infos:
        return
    first = state.session().url_draft
    infos.sort(key=lambda i: i.id != first)  # this tab's own draft first, then newest first
    with st.container(border=True, key="draft_offer"):
        for info in infos[:OFFER_LIMIT]:
            c1, c2, c3 = st.columns([6, 1, 1], vertical_alignment="center")
            mine = " (this tab, before the reload)" if info.id == first else ""
            c1.markdown(f"**{describe(info)}**{mine}")
            if c2.button("Restore", key=f"restore_{info.id}", type="primary", width="stretch"):
                _restore(store, info.id)
            if c3.button("Discard", key=f"discard_{info.id}", width="stretch"):
                try:
                    store.discard_draft(info.id)
                except PostureError as exc:
                    st.error(str(exc))
                st.rerun()
        if len(infos) > OFFER_LIMIT:
            st.caption("Older unsaved assessments are kept too: restore or discard these first to see them.")
