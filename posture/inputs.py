"""Reading what a user hands in: files checked before they are read, and JSON parsed strictly (the one home for both).

* :func:`read_input_file`: the bytes of a **regular** file of at most ``limit``
  bytes. A pipe, a device (``/dev/zero``) or a folder is refused from its
  ``stat`` before it is opened, so nothing hangs on a named pipe or reads an
  endless device; a file larger than the limit is refused before a byte is read.
* :func:`parse_json`: JSON text to Python, refusing what :func:`json.loads`
  lets through silently: a key given twice in one object (the last one would
  win), ``NaN``/``Infinity`` (not JSON), and text over :data:`MAX_JSON_BYTES`.

:func:`read_input_file` raises an exception chosen by the caller (so a view document's problem stays
a :class:`~posture.errors.DocumentError`, a settings file's a
:class:`~posture.errors.SettingsError`), with the sentence written here; :func:`parse_json` raises
:class:`~posture.errors.JSONInputError`, whose ``reason`` each reader words into its own error.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import JSONInputError

#: Largest JSON input (a view document, a settings file), in bytes. A real view document is a few KB.
MAX_JSON_BYTES = 5 * 1024 * 1024


def megabytes(n: int) -> str:
    """``5242880`` → ``"5 MB"`` (MiB, as file managers count them; one decimal under 10 MB)."""
    mb = n / (1024 * 1024)
    return f"{mb:.1f} MB" if mb < 9.95 and not mb.is_integer() else f"{mb:.0f} MB"


def read_input_file(path: str | os.PathLike[str], what: str, limit: int, error: Callable[[str], Exception]) -> bytes:
    """The bytes of the regular file ``path`` (``what`` names it in messages: ``"view document"``, ``"photo"``).

    Raises ``error(sentence)`` when the file is missing, a folder, not a
    regular file (a pipe, a device, a socket) or larger than ``limit`` bytes;
    all of that is checked before the file is opened.
    """
    p, st = _regular_stat(path, what, error)
    if st.st_size > limit:
        raise error(f"{p} is {megabytes(st.st_size)}; a {what} is at most {megabytes(limit)}.")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"Cannot read the {what} {p}: {exc.strerror}.") from None
    if len(data) > limit:  # it grew since the stat
        raise error(f"{p} is larger than {megabytes(limit)}, the most a {what} may be.")
    return data


def check_regular(p: Path, st: os.stat_result, what: str, error: Callable[[str], Exception]) -> None:
    """Refuse a folder, a pipe, a device or a socket named as the ``what`` (from its ``stat``, so nothing is opened)."""
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{p} is a folder, not a {what}.")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{p} is not an ordinary file (a pipe or a device): give the {what} as a file.")


def check_input_path(path: str | os.PathLike[str], what: str, error: Callable[[str], Exception]) -> Path:
    """``path`` when it is an existing regular file (any size); else ``error(sentence)``. For inputs read by others (a ZIP)."""
    return _regular_stat(path, what, error)[0]


def _regular_stat(path: str | os.PathLike[str], what: str, error: Callable[[str], Exception]) -> tuple[Path, os.stat_result]:
    """``path`` and its ``stat`` when it is an existing regular file; else ``error(sentence)`` (nothing is opened)."""
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"No such {what}: {p}.") from None
    except OSError as exc:
        raise error(f"Cannot read the {what} {p}: {exc.strerror}.") from None
    check_regular(p, st, what, error)
    return p, st


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            shown = json.dumps(key, ensure_ascii=False)
            raise JSONInputError(
                f"gives the key {shown if len(shown) <= 60 else shown[:59] + '…'} twice in one object (keep one)"
            )
        out[key] = value
    return out


def _no_constants(name: str) -> Any:
    raise JSONInputError(f"is not valid JSON ({name} is not a number JSON allows)")


def parse_json(data: str | bytes, limit: int = MAX_JSON_BYTES, *, allow_constants: bool = False) -> Any:
    """Parse JSON text strictly; raise :class:`JSONInputError` (its ``reason`` names what is wrong, one phrase).

    Refused: more than ``limit`` bytes, text that is not UTF-8, invalid JSON, nesting deeper than Python
    recurses, numbers with more digits than Python converts, ``NaN``/``Infinity``, and a key given twice
    in one object (named). ``allow_constants`` lets ``NaN``/``Infinity`` through as floats, for a parser
    that refuses them itself naming the field (a view document's coordinates, a settings file's thresholds).
    """
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limit:
        raise JSONInputError(f"is {megabytes(size)}, more than the {megabytes(limit)} it may be")
    try:
        # bytes as json.loads reads them: UTF-8 (a BOM allowed), or UTF-16/32 told by their first bytes
        text = bytes(data).decode(json.detect_encoding(data), "strict") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError:
        raise JSONInputError("is not valid JSON (not UTF-8 text)") from None
    try:
        if allow_constants:
            return json.loads(text, object_pairs_hook=_no_duplicates)
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except JSONInputError:
        raise
    except json.JSONDecodeError as exc:
        raise JSONInputError(f"is not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise JSONInputError("is not valid JSON (nested too deeply)") from None
    except ValueError:  # an integer with more digits than Python converts
        raise JSONInputError("is not valid JSON (a number has too many digits)") from None
