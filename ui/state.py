"""Session state in one place: every key the app keeps in ``st.session_state`` is named and typed here.

Two objects hold everything the app remembers between reruns:

* :class:`ui.model.Assessment` (``ASSESSMENT_KEY``): the photos, views,
  landmarks, calibration and grading settings being worked on;
* :class:`Session` (``SESSION_KEY``): where the therapist is and what is
  pending: the client page or compare client open, the view to show next, a
  one-off notice, confirmations asked for, uploads and imports already handled,
  and this session's draft (the autosaved copy, :mod:`ui.drafts`).

Widgets that must be set from code before they are drawn (the view picker,
the facing control) and the landmark editor component have their keys here
too, so that the pages, the widgets and the tests agree on them.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import streamlit as st

from posture.errors import PostureError
from posture.settings import default_settings_path
from posture.store import Store, default_data_dir

from . import settings_store
from .model import Assessment

ASSESSMENT_KEY = "assessment"
SESSION_KEY = "session"
#: The landmark editor component's key: ``st.session_state[EDITOR_KEY]`` is ``{"edit": snapshot}``.
EDITOR_KEY = "landmark_editor"
TILE_CACHE_KEY = "_editor_tile"  # the last full-resolution tile made for the editor (ui/tiles.py)
#: The view picker's widget key (set from code to switch views on the next run).
VIEW_PICKER_KEY = "view_picker"
FOCUS_KEY = "focus_mode"  # the assessment's focus mode: the editor gets the page's width, results below it
#: Clients shown at first in the client list, and how many more each "Show more" adds.
LIST_PAGE = 50


def facing_key(view_key: str) -> str:
    """The widget key of a lateral view's facing control."""
    return f"facing_{view_key}"


def bands_editor_key(version: int) -> str:
    """The widget key of the grading-bands table (a new version redraws it from the settings)."""
    return f"bands_editor_{version}"


@dataclass(frozen=True)
class ClientAction:
    """Something asked for on a client's page that waits for a confirmation (it would discard unsaved work)."""

    client_id: str
    kind: str  # "new" (start a new assessment for the client) or "open" (open ``visit_id``)
    visit_id: str | None = None
    revision: int | None = None  # the revision of ``visit_id`` to open (``None``: the latest)


@dataclass
class RecordForm:
    """The "Edit the record" form of the client page: the record revision it was opened with, checked on save."""

    client_id: str
    base_revision: int | None = None  # None: take the record's revision on the next run (opened or reloaded)
    generation: int = 0  # part of the form's widget keys: bumped on "Reload the record" so they show the record anew
    conflict: str | None = None  # the refusal of a save based on an older revision, shown until reloaded


@dataclass
class Session:
    """What the app remembers between reruns besides the assessment."""

    #: A one-off notice for the next run (shown as a toast).
    flash: str | None = None
    #: The view the view picker switches to on the next run.
    pending_view: str | None = None
    #: The client whose page the client-files page shows (``None``: the list).
    open_client: str | None = None
    #: The client the compare page opens on.
    compare_client: str | None = None
    #: How many clients the list shows.
    client_list_shown: int = LIST_PAGE
    #: The key of the menu action waiting for "Yes, discard it".
    confirm_action: str | None = None
    #: A client-page action waiting for a confirmation.
    client_action: ClientAction | None = None
    #: The fields of a new client whose name is already in the file, waiting for "Create anyway" (``ui.client_views``).
    new_client_pending: dict[str, object] | None = None
    #: The therapist confirmed discarding the unsaved assessment for ``client_action``.
    discard_confirmed: bool = False
    #: Uploaded files already taken in, by Streamlit file id → the problem sentence or ``None``.
    upload_outcomes: dict[str, str | None] = field(default_factory=dict)
    #: Archives already imported, by file id → (imported, the summary or the problem to show).
    imports_done: dict[str, tuple[bool, object]] = field(default_factory=dict)
    #: Why the practice's settings file could not be used, if it could not.
    settings_problem: str | None = None
    #: Bumped to redraw the bands table from the settings (after "Restore the defaults").
    bands_version: int = 0
    #: This session's draft id (``ui.drafts``; also in the URL's ``?draft=``), chosen on the first run.
    draft_id: str | None = None
    #: The fingerprint of the state last written to the draft (``None``: this session has no draft on disk).
    draft_fp: str | None = None
    #: The draft the URL named when this session started, when another session had written it (offered first).
    url_draft: str | None = None
    #: The client page's record form (``ui.client_views``); a new one each time a client page is opened.
    record_form: RecordForm | None = None
    #: Counts the runs that drew the unsaved-work guard (the page resets its "pending edit" on each new one).
    guard_run: int = 0
    #: Counts new photos and view switches: the editor scrolls itself into view when this changes (issue 11).
    reveal: int = 0
    #: The reveal count the editor was last drawn with.
    reveal_shown: int = 0
    #: Counts the runs of the assessment's editing part; the outcome part follows a newer count (``ui.follow``).
    edits: int = 0
    #: The photo (digest) whose display copy went to the editor last, and the editor's request it answered.
    photo_sent: str | None = None
    photo_answered: object = None

    def notify(self, message: str) -> None:
        """Leave ``message`` for the next run's :func:`ui.views.flash_ui`."""
        self.flash = message

    def take_flash(self) -> str | None:
        message, self.flash = self.flash, None
        return message

    def reveal_editor(self) -> None:
        """Have the editor scroll itself into view on its next drawing (after an upload or a view switch)."""
        self.reveal += 1

    def take_reveal(self) -> int | None:
        """The reveal token for this drawing of the editor, once per :meth:`reveal_editor`."""
        if self.reveal == self.reveal_shown:
            return None
        self.reveal_shown = self.reveal
        return self.reveal

    def photo_wanted(self, digest: str, request: object) -> bool:
        """Whether this drawing of the editor carries the photo's display copy (a few hundred kB): once per
        photo, and again whenever the editor asks for it (a page that lost it, e.g. after a lost rerun)."""
        asked = request if isinstance(request, dict) and request.get("image_id") == digest else None
        if digest == self.photo_sent and (asked is None or asked == self.photo_answered):
            return False
        self.photo_sent, self.photo_answered = digest, asked
        return True

    def take_pending_view(self) -> str | None:
        view, self.pending_view = self.pending_view, None
        return view


def session() -> Session:
    """The session's navigation and pending state, created on first use."""
    s = st.session_state.get(SESSION_KEY)
    if not isinstance(s, Session):
        s = Session()
        st.session_state[SESSION_KEY] = s
    return s


def get() -> Assessment:
    """The session's assessment, created on first use with the practice's grading settings."""
    a = st.session_state.get(ASSESSMENT_KEY)
    if a is None:
        settings, problem = settings_store.load(default_settings_path())
        a = Assessment(settings=settings)
        st.session_state[ASSESSMENT_KEY] = a
        session().settings_problem = problem
    assert isinstance(a, Assessment)
    return a


def editor_value() -> object:
    """The editor's latest snapshot as the browser sent it (``None`` before the first edit)."""
    value = st.session_state.get(EDITOR_KEY)
    return value.get("edit") if isinstance(value, dict) else None


def tile_request() -> object:
    """The full-resolution tile the editor last asked for (``ui.tiles``), as the browser sent it."""
    value = st.session_state.get(EDITOR_KEY)
    return value.get("tile") if isinstance(value, dict) else None


def photo_request() -> object:
    """The editor's last request for the photo's display copy (``{"image_id", "n"}``), as the browser sent it."""
    value = st.session_state.get(EDITOR_KEY)
    return value.get("photo") if isinstance(value, dict) else None


def tile_cache() -> dict[str, object]:
    """Where the last tile made for the editor is kept between reruns."""
    cache = st.session_state.setdefault(TILE_CACHE_KEY, {})
    assert isinstance(cache, dict)
    return cache


def sync_editor(a: Assessment) -> bool:
    """Apply the editor's latest snapshot to the current view (idempotent; True when something changed)."""
    return a.view.apply_editor(editor_value())


def new_assessment() -> None:
    """Forget everything of this session (photos, landmarks) and its draft; the grading settings are reloaded."""
    for key in (ASSESSMENT_KEY, EDITOR_KEY):
        st.session_state.pop(key, None)
    s = session()
    if s.draft_id is not None:
        with contextlib.suppress(PostureError):
            store().discard_draft(s.draft_id)
    s.draft_fp = None


def replace_assessment(a: Assessment) -> None:
    """Make ``a`` the session's assessment (a restored draft); the editor starts afresh."""
    st.session_state.pop(EDITOR_KEY, None)
    st.session_state[ASSESSMENT_KEY] = a


def set_widget(key: str, value: object) -> None:
    """Set a widget's value from code (only before the widget is drawn in this run, or in its callback)."""
    st.session_state[key] = value


def widget_is_set(key: str) -> bool:
    return key in st.session_state


@st.cache_resource(show_spinner=False, max_entries=4)
def _open_store(root: str) -> Store:
    return Store(root)


def store() -> Store:
    """The client store of this machine (``$POSTURE_DATA_DIR`` or the per-user data folder), opened once per process.

    Raises :class:`posture.store.StoreError` with one sentence when it cannot be opened.
    """
    return _open_store(str(default_data_dir()))
