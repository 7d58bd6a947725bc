"""Issue 12, the archive's half: bounded imports, recomputed results, and no export temp file left behind.

Archives are built in the test: the 13 KB amplifier (ten revisions all
pointing at one tiny PNG whose header says 60 MP), a result planted against
its document, and an export killed with SIGKILL half-way through its photos.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import signal
import tracemalloc
import zipfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from test_archive import _assert_untouched, _members, _zip
from test_store import new_client, sample_doc, visit_draft

from posture import document as docs
from posture import images
from posture.analysis import analyze
from posture.archive import FORMAT, FORMAT_VERSION, VISIT_FORMAT, Limits, export_client, import_archive_bytes
from posture.errors import PostureError
from posture.store import Store

CID, VID = "c1" * 16, "d2" * 16
TOP = f"posture-client-{CID}"


def _bomb_png() -> bytes:
    """A PNG of a few KB whose header says 10000×6000 (60 MP, exactly the photo limit)."""
    buf = io.BytesIO()
    Image.new("1", (10_000, 6_000)).save(buf, "PNG", optimize=True)
    return buf.getvalue()


def _amplifier(revisions: int = 10, png: bytes | None = None) -> bytes:
    """An archive whose ``revisions`` revisions each show the same tiny PNG as their anterior photo."""
    png = png if png is not None else _bomb_png()
    doc = replace(sample_doc("anterior"), image_width=10_000.0, image_height=6_000.0)
    result = analyze(sample_doc("anterior"))
    photo = {"path": "photo.png", "sha256": hashlib.sha256(png).hexdigest(), "size": len(png)}
    entries = [
        {
            "number": n, "id": f"{n:032x}", "visit_date": "2026-01-05", "notes": "", "saved_at": "2026-01-05T10:00:00+00:00",
            "views": [{"view": "anterior", "document": "anterior.json", "result": "anterior.result.json", "photo": photo,
                       "annotated": photo}],
            "report": None,
        }
        for n in range(1, revisions + 1)
    ]  # fmt: skip
    client = {
        "id": CID, "name": "Amplifier", "date_of_birth": None, "sex": "", "contact": "", "notes": "",
        "precautions": {"checked": [], "other_text": ""}, "consent_photography": True, "consent_date": "2026-01-01",
        "created_at": "2026-01-01T00:00:00+00:00", "updated_at": "2026-01-01T00:00:00+00:00",
    }  # fmt: skip
    visit = f"visits/2026-01-05_{VID[:8]}"
    return _zip([
        (f"{TOP}/client.json", json.dumps({"format": FORMAT, "format_version": FORMAT_VERSION, "client": client,
                                           "visits": [f"{visit}/visit.json"]}).encode()),
        (f"{TOP}/{visit}/visit.json", json.dumps({"format": VISIT_FORMAT, "format_version": FORMAT_VERSION, "id": VID,
                                                  "created_at": "2026-01-05T10:00:00+00:00", "revisions": entries}).encode()),
        (f"{TOP}/{visit}/anterior.json", docs.dumps(doc).encode()),
        (f"{TOP}/{visit}/anterior.result.json", json.dumps(result).encode()),
        (f"{TOP}/{visit}/photo.png", png),
    ])  # fmt: skip


@pytest.fixture
def target(tmp_path):
    with Store(tmp_path / "target") as s:
        yield s


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any image is decoded (the bounds must refuse from the headers alone)."""

    def refuse(*_a, **_k):
        raise AssertionError("an image was decoded before the archive's bounds were checked")

    for name in ("decode_image", "clean_jpeg"):
        monkeypatch.setattr(images, name, refuse)


def _refused(target, data: bytes, name: str, limits: Limits | None = None) -> tuple[str, int]:
    """Import ``data``, which must be refused: the refusal's sentence and the traced peak (bytes) on the way."""
    tracemalloc.start()
    try:
        with pytest.raises(PostureError) as err:
            import_archive_bytes(target, data, name, limits=limits or Limits())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return str(err.value), peak


def test_the_13_kb_amplifier_is_refused_from_its_headers_with_bounded_memory(target, no_decoding):
    data = _amplifier()
    assert len(data) < 20_000  # the torture run's archive was 13.5 KB
    text, peak = _refused(target, data, "amplifier.zip")
    assert "pixels per byte (the limit" in text and "\n" not in text, text
    assert peak < 30 * 1024 * 1024, f"the refusal peaked at {peak / 1e6:.0f} MB"  # it cost 720 MB before
    _assert_untouched(target)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(max_pixels_per_byte=1e12, max_decoded_pixels=500_000_000), "megapixels in all (the limit)"),
        (Limits(max_pixels_per_byte=1e12, max_member_refs=5), "referenced more than 5 times (the limit)"),
        (Limits(max_pixels_per_byte=1e12, max_revisions=5), "more than 5 revisions (the limit)"),
        (Limits(max_pixels_per_byte=1e12, max_views=5), "more than 5 views (the limit)"),
    ],
    ids=["decoded pixels", "member references", "revisions", "views"],
)
def test_each_import_bound_refuses_before_decoding_and_names_its_limit(target, no_decoding, limits, message):
    text, peak = _refused(target, _amplifier(10), "amplifier.zip", limits)
    assert message in text, text
    assert peak < 30 * 1024 * 1024
    _assert_untouched(target)


def _noisy_png() -> bytes:
    """A 60 MP grey PNG of about 130 KB: under the pixels-per-byte bound (461 per byte), yet a full decode each time."""
    pixels = np.zeros((6_000, 10_000), np.uint8)
    pixels.flat[:130_000] = np.random.default_rng(7).integers(0, 256, 130_000, dtype=np.uint8)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def test_images_to_re_encode_are_bounded_from_their_headers(target, no_decoding):
    """The torture run's next step: a 1.6 MB archive of 60 MP PNGs under every other bound cost 55 s and 716 MB."""
    png = _noisy_png()
    assert 60_000_000 / len(png) < Limits().max_pixels_per_byte  # not a bomb by its bytes
    data = _amplifier(9, png)  # 9 revisions × photo and annotated: 1 080 MP to decode and re-encode
    text, peak = _refused(target, data, "heavy.zip")
    assert "other than plain JPEGs" in text and "1,000 megapixels in all (the limit)" in text and "\n" not in text, text
    assert peak < 30 * 1024 * 1024
    _assert_untouched(target)


def test_a_jpeg_with_metadata_counts_as_re_encoded(target):
    from test_archive import _hand_made
    from test_store import exif_jpeg

    heavy = Limits(max_reencoded_pixels=64 * 32 - 1)  # the EXIF JPEG is 64×32: one pixel over
    with pytest.raises(PostureError, match=r"other than plain JPEGs .* \(the limit\)"):
        import_archive_bytes(target, _hand_made(exif_jpeg()), "exif.zip", limits=heavy)
    _assert_untouched(target)
    assert import_archive_bytes(target, _hand_made(exif_jpeg()), limits=Limits(max_reencoded_pixels=64 * 32)).revisions_added


def test_a_header_beyond_the_photo_limit_is_refused_without_decoding(target, no_decoding):
    buf = io.BytesIO()
    Image.new("1", (10_000, 6_001)).save(buf, "PNG", optimize=True)
    with pytest.raises(PostureError) as err:
        import_archive_bytes(target, _amplifier(1, buf.getvalue()), "big.zip", limits=Limits(max_pixels_per_byte=1e12))
    assert "MP (the limit is 60 MP)" in str(err.value)
    _assert_untouched(target)


def test_a_real_export_is_within_every_bound(tmp_path, target):
    with Store(tmp_path / "data") as s:
        cid = new_client(s, "Within Bounds")
        v = s.add_visit(cid, visit_draft())
        for i in range(3):  # each with a change: an unchanged save adds no revision
            v = s.revise_visit(v.id, replace(v.to_draft(), notes=f"revision {i + 2}"), base_revision=v.revision)
        export_client(s, cid, tmp_path / "out.zip")
    summary = import_archive_bytes(target, (tmp_path / "out.zip").read_bytes())
    assert summary.revisions_added == 4


def test_a_visit_saved_70_times_comes_back_with_its_photo_checked_and_stored_once(tmp_path, target, monkeypatch):
    """The export refers every revision to the one photo they keep: 71 references, which the old bound (64) refused,
    and an import that decoded and wrote the photo once per reference (64 references of a 15 MB JPEG: 23 s, 953 MB)."""
    with Store(tmp_path / "data") as s:
        cid = new_client(s, "Often Revised")
        v = s.add_visit(cid, visit_draft(("anterior",)))
        for i in range(70):
            v = s.revise_visit(v.id, replace(v.to_draft(), notes=f"revision {i + 2}"), base_revision=v.revision)
        export_client(s, cid, tmp_path / "out.zip")
    data = (tmp_path / "out.zip").read_bytes()
    probes: list[int] = []
    real_probe = images._probe_clean_jpeg
    monkeypatch.setattr(images, "_probe_clean_jpeg", lambda *a: probes.append(1) or real_probe(*a))
    monkeypatch.setattr(images, "_PROVEN_CLEAN", {})
    summary = import_archive_bytes(target, data)
    assert summary.revisions_added == 71
    photos = list(target.files_dir.rglob("anterior.jpg"))
    assert len(photos) == 71 and len({p.stat().st_ino for p in photos}) == 1  # one file, linked 71 times
    assert len(probes) <= 2  # the photo and the annotated image, each proven once
    assert target.verify(deep=True) == []


# --- results are recomputed from their documents ---------------------------------------------


def test_a_planted_measurement_is_refused_and_nothing_written(tmp_path, target):
    with Store(tmp_path / "data") as s:
        cid = new_client(s, "Planted Result")
        s.add_visit(cid, visit_draft(("anterior",)))
        export_client(s, cid, tmp_path / "out.zip")
    members = _members((tmp_path / "out.zip").read_bytes())
    planted = []
    for info, data in members:
        if info.filename.endswith("anterior.result.json"):
            result = json.loads(data)
            result["measurements"]["shoulder_tilt"]["value"] += 7.5  # a planted asymmetry
            data = json.dumps(result).encode()
        planted.append((info, data))
    with pytest.raises(PostureError) as err:
        import_archive_bytes(target, _zip(planted), "planted.zip")
    text = str(err.value)
    assert "does not match its document" in text and "refused" in text and "\n" not in text, text
    _assert_untouched(target)
    assert import_archive_bytes(target, _zip(members)).revisions_added == 1  # the untouched archive imports


# --- no export temp file left behind ---------------------------------------------------------


def _export_and_die(root: Path, cid: str, out: Path) -> None:
    """Export in this (child) process and SIGKILL it once the first photo is in the temp file."""
    real = zipfile.ZipFile.writestr

    def writestr(self, info, data, *a, **k):  # noqa: ANN001, ANN002, ANN003, ANN202
        real(self, info, data, *a, **k)
        name = info.filename if isinstance(info, zipfile.ZipInfo) else info
        if name.endswith(".jpg"):
            self.fp.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    zipfile.ZipFile.writestr = writestr  # type: ignore[method-assign]
    export_client(Store(root, collect_garbage=False), cid, out)


def _temps(folder: Path) -> list[Path]:
    return [p for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
@pytest.mark.parametrize("then", ["open", "export"])
def test_a_killed_export_leaves_nothing_with_photos_after_the_next_open_or_export(tmp_path, then):
    root, out_dir = tmp_path / "data", tmp_path / "exports"
    out_dir.mkdir()
    with Store(root) as s:
        cid = new_client(s, "Killed Export")
        s.add_visit(cid, visit_draft())
    out = out_dir / "killed-export.zip"
    pid = os.fork()
    if pid == 0:
        try:
            _export_and_die(root, cid, out)
        finally:
            os._exit(3)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == -signal.SIGKILL
    (left,) = _temps(out_dir)  # the torture run's finding: a hidden temp file holding photos
    assert left.stat().st_size > 10_000 and not out.exists()
    if then == "open":
        Store(root).close()
    else:
        with Store(root, collect_garbage=False) as s:
            export_client(s, cid, out)
        assert zipfile.ZipFile(out).testzip() is None
    assert _temps(out_dir) == []
    Store(root).close()  # an open forgets the record of the killed export (its temp file is gone either way)
    assert list((root / "exporting").iterdir()) == [] and _temps(out_dir) == []


def test_a_failed_export_removes_its_temp_file(tmp_path, monkeypatch):
    with Store(tmp_path / "data") as s:
        cid = new_client(s, "Failed Export")
        s.add_visit(cid, visit_draft(("anterior",)))
        monkeypatch.setattr(s, "read_file", lambda stored: (_ for _ in ()).throw(OSError("disk gone")))
        with pytest.raises(OSError):
            export_client(s, cid, tmp_path / "out.zip")
        assert _temps(tmp_path) == [] and list((s.root / "exporting").iterdir()) == []


def test_a_photo_every_revision_keeps_counts_once_against_the_decoded_pixels(tmp_path, target):
    """Every save of a visit's notes is a revision referring to the same photo and annotated image: a long-kept client
    file counted per reference (30 visits × 5 revisions × 8 images × 12 MP = 14 400 MP) was over the 12 000 MP bound,
    though each JPEG is checked once. A bare JPEG now counts once; the pixels of the images themselves still count."""
    with Store(tmp_path / "data") as s:
        cid = new_client(s, "Kept For Years")
        v = s.add_visit(cid, visit_draft())
        for i in range(4):
            v = s.revise_visit(v.id, replace(v.to_draft(), notes=f"revision {i + 2}"), base_revision=v.revision)
        export_client(s, cid, tmp_path / "out.zip")
    data = (tmp_path / "out.zip").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        jpegs = [n for n in zf.namelist() if n.endswith(".jpg")]
        distinct = sum(Image.open(zf.open(n)).size[0] * Image.open(zf.open(n)).size[1] for n in jpegs)
    assert jpegs and distinct > 0
    # five revisions refer to them: per reference they would count five times over
    with pytest.raises(PostureError, match="megapixels in all"):
        import_archive_bytes(target, data, limits=Limits(max_decoded_pixels=distinct - 1))
    _assert_untouched(target)
    summary = import_archive_bytes(target, data, limits=Limits(max_decoded_pixels=distinct))
    assert summary.revisions_added == 5
