"""The checks on what goes into the client file, and the reading back of rows that may be damaged.

Going in, every check raises :class:`~posture.errors.StoreError` with one
sentence fit to show (a field too long, a date before 1900, an image that is
not a photo, a result of the wrong shape or not computed from its document).
Coming out, a damaged field does not raise: the ``*_from_row`` / ``parse_*``
readers append one sentence to the record's ``problems`` and give a neutral
value. No I/O besides reading an image or report a caller names by path.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import unicodedata
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np

from posture import document as docs
from posture import images
from posture.errors import ImageError, NotFoundError, ResultError, StoreError
from posture.result import Result, check_result

from .records import (
    MAX_CONTACT_CHARS,
    MAX_HEIGHT_CM,
    MAX_NAME_CHARS,
    MAX_NOTES_CHARS,
    MAX_REPORT_BYTES,
    MIN_HEIGHT_CM,
    SEX_LABELS,
    Client,
    Precautions,
)
from .schema import ID_RE, fold_name, phone_digits

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# --- ids, times, JSON -----------------------------------------------------------------


def now() -> str:
    """The current time in the store's format: ISO-8601 UTC with microseconds."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


def new_id() -> str:
    """A fresh id: 32 lowercase hex digits (a UUID4; ids name folders, so nothing else may)."""
    return uuid.uuid4().hex


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def canonical_json(obj: Any) -> str:
    """The compact JSON text the store keeps for results and records."""
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_json_default)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_id(value: Any, what: str) -> str:
    """``value`` when it is an id of the store's form; else :class:`NotFoundError` ("No client with id ...")."""
    if not isinstance(value, str) or not ID_RE.match(value):
        raise NotFoundError(f"No {what} with id {str(value)[:40]!r}.")
    return value


# --- fields going in ------------------------------------------------------------------


def as_date(value: Any, what: str) -> date:
    """A date (a datetime gives its date) not before 1900."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise StoreError(f"The {what} must be a date.")
    if value.year < 1900:
        raise StoreError(f"The {what} {value.isoformat()} is before 1900.")
    return value


def timestamp(value: Any, what: str) -> str:
    """An ISO-8601 timestamp normalised to UTC with microseconds (the store's own format)."""
    try:
        t = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise StoreError(f"The {what} {str(value)[:40]!r} is not an ISO-8601 timestamp.") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).isoformat(timespec="microseconds")


def text(value: Any, what: str, limit: int) -> str:
    """Free text (``None`` → ``""``), NFC-normalised, at most ``limit`` characters, no NUL."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise StoreError(f"The {what} must be text.")
    normalized = unicodedata.normalize("NFC", value)
    if len(normalized) > limit:
        raise StoreError(f"The {what} is longer than {limit} characters.")
    if "\x00" in normalized:
        raise StoreError(f"The {what} contains a NUL character.")
    return normalized


def height_cm(value: Any) -> float | None:
    """A client's height in cm (``None``: not recorded), a number from :data:`MIN_HEIGHT_CM` to :data:`MAX_HEIGHT_CM`."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise StoreError("The client's height must be a number of centimetres.")
    if not MIN_HEIGHT_CM <= value <= MAX_HEIGHT_CM:
        hint = ": give it in centimetres, not metres" if value < 3 else ""
        raise StoreError(f"The client's height {value:g} cm is outside {MIN_HEIGHT_CM:g}–{MAX_HEIGHT_CM:g} cm{hint}.")
    return float(value)


def client_values(c: Client) -> dict[str, Any]:
    """Validate a client record; return its column values (``id`` and timestamps excluded)."""
    name = text(c.name, "client's name", MAX_NAME_CHARS).strip()
    if not name:
        raise StoreError("The client's name is empty.")
    if _CONTROL_RE.search(name) or "\n" in name or "\t" in name:
        raise StoreError("The client's name contains control characters (line breaks, tabs…).")
    dob = None if c.date_of_birth is None else as_date(c.date_of_birth, "date of birth")
    if dob is not None and dob > date.today():
        raise StoreError(f"The date of birth {dob.isoformat()} is in the future.")
    if not isinstance(c.sex, str) or c.sex not in SEX_LABELS:
        raise StoreError(f"Sex must be one of {', '.join(repr(s) for s in SEX_LABELS)}, got {str(c.sex)[:20]!r}.")
    precautions: Any = c.precautions
    if isinstance(precautions, dict):
        precautions = Precautions.from_dict(precautions)
    if not isinstance(precautions, Precautions):
        raise StoreError("Precautions must be a Precautions record.")
    if not isinstance(c.consent_photography, bool):
        raise StoreError("Consent to photography must be True or False.")
    consent_date = None if c.consent_date is None else as_date(c.consent_date, "date of consent")
    if c.consent_photography and consent_date is None:
        raise StoreError("Give the date the client consented to photography.")
    contact = text(c.contact, "contact details", MAX_CONTACT_CHARS)
    return {
        "name": name,
        "name_fold": fold_name(name),
        "date_of_birth": dob.isoformat() if dob else None,
        "sex": c.sex,
        "height_cm": height_cm(c.height_cm),
        "contact": contact,
        "contact_fold": fold_name(contact),
        "contact_digits": phone_digits(contact),
        "notes": text(c.notes, "notes", MAX_NOTES_CHARS),
        "precautions": canonical_json(precautions.to_dict()),
        "consent_photography": int(c.consent_photography),
        "consent_date": consent_date.isoformat() if consent_date else None,
    }


def image_bytes(value: Any, what: str, quality: int) -> tuple[bytes, int, int]:
    """JPEG bytes to store for an image input and its size ``(width, height)``.

    An RGB ``uint8`` array is encoded; bytes (or a path to them) go through
    :func:`posture.images.clean_jpeg` (kept byte for byte when already a bare
    JPEG, else decoded with the orientation applied and re-encoded without
    metadata).
    """
    if isinstance(value, np.ndarray):
        if value.ndim != 3 or value.shape[2] != 3 or value.dtype != np.uint8 or 0 in value.shape:
            raise StoreError(f"{what} must be an RGB uint8 array of shape (H, W, 3).")
        return images.encode_jpeg(value, quality), value.shape[1], value.shape[0]
    if isinstance(value, os.PathLike):
        try:
            value = Path(value).read_bytes()
        except OSError as e:
            raise StoreError(f"Cannot read {what} ({Path(value).name}): {e.strerror}.") from None
    if isinstance(value, (bytes, bytearray)):
        try:
            return images.clean_jpeg(bytes(value), what, quality)
        except ImageError as e:
            raise StoreError(str(e)) from None
    raise StoreError(f"{what} must be image bytes, an RGB array, a path or a stored file.")


def pdf_bytes(value: Any) -> bytes:
    """The bytes of a report given as bytes or a path: a PDF of at most :data:`MAX_REPORT_BYTES`."""
    if isinstance(value, os.PathLike):
        try:
            value = Path(value).read_bytes()
        except OSError as e:
            raise StoreError(f"Cannot read the report {Path(value).name}: {e.strerror}.") from None
    if not isinstance(value, (bytes, bytearray)) or not bytes(value[:5]) == b"%PDF-":
        raise StoreError("The report must be a PDF file.")
    if len(value) > MAX_REPORT_BYTES:
        raise StoreError(f"The report is larger than {MAX_REPORT_BYTES // (1024 * 1024)} MB.")
    return bytes(value)


# --- results --------------------------------------------------------------------------


def result_json(result: Any, view: str) -> str:
    """The JSON text the store keeps for a result of ``view``, after :func:`posture.result.check_result`."""
    try:
        checked = check_result(result, view)
    except ResultError as e:
        raise StoreError(str(e)) from None
    try:
        return canonical_json(dict(checked))
    except (TypeError, ValueError) as e:
        raise StoreError(f"The result of the {view} view cannot be stored as JSON ({e}).") from None


def check_result_matches(result: Result, doc: docs.ViewDocument, *, imported: bool = False) -> None:
    """Refuse a result that was not computed from ``doc`` (e.g. a stale one after the landmarks moved).

    Only the measured values are compared (relative and absolute tolerance
    10⁻⁹); they do not depend on the grading bands, so the fresh analysis runs
    under the shipped ones whatever bands the caller graded with.
    """
    from posture.analysis import analyze  # local: analysis pulls in the whole measurement core
    from posture.settings import default_settings

    fresh = analyze(doc, default_settings())["measurements"]
    given = result["measurements"]
    same = set(fresh) == set(given) and all(
        math.isclose(fresh[k]["value"], given[k]["value"], rel_tol=1e-9, abs_tol=1e-9) for k in fresh
    )
    if not same and imported:
        raise StoreError(
            f"the result of the {doc.view} view does not match its document (its measurements were not computed "
            "from these landmarks and calibration), so the archive is refused."
        )
    if not same:
        raise StoreError(
            f"The result given for the {doc.view} view was not computed from its document (landmarks or calibration "
            "changed since): analyse it again, or pass no result to have it computed."
        )


def geometry_key(doc: docs.ViewDocument) -> str:
    """What an annotated image depends on: landmarks, calibration, facing and image size (not notes)."""
    d = docs.to_dict(doc)
    return canonical_json(
        {k: d.get(k) for k in ("landmarks", "calibration", "facing")} | {"size": [doc.image_width, doc.image_height]}
    )


# --- rows coming out (damage is reported, not raised) ---------------------------------


def parse_date(value: Any, what: str, problems: list[str]) -> date | None:
    """A stored ISO date, or ``None`` (with one sentence in ``problems`` when it is damaged)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append(f"The stored {what} is damaged ({str(value)[:20]!r}) and is not shown.")
        return None


def precautions_from_row(raw: Any, problems: list[str]) -> Precautions:
    try:
        return Precautions.from_dict(json.loads(raw))
    except (TypeError, ValueError, StoreError):
        problems.append("The precautions of this client are damaged in the database and cannot be shown: re-enter them.")
        return Precautions()


def client_from_row(row: Any) -> Client:
    """A :class:`Client` from its ``clients`` row, damaged fields listed in its ``problems``."""
    problems: list[str] = []
    if row.sex not in SEX_LABELS:
        problems.append("The recorded sex of this client is damaged and is not shown.")
    if not isinstance(row.name, str):
        problems.append("The name of this client is damaged in the database: re-enter it.")
    try:
        height = height_cm(row.height_cm)
    except StoreError:
        height = None
        problems.append("The recorded height of this client is damaged and is not shown: re-enter it.")
    return Client(
        id=row.id,
        name=row.name if isinstance(row.name, str) else "(unreadable name)",
        date_of_birth=parse_date(row.date_of_birth, "date of birth", problems),
        sex=row.sex if row.sex in SEX_LABELS else "",
        height_cm=height,
        contact=row.contact if isinstance(row.contact, str) else "",
        notes=row.notes if isinstance(row.notes, str) else "",
        precautions=precautions_from_row(row.precautions, problems),
        consent_photography=bool(row.consent_photography),
        consent_date=parse_date(row.consent_date, "date of consent", problems),
        created_at=row.created_at,
        updated_at=row.updated_at,
        revision=row.revision if isinstance(row.revision, int) else 0,
        problems=tuple(problems),
    )


def text_or_empty(value: Any) -> str:
    """A stored text column, or ``""`` when it is not text (damaged)."""
    return value if isinstance(value, str) else ""
