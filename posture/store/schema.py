"""The client-file database: its current tables, its ids, and name folding.

The schema is created and upgraded only by :mod:`posture.store.migrations` (frozen
SQL, one step per version); the :class:`~sqlalchemy.Table` objects here
describe the *current* version for queries, and a test checks that the two
agree. Dates are ISO text (``YYYY-MM-DD``), timestamps ISO-8601 UTC text, ids
32-digit lowercase hex UUIDs (they name folders, so nothing else may).

Layout of a revision of a visit (immutable once written)::

    clients 1─n visits 1─n revisions 1─n views      (view document + result JSON)
                                      1─n files      (photo / annotated / report, with sha256 and size)
"""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, Table, Text, UniqueConstraint

#: The schema version this code writes (the last migration step).
SCHEMA_VERSION = 4

ID_RE = re.compile(r"^[0-9a-f]{32}$")


# --- names ----------------------------------------------------------------------------

_EXTRA_FOLD = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ı": "i", "ŀ": "l", "þ": "th", "æ": "ae", "œ": "oe"})


def fold_name(text: str) -> str:
    """Case- and accent-insensitive search key: ``"Łucja  Żółć"`` → ``"lucja zolc"``."""
    t = unicodedata.normalize("NFKD", text.casefold())
    t = "".join(ch for ch in t if not unicodedata.combining(ch)).translate(_EXTRA_FOLD)
    return " ".join(t.split())


#: What may sit between the digits of a phone number: spaces, dashes, dots, slashes, brackets and a leading plus.
_PHONE_SPAN_RE = re.compile(r"[0-9][0-9 \t\-./()+]*[0-9]|[0-9]")


def phone_digits(text: str) -> str:
    """Phone search key: each run of digits and phone separators as bare digits, one run per word.

    ``"Tel. +41 (0)79 123-45-67, 8001 Zürich"`` → ``"410791234567 8001"``, so
    ``"0791234567"`` and ``"079 123 45 67"`` both find it (as digits, anywhere in a run).

    Examples
    --------
    >>> phone_digits("079 123 45 67\\nmaria@example.org")
    '0791234567'
    >>> phone_digits("(044) 555-66-77, Bahnhofstrasse 3")
    '0445556677 3'
    """
    return " ".join(re.sub(r"[^0-9]", "", m.group()) for m in _PHONE_SPAN_RE.finditer(text))


# --- tables (current version) ---------------------------------------------------------

metadata = MetaData()

meta = Table("meta", metadata, Column("key", Text, primary_key=True), Column("value", Text, nullable=False))

clients = Table(
    "clients",
    metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("date_of_birth", Text),
    Column("sex", Text, nullable=False, server_default=""),
    Column("contact", Text, nullable=False, server_default=""),
    Column("notes", Text, nullable=False, server_default=""),
    Column("precautions", Text, nullable=False, server_default="{}"),
    Column("consent_photography", Integer, nullable=False, server_default="0"),
    Column("consent_date", Text),
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
    Column("name_fold", Text, nullable=False, server_default=""),  # v2
    Column("revision", Integer, nullable=False, server_default="1"),  # v3: +1 on every change (lost-update check)
    Column("height_cm", Float),  # v4: the client's height, the default of a height calibration
    Column("contact_fold", Text, nullable=False, server_default=""),  # v4: fold_name(contact), for search
    Column("contact_digits", Text, nullable=False, server_default=""),  # v4: phone_digits(contact), for search
)
Index("ix_clients_name_fold", clients.c.name_fold, clients.c.id)

visits = Table(
    "visits",
    metadata,
    Column("id", Text, primary_key=True),
    Column("client_id", Text, ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("visit_date", Text, nullable=False),  # the latest revision's
    Column("revision_count", Integer, nullable=False),  # = the latest revision's number
    Column("created_at", Text, nullable=False),
    Column("updated_at", Text, nullable=False),
)
Index("ix_visits_client_date", visits.c.client_id, visits.c.visit_date)

revisions = Table(
    "revisions",
    metadata,
    Column("id", Text, primary_key=True),
    Column("visit_id", Text, ForeignKey("visits.id", ondelete="CASCADE"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("visit_date", Text, nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column("saved_at", Text, nullable=False),
    UniqueConstraint("visit_id", "number"),
)

views = Table(
    "views",
    metadata,
    Column("revision_id", Text, ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True),
    Column("view", Text, primary_key=True),
    Column("document", Text, nullable=False),
    Column("result", Text),
)

files = Table(
    "files",
    metadata,
    Column("revision_id", Text, ForeignKey("revisions.id", ondelete="CASCADE"), primary_key=True),
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),  # photo | annotated | report
    Column("view", Text),
    Column("sha256", Text, nullable=False),
    Column("size", Integer, nullable=False),
)
