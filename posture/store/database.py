"""One data folder: its SQLite database, its ``files/`` and ``staging/`` trees, and the lock between them.

:class:`Database` opens (or creates) a data folder, private to the user
(folders 0700, files 0600 whatever the umask), migrates its database forward
(:mod:`posture.store.migrations`) and hands out transactions:
``read()`` and ``write()`` (a writer takes SQLite's write lock up front with
``BEGIN IMMEDIATE``), each turning SQLite's errors into one
:class:`~posture.errors.StoreError` sentence. Every connection runs in WAL
mode with ``synchronous=FULL`` (a committed save survives a power cut) and
``secure_delete`` (erased rows are overwritten).

The file layout lives here too: a revision's files sit in
``files/<client id>/<revision id>/`` under names made only of the fixed view
names (:func:`file_name`), never of anything a user typed.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import URL

from posture.errors import CorruptRecordError, StoreError

from .migrations import current_version, migrate
from .schema import SCHEMA_VERSION
from .validation import check_id, new_id

try:  # POSIX: advisory locks keep the clean-up away from saves in progress
    import fcntl
except ImportError:  # pragma: no cover - Windows: the clean-up only removes leftovers older than an hour
    fcntl = None  # type: ignore[assignment]  # the module is absent on Windows; every use checks for None

DATA_DIR_ENV = "POSTURE_DATA_DIR"
DB_NAME = "posture.db"
#: How long a save waits for another process's save to finish before saying the file is busy.
BUSY_TIMEOUT_S = 30.0

#: Every name a file of a revision folder may have.
FILE_NAME_RE = re.compile(r"^(?:(anterior|posterior|right_lateral|left_lateral)(_annotated)?\.jpg|report\.pdf)$")


def default_data_dir() -> Path:
    """``$POSTURE_DATA_DIR`` when set, else the per-user data folder (e.g. ``~/.local/share/posture``)."""
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        return Path(env).expanduser()
    return Path(platformdirs.user_data_dir("posture", appauthor=False))


def file_name(role: str, view: str | None) -> str:
    """The name of a revision's file: ``report.pdf``, ``<view>.jpg`` (photo) or ``<view>_annotated.jpg``."""
    return "report.pdf" if role == "report" else f"{view}{'_annotated' if role == 'annotated' else ''}.jpg"


# --- private folders ------------------------------------------------------------------


def tighten(path: Path, mode: int) -> None:
    """Remove group/other permissions from a folder or file of ours."""
    with contextlib.suppress(OSError):
        if path.stat().st_mode & 0o077:
            os.chmod(path, mode)


def make_private_dir(path: Path) -> None:
    """Create ``path`` (and parents) readable by the user only; refuse a file in the way."""
    if path.exists():
        if not path.is_dir():
            raise StoreError(f"{path} is a file, not a folder: choose another data folder.")
        return
    try:
        path.mkdir(mode=0o700, parents=True)
        os.chmod(path, 0o700)  # mkdir's mode is filtered by the umask
    except FileExistsError:
        pass
    except OSError as e:
        raise StoreError(f"Cannot create the data folder {path}: {e.strerror}.") from None


def remove_tree(path: Path) -> None:
    """Remove a folder (or a stray file in its place), ignoring what is already gone."""
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):
        path.unlink()  # a stray file rather than a folder


# --- the lock and the engine ----------------------------------------------------------


class RootLock:
    """Advisory lock on ``<root>/.lock``: saves hold it shared, the clean-up exclusive (never waiting)."""

    def __init__(self, path: Path):
        self.path = path

    def _open(self) -> int:
        return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)

    @contextlib.contextmanager
    def shared(self) -> Iterator[None]:
        if fcntl is None:  # pragma: no cover
            yield
            return
        fd = self._open()
        try:
            fcntl.flock(fd, fcntl.LOCK_SH)
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def exclusive_nowait(self) -> Iterator[bool | None]:
        """Yield True with the lock held, False when a save is in progress, None without lock support."""
        if fcntl is None:  # pragma: no cover
            yield None
            return
        fd = self._open()
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                yield False
                return
            yield True
        finally:
            os.close(fd)


def make_engine(db_path: Path) -> Engine:
    """A SQLAlchemy engine on ``db_path``: WAL, ``synchronous=FULL``, ``secure_delete``, foreign keys, busy timeout."""
    engine = create_engine(
        URL.create("sqlite", database=str(db_path)),
        connect_args={"timeout": BUSY_TIMEOUT_S, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (below)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")  # a committed save survives a power cut
        cur.execute("PRAGMA secure_delete = ON")  # erased rows are overwritten, not just unlinked
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front, so two processes never deadlock upgrading a read lock.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("posture_write") else "BEGIN")

    return engine


# --- the data folder ------------------------------------------------------------------


class Database:
    """An opened data folder: ``root``, ``files_dir``, ``staging_dir``, ``db_path``, the ``lock`` and transactions.

    Opening creates what is missing (folders 0700, database 0600), makes an
    existing folder private only when it is empty or already holds
    ``posture.db`` (a shared folder is left as it is), and migrates the
    database forward (:class:`~posture.errors.SchemaError` for a newer or
    foreign one).
    """

    def __init__(self, root: Path):
        self.root = root
        make_private_dir(self.root)
        self.files_dir = self.root / "files"
        self.staging_dir = self.root / "staging"
        self.erasing_dir = self.root / "erasing"  # the pending-erasure journal: one empty file per client id
        self.exporting_dir = self.root / "exporting"  # exports in progress: where each one's temp file is
        self.db_path = self.root / DB_NAME
        if self.db_path.exists() or not any(self.root.iterdir()):
            tighten(self.root, 0o700)  # our folder: private (a folder holding other things is left as it is)
        for d in (self.files_dir, self.staging_dir, self.erasing_dir, self.exporting_dir):
            make_private_dir(d)
            tighten(d, 0o700)
        if not self.db_path.exists():
            with contextlib.suppress(FileExistsError):
                os.close(os.open(self.db_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        tighten(self.db_path, 0o600)  # SQLite gives its -wal and -shm files the database's mode
        self.lock = RootLock(self.root / ".lock")
        self.engine = make_engine(self.db_path)
        try:
            self._migrate()
        except BaseException:
            self.engine.dispose()
            raise

    def close(self) -> None:
        self.engine.dispose()

    @contextlib.contextmanager
    def _tx(self, write: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                if write:
                    conn.execution_options(posture_write=True)
                with conn.begin():
                    yield conn
        except exc.OperationalError as e:
            text = str(e.orig).lower()
            if "locked" in text or "busy" in text:
                raise StoreError("The client file is busy (another Posture window is saving): try again in a moment.") from None
            raise StoreError(f"The client file cannot be read or written ({e.orig}).") from None
        except exc.IntegrityError as e:
            raise StoreError(f"The change conflicts with what the client file holds ({e.orig}).") from None
        except exc.DatabaseError as e:
            raise CorruptRecordError(f"The client file's database {self.db_path} is damaged ({e.orig}).") from None

    def read(self) -> contextlib.AbstractContextManager[Connection]:
        """A read transaction (``BEGIN``)."""
        return self._tx(write=False)

    def write(self) -> contextlib.AbstractContextManager[Connection]:
        """A write transaction (``BEGIN IMMEDIATE``: the write lock is taken at once, waiting up to :data:`BUSY_TIMEOUT_S`)."""
        return self._tx(write=True)

    def _migrate(self) -> None:
        with self.read() as conn:
            found = current_version(conn)  # raises SchemaError for a foreign database
        if found != SCHEMA_VERSION:
            with self.write() as conn:
                migrate(conn)  # re-reads the version (another process may have migrated meanwhile); refuses a newer one

    def schema_version(self) -> int:
        with self.read() as conn:
            return current_version(conn)

    def folder(self, client_id: str, revision_id: str) -> Path:
        """``files/<client id>/<revision id>``, both ids checked to be ids (they name folders)."""
        return self.files_dir / check_id(client_id, "client") / check_id(revision_id, "revision")

    def discard(self, path: Path) -> None:
        """Remove a folder whose rows are gone: rename it out of ``files/`` first, then delete it."""
        if not path.exists():
            return
        trash = self.staging_dir / f"{new_id()}.trash"
        try:
            os.rename(path, trash)
        except OSError:
            trash = path
        remove_tree(trash)

    def checkpoint(self, wait: bool = True) -> bool:
        """Move the write-ahead log into the database and truncate it to nothing; True when done.

        SQLite waits (up to :data:`BUSY_TIMEOUT_S`; not at all when ``wait`` is
        False) for connections reading an older snapshot to finish; False when
        one still does (the log then keeps its frames until a later checkpoint succeeds).
        """
        raw = self.engine.raw_connection()
        try:
            cur = raw.cursor()
            if not wait:
                cur.execute("PRAGMA busy_timeout = 0")
            try:
                row = cur.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                if not wait:
                    cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            done = row is not None and row[0] == 0
        except Exception:  # noqa: BLE001 - a failed checkpoint is reported as not done, and retried later
            done = False
        finally:
            raw.close()
        wal = self.db_path.with_name(self.db_path.name + "-wal")
        try:
            return done and wal.stat().st_size == 0
        except FileNotFoundError:
            return done
        except OSError:
            return False
