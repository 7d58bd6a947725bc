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
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


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


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file handle whose content replaces ``path`` atomically when the block ends without error.

    Written to a temp file in the same folder (mode 0600), fsynced, renamed
    over ``path``, and the folder fsynced; on an error the temp file is
    removed and ``path`` is untouched. A crash at any point leaves either the
    old file or the new one, never a mix.
    """
    p = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, p)
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
