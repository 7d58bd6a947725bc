"""Exceptions a user can cause, each carrying one sentence fit to show them.

``PostureError`` is the root. Anything else escaping the package is a bug.
"""

from __future__ import annotations

import json


class PostureError(Exception):
    """Base of every error caused by the user's input."""


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
