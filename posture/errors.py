"""Every exception the package raises on purpose, each carrying one sentence fit to show the user.

The tree::

    PostureError                 root: never raised itself, catch it to catch them all
    ├── DocumentError            a view document (or its JSON) is malformed; .field names where
    ├── SettingsError            a grading settings file is malformed
    ├── ImageError               a photo cannot be read (not an image, truncated, too large...)
    ├── ResultError              a stored or imported analysis result does not have the result's shape
    ├── UsageError               a command-line argument is wrong (a date, an output path...)
    ├── ReportError              a report cannot be made (no views, unknown paper, text the font cannot print)
    ├── SessionError             a session folder cannot be read (missing, no view documents)
    ├── ArchiveError             a client-file archive cannot be imported or exported
    ├── DetectError              detection cannot run as asked (a bad marker colour, the pose model's files damaged)
    ├── JSONInputError           JSON text refused by the strict parser (each reader words it in its own error)
    └── StoreError               the client file cannot do what was asked
        ├── NotFoundError        no client, visit or revision with that id
        ├── ConflictError        the record changed since it was read (another window saved first)
        ├── MissingFileError     a stored photo, image or report is missing or damaged on disk
        ├── CorruptRecordError   a database row cannot be read
        └── SchemaError          the database is newer than this code, or not a Posture database

Anything else escaping the package is a bug (the command line exits 1 for it,
2 for these).
"""

from __future__ import annotations

import json


class PostureError(Exception):
    """Base of every error caused by the user's input. Raise one of the subclasses, never this."""


class DocumentError(PostureError):
    """A view document (or the JSON it came from) is malformed.

    ``field`` names the offending field in dotted form
    (``"calibration.scale.distance_cm"``), or ``""`` for the document as a whole.
    """

    def __init__(self, field: str, message: str):
        self.field = field
        self.message = message
        shown = field if field.isprintable() else json.dumps(field)  # a key with a newline stays one line
        super().__init__(f"{shown}: {message}" if field else message)


class SettingsError(PostureError):
    """A grading settings file is malformed."""


class ImageError(PostureError):
    """A photo cannot be read (not an image, truncated, too large...)."""


class ResultError(PostureError):
    """An analysis result read from outside the process (database, archive) is not a valid result."""


class UsageError(PostureError):
    """A command-line argument is wrong (a date that is not a date, an output path of the wrong kind...)."""


class ReportError(PostureError):
    """A report cannot be made: no views, an unknown paper size, text the bundled font cannot print."""


class SessionError(PostureError):
    """A session folder (view documents beside their photos) cannot be read as a whole."""


class ArchiveError(PostureError):
    """An archive cannot be imported or exported."""


class DetectError(PostureError):
    """Automatic detection cannot run as asked: a colour that is not ``#RRGGBB``, the pose model's files damaged."""


class JSONInputError(PostureError):
    """JSON text refused by :func:`posture.inputs.parse_json` (a key given twice, NaN, not JSON, too large).

    ``reason`` completes a sentence whose subject is the input (``"is not valid JSON (…)"``); each reader
    (view documents, settings, archives) raises its own error with it, naming the file.
    """

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


class StoreError(PostureError):
    """The client file cannot do what was asked."""


class NotFoundError(StoreError):
    """No client, visit or revision with that id."""


class ConflictError(StoreError):
    """The record changed since it was read (another window or process saved first)."""


class MissingFileError(StoreError):
    """A photo, annotated image or report a record refers to is missing or damaged on disk."""


class CorruptRecordError(StoreError):
    """A database row cannot be read (e.g. invalid JSON written by something else)."""


class SchemaError(StoreError):
    """The database is newer than this code, or not a Posture database at all."""
