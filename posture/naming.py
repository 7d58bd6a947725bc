"""How the documents about a client are named and dated: file names (ASCII, surname first) and the client's age.

One home for these rules: the report, the handout and the app's downloads
all name their files with :func:`file_name`, and print the date of birth with
:func:`born_text`.
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata

__all__ = ["age_years", "born_text", "file_name"]


#: Letters NFKD does not take apart into an ASCII letter and an accent.
_ASCII_LETTERS = str.maketrans(
    {"ß": "ss", "Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ø": "O", "ø": "o", "Ł": "L", "ł": "l", "Đ": "D", "đ": "d",
     "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th", "ı": "i", "'": "", "’": ""}
)  # fmt: skip
_FILE_NAME_MAX_CLIENT = 60


def _ascii_words(text: str) -> list[str]:
    """The words of ``text`` in ASCII letters, digits and inner hyphens (accents dropped, other scripts left out)."""
    plain = unicodedata.normalize("NFKD", text.translate(_ASCII_LETTERS))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).encode("ascii", "ignore").decode("ascii")
    return re.findall(r"[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*", plain)


def file_name(client: str | None, day: _dt.date | str, kind: str = "posture", ext: str = "pdf") -> str:
    """The file name of a document about ``client`` on ``day``: ``Keller_Maria_2026-11-03_posture.pdf``.

    Surname first, so a folder sorts by client: a name written "Keller, Maria"
    keeps that order, any other takes its last word as the surname ("Maria
    Keller" → ``Keller_Maria``). ASCII only (accents dropped, letters of other
    scripts left out, spaces and slashes become ``_``); without a client (or
    nothing left of the name) the name starts with the date.

    >>> file_name("Maria Keller", "2026-11-03")
    'Keller_Maria_2026-11-03_posture.pdf'
    >>> file_name("Żółć, Łucja / Anna", _dt.date(2026, 11, 3), "handout")
    'Zolc_Lucja_Anna_2026-11-03_handout.pdf'
    >>> file_name(None, "2026-11-03")
    '2026-11-03_posture.pdf'
    """
    name = client or ""
    if "," in name:
        surname, given = name.split(",", 1)
        words = _ascii_words(surname) + _ascii_words(given)
    else:
        words = _ascii_words(name)
        words = words[-1:] + words[:-1]
    who = "_".join(words)[:_FILE_NAME_MAX_CLIENT].strip("_-")
    when = day.isoformat() if isinstance(day, _dt.date) else "_".join(_ascii_words(day))
    return "_".join(p for p in (who, when, "_".join(_ascii_words(kind))) if p) + f".{ext}"


def age_years(born: _dt.date, on: _dt.date) -> int:
    """Completed years of age on ``on`` of someone born on ``born`` (29 February counts from 1 March in other years).

    >>> age_years(_dt.date(1980, 3, 14), _dt.date(2026, 3, 13)), age_years(_dt.date(1980, 3, 14), _dt.date(2026, 3, 14))
    (45, 46)
    """
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def born_text(born: _dt.date, on: _dt.date) -> str:
    """``"born 1980-03-14 (46 y)"``: the date of birth and the age on ``on`` (no age when ``on`` is before the birth)."""
    if on < born:
        return f"born {born.isoformat()}"
    return f"born {born.isoformat()} ({age_years(born, on)} y)"
