"""Forward-only schema migrations of the client-file database.

Each step is frozen history: it says what version *n* was, never what the
current tables look like, so a database created years ago upgrades through
the same SQL it would have met at the time. :func:`migrate` applies the
pending steps in order inside the caller's write transaction (SQLite DDL is
transactional, so an interrupted upgrade leaves the old version intact) and
refuses a database newer than this code with one sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from posture.errors import SchemaError

from .schema import SCHEMA_VERSION, fold_name, phone_digits


@dataclass(frozen=True)
class Migration:
    version: int  # the version the database is at after this step
    description: str
    apply: Callable[[Connection], None]


# Text primary keys say NOT NULL: SQLite, unlike the SQL standard, lets a non-integer primary key be NULL.
# (Amended before version 1 was ever released; from now on a change is a new step.)
_V1_SQL = (
    "CREATE TABLE meta (key TEXT NOT NULL PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE clients (
        id TEXT NOT NULL PRIMARY KEY,
        name TEXT NOT NULL,
        date_of_birth TEXT,
        sex TEXT NOT NULL DEFAULT '',
        contact TEXT NOT NULL DEFAULT '',
        notes TEXT NOT NULL DEFAULT '',
        precautions TEXT NOT NULL DEFAULT '{}',
        consent_photography INTEGER NOT NULL DEFAULT 0,
        consent_date TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX ix_clients_name ON clients (name COLLATE NOCASE)",
    """CREATE TABLE visits (
        id TEXT NOT NULL PRIMARY KEY,
        client_id TEXT NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        visit_date TEXT NOT NULL,
        revision_count INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL)""",
    "CREATE INDEX ix_visits_client_date ON visits (client_id, visit_date)",
    """CREATE TABLE revisions (
        id TEXT NOT NULL PRIMARY KEY,
        visit_id TEXT NOT NULL REFERENCES visits (id) ON DELETE CASCADE,
        number INTEGER NOT NULL,
        visit_date TEXT NOT NULL,
        notes TEXT NOT NULL DEFAULT '',
        saved_at TEXT NOT NULL,
        UNIQUE (visit_id, number))""",
    """CREATE TABLE views (
        revision_id TEXT NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        view TEXT NOT NULL,
        document TEXT NOT NULL,
        result TEXT,
        PRIMARY KEY (revision_id, view))""",
    """CREATE TABLE files (
        revision_id TEXT NOT NULL REFERENCES revisions (id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        view TEXT,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (revision_id, name))""",
)


def _v1_initial(conn: Connection) -> None:
    for stmt in _V1_SQL:
        conn.exec_driver_sql(stmt)


def _v2_name_fold(conn: Connection) -> None:
    """Case- and accent-insensitive name search: SQLite's NOCASE folds ASCII only ("Ł" ≠ "ł")."""
    conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN name_fold TEXT NOT NULL DEFAULT ''")
    rows = conn.exec_driver_sql("SELECT id, name FROM clients").all()
    if rows:
        conn.exec_driver_sql(
            "UPDATE clients SET name_fold = ? WHERE id = ?",
            [(fold_name(name if isinstance(name, str) else ""), cid) for cid, name in rows],
        )
    conn.exec_driver_sql("DROP INDEX ix_clients_name")
    conn.exec_driver_sql("CREATE INDEX ix_clients_name_fold ON clients (name_fold, id)")


def _v3_client_revision(conn: Connection) -> None:
    """Client records carry a revision, as visits do, so a save based on an older one can be refused."""
    conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN revision INTEGER NOT NULL DEFAULT 1")


def _v4_height_and_contact_search(conn: Connection) -> None:
    """The client's height (cm, optional), and search keys of the contact details (e-mail, address, phone digits)."""
    conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN height_cm FLOAT")
    conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN contact_fold TEXT NOT NULL DEFAULT ''")
    conn.exec_driver_sql("ALTER TABLE clients ADD COLUMN contact_digits TEXT NOT NULL DEFAULT ''")
    rows = conn.exec_driver_sql("SELECT id, contact FROM clients").all()
    keyed = [(c, cid) for cid, c in rows if isinstance(c, str) and c]
    if keyed:
        conn.exec_driver_sql(
            "UPDATE clients SET contact_fold = ?, contact_digits = ? WHERE id = ?",
            [(fold_name(c), phone_digits(c), cid) for c, cid in keyed],
        )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "initial schema: clients, visits, revisions, views, files", _v1_initial),
    Migration(2, "accent- and case-insensitive client name search (clients.name_fold)", _v2_name_fold),
    Migration(3, "client records carry a revision (clients.revision), checked on every update", _v3_client_revision),
    Migration(
        4,
        "the client's height (clients.height_cm); contact search keys (clients.contact_fold, contact_digits)",
        _v4_height_and_contact_search,
    ),
)
assert [m.version for m in MIGRATIONS] == list(range(1, SCHEMA_VERSION + 1))


def current_version(conn: Connection) -> int:
    """The database's schema version (0 for an empty database); raise :class:`SchemaError` for a foreign one."""
    tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables = {t for t in tables if not t.startswith("sqlite_")}
    if "meta" not in tables:
        if tables:
            raise SchemaError("The data folder holds a database that is not a Posture client file (no schema version).")
        return 0
    row = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'schema_version'").first()
    try:
        version = int(row[0]) if row is not None else -1
    except (TypeError, ValueError):
        version = -1
    if version < 1:
        raise SchemaError("The client file's schema version is missing or unreadable, so it cannot be opened safely.")
    return version


def migrate(conn: Connection, target: int = SCHEMA_VERSION) -> int:
    """Bring the database up to ``target`` within the caller's transaction; return the version found.

    Raises :class:`SchemaError` when the database is newer than this code.
    """
    found = current_version(conn)
    if found > SCHEMA_VERSION:
        raise SchemaError(
            f"This client file was written by a newer version of Posture (schema {found}; this version reads up to "
            f"{SCHEMA_VERSION}): update Posture to open it."
        )
    for step in MIGRATIONS:
        if found < step.version <= target:
            step.apply(conn)
            conn.exec_driver_sql(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(step.version),),
            )
    return found
