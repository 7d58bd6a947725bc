"""Client records: add, edit, read, find by name, contact or phone, spot duplicates, erase.

**Search** folds case and accents on both sides
(:func:`~posture.store.schema.fold_name`, kept in ``clients.name_fold`` and
``clients.contact_fold``) and matches every word of the query anywhere in the
name or the contact details; a phone number matches its digits whatever the
spaces, dashes or brackets (``clients.contact_digits``,
:func:`~posture.store.schema.phone_digits`); ``%`` and ``_`` match themselves.
The same folding says which clients a new name may duplicate
(:func:`similar_clients`).

**Erasure** is journaled (``erasing/<client id>``, an empty file) before
anything goes, so a kill at any point is finished when a store next opens:
drafts and files, every row in one transaction (SQLite's ``secure_delete``
overwrites them), drafts and files again, then the write-ahead log is
checkpointed and truncated (waiting for other connections' reads to end).

**Record updates** are checked: each change adds one to the record's
``revision``; a save based on an older revision is refused
(:class:`~posture.errors.ConflictError`, :func:`conflict_message`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, func, insert, or_, select, update

from posture.atomic import fsync_dir, write_new_file
from posture.errors import ConflictError, NotFoundError

from . import schema as t  # the tables
from .database import Database
from .records import CLIENT_FIELDS, Client, ClientSummary
from .validation import check_id, client_from_row, client_values, new_id, now, parse_date, precautions_from_row


def _check_fields(fields: dict[str, Any], caller: str) -> None:
    unknown = sorted(set(fields) - set(CLIENT_FIELDS))
    if unknown:
        raise TypeError(f"{caller}() got an unknown field {unknown[0]!r}")


def create_client(db: Database, name: str, fields: dict[str, Any]) -> Client:
    """Add a client with the keyword ``fields`` of :data:`CLIENT_FIELDS`; return the stored record."""
    _check_fields(fields, "create_client")
    client = Client(id=new_id(), name=name, **fields)
    values = client_values(client)
    created = now()
    with db.write() as conn:
        conn.execute(insert(t.clients).values(id=client.id, created_at=created, updated_at=created, **values))
    return get_client(db, client.id)


#: What a save into a client erased meanwhile (another window, another process) says.
ERASED_MESSAGE = "This client has been erased (in another window, perhaps), so nothing was saved."
#: What a save into a visit deleted meanwhile, or a visit of a client erased meanwhile, says.
VISIT_GONE_MESSAGE = "This visit or its client has been erased (in another window, perhaps), so nothing was saved."


def conflict_message(updated_at: str) -> str:
    """The sentence refusing a record save based on an older revision (the time of the newer change, local)."""
    try:
        when = datetime.fromisoformat(updated_at).astimezone()
    except (TypeError, ValueError):
        return "This record was changed in another window: reload it."
    day = "" if when.date() == datetime.now().astimezone().date() else f" on {when.date().isoformat()}"
    return f"This record was changed in another window at {when:%H:%M}{day}: reload it."


def update_client(db: Database, client_id: str, changes: dict[str, Any], base_revision: int | None = None) -> Client:
    """Change some fields of a client; return the new record (its ``revision`` one higher).

    ``base_revision``: the revision the edit started from; when the record
    changed since, raise :class:`ConflictError` and change nothing. The check
    and the write are one write transaction, so two processes cannot both pass it.
    """
    _check_fields(changes, "update_client")
    check_id(client_id, "client")
    with db.write() as conn:
        row = conn.execute(select(t.clients).where(t.clients.c.id == client_id)).first()
        if row is None:
            raise NotFoundError(ERASED_MESSAGE)
        current = client_from_row(row)
        if base_revision is not None and current.revision != base_revision:
            raise ConflictError(conflict_message(current.updated_at))
        values = client_values(replace(current, **changes))
        conn.execute(
            update(t.clients).where(t.clients.c.id == client_id).values(updated_at=now(), revision=current.revision + 1, **values)
        )
    return get_client(db, client_id)


def get_client(db: Database, client_id: str) -> Client:
    """The client record (damaged fields in its ``problems``); :class:`NotFoundError`."""
    check_id(client_id, "client")
    with db.read() as conn:
        row = conn.execute(select(t.clients).where(t.clients.c.id == client_id)).first()
    if row is None:
        raise NotFoundError(f"No client with id {client_id!r}.")
    return client_from_row(row)


def _like(column: Any, word: str) -> ColumnElement[bool]:
    """``column`` holds ``word`` anywhere (LIKE with its wildcards escaped, so ``%`` and ``_`` match themselves)."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    clause: ColumnElement[bool] = column.like(f"%{escaped}%", escape="\\")
    return clause


#: A search that is a phone number: digits with spaces, dashes, dots, slashes or brackets, maybe a leading plus.
_PHONE_QUERY_RE = re.compile(r"\+?\(?[0-9][0-9 \-./()]*")
#: The fewest digits a phone search needs (fewer would find every house number).
MIN_PHONE_DIGITS = 3


def _search_filter(search: str) -> ColumnElement[bool] | None:
    """The clients a search finds (``None``: no words, every client); see :func:`list_clients`."""
    words = t.fold_name(search or "").split()
    if not words:
        return None
    cond: ColumnElement[bool] = and_(*(or_(_like(t.clients.c.name_fold, w), _like(t.clients.c.contact_fold, w)) for w in words))
    raw = (search or "").strip()
    digits = re.sub(r"[^0-9]", "", raw)
    if _PHONE_QUERY_RE.fullmatch(raw) and len(digits) >= MIN_PHONE_DIGITS:
        cond = or_(cond, _like(t.clients.c.contact_digits, digits))
    return cond


def _summaries(db: Database, cond: ColumnElement[bool] | None, limit: int, offset: int) -> list[ClientSummary]:
    """A page of the clients ``cond`` selects (all for ``None``) in name order, with visit count and last visit date."""
    clients, visits = t.clients, t.visits
    page = select(clients.c.id, clients.c.name, clients.c.name_fold, clients.c.precautions, clients.c.date_of_birth)
    if cond is not None:
        page = page.where(cond)
    page_sq = page.order_by(clients.c.name_fold, clients.c.id).limit(limit).offset(offset).subquery()
    count_q = select(func.count()).where(visits.c.client_id == page_sq.c.id).scalar_subquery()
    last_q = select(func.max(visits.c.visit_date)).where(visits.c.client_id == page_sq.c.id).scalar_subquery()
    q = select(
        page_sq.c.id, page_sq.c.name, page_sq.c.precautions, page_sq.c.date_of_birth, count_q.label("n"), last_q.label("last")
    ).order_by(page_sq.c.name_fold, page_sq.c.id)
    with db.read() as conn:
        rows = conn.execute(q).all()
    out = []
    for r in rows:
        problems: list[str] = []
        precautions = precautions_from_row(r.precautions, problems)
        last = parse_date(r.last, "last visit date", problems)
        born = parse_date(r.date_of_birth, "date of birth", problems)
        name = r.name if isinstance(r.name, str) else "(unreadable name)"
        out.append(ClientSummary(r.id, name, last, int(r.n), precautions, tuple(problems), born))
    return out


def list_clients(db: Database, search: str = "", limit: int = 50, offset: int = 0) -> list[ClientSummary]:
    """A page of clients in name order (``limit`` clamped to 1..1000), with their visit count and last visit date.

    ``search``: every folded word (:func:`~posture.store.schema.fold_name`)
    somewhere in the name or the contact details (an e-mail, a street); a
    search that is a phone number (at least :data:`MIN_PHONE_DIGITS` digits,
    spaces, dashes, dots, slashes and brackets ignored) also finds its digits
    in a number of the contact details, written however it is
    (:func:`~posture.store.schema.phone_digits`).
    """
    return _summaries(db, _search_filter(search), max(1, min(int(limit), 1000)), max(0, int(offset)))


def count_clients(db: Database, search: str = "") -> int:
    """How many clients :func:`list_clients` pages through for ``search``."""
    q = select(func.count()).select_from(t.clients)
    cond = _search_filter(search)
    if cond is not None:
        q = q.where(cond)
    with db.read() as conn:
        return int(conn.execute(q).scalar_one())


def similar_clients(db: Database, name: str) -> list[ClientSummary]:
    """The clients whose name is ``name`` up to case, accents, spacing and word order (possible duplicates).

    ``"  maria KELLER"``, ``"Keller Maria"`` and ``"Mária Keller"`` are all
    "Maria Keller"; "Maria Kellermann" is not. Each with its date of birth,
    so the therapist can tell a namesake from the same person.
    """
    words = sorted(t.fold_name(name or "").split())
    if not words:
        return []
    prefilter = and_(*(_like(t.clients.c.name_fold, w) for w in words))
    with db.read() as conn:
        rows = conn.execute(select(t.clients.c.id, t.clients.c.name_fold).where(prefilter)).all()
    ids = [r.id for r in rows if isinstance(r.name_fold, str) and sorted(r.name_fold.split()) == words]
    return _summaries(db, t.clients.c.id.in_(ids), 1000, 0) if ids else []


def resolve_client_id(db: Database, text: str) -> str:
    """A full client id from a full id or a unique prefix of at least 6 hex digits; :class:`NotFoundError`."""
    prefix = (text or "").strip().lower().replace("-", "")
    if not re.fullmatch(r"[0-9a-f]{6,32}", prefix):
        raise NotFoundError(f"{str(text)[:40]!r} is not a client id (32 hex digits, or at least the first 6).")
    with db.read() as conn:
        ids = conn.execute(select(t.clients.c.id).where(t.clients.c.id.like(f"{prefix}%")).limit(2)).scalars().all()
    if not ids:
        raise NotFoundError(f"No client with an id starting {prefix!r}.")
    if len(ids) > 1:
        raise NotFoundError(f"Several clients have ids starting {prefix!r}: give more digits.")
    found: str = ids[0]
    return found


def delete_client(db: Database, client_id: str, discard_drafts: Callable[[str], object]) -> bool:
    """Erase a client (see :func:`finish_erasure`); :class:`NotFoundError` when there is none.

    The erasure is written to the pending-erasure journal (``erasing/<id>``)
    first, so a kill at any later point is completed the next time a store
    opens. Returns True when no trace is left, False when a connection of
    another process kept reading for longer than the busy timeout (the
    journal then stays, and the next open finishes the job).
    """
    check_id(client_id, "client")
    with db.read() as conn:
        if conn.execute(select(t.clients.c.id).where(t.clients.c.id == client_id)).first() is None:
            raise NotFoundError(f"No client with id {client_id!r}.")
    entry = db.erasing_dir / client_id
    if not entry.exists():
        write_new_file(entry, b"")
        fsync_dir(db.erasing_dir)
    return finish_erasure(db, client_id, discard_drafts)


def finish_erasure(db: Database, client_id: str, discard_drafts: Callable[[str], object]) -> bool:
    """Carry out a journaled erasure (again, after a kill: every step may run twice); True when it is complete.

    Drafts and files go first, the rows in one transaction (``secure_delete``
    overwrites them and the freed pages with zeros), then drafts and files once
    more (a save racing the erasure), then the write-ahead log is checkpointed
    and truncated, waiting for other connections' reads to end. Only then is
    the journal entry removed.
    """
    check_id(client_id, "client")
    discard_drafts(client_id)
    db.discard(db.files_dir / client_id)
    _delete_rows(db, client_id)
    discard_drafts(client_id)
    db.discard(db.files_dir / client_id)
    if not db.checkpoint():
        return False
    (db.erasing_dir / client_id).unlink(missing_ok=True)
    fsync_dir(db.erasing_dir)
    return True


def retry_erasure(db: Database, client_id: str, discard_drafts: Callable[[str], object]) -> bool:
    """Try again, without waiting, to finish a pending erasure whose rows are gone (a reader held on past the
    busy timeout); True when it is complete now. One whose rows are still there (a kill before the commit,
    or an erasure running in another process) is left to that process or to the next open."""
    check_id(client_id, "client")
    with db.read() as conn:
        if conn.execute(select(t.clients.c.id).where(t.clients.c.id == client_id)).first() is not None:
            return False
    discard_drafts(client_id)
    db.discard(db.files_dir / client_id)
    if not db.checkpoint(wait=False):
        return False
    (db.erasing_dir / client_id).unlink(missing_ok=True)
    fsync_dir(db.erasing_dir)
    return True


def client_exists(db: Database, client_id: str) -> bool:
    """True when the client has a row and no erasure of theirs is pending."""
    check_id(client_id, "client")
    if (db.erasing_dir / client_id).exists():
        return False
    with db.read() as conn:
        return conn.execute(select(t.clients.c.id).where(t.clients.c.id == client_id)).first() is not None


def pending_erasures(db: Database) -> list[str]:
    """The client ids of erasures begun and not finished (a kill, or a reader that would not let go)."""
    try:
        return sorted(e.name for e in db.erasing_dir.iterdir() if t.ID_RE.match(e.name))
    except OSError:
        return []


def _delete_rows(db: Database, client_id: str) -> None:
    """Every row of the client, in one write transaction (nothing when they are gone already)."""
    clients, visits, revisions = t.clients, t.visits, t.revisions
    with db.write() as conn:
        visit_ids = select(visits.c.id).where(visits.c.client_id == client_id)
        rev_ids = select(revisions.c.id).where(revisions.c.visit_id.in_(visit_ids))
        conn.execute(delete(t.files).where(t.files.c.revision_id.in_(rev_ids)))
        conn.execute(delete(t.views).where(t.views.c.revision_id.in_(rev_ids)))
        conn.execute(delete(revisions).where(revisions.c.visit_id.in_(visit_ids)))
        conn.execute(delete(visits).where(visits.c.client_id == client_id))
        conn.execute(delete(clients).where(clients.c.id == client_id))
