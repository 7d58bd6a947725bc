"""The session folder (posture/session.py): what the app's ZIP writes is what the command line reads.

Real files in ``tmp_path``: small synthetic views (600×800 photos) from
:mod:`support.synthetic`, written by :func:`posture.session.session_zip` and read
back by :func:`posture.session.read_session` / :func:`posture.report.load_session`.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from support.synthetic import synthetic_document, synthetic_photo

from posture import analyze, document, report, session
from posture.errors import DocumentError, ImageError, SessionError


def _written(folder: Path, views: tuple[str, ...] = ("anterior",)) -> Path:
    """A session folder as the app writes it: :func:`session.session_zip` of synthetic views, extracted."""
    folder.mkdir(parents=True, exist_ok=True)
    pairs = [(synthetic_document(view, 600, 800), synthetic_photo(600, 800, view=view)) for view in views]
    with zipfile.ZipFile(io.BytesIO(session.session_zip(pairs))) as zf:
        zf.extractall(folder)
    return folder


def test_the_zip_holds_each_document_beside_its_clean_photo(tmp_path):
    doc, photo = synthetic_document("posterior", 600, 800), synthetic_photo(600, 800, view="posterior")
    with zipfile.ZipFile(io.BytesIO(session.session_zip([(doc, photo)]))) as zf:
        assert sorted(zf.namelist()) == ["posterior.jpg", "posterior.json"]
        written = document.loads(zf.read("posterior.json"))
        jpeg = Image.open(io.BytesIO(zf.read("posterior.jpg")))
    assert written.image_file == session.photo_name("posterior") == "posterior.jpg"
    assert written.landmarks == doc.landmarks and written.calibration == doc.calibration
    assert jpeg.format == "JPEG" and jpeg.size == (600, 800) and not jpeg.getexif()
    assert np.abs(np.asarray(jpeg, int) - photo).mean() < 3, "the original photo, only re-encoded"


def test_what_the_zip_writes_reads_back_and_analyses_alike(tmp_path):
    s = _written(tmp_path / "s", ("right_lateral", "anterior"))
    views = list(session.read_session(s))
    assert [(v.path.name, v.doc.view) for v in views] == [("anterior.json", "anterior"), ("right_lateral.json", "right_lateral")]
    for v in views:
        assert v.photo is not None and v.photo.shape == (800, 600, 3)
        assert analyze(v.doc) == analyze(synthetic_document(v.doc.view, 600, 800))
    loaded = report.load_session(s)
    assert [(d.view, img.shape[:2]) for d, _, img in loaded] == [("anterior", (800, 600)), ("right_lateral", (800, 600))]


def test_other_json_is_left_alone_and_documents_are_read_one_at_a_time(tmp_path):
    s = _written(tmp_path / "s")
    (s / "settings.json").write_text('{"bands": {}}')
    assert [p.name for p in session.find_view_documents(s)] == ["anterior.json"]
    (s / "zz.json").write_text('{"schema_version": 1, "view": "nowhere", "landmarks": {}}')
    views = session.read_session(s)  # the folder is checked at once, the documents as they are read
    first = next(views)
    assert first.doc.view == "anterior"
    with pytest.raises(DocumentError, match=r"^zz\.json: "):
        next(views)


def test_load_session_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "settings.json").write_text('{"bands": {}}')
    with pytest.raises(SessionError, match="No view documents"):
        report.load_session(empty)
    with pytest.raises(SessionError, match="No such session folder"):
        report.load_session(tmp_path / "nowhere")
    s = _written(tmp_path / "s")
    (s / "anterior.jpg").unlink()
    with pytest.raises(ImageError, match=r"Photo not found: .*anterior\.jpg .*anterior\.json"):
        report.load_session(s)
    views = report.load_session(s, photos=False)
    assert [(d.view, img) for d, _, img in views] == [("anterior", None)]
    (s / "broken.json").write_text('{"schema_version": 1, "view": "ant')
    with pytest.raises(DocumentError, match=r"broken\.json is not valid JSON"):
        report.load_session(s, photos=False)


def test_a_document_naming_no_photo(tmp_path):
    s = tmp_path / "s"
    s.mkdir()
    document.save(synthetic_document("anterior", 600, 800, image_file=None), s / "anterior.json")
    with pytest.raises(ImageError, match=r"anterior\.json names no photo"):
        report.load_session(s)
    assert session.photo_path(document.load(s / "anterior.json"), s / "anterior.json") is None


def test_report_of_a_resized_photo_keeps_the_landmarks_in_place(tmp_path):
    """A photo exported smaller than the one the landmarks were placed on is scaled, not misdrawn."""
    s = _written(tmp_path / "s")
    Image.open(s / "anterior.jpg").resize((300, 400)).save(s / "anterior.jpg")
    ((doc, _, small),) = report.load_session(s)
    ((_, _, full),) = report.load_session(_written(tmp_path / "full"))
    assert small.shape[:2] == (400, 300)
    big = np.asarray(Image.fromarray(full).resize((300, 400), Image.Resampling.LANCZOS), int)
    lm = doc.landmarks["acromion_r"]
    x, y = round(lm.x / 2), round(lm.y / 2)
    assert np.abs(small[y, x].astype(int) - big[y, x]).max() < 60  # the same dot colour at the same place
