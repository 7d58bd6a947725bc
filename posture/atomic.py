"""Files written so that a crash leaves the old content or the new, never a mix (the one home for it).

* :func:`atomic_writer` / :func:`atomic_write_bytes`: replace a file (temp file
  in the same folder, mode 0600, fsync, rename, fsync of the folder).
* :func:`write_new_file`: create a file that must not exist yet (0600, fsynced),
  for folders that are renamed into place as a whole.
* :func:`fsync_dir`: make renames and new entries of a folder durable.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

try:  # POSIX: a temp file is locked by its writer, so a clean-up can tell a live write from a killed one
    import fcntl
except ImportError:  # pragma: no cover - Windows: temp files of killed writes are only removed on failure
    fcntl = None  # type: ignore[assignment]


def fsync_dir(path: str | os.PathLike[str]) -> None:
    """Make renames and new entries in ``path`` durable (no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _temp_re(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.[A-Za-z0-9_]{{8}}\.tmp$")


def is_abandoned(tmp: str | os.PathLike[str]) -> bool:
    """True when no live writer holds the temp file ``tmp`` (its writer was killed); False when in use or gone."""
    if fcntl is None:  # pragma: no cover
        return False
    try:
        fd = os.open(tmp, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    else:
        return True
    finally:
        os.close(fd)


def remove_abandoned_temps(path: str | os.PathLike[str]) -> int:
    """Remove the temp files a killed :func:`atomic_writer` of ``path`` left next to it; return how many went."""
    p = Path(path)
    pattern = _temp_re(p.name)
    removed = 0
    try:
        entries = list(p.parent.iterdir())
    except OSError:
        return 0
    for entry in entries:
        if pattern.match(entry.name) and entry.is_file() and not entry.is_symlink() and is_abandoned(entry):
            entry.unlink(missing_ok=True)
            removed += 1
    return removed


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str], on_temp: Callable[[Path], object] | None = None) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``path`` atomically when the block ends without error.

    Written to a temp file ``.<name>.<8 chars>.tmp`` in the same folder (mode
    0600, locked by this writer while it writes), fsynced, renamed over
    ``path``, and the folder fsynced; on an error the temp file is removed and
    ``path`` is untouched. A crash at any point leaves either the old file or
    the new one, never a mix; the temp file of a killed writer is removed by
    the next write of the same ``path`` (:func:`remove_abandoned_temps`).
    ``on_temp`` is called with the temp file's path before anything is
    written (a caller recording where it is, to clean it up after a kill).
    """
    p = Path(path)
    remove_abandoned_temps(p)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)  # held until the file is closed: see is_abandoned()
        with os.fdopen(fd, "wb") as fh:
            if on_temp is not None:
                on_temp(Path(tmp))
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
            os.replace(tmp, p)  # still locked: a clean-up never removes a temp file about to be renamed
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(p.parent)  # make the rename itself durable


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_writer`)."""
    with atomic_writer(path) as fh:
        fh.write(data)


def write_new_file(path: str | os.PathLike[str], data: bytes) -> None:
    """Create ``path`` (which must not exist) with ``data``, readable by the user only, and fsync it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
