"""The session folder: the view documents of one assessment beside their photos, read and written.

The format: one folder holding a view document per view (``*.json``, spec §6)
and the photo each names in ``image.file``, relative to the folder. The app
writes it as ``<view>.json`` beside ``<view>.jpg`` (:func:`session_zip`, the
"view documents" download); the command line reads any such folder
(:func:`read_session`; ``posture report`` analyses and draws what it reads with
:func:`posture.report.load_session`).
Other JSON in the folder (a settings file, a manifest) is left alone; a
``*.json`` that is not JSON at all is taken for a damaged view document.

Reading raises :class:`~posture.errors.SessionError` (no such folder, no view
document), :class:`~posture.errors.DocumentError` (a malformed document,
named) or :class:`~posture.errors.ImageError` (a missing or unreadable
photo, named), each one sentence: a session never silently loses a view or
a photo.
"""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import document, images, inputs
from .document import ViewDocument
from .errors import DocumentError, ImageError, JSONInputError, SessionError

#: JPEG quality of the photos :func:`session_zip` writes (the originals, re-encoded without metadata).
PHOTO_JPEG_QUALITY = 95
_DOCUMENT_KEYS = frozenset({"schema_version", "view", "landmarks"})


def document_name(view: str) -> str:
    """The file name the app gives the view document of ``view`` (``"anterior.json"``)."""
    return f"{view}.json"


def photo_name(view: str) -> str:
    """The file name the app gives the photo of ``view`` (``"anterior.jpg"``), as its document's ``image.file``."""
    return f"{view}.jpg"


# --- reading ------------------------------------------------------------------------------


def _is_view_document(path: Path) -> bool:
    """Whether a ``*.json`` file of a session folder is meant as a view document.

    An object with ``schema_version``, ``view`` or ``landmarks`` is one (and is
    then validated in full, so a damaged one is an error, not silently left
    out); other JSON (a settings file, a manifest) is not. A file that is not
    JSON at all raises :class:`DocumentError` naming it: in a session folder
    it is almost certainly a damaged view document.
    """
    data = inputs.read_input_file(path, "view document", inputs.MAX_JSON_BYTES, lambda m: DocumentError("", m))
    try:
        raw = inputs.parse_json(data, allow_constants=True)
    except JSONInputError as exc:
        raise DocumentError("", f"{path.name} {exc.reason}, so it cannot be read as a view document.") from None
    return isinstance(raw, dict) and bool(_DOCUMENT_KEYS & set(raw))


def find_view_documents(session_dir: str | os.PathLike[str]) -> list[Path]:
    """The ``*.json`` files of ``session_dir`` that are meant as view documents (see :func:`_is_view_document`), by name."""
    d = Path(session_dir)
    if not d.is_dir():
        raise SessionError(f"No such session folder: {d}.")
    return [p for p in sorted(d.glob("*.json")) if p.is_file() and _is_view_document(p)]


def photo_path(doc: ViewDocument, doc_path: str | os.PathLike[str]) -> Path | None:
    """Where the document's photo lives: ``image.file`` relative to the document's folder (None when unset)."""
    if not doc.image_file:
        return None
    return Path(doc_path).parent / doc.image_file


class SessionView(NamedTuple):
    """One view of a session folder: its document's path, the document, and its photo (RGB) when read."""

    path: Path
    doc: ViewDocument
    photo: np.ndarray | None


def _photo(doc: ViewDocument, doc_path: Path) -> np.ndarray:
    photo = photo_path(doc, doc_path)
    if photo is None:
        raise ImageError(f"{doc_path.name} names no photo (image.file): add it, or leave the photos out with --no-photos.")
    if not photo.is_file():
        raise ImageError(f"Photo not found: {photo} (the image.file of {doc_path.name}).")
    return images.load_image(photo)


def read_session(session_dir: str | os.PathLike[str], *, photos: bool = True) -> Iterator[SessionView]:
    """Every view document of ``session_dir`` (by file name) and, with ``photos``, its photo (RGB, upright).

    The folder is checked at once (missing, or no view document in it);
    the views are then read one at a time as they are iterated, so only one
    full-size photo is held at a time. Every document must be valid and (with
    ``photos``) its photo must be there (see the module's docstring for the errors).
    """
    paths = find_view_documents(session_dir)
    if not paths:
        raise SessionError(f"No view documents in {session_dir}: expected *.json files with schema_version, view and landmarks.")
    return (_read_view(p, photos) for p in paths)


def _read_view(p: Path, photos: bool) -> SessionView:
    try:
        doc = document.load(p)
    except DocumentError as exc:
        raise DocumentError("", f"{p.name}: {exc}") from None
    return SessionView(p, doc, _photo(doc, p) if photos else None)


# --- writing ------------------------------------------------------------------------------


def session_zip(views: Iterable[tuple[ViewDocument, np.ndarray]]) -> bytes:
    """A ZIP of a session folder: per ``(document, photo)`` the document as :func:`document_name` and the photo
    (RGB, original size) as :func:`photo_name`, a clean JPEG without EXIF, which the document names as ``image.file``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for doc, photo in views:
            zf.writestr(document_name(doc.view), document.dumps(replace(doc, image_file=photo_name(doc.view))))
            zf.writestr(photo_name(doc.view), images.encode_jpeg(photo, quality=PHOTO_JPEG_QUALITY))
    return buf.getvalue()
