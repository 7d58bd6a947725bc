"""Export a client file to a ZIP a person can read, and import it back (idempotent; hostile archives refused).

Layout of an export (one folder, named for the client id, never their name)::

    posture-client-<client id>/
        README.txt                   what is where, in plain words
        client.json                  the client record (precautions, consent...)
        visits/<date>_<visit id>/    one folder per visit (the id cut to 8 digits unless two collide)
            visit.json               the visit: every revision, what it holds and where (paths relative to this folder)
            anterior.json            view document of the latest revision
            anterior.result.json     its analysis result
            anterior.jpg             the photo (orientation applied, no EXIF)
            anterior_annotated.jpg   the annotated image
            report.pdf               the PDF report, when one was stored
            revisions/<n>/...        earlier revisions, same names; a file identical to one already
                                     in the visit folder is not repeated (visit.json points to it)

**Import** (:func:`import_archive`) reads only the files the manifests name,
never extracts anything to disk by the archive's own paths, and refuses,
with one sentence and nothing written, an archive with a member path that is
absolute, has a drive letter, backslashes or ``..``, a symbolic link, an
encrypted or oddly compressed member, too many members, a member or a total
larger than the :class:`Limits` (declared sizes are checked first, then the
bytes actually read, and a compression ratio above ``max_ratio``), more
revisions, views, references to one member or decoded pixels (from the image
headers, before anything is decoded) than the :class:`Limits`, a result whose
measured values are not what its document gives, JSON that
is not JSON or not of the expected schema, a view document the core refuses,
or a "photo" that is not an image. Ids are kept, so importing the same
archive twice adds it once: revisions already present are skipped, and the
client record is replaced only by a newer one.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import stat
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from PIL import Image, UnidentifiedImageError

from . import __version__, images
from . import document as docs
from .atomic import atomic_writer
from .errors import ArchiveError, DocumentError, JSONInputError, ResultError, StoreError
from .images import ACCEPTED, MAX_PIXELS
from .inputs import parse_json
from .result import Result, check_result
from .store import PRECAUTION_KEYS, Client, ImportedRevision, ImportSummary, Precautions, Store, StoredFile, ViewDraft, VisitDraft
from .store.schema import ID_RE

__all__ = [
    "ArchiveError",
    "Limits",
    "ExportSummary",
    "export_client",
    "import_archive",
    "FORMAT",
    "FORMAT_VERSION",
]

FORMAT = "posture-client-file"
VISIT_FORMAT = "posture-visit"
FORMAT_VERSION = 1
_MIB = 1024 * 1024
_SHA_RE = re.compile(r"^[0-9a-f]{64}$")
_DRIVE_RE = re.compile(r"^[A-Za-z]:")


# What zipfile raises for damaged or malformed archives (its own errors, zlib's, and low-level ones).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, NotImplementedError, RuntimeError, ValueError, OSError)


@dataclass(frozen=True)
class Limits:
    """What an archive may hold. The defaults fit a client with a few hundred visits of 12 MP photos."""

    max_members: int = 20_000
    max_member_bytes: int = 128 * _MIB
    max_json_bytes: int = 16 * _MIB
    max_total_bytes: int = 4096 * _MIB
    max_ratio: float = 200.0  # uncompressed / compressed, checked for members over 1 MiB
    #: Revisions and views (over all revisions) per archive.
    max_revisions: int = 2_000
    max_views: int = 8_000
    #: How many times one member (a photo, an annotated image, a report) may be referenced in all: once per revision,
    #: as an export refers to a photo every revision keeps (each reference is read again, within max_total_bytes).
    max_member_refs: int = 2_000
    #: Pixels decoded in all, counted from the image headers (nothing is decoded to check): once per JPEG member,
    #: whose further references cost no decoding, and for every reference to any other image (re-encoded each time).
    max_decoded_pixels: int = 12_000_000_000
    #: Pixels an image's header may promise per byte of the image file (real photos need a few; a bomb millions).
    max_pixels_per_byte: float = 500.0
    #: Pixels of the images that must be fully decoded and re-encoded (anything but a bare JPEG, which an export
    #: holds and which is checked at 1/8 scale): about 40 s of work; a real export needs none.
    max_reencoded_pixels: int = 1_000_000_000


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    client_id: str
    visits: int
    revisions: int
    files: int


# --- export ---------------------------------------------------------------------------

_README = """\
Posture client file
===================

This folder is one client's file, exported by Posture {version} on {exported}.
It holds health data: keep it private and delete it when it is no longer needed.

client.json                 the client record: name, date of birth, sex, height, contact, notes,
                            precautions checklist, consent to photography and its date
visits/<date>_<id>/         one folder per visit
    visit.json              the visit's revisions (each save of the visit), oldest first,
                            with their date, notes and the files each one holds
    <view>.json             the view document (landmarks and calibration, in photo pixels)
    <view>.result.json      the measurements, graded, with findings and planning starter
    <view>.jpg              the photo (no EXIF, no GPS)
    <view>_annotated.jpg    the photo with the plumb line and measurements drawn on it
    report.pdf              the PDF report, when one was saved
    revisions/<n>/          earlier revisions of the visit (identical files are not repeated)

Views: anterior (front), posterior (back), right_lateral, left_lateral.
To load this file into Posture: python -m posture import <this zip>
"""


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode("utf-8")


def _client_json(client: Client) -> dict[str, Any]:
    return {
        "id": client.id,
        "name": client.name,
        "date_of_birth": client.date_of_birth.isoformat() if client.date_of_birth else None,
        "sex": client.sex,
        "height_cm": client.height_cm,
        "contact": client.contact,
        "notes": client.notes,
        "precautions": client.precautions.to_dict(),
        "precautions_shown": client.precautions.labels(),  # for people; ignored on import
        "consent_photography": client.consent_photography,
        "consent_date": client.consent_date.isoformat() if client.consent_date else None,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    }


def export_client(store: Store, client_id: str, out_zip: str | os.PathLike[str]) -> ExportSummary:
    """Write one client's whole file (every visit and revision) to ``out_zip``, atomically (0600).

    Raises :class:`~posture.store.StoreError` (one sentence) when a record or
    a stored file of the client is damaged: the export is never silently partial.
    """
    out = Path(out_zip)
    if not out.parent.is_dir():
        raise ArchiveError(f"Cannot write {out}: the folder {out.parent} does not exist.")
    # 0600, temp file then rename; the temp file is removed on any failure, and after a kill by the next
    # export to this path or the next time a store opens on the data folder (it is recorded there meanwhile)
    with store.temp_journal() as note, atomic_writer(out, on_temp=note) as fh:
        summary = _write_export(store, client_id, fh)
    return ExportSummary(out, *summary)


def export_client_bytes(store: Store, client_id: str) -> bytes:
    """The export ZIP of :func:`export_client` as bytes (for a download button; nothing is written to disk)."""
    buf = io.BytesIO()
    _write_export(store, client_id, buf)
    return buf.getvalue()


def _write_export(store: Store, client_id: str, fh: BinaryIO) -> tuple[str, int, int, int]:
    """Write the export ZIP into ``fh``; return ``(client id, visits, revisions, files)``."""
    client = store.get_client(client_id)
    if client.problems:
        raise StoreError(f"The client record is damaged, so it cannot be exported: {client.problems[0]}")
    top = f"posture-client-{client.id}"
    summaries = sorted(store.list_visits(client.id), key=lambda v: (v.visit_date or date.min, v.id))
    short = [s.id[:8] for s in summaries]
    counts = {"revisions": 0, "files": 0}
    with zipfile.ZipFile(fh, "w") as zf:

        def put(name: str, data: bytes, compress: bool = True) -> None:
            info = zipfile.ZipInfo(f"{top}/{name}", date_time=datetime.now().timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
            info.external_attr = (stat.S_IFREG | 0o600) << 16
            zf.writestr(info, data)

        put("README.txt", _README.format(version=__version__, exported=datetime.now(UTC).date().isoformat()).encode())
        visit_paths = []
        for s in summaries:
            if s.problems:
                raise StoreError(f"The visit of {s.visit_date} is damaged, so it cannot be exported: {s.problems[0]}")
            folder = f"visits/{(s.visit_date or date.min).isoformat()}_{s.id[:8] if short.count(s.id[:8]) == 1 else s.id}"
            visit_paths.append(f"{folder}/visit.json")
            put(f"{folder}/visit.json", _json_bytes(_export_visit(store, s.id, folder, put, counts)))
        put("client.json", _json_bytes({
            "format": FORMAT, "format_version": FORMAT_VERSION, "exported_by": f"Posture {__version__}",
            "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "client": _client_json(client), "visits": visit_paths,
        }))  # fmt: skip
    return client.id, len(summaries), counts["revisions"], counts["files"]


def _export_visit(store: Store, visit_id: str, folder: str, put: Callable[..., None], counts: dict[str, int]) -> dict[str, Any]:
    """Write a visit's files (latest revision at the top, earlier ones under ``revisions/<n>/``); return visit.json."""
    latest = store.get_visit(visit_id)
    written: dict[str, str] = {}  # sha256 → path (relative to the visit folder) already in the archive
    entries = []
    for number in [latest.revision, *range(1, latest.revision)]:
        visit = latest if number == latest.revision else store.get_visit(visit_id, number)
        sub = "" if number == latest.revision else f"revisions/{number}/"

        def file_ref(stored: StoredFile | None, sub: str = sub) -> dict[str, Any] | None:
            if stored is None:
                return None
            path = written.get(stored.sha256)
            if path is None:
                path = f"{sub}{stored.name}"
                put(f"{folder}/{path}", store.read_file(stored), compress=False)
                written[stored.sha256] = path
                counts["files"] += 1
            return {"path": path, "sha256": stored.sha256, "size": stored.size}

        view_entries = []
        for view, rec in visit.views.items():
            if rec.document is None or rec.result is None:
                raise StoreError(
                    f"The {view} view of the visit of {visit.visit_date} (revision {number}) is damaged: {rec.problems[0]}"
                )
            put(f"{folder}/{sub}{view}.json", docs.dumps(rec.document).encode("utf-8"))
            put(f"{folder}/{sub}{view}.result.json", _json_bytes(rec.result))
            view_entries.append({
                "view": view, "document": f"{sub}{view}.json", "result": f"{sub}{view}.result.json",
                "photo": file_ref(rec.photo), "annotated": file_ref(rec.annotated),
            })  # fmt: skip
        entries.append({
            "number": number, "id": visit.revision_id, "visit_date": visit.visit_date.isoformat(), "notes": visit.notes,
            "saved_at": visit.saved_at, "views": view_entries, "report": file_ref(visit.report),
        })  # fmt: skip
        counts["revisions"] += 1
    entries.sort(key=lambda e: e["number"])
    return {
        "format": VISIT_FORMAT,
        "format_version": FORMAT_VERSION,
        "id": visit_id,
        "created_at": latest.created_at,
        "revisions": entries,
    }


# --- import: the archive as a whole ---------------------------------------------------


def _refuse(message: str) -> ArchiveError:
    return ArchiveError(f"The archive is refused: {message}")


def _central_directory(f: BinaryIO, size: int, limits: Limits) -> None:
    """Check the member count and central-directory size from the end record, before zipfile parses anything."""
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or len(tail) - pos < 22:
        raise _refuse("it is not a ZIP archive.")
    _, _, _, _, entries, cd_size, cd_offset, _ = struct.unpack("<4s4H2LH", tail[pos : pos + 22])
    if (entries == 0xFFFF or cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and pos >= 20:
        locator = tail[pos - 20 : pos]
        if locator[:4] == b"PK\x06\x07":  # ZIP64: the real counts are in the ZIP64 end record
            (offset,) = struct.unpack("<Q", locator[8:16])
            f.seek(offset)
            record = f.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                entries, cd_size = struct.unpack("<QQ", record[32:48])
    f.seek(0)
    if entries > limits.max_members:
        raise _refuse(f"it has {entries} members (the limit is {limits.max_members}).")
    if cd_size > limits.max_members * 1024:
        raise _refuse(f"its table of contents is {cd_size} bytes, far more than {limits.max_members} members need.")


def _check_member(info: zipfile.ZipInfo) -> None:
    name = info.filename
    if not name or len(name) > 1024 or any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise _refuse(f"a member has an empty, overlong or unprintable name ({name[:60]!r}).")
    if "\\" in name:
        raise _refuse(f"member {name[:200]!r} uses backslashes in its path.")
    if name.startswith("/") or _DRIVE_RE.match(name):
        raise _refuse(f"member {name[:200]!r} has an absolute path.")
    if any(part in ("", ".", "..") for part in name.rstrip("/").split("/")):
        raise _refuse(f"member {name[:200]!r} has a path that leaves its folder.")
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _refuse(f"member {name[:200]!r} is a symbolic link.")
    if info.flag_bits & 0x1:
        raise _refuse(f"member {name[:200]!r} is encrypted.")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _refuse(f"member {name[:200]!r} uses an unsupported compression method.")


class _Archive:
    """An opened, checked ZIP: members by name, read with their sizes enforced."""

    def __init__(self, fh: BinaryIO, size: int, limits: Limits):
        self.limits = limits
        if size > limits.max_total_bytes:
            raise _refuse(f"it is {size} bytes (the limit is {limits.max_total_bytes}).")
        try:
            _central_directory(fh, size, limits)
            self.zf = zipfile.ZipFile(fh)
        except _ZIP_ERRORS as e:
            raise _refuse(f"it is damaged or not a ZIP file ({e}).") from None
        infos = self.zf.infolist()
        if len(infos) > limits.max_members:
            raise _refuse(f"it has {len(infos)} members (the limit is {limits.max_members}).")
        self.members: dict[str, zipfile.ZipInfo] = {}
        total = 0
        for info in infos:
            _check_member(info)
            if info.filename in self.members:
                raise _refuse(f"member {info.filename[:200]!r} appears twice.")
            self.members[info.filename] = info
            if info.is_dir():
                continue
            if info.file_size > limits.max_member_bytes:
                raise _refuse(
                    f"member {info.filename[:200]!r} is {info.file_size} bytes (the limit is {limits.max_member_bytes})."
                )
            if info.file_size > _MIB and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise _refuse(
                    f"member {info.filename[:200]!r} expands {info.file_size / max(info.compress_size, 1):.0f}-fold (a ZIP bomb?)."
                )
            total += info.file_size
        if total > limits.max_total_bytes:
            raise _refuse(f"its members add up to {total} bytes (the limit is {limits.max_total_bytes}).")
        self.bytes_read = 0
        self.revisions = 0
        self.views = 0
        self.refs: dict[str, int] = {}
        self.pixels = 0
        self.reencoded_pixels = 0
        self._image_pixels: dict[str, int] = {}
        self._image_formats: dict[str, str] = {}

    def count(self, what: str) -> None:
        """One more revision or view; refuse the archive past its limit."""
        if what == "revision":
            self.revisions += 1
            if self.revisions > self.limits.max_revisions:
                raise _refuse(f"it holds more than {self.limits.max_revisions} revisions (the limit).")
        else:
            self.views += 1
            if self.views > self.limits.max_views:
                raise _refuse(f"it holds more than {self.limits.max_views} views (the limit).")

    def reference(self, name: str, image: bool) -> None:
        """One more reference to member ``name``; for an image, its header's pixels join the decoded total."""
        self.refs[name] = n = self.refs.get(name, 0) + 1
        if n > self.limits.max_member_refs:
            raise _refuse(f"member {name[:200]!r} is referenced more than {self.limits.max_member_refs} times (the limit).")
        if not image:
            return
        pixels = self.image_pixels(name)
        if n > 1 and self.image_format(name) == "JPEG":
            return  # the same JPEG again: proven once (images.clean_jpeg remembers it), re-encoded by its first reference
        self.pixels += pixels
        if self.pixels > self.limits.max_decoded_pixels:
            raise _refuse(
                f"its images would decode to more than {self.limits.max_decoded_pixels / 1e6:,.0f} megapixels in all (the limit)."
            )
        if self.image_format(name) != "JPEG":  # never a bare JPEG: decoded and re-encoded in full
            self.reencode(name)

    def image_format(self, name: str) -> str | None:
        """Pillow's name of an image member's format, once :meth:`image_pixels` read its header."""
        return self._image_formats.get(name)

    def reencode(self, name: str) -> None:
        """One more full decode and re-encode of image member ``name``; refuse the archive past its limit."""
        self.reencoded_pixels += self.image_pixels(name)
        if self.reencoded_pixels > self.limits.max_reencoded_pixels:
            raise _refuse(
                f"its images other than plain JPEGs would be decoded and re-encoded for more than "
                f"{self.limits.max_reencoded_pixels / 1e6:,.0f} megapixels in all (the limit)."
            )

    def image_pixels(self, name: str) -> int:
        """Width × height of an image member, from its header only (never decoded here)."""
        if name in self._image_pixels:
            return self._image_pixels[name]
        info = self.members[name]
        try:
            with self.zf.open(info) as fh, warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                header = Image.open(fh)  # lazy: reads the header, no pixel
                width, height = header.size
                self._image_formats[name] = str(header.format)
        except Image.DecompressionBombError:
            raise _refuse(f"member {name[:200]!r} is an image larger than {MAX_PIXELS / 1e6:.0f} MP (the limit).") from None
        except (UnidentifiedImageError, *_ZIP_ERRORS, SyntaxError):
            raise _refuse(f"member {name[:200]!r} is not a photo this app can read ({ACCEPTED}).") from None
        pixels = int(width) * int(height)
        if pixels > MAX_PIXELS:
            raise _refuse(f"member {name[:200]!r} is an image of {pixels / 1e6:.0f} MP (the limit is {MAX_PIXELS / 1e6:.0f} MP).")
        if pixels > self.limits.max_pixels_per_byte * max(info.file_size, 1):
            raise _refuse(
                f"member {name[:200]!r} promises {pixels / 1e6:.0f} MP from {info.file_size} bytes, more than "
                f"{self.limits.max_pixels_per_byte:g} pixels per byte (the limit; an image bomb?)."
            )
        self._image_pixels[name] = pixels
        return pixels

    def read(self, name: str, limit: int) -> bytes:
        info = self.members.get(name)
        if info is None or info.is_dir():
            raise _refuse(f"{name[:200]!r} is named in a manifest but is not in the archive.")
        if info.file_size > limit:
            raise _refuse(f"member {name[:200]!r} is {info.file_size} bytes (the limit is {limit}).")
        try:
            with self.zf.open(info) as fh:
                data = fh.read(limit + 1)
        except _ZIP_ERRORS as e:
            raise _refuse(f"member {name[:200]!r} is damaged ({e}).") from None
        if len(data) != info.file_size:
            raise _refuse(f"member {name[:200]!r} holds {len(data)} bytes but declares {info.file_size}.")
        self.bytes_read += len(data)
        if self.bytes_read > self.limits.max_total_bytes:
            raise _refuse(f"its members add up to more than {self.limits.max_total_bytes} bytes.")
        return data

    def read_json(self, name: str) -> Any:
        data = self.read(name, self.limits.max_json_bytes)
        try:  # the one strict parser: no NaN, no key given twice
            return parse_json(data, limit=self.limits.max_json_bytes)
        except JSONInputError as exc:
            raise _refuse(f"{name[:200]!r} {exc.reason}.") from None


# --- import: manifests ----------------------------------------------------------------


class _Fields:
    """Typed access to a JSON object, refusing the archive with the offending field named."""

    def __init__(self, obj: Any, where: str):
        if not isinstance(obj, dict):
            raise _refuse(f"{where} is not a JSON object.")
        self.obj, self.where = obj, where

    def get(self, key: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
        value = self.obj.get(key)
        if value is None and optional:
            return None
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise _refuse(f"{self.where}: {key} is missing or has the wrong type.")
        return value

    def id(self, key: str) -> str:
        value: str = self.get(key, str)
        if not ID_RE.match(value):
            raise _refuse(f"{self.where}: {key} is not a Posture id.")
        return value

    def day(self, key: str) -> date:
        day = self.optional_day(key, optional=False)
        assert day is not None  # get() refused a missing value
        return day

    def optional_day(self, key: str, optional: bool = True) -> date | None:
        value = self.get(key, str, optional)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise _refuse(f"{self.where}: {key} is not a date (YYYY-MM-DD).") from None


def _relative(base: str, ref: Any, where: str) -> str:
    """The member name of a path given in a manifest, relative to ``base``; refuse one that leaves it."""
    if not isinstance(ref, str) or not ref or "\\" in ref or ref.startswith("/") or _DRIVE_RE.match(ref):
        raise _refuse(f"{where}: {str(ref)[:100]!r} is not a relative path.")
    if any(part in ("", ".", "..") for part in ref.split("/")):
        raise _refuse(f"{where}: {ref[:100]!r} leaves its folder.")
    return f"{base}{ref}"


def _height(c: _Fields) -> float | None:
    """The client's height (cm) of ``client.json``; absent (archives before it was recorded) or null: not recorded."""
    value = c.obj.get("height_cm")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _refuse(f"{c.where}: height_cm is not a number of centimetres.")
    return float(value)  # its range is checked with the rest of the record


def _client_from_json(raw: Any) -> tuple[Client, list[str]]:
    f = _Fields(raw, "client.json")
    if raw.get("format") != FORMAT:
        raise _refuse("client.json is not a Posture client file (its format is not posture-client-file).")
    version = f.get("format_version", int)
    if version != FORMAT_VERSION:
        raise _refuse(f"client.json has format version {version}; this Posture reads version {FORMAT_VERSION}.")
    c = _Fields(raw.get("client"), "client.json: client")
    p = _Fields(c.obj.get("precautions"), "client.json: client.precautions")
    checked = p.get("checked", list)
    if not all(isinstance(k, str) and k in PRECAUTION_KEYS for k in checked):
        raise _refuse("client.json: client.precautions lists an unknown precaution.")
    try:
        client = Client(
            id=c.id("id"),
            name=c.get("name", str),
            date_of_birth=c.optional_day("date_of_birth"),
            sex=c.get("sex", str),
            height_cm=_height(c),
            contact=c.get("contact", str),
            notes=c.get("notes", str),
            precautions=Precautions(frozenset(checked), p.get("other_text", str)),
            consent_photography=c.get("consent_photography", bool),
            consent_date=c.optional_day("consent_date"),
            created_at=c.get("created_at", str),
            updated_at=c.get("updated_at", str),
        )
    except StoreError as e:
        raise _refuse(f"client.json: {e}") from None
    visits = f.get("visits", list)
    if not all(isinstance(v, str) for v in visits):
        raise _refuse("client.json: visits must list the visit.json files.")
    return client, visits


def _file_ref(raw: Any, base: str, where: str, archive: _Archive, *, image: bool = True) -> tuple[str, str] | None:
    """``(member name, sha256)`` of a file reference in visit.json, its size checked against the member."""
    if raw is None:
        return None
    f = _Fields(raw, where)
    name = _relative(base, f.get("path", str), where)
    sha = f.get("sha256", str)
    if not _SHA_RE.match(sha):
        raise _refuse(f"{where}: sha256 is not a SHA-256 digest.")
    info = archive.members.get(name)
    if info is None or info.is_dir():
        raise _refuse(f"{where}: {name[:200]!r} is not in the archive.")
    if f.get("size", int) != info.file_size:
        raise _refuse(f"{where}: the size of {name[:200]!r} does not match its member.")
    archive.reference(name, image)
    return name, sha


def _read_checked(archive: _Archive, ref: tuple[str, str] | None, *, image: bool = True) -> bytes | None:
    if ref is None:
        return None
    data = archive.read(ref[0], archive.limits.max_member_bytes)
    if hashlib.sha256(data).hexdigest() != ref[1]:
        raise _refuse(f"{ref[0][:200]!r} does not match its SHA-256 in visit.json (damaged or altered).")
    if image and archive.image_format(ref[0]) == "JPEG" and not images.jpeg_is_clean(data):
        archive.reencode(ref[0])  # a JPEG with metadata is decoded and re-encoded like any other image
    return data


@dataclass(frozen=True)
class _ViewSpec:
    view: str
    document: str  # member names
    result: str
    photo: tuple[str, str] | None  # (member name, sha256)
    annotated: tuple[str, str] | None


def _loader(
    archive: _Archive, visit_date: date, notes: str, specs: list[_ViewSpec], report: tuple[str, str] | None
) -> Callable[[], VisitDraft]:
    """Read one revision's documents, results and files when the store asks for them (not for revisions it has)."""

    def load() -> VisitDraft:
        drafts = []
        for spec in specs:
            try:
                doc = docs.loads(archive.read(spec.document, archive.limits.max_json_bytes))
            except DocumentError as e:
                raise _refuse(f"{spec.document[:200]!r} is not a valid view document ({e}).") from None
            if doc.view != spec.view:
                raise _refuse(f"{spec.document[:200]!r} is the {doc.view} view, listed as the {spec.view[:40]} view.")
            try:
                result: Result = check_result(archive.read_json(spec.result), spec.view)
            except ResultError as e:
                raise _refuse(f"{spec.result[:200]!r}: {e}") from None
            drafts.append(ViewDraft(doc, result, _read_checked(archive, spec.photo), _read_checked(archive, spec.annotated)))
        return VisitDraft(visit_date, notes, tuple(drafts), _read_checked(archive, report, image=False))

    return load


def _visit_revisions(archive: _Archive, manifest_name: str) -> list[ImportedRevision]:
    """The revisions of one visit.json (structure checked now; documents, results and files read lazily)."""
    base = manifest_name[: -len("visit.json")]
    f = _Fields(archive.read_json(manifest_name), manifest_name)
    if f.obj.get("format") != VISIT_FORMAT or f.get("format_version", int) != FORMAT_VERSION:
        raise _refuse(f"{manifest_name[:200]} is not a Posture visit of format version {FORMAT_VERSION}.")
    visit_id, created_at = f.id("id"), f.get("created_at", str)
    entries = f.get("revisions", list)
    if not entries:
        raise _refuse(f"{manifest_name[:200]} lists no revision.")
    out = []
    for i, raw in enumerate(entries, 1):
        where = f"{manifest_name[:200]}: revisions[{i}]"
        r = _Fields(raw, where)
        archive.count("revision")
        if r.get("number", int) != i:
            raise _refuse(f"{where}: revisions must be numbered 1, 2, 3... in order.")
        specs = []
        for j, vraw in enumerate(r.get("views", list), 1):
            vw = f"{where}.views[{j}]"
            v = _Fields(vraw, vw)
            archive.count("view")
            specs.append(
                _ViewSpec(
                    v.get("view", str),
                    _relative(base, v.get("document", str), vw),
                    _relative(base, v.get("result", str), vw),
                    _file_ref(v.obj.get("photo"), base, f"{vw}.photo", archive),
                    _file_ref(v.obj.get("annotated"), base, f"{vw}.annotated", archive),
                )
            )
        report = _file_ref(r.obj.get("report"), base, f"{where}.report", archive, image=False)
        load = _loader(archive, r.day("visit_date"), r.get("notes", str), specs, report)
        out.append(ImportedRevision(visit_id, created_at, r.id("id"), r.get("saved_at", str), load, label=where))
    return out


def import_archive(store: Store, zip_path: str | os.PathLike[str], limits: Limits = Limits()) -> ImportSummary:
    """Import a client file exported by :func:`export_client` (or by hand in the same layout).

    Idempotent and atomic (see the module docstring). Raises
    :class:`ArchiveError` for a malformed or hostile archive and
    :class:`~posture.store.StoreError` for what the store refuses (e.g. a
    "photo" that is not an image, named with its place in the archive); in
    both cases nothing is written. ``str(summary)`` is a sentence to show.
    """
    path = Path(zip_path)
    try:
        fh = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as e:
        raise ArchiveError(f"Cannot read the archive {path}: {e.strerror}.") from None
    with fh:
        if not path.is_file():
            raise ArchiveError(f"{path} is not a file.")
        return _import(store, fh, os.fstat(fh.fileno()).st_size, limits)


def import_archive_bytes(store: Store, data: bytes, name: str = "archive.zip", limits: Limits = Limits()) -> ImportSummary:
    """:func:`import_archive` of an uploaded ZIP held in memory (``name`` is only for messages)."""
    try:
        return _import(store, io.BytesIO(data), len(data), limits)
    except ArchiveError as e:
        raise ArchiveError(f"{name}: {e}") from None


def _import(store: Store, fh: BinaryIO, size: int, limits: Limits) -> ImportSummary:
    archive = _Archive(fh, size, limits)
    with contextlib.closing(archive.zf):
        tops = [n for n in archive.members if PurePosixPath(n).name == "client.json" and n.count("/") <= 1]
        if len(tops) != 1:
            raise _refuse("it holds no client.json at its top (or more than one).")
        top = tops[0][: -len("client.json")]
        client, visit_manifests = _client_from_json(archive.read_json(tops[0]))
        revisions: list[ImportedRevision] = []
        for ref in dict.fromkeys(visit_manifests):
            name = _relative(top, ref, "client.json: visits")
            if PurePosixPath(name).name != "visit.json":
                raise _refuse(f"client.json: visits lists {ref[:100]!r}, not a visit.json.")
            revisions += _visit_revisions(archive, name)
        return store.import_client(client, revisions)
