"""Drafts: the unsaved assessment of each browser session, kept in the data folder so nothing is lost.

The app writes the open assessment here after every change (:meth:`Drafts.save`)
and offers it back after a reload, a crash or a server restart. A draft is
removed when the assessment is saved into the client file or discarded, and
erased with its client (:func:`discard_for_client`, run by
:meth:`posture.store.Store.delete_client`). Layout, private like the rest of the
data folder (folders 0700, files 0600)::

    drafts/<draft id>/draft.json     what the caller serialised, with the draft's summary and time
    drafts/<draft id>/<sha256>.jpg   each photo once, as a clean JPEG (no EXIF/GPS), named by the app's digest

``draft.json`` is replaced atomically (:func:`posture.atomic.atomic_write_bytes`)
after the photos it names are on disk, so a crash at any point leaves the
previous draft or the new one, never a draft that names a missing photo. A
draft id is 32 hex digits chosen by the caller (the app keeps it in the page's
URL); folder and file names come only from ids and digests, never from anything
a user typed.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posture import images
from posture.atomic import atomic_write_bytes
from posture.errors import ImageError, NotFoundError, StoreError

from .database import make_private_dir, remove_tree, tighten

DRAFTS_DIR = "drafts"
DRAFT_FILE = "draft.json"
DRAFT_SCHEMA = 1
#: A draft id (the caller's session key) and a photo digest (SHA-256), as they name folders and files.
DRAFT_ID_RE = re.compile(r"^[0-9a-f]{32}$")
DIGEST_RE = re.compile(r"^[0-9a-f]{64}$")
#: Temp files of an interrupted write older than this (seconds) are removed by :func:`collect_garbage`.
TEMP_GRACE_S = 600.0


def check_draft_id(draft_id: str) -> str:
    """``draft_id`` when it is 32 lowercase hex digits, else :class:`StoreError` (it names a folder)."""
    if not isinstance(draft_id, str) or not DRAFT_ID_RE.match(draft_id):
        raise StoreError("A draft id must be 32 hexadecimal digits.")
    return draft_id


def _check_digest(digest: str) -> str:
    if not isinstance(digest, str) or not DIGEST_RE.match(digest):
        raise StoreError("A draft photo must be named by its SHA-256 (64 hexadecimal digits).")
    return digest


@dataclass(frozen=True)
class DraftInfo:
    """What the restore offer says about a draft: when it was last changed, whose, how far along.

    ``updated_at`` is timezone-aware UTC; ``views`` and ``landmarks`` are counts
    the caller gave when saving (views with a photo, landmarks placed).
    """

    id: str
    updated_at: datetime
    client_id: str | None
    client_name: str
    views: int
    landmarks: int


@dataclass(frozen=True)
class Draft:
    """A stored draft: its summary, the caller's state object, and the digests of its photos."""

    info: DraftInfo
    state: dict[str, Any]
    photos: tuple[str, ...]


PhotoSource = Callable[[], bytes]


class Drafts:
    """The ``drafts/`` folder of a data folder. Every method raises :class:`StoreError` with one sentence."""

    def __init__(self, root: Path):
        self.dir = root / DRAFTS_DIR
        make_private_dir(self.dir)
        tighten(self.dir, 0o700)

    def _folder(self, draft_id: str) -> Path:
        return self.dir / check_draft_id(draft_id)

    # --- writing ---

    def save(
        self,
        draft_id: str,
        state: Mapping[str, Any],
        photos: Mapping[str, PhotoSource],
        *,
        client_id: str | None = None,
        client_name: str = "",
        views: int = 0,
        landmarks: int = 0,
    ) -> DraftInfo:
        """Write the draft ``draft_id``: ``state`` (JSON-serialisable) and each photo not stored yet.

        ``photos`` maps each photo's digest to a function returning its bytes;
        it is only called for a photo the draft does not hold yet, and the bytes
        go through :func:`posture.images.clean_jpeg` (a clean JPEG is kept as it
        is, anything else re-encoded without metadata). Photos of the draft no
        longer named are removed. Returns the summary written.
        """
        folder = self._folder(draft_id)
        digests = [_check_digest(d) for d in photos]
        info = DraftInfo(draft_id, datetime.now(UTC), client_id, client_name, int(views), int(landmarks))
        payload = {
            "schema": DRAFT_SCHEMA,
            "updated_at": info.updated_at.isoformat(),
            "client_id": client_id,
            "client_name": client_name,
            "views": info.views,
            "landmarks": info.landmarks,
            "photos": digests,
            "state": dict(state),
        }
        try:
            data = json.dumps(payload, ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise StoreError(f"The draft cannot be written: its state is not plain data ({exc}).") from None
        try:
            make_private_dir(folder)
            for digest in digests:
                path = folder / f"{digest}.jpg"
                if not path.is_file():
                    try:
                        clean, _, _ = images.clean_jpeg(photos[digest](), "the draft's photo")
                    except ImageError as exc:
                        raise StoreError(f"The draft's photo cannot be kept: {exc}") from None
                    atomic_write_bytes(path, clean)
            atomic_write_bytes(folder / DRAFT_FILE, data)
            keep = {f"{d}.jpg" for d in digests} | {DRAFT_FILE}
            for entry in folder.iterdir():
                if entry.name not in keep and not entry.name.startswith("."):
                    remove_tree(entry)
        except OSError as exc:
            raise StoreError(f"The draft could not be written to {folder}: {exc.strerror or exc}.") from None
        return info

    def move(self, old_id: str, new_id: str) -> None:
        """Rename draft ``old_id`` to ``new_id`` (a session taking over a draft); replaces a draft ``new_id``."""
        old, new = self._folder(old_id), self._folder(new_id)
        if old == new:
            return
        if not (old / DRAFT_FILE).is_file():
            raise NotFoundError("That unsaved assessment is gone (it was restored or discarded in another window).")
        remove_tree(new)
        try:
            os.rename(old, new)
        except OSError as exc:
            raise StoreError(f"The draft could not be taken over: {exc.strerror or exc}.") from None

    def discard(self, draft_id: str) -> None:
        """Remove draft ``draft_id`` with its photos (nothing happens when there is none)."""
        remove_tree(self._folder(draft_id))

    def discard_for_client(self, client_id: str) -> int:
        """Remove every draft linked to ``client_id``, and any half-written draft file naming them; return how many went.

        The raw bytes are searched for the id, so a draft whose ``draft.json``
        no longer reads, or a temp file a killed write left, goes too.
        """
        removed = 0
        needle = client_id.encode("ascii")
        folders = self._folders()
        for folder in folders:
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for entry in entries:
                is_state = entry.name == DRAFT_FILE or (entry.name.startswith(".") and entry.name.endswith(".tmp"))
                if not is_state or not entry.is_file():
                    continue
                try:
                    mentions = needle in entry.read_bytes()
                except OSError:
                    continue
                if not mentions:
                    continue
                if entry.name == DRAFT_FILE:
                    remove_tree(folder)
                    removed += 1
                    break
                entry.unlink(missing_ok=True)
        return removed

    # --- reading ---

    def _read(self, folder: Path) -> dict[str, Any]:
        try:
            raw = json.loads((folder / DRAFT_FILE).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NotFoundError("That unsaved assessment is gone (it was restored or discarded in another window).") from None
        except (OSError, ValueError) as exc:
            raise StoreError(f"The unsaved assessment in {folder} cannot be read ({exc}).") from None
        if not isinstance(raw, dict) or raw.get("schema") != DRAFT_SCHEMA or not isinstance(raw.get("state"), dict):
            raise StoreError(f"The unsaved assessment in {folder} is not a draft this version of Posture reads.")
        return raw

    @staticmethod
    def _info(draft_id: str, raw: Mapping[str, Any]) -> DraftInfo:
        try:
            updated = datetime.fromisoformat(str(raw["updated_at"]))
            if updated.tzinfo is None:
                updated = updated.replace(tzinfo=UTC)
            client_id = raw.get("client_id")
            return DraftInfo(
                draft_id,
                updated,
                client_id if isinstance(client_id, str) else None,
                str(raw.get("client_name") or ""),
                int(raw.get("views") or 0),
                int(raw.get("landmarks") or 0),
            )
        except (KeyError, TypeError, ValueError):
            raise StoreError(f"The unsaved assessment {draft_id} has a damaged summary.") from None

    def get(self, draft_id: str) -> Draft:
        """The draft ``draft_id``; :class:`NotFoundError` when there is none."""
        raw = self._read(self._folder(draft_id))
        photos = raw.get("photos")
        if not isinstance(photos, list):
            raise StoreError(f"The unsaved assessment {draft_id} has a damaged list of photos.")
        return Draft(self._info(draft_id, raw), raw["state"], tuple(_check_digest(d) for d in photos))

    def exists(self, draft_id: str) -> bool:
        return (self._folder(draft_id) / DRAFT_FILE).is_file()

    def read_photo(self, draft_id: str, digest: str) -> bytes:
        """The clean JPEG of photo ``digest`` of the draft; :class:`NotFoundError` when it is missing."""
        path = self._folder(draft_id) / f"{_check_digest(digest)}.jpg"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise NotFoundError(f"A photo of the unsaved assessment is missing ({path.name}).") from None
        except OSError as exc:
            raise StoreError(f"A photo of the unsaved assessment cannot be read ({exc.strerror or exc}).") from None

    def summaries(self, limit: int | None = 10) -> list[DraftInfo]:
        """Summaries of the drafts, newest first (at most ``limit``); unreadable drafts are left out."""
        out = []
        try:
            entries = list(self.dir.iterdir())
        except OSError:
            return []
        for entry in entries:
            if not DRAFT_ID_RE.match(entry.name) or not entry.is_dir():
                continue
            try:
                out.append(self._info(entry.name, self._read(entry)))
            except StoreError:
                continue
        out.sort(key=lambda i: i.updated_at, reverse=True)
        return out if limit is None else out[:limit]

    # --- housekeeping ---

    def _folders(self) -> list[Path]:
        """Every draft folder (a draft id's name, a real folder); none when the drafts area cannot be read."""
        try:
            return [e for e in self.dir.iterdir() if DRAFT_ID_RE.match(e.name) and e.is_dir() and not e.is_symlink()]
        except OSError:
            return []

    def collect_garbage(self) -> int:
        """Remove temp files of interrupted writes (older than :data:`TEMP_GRACE_S`) and empty draft folders."""
        removed = 0
        now = time.time()
        folders = self._folders()
        for folder in folders:
            try:
                for entry in folder.iterdir():
                    if (
                        entry.name.startswith(".")
                        and entry.name.endswith(".tmp")
                        and now - entry.lstat().st_mtime >= TEMP_GRACE_S
                    ):
                        entry.unlink()
                        removed += 1
                if not any(folder.iterdir()) and now - folder.lstat().st_mtime >= TEMP_GRACE_S:
                    folder.rmdir()
                    removed += 1
            except OSError:
                continue
        return removed


def new_draft_id() -> str:
    """A fresh random draft id (32 hex digits)."""
    return os.urandom(16).hex()
