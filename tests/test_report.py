"""The PDF report and the CSV export: what the therapist files and what a spreadsheet reads.

The PDF is read back with pypdf, with whitespace collapsed (table cells wrap).
Expected strings come from the :func:`posture.analyze` results and the
display the report promises (a value rounded to 0.1 with its sign, "±" one
standard deviation, the severity, the band's thresholds and its source), not
from the report's own formatting helpers. Everything runs on real files in
``tmp_path``: the synthetic sample client (``sample_images/``) or small
synthetic views from :mod:`support.synthetic`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pypdf
import pytest
from helpers_core import run_cli
from PIL import Image
from support.synthetic import synthetic_document, synthetic_photo

from posture import analyze, document, report
from posture import findings as words
from posture.errors import ReportError
from posture.landmarks import VIEW_LABELS
from posture.report import load_session
from posture.settings import load_settings, settings_from_dict

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_images"
VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")
CLIENT = "Łucja Żółć"
DATE = "2025-03-14"
NOTES = "Desk job, 8 h a day; 'runs' 3×/week. **Not bold**, -- not a strike, __not__ underlined."
PRECAUTIONS = "Pregnant (24 weeks): side-lying only. Варикоз: avoid deep work on the left calf."
SEVERITY_WORDS = {"normal": "Normal", "mild": "Mild", "moderate": "Moderate", "marked": "Marked", None: "Not graded"}
MM_TO_PT = 72 / 25.4
#: The title and heading row a measurement table repeats at the top of the page it continues on.
CONTINUED = r"\S+ \([^)]*\) view: measurements Measurement Value ± SD Unit Severity Band: mild / moderate / marked Band source"


def _pages(pdf: bytes) -> list[str]:
    """Text of every page, whitespace collapsed to single spaces."""
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def _text(pdf: bytes) -> str:
    return " ".join(_pages(pdf))


def _shown(value: float, uncertainty: float, digits: int = 1) -> str:
    """``value ± uncertainty`` as a reader should see it: rounded, signed, and no sign on a zero."""
    magnitude = f"{abs(value):.{digits}f}"
    sign = "" if float(magnitude) == 0 else ("+" if value > 0 else "-")
    return f"{sign}{magnitude} ± {uncertainty:.{digits}f}"


def _shown_graded(m: dict, row: str) -> str:
    """The value of ``m`` as ``row`` shows it: one decimal, or more where one decimal would cross a band edge
    (|value| or value against an edge: the sample's rules), so that the number never contradicts the grade."""
    one = _shown(m["value"], m["uncertainty"])
    if one in row:
        return one
    more = next(_shown(m["value"], m["uncertainty"], d) for d in (2, 3, 4) if _shown(m["value"], m["uncertainty"], d) in row)
    r = round(m["value"], 1)
    edges = [m["band"][k] for k in ("mild", "moderate", "marked")] if m["band"] else []
    crosses = [t for t in edges if (abs(m["value"]) < t) != (abs(r) < t) or (m["value"] < t) != (r < t)]
    assert crosses, f"{more}: more decimals than needed"
    return more


def _in_view_order(views: list[report.ReportView]) -> list[report.ReportView]:
    return sorted(views, key=lambda v: VIEWS.index(v[0].view))


def _copy_samples(dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for p in SAMPLES.iterdir():
        if p.suffix in (".json", ".jpg"):
            shutil.copy(p, dest / p.name)
    return dest


def _small_session(folder: Path, views: tuple[str, ...] = ("anterior",), **doc_kwargs) -> Path:
    """A session folder of small synthetic views (600×800 photos), fast to report on."""
    folder.mkdir(parents=True, exist_ok=True)
    for view in views:
        doc = synthetic_document(view, 600, 800, image_file=f"{view}.jpg", **doc_kwargs)
        Image.fromarray(synthetic_photo(600, 800, view=view)).save(folder / f"{view}.jpg", quality=90)
        document.save(doc, folder / f"{view}.json")
    return folder


def _bare_views(*views: str) -> list[report.ReportView]:
    """The sample client's views without photos (for what does not need them)."""
    out = []
    for v in views:
        doc = document.load(SAMPLES / f"{v}.json")
        out.append((doc, analyze(doc), None))
    return out


def assert_one_line_error(res: subprocess.CompletedProcess, out: Path | None = None) -> str:
    assert res.returncode == 2, (res.returncode, res.stderr)
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    if out is not None:
        assert not out.exists()
    return lines[0]


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    """The sample client's four views, loaded from real files, and their PDF."""
    folder = _copy_samples(tmp_path_factory.mktemp("session"))
    views = load_session(folder, client=CLIENT, date=DATE)
    pdf = report.build_report(views, client=CLIENT, date=DATE, notes=NOTES, precautions=PRECAUTIONS)
    return folder, views, pdf


# --- what the PDF says ------------------------------------------------------------------


def test_every_measurement_row_shows_label_value_severity_band_and_source(sample_report):
    _, views, pdf = sample_report
    text = re.sub(CONTINUED, " ", _text(pdf))  # a table continued on the next page repeats its title and heading row
    tables = text.split("Value ± SD")[1:]  # one measurement table per view, in the report's view order
    assert len(tables) == len(VIEWS)
    for (doc, result, _), table in zip(_in_view_order(views), tables, strict=True):
        rows = list(result["measurements"].items())
        starts = []
        pos = 0
        for _mid, m in rows:  # each label with its direction words, in order
            at = table.find(f"{m['label']} {m['direction']}", pos)
            assert at >= 0, (doc.view, m["label"], m["direction"])
            starts.append(at)
            pos = at + 1
        starts.append(len(table))
        for i, (mid, m) in enumerate(rows):
            row = table[starts[i] : starts[i + 1]]
            assert _shown_graded(m, row) in row, (doc.view, mid, row)
            severity = SEVERITY_WORDS[m["severity"]] + ("*" if m["borderline"] else "")
            assert re.search(rf"(?<![\w*]){re.escape(severity)}(?![\w*])", row), (doc.view, mid, severity, row)
            if m["band"]:
                for key in ("mild", "moderate", "marked"):
                    number = re.escape(f"{m['band'][key]:g}")
                    assert re.search(rf"(?<![\d.]){number}(?![\d.])", row), (mid, key, row)
                assert " ".join(m["band"]["source"].split()) in row, (mid, row)
            else:
                assert "not graded" in row, (mid, row)


def test_findings_ranked_and_referrals(sample_report):
    _, views, pdf = sample_report
    text = _text(pdf)
    key = text[text.index("Key observations") : text.index("Referral prompts")]
    found = [f for _, result, _ in views for f in result["findings"]]
    assert found, "the sample client has findings"
    ranked = words.ranked_observations([r for _, r, _ in views])
    for o in ranked:
        assert f"{SEVERITY_WORDS[o['severity']]} {o['text']}" in key, o
    # every finding of every view is in one listed observation: grouping loses none
    covered = {(v, mid) for o in ranked for v in o.get("views") or [o["view"]] for mid in o["measurements"]}
    for _, result, _ in views:
        for f in result["findings"]:
            assert (result["view"], f["measurement"]) in covered, (result["view"], f)
    listed = re.findall(r"(?:^| )(\d+)\. (Marked|Moderate|Mild) ", key)
    assert [int(n) for n, _ in listed] == list(range(1, len(ranked) + 1))
    rank = [("Mild", "Moderate", "Marked").index(s) for _, s in listed]
    assert rank == sorted(rank, reverse=True)  # most important first, across views
    referrals = {f["referral"] for f in found if f["referral"]}
    for r in referrals:
        assert " ".join(r.split()) in text
    if not referrals:
        assert "None: nothing in these views calls for a referral" in text


@pytest.mark.parametrize("band", ["default", "off"])
def test_leg_length_referral_is_never_lost(tmp_path, band):
    """Spec §8: a leg length difference of 2 cm or more prompts a referral, whatever a practice's band says."""
    raw = document.to_dict(document.load(SAMPLES / "anterior.json"))
    raw["landmarks"]["asis_r"]["y"] -= 30  # the right ASIS 30 px higher: the right leg ~3.7 cm longer at 0.125 cm/px
    doc = document.parse_document(raw)
    settings = settings_from_dict({"bands": {"leg_length_diff": None}} if band == "off" else {})
    result = analyze(doc, settings)
    assert result["measurements"]["leg_length_diff"]["value"] >= 2.0
    text = _text(report.build_report([(doc, result, None)]))
    prompts = text[text.index("Referral prompts") :][:400]
    assert "Refer" in prompts and "leg length" in prompts.lower()
    assert "None: nothing" not in prompts


def test_client_notes_and_precautions(sample_report):
    _, _, pdf = sample_report
    pages = _pages(pdf)
    assert CLIENT in pages[0]
    assert all(CLIENT in p for p in pages)  # the footer names the client on every page
    assert " ".join(NOTES.split()) in pages[0]  # printed as typed: no markdown
    assert " ".join(PRECAUTIONS.split()) in pages[0]
    assert CLIENT in pypdf.PdfReader(io.BytesIO(pdf)).metadata.title


def test_plan_stages_in_order_and_how_measured(sample_report):
    _, views, pdf = sample_report
    text = _text(pdf)
    plan = text[text.index("Treatment-planning starter") :]
    stages = [int(n) for n in re.findall(r"Stage (\d): ", plan)]
    assert stages and stages == sorted(stages) and len(set(stages)) == len(stages)
    how = text[text.rindex("How this was measured") :]
    assert "does not diagnose" in how and "2-D photo" in how
    # the reference rules of the spec's grading table (§5), in words
    assert "Q angle by how far it exceeds 15°" in how
    assert "pelvic tilt by how far it lies outside 5–15°" in how
    assert "craniovertebral angle where lower is worse" in how
    # the calibration each view actually used
    for doc, result, _ in views:
        line = how[how.index(f"{VIEW_LABELS[doc.view]}: vertical:") :]
        assert f"{result['cm_per_px']:.4f} cm/px" in line[:300]
        roll = f"{result['vertical_roll_deg']:+.2f}"
        assert f"roll {'0.00' if float(roll) == 0 else roll}°" in line[:300]  # a zero roll has no sign
        sigma_cm = result["landmark_sigma_px"] * result["cm_per_px"]
        assert f"placement error {result['landmark_sigma_px']:.1f} px ({sigma_cm:.2f} cm)" in line[:300]


def test_no_negative_zero(sample_report):
    _, views, pdf = sample_report
    near_zero = [
        m
        for _, r, _ in views
        for m in r["measurements"].values()
        if round(m["value"], 1) == 0 and math.copysign(1, m["value"]) < 0
    ]
    assert near_zero, "the sample has a negative value that rounds to zero (its pelvic shift is -0.0)"
    assert not re.search(r"(?<![\d.])-0\.0(?![\d])", _text(pdf))


def _unique_images(pdf: bytes) -> list[np.ndarray]:
    """Every image the PDF embeds, once each however often it is placed."""
    seen: dict[object, np.ndarray] = {}
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        for img in page.images:
            key = img.indirect_reference.idnum if img.indirect_reference is not None else id(img)
            if key not in seen:
                seen[key] = np.asarray(img.image.convert("RGB"))
    return list(seen.values())


def test_annotated_photos_are_embedded(sample_report):
    """Each view's annotated photo is embedded once (placed on the overview and in its section), drawn on."""
    session, views, pdf = sample_report
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert len(reader.pages[0].images) == len(VIEWS)  # the overview: every view side by side
    assert sum(len(p.images) for p in reader.pages) == 2 * len(VIEWS)
    embedded = _unique_images(pdf)
    assert len(embedded) == len(VIEWS)
    matched = {}
    for img in embedded:
        h, w = img.shape[:2]
        assert max(h, w) <= report.EMBED_MAX_SIDE
        scores = {}
        for view in VIEWS:
            photo = Image.open(session / f"{view}.jpg").convert("RGB").resize((w, h), Image.Resampling.LANCZOS)
            diff = np.abs(img.astype(int) - np.asarray(photo, int)).max(axis=2)
            scores[view] = diff
        view = min(scores, key=lambda v: np.median(scores[v]))
        matched[view] = img
        assert (scores[view] > 60).mean() > 0.02, view  # drawn on (labels, lines, legend), not the bare photo
        assert img[-5:, : w // 3].mean() < 90, view  # the caption band along the bottom
    assert set(matched) == set(VIEWS)


@pytest.mark.parametrize(("paper", "size_mm"), [("a4", (210, 297)), ("letter", (215.9, 279.4))])
def test_paper_sizes(paper, size_mm):
    pdf = report.build_report(_bare_views("anterior", "right_lateral"), client=CLIENT, paper=paper)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    for page in reader.pages:
        box = page.mediabox
        assert float(box.width) == pytest.approx(size_mm[0] * MM_TO_PT, abs=0.5)
        assert float(box.height) == pytest.approx(size_mm[1] * MM_TO_PT, abs=0.5)
    text = _text(pdf)
    for _, result, _ in _bare_views("anterior", "right_lateral"):
        for m in result["measurements"].values():
            assert m["label"] in text
    with pytest.raises(ReportError, match="a4 or letter"):
        report.build_report(_bare_views("anterior"), paper="legal")


def test_without_scale_or_plumb_line(tmp_path):
    doc = synthetic_document("anterior", 600, 800, scale=False, vertical=False)
    result = analyze(doc)
    assert result["cm_per_px"] is None and result["warnings"]
    text = _text(report.build_report([(doc, result, None)]))
    assert "Scale: none, so distances are in pixels and are not graded." in text
    assert "image vertical (no plumb line)" in text
    assert "not graded: no scale in this view" in text
    for w in result["warnings"]:
        assert " ".join(w.split()) in text
    px = result["measurements"]["shoulder_height_diff"]
    assert px["unit"] == "px"
    assert _shown(px["value"], px["uncertainty"], digits=0) in text


def test_names_in_other_scripts_and_unprintable_ones():
    for name in ("Ελένη Παπαδοπούλου", "Алёна Щукина", "Şükrü Çağlar", "Nguyễn Thị Ánh"):
        pdf = report.build_report(_bare_views("anterior"), client=name)
        assert name in _pages(pdf)[0]
    with pytest.raises(ReportError, match="cannot print.*山"):
        report.build_report(_bare_views("anterior"), client="山田 花子")
    with pytest.raises(ReportError, match="notes"):
        report.build_report(_bare_views("anterior"), notes="All good 🙂")
    assert report.unprintable_characters("Łucja Żółć\n\tαβγ ёж ≥ ± °") == ""


def test_practice_settings_source_is_printed(tmp_path):
    settings_file = tmp_path / "clinic.json"
    source = 'Our clinic, "2024" review – Ż'
    settings_file.write_text(
        json.dumps({"bands": {"head_tilt": {"mild": 2.5, "moderate": 5, "marked": 8, "source": source}}}), encoding="utf-8"
    )
    settings = load_settings(settings_file)
    doc = document.load(SAMPLES / "anterior.json")
    result = analyze(doc, settings)
    assert result["measurements"]["head_tilt"]["band"]["source"] == source
    text = _text(report.build_report([(doc, result, None)], settings_path=str(settings_file)))
    row = text[text.index("Head tilt head tilted") :][:300]
    assert source in row and "2.5" in row and "8" in row
    assert "practice settings in clinic.json" in text


# --- a practice's muscle patterns ---------------------------------------------------------


def test_the_plan_follows_the_practice_patterns_the_results_were_analysed_with(tmp_path):
    settings_file = tmp_path / "clinic.json"
    ours = {"head_tilt": {"any": {"tight": ["splenius capitis ({other})"], "aim": "our aim for the head"}}}
    settings_file.write_text(json.dumps({"patterns": ours}), encoding="utf-8")
    settings = load_settings(settings_file)
    doc = document.load(SAMPLES / "anterior.json")
    result = analyze(doc, settings)
    assert result["measurements"]["head_tilt"]["severity"] not in (None, "normal"), "the sample has a head tilt"
    text = _text(report.build_report([(doc, result, None)], settings_path=str(settings_file), patterns=settings.patterns))
    plan = text[text.index("Treatment-planning starter") :]
    assert "splenius capitis (left)" in plan and "our aim for the head" in plan
    assert "splenius" not in _text(report.build_report([(doc, analyze(doc), None)]))
    ours["head_tilt"]["any"]["tight"] = ["頭板状筋"]
    settings = settings_from_dict({"patterns": ours})
    with pytest.raises(ReportError, match="treatment-planning starter"):
        report.build_report([(doc, analyze(doc, settings), None)], patterns=settings.patterns)


# --- the CLI, end to end --------------------------------------------------------------------


def test_cli_report_of_the_sample_folder(tmp_path):
    out = tmp_path / "r.pdf"
    res = run_cli("report", "sample_images", "--out", str(out))
    assert res.returncode == 0, res.stderr
    assert res.stderr == ""
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    text = _text(data)
    for view in VIEWS:
        assert f"{VIEW_LABELS[view]} view" in text
    assert len(_unique_images(data)) == len(VIEWS)


def test_cli_report_options(tmp_path):
    session = _small_session(tmp_path / "s", ("anterior", "left_lateral"))
    out = tmp_path / "r.pdf"
    res = run_cli(
        "report", str(session), "--out", str(out), "--client", CLIENT, "--paper", "letter", "--date", DATE,
        "--notes", NOTES, "--precautions", PRECAUTIONS, "--grid",
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    data = out.read_bytes()
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert float(reader.pages[0].mediabox.width) == pytest.approx(612, abs=0.5)
    first = _pages(data)[0]
    assert CLIENT in first and DATE in first
    assert " ".join(NOTES.split()) in first and " ".join(PRECAUTIONS.split()) in first
    res = run_cli("report", str(session), "--out", str(tmp_path / "n.pdf"), "--no-photos")
    assert res.returncode == 0, res.stderr
    assert sum(len(p.images) for p in pypdf.PdfReader(tmp_path / "n.pdf").pages) == 0


def test_cli_report_missing_photo(tmp_path):
    session = _small_session(tmp_path / "s", ("anterior", "posterior"))
    (session / "posterior.jpg").unlink()
    out = tmp_path / "r.pdf"
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    assert "Photo not found" in line and "posterior.jpg" in line and "posterior.json" in line


def test_cli_report_no_photo_named(tmp_path):
    session = _small_session(tmp_path / "s")
    raw = json.loads((session / "anterior.json").read_text())
    del raw["image"]["file"]
    (session / "anterior.json").write_text(json.dumps(raw))
    out = tmp_path / "r.pdf"
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    assert "anterior.json" in line and "image.file" in line and "--no-photos" in line


def test_cli_report_damaged_or_wrong_photo(tmp_path):
    session = _small_session(tmp_path / "s")
    photo = session / "anterior.jpg"
    out = tmp_path / "r.pdf"
    photo.write_bytes(photo.read_bytes()[:2000])  # truncated, as a failed copy leaves it
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    assert "anterior.jpg" in line
    Image.new("RGB", (800, 600)).save(photo)  # landscape: not the photo the landmarks were placed on
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    assert "right photo" in line


def test_cli_report_folder_without_view_documents(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    out = tmp_path / "r.pdf"
    assert "No view documents" in assert_one_line_error(run_cli("report", str(empty), "--out", str(out)), out)
    (empty / "notes.json").write_text('["not", "a", "view"]')
    assert "No view documents" in assert_one_line_error(run_cli("report", str(empty), "--out", str(out)), out)
    line = assert_one_line_error(run_cli("report", str(tmp_path / "nowhere"), "--out", str(out)), out)
    assert "No such session folder" in line


@pytest.mark.parametrize(
    ("mutate", "words"),
    [
        (lambda d: d["landmarks"].update(c7={"x": 1, "y": 1}), ("anterior.json", "landmarks.c7")),
        (lambda d: d.pop("schema_version"), ("anterior.json", "schema_version")),
        (lambda d: d["calibration"].update(plumb=[1, 2]), ("anterior.json", "calibration.plumb")),
    ],
)
def test_cli_report_malformed_document(tmp_path, mutate, words):
    session = _small_session(tmp_path / "s", ("anterior", "posterior"))
    raw = json.loads((session / "anterior.json").read_text())
    mutate(raw)
    (session / "anterior.json").write_text(json.dumps(raw))
    out = tmp_path / "r.pdf"
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    for w in words:
        assert w in line


def test_cli_report_not_json_and_bad_out(tmp_path):
    session = _small_session(tmp_path / "s")
    (session / "posterior.json").write_text('{"schema_version": 1, "view": "posterior", "landm')
    out = tmp_path / "r.pdf"
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out)), out)
    assert "posterior.json" in line and "JSON" in line
    (session / "posterior.json").unlink()
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(tmp_path / "r.txt")))
    assert ".pdf" in line
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(tmp_path / "no" / "r.pdf")))
    assert "existing folder" in line


def test_cli_unprintable_client_name(tmp_path):
    session = _small_session(tmp_path / "s")
    out = tmp_path / "r.pdf"
    line = assert_one_line_error(run_cli("report", str(session), "--out", str(out), "--client", "山田 花子"), out)
    assert "client name" in line and "山" in line
    jpg = tmp_path / "a.jpg"
    line = assert_one_line_error(run_cli("render", str(session / "anterior.json"), "--out", str(jpg), "--client", "山田"), jpg)
    assert "--client" in line


# --- CSV for spreadsheets ---------------------------------------------------------------------


def _csv_rows(stdout: str) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.reader(io.StringIO(stdout, newline=""))
    rows = list(reader)
    header = rows[0]
    assert all(len(r) == len(header) for r in rows), "every row has every column"
    return header, [dict(zip(header, r, strict=True)) for r in rows[1:]]


@pytest.mark.parametrize("view", VIEWS)
def test_csv_one_row_per_measurement(view):
    res = run_cli("analyze", str(SAMPLES / f"{view}.json"), "--format", "csv")
    assert res.returncode == 0, res.stderr
    header, rows = _csv_rows(res.stdout)
    for col in ("view", "measurement", "label", "plane", "value", "unit", "uncertainty", "severity", "borderline",
                "direction", "band_mild", "band_moderate", "band_marked", "band_source", "landmarks", "level",
                "not_measured_reason"):  # fmt: skip
        assert col in header
    result = analyze(document.load(SAMPLES / f"{view}.json"))
    measured = [r for r in rows if r["not_measured_reason"] == ""]
    assert [r["measurement"] for r in measured] == list(result["measurements"])  # one row each, in order
    for r in measured:
        m = result["measurements"][r["measurement"]]
        assert r["view"] == view
        assert (r["label"], r["plane"], r["unit"], r["direction"]) == (m["label"], m["plane"], m["unit"], m["direction"])
        assert float(r["value"]) == m["value"] and float(r["uncertainty"]) == m["uncertainty"]  # full precision
        assert r["severity"] == (m["severity"] or "")
        assert r["borderline"] == ("true" if m["borderline"] else "false")
        assert r["landmarks"].split() == m["landmarks"]
        assert r["level"] == (m.get("level") or "")
        band = m["band"]
        if band:
            assert [float(r[f"band_{k}"]) for k in ("mild", "moderate", "marked")] == [
                band[k] for k in ("mild", "moderate", "marked")
            ]
            assert r["band_source"] == band["source"]
        else:
            assert r["band_mild"] == r["band_source"] == ""
    missing = [r for r in rows if r["not_measured_reason"]]
    assert {r["measurement"]: r["not_measured_reason"] for r in missing} == result["not_measured"]
    assert all(r["value"] == "" and r["label"] for r in missing)
    if view == "posterior":
        assert next(r for r in measured if r["measurement"] == "spine_deviation")["level"] in ("t3", "t7", "t12", "l3")


def test_csv_quotes_commas_newlines_and_unicode(tmp_path):
    source = 'Dr. Ż "Ola" Nowak, clinic notes;\nrevised 2024 – ≥ 2°'
    settings_file = tmp_path / "s.json"
    settings_file.write_text(json.dumps({"bands": {"leg_length_diff": {"source": source}}}), encoding="utf-8")
    res = run_cli("analyze", str(SAMPLES / "anterior.json"), "--format", "csv", "--settings", str(settings_file))
    assert res.returncode == 0, res.stderr
    _, rows = _csv_rows(res.stdout)
    row = next(r for r in rows if r["measurement"] == "leg_length_diff")
    assert row["band_source"] == source  # quoted, so the comma, quotes and newline survive
    assert any("," in r["direction"] for r in rows)  # e.g. "head tilted to the right, right ear lower"


def test_csv_is_utf8_whatever_the_locale(tmp_path):
    """A spreadsheet gets UTF-8 even where Python's stdout would pick another encoding."""
    env = {k: v for k, v in os.environ.items() if k != "POSTURE_SETTINGS"}
    env.update(PYTHONPATH=str(REPO), PYTHONIOENCODING="ascii", LC_ALL="C", PYTHONUTF8="0")
    res = subprocess.run(
        [sys.executable, "-m", "posture", "analyze", str(SAMPLES / "anterior.json"), "--format", "csv"],
        capture_output=True, env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr.decode("utf-8", "replace")
    out = res.stdout.decode("utf-8")  # not ascii, and decodes as UTF-8
    assert "≥ 2 cm" in out or "°" in out


def test_the_sample_report_shows_the_curves_and_the_centre_of_gravity(sample_report):
    """Spec §9 in the report: the side views' curves and shoulder over hip, the front view's shifts and CG."""
    _, views, pdf = sample_report
    text = _text(pdf)
    by_view = {result["view"]: result for _, result, _ in views}
    for view, mids in (
        ("right_lateral", ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip")),
        ("left_lateral", ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip")),
        ("anterior", ("head_on_trunk_shift", "trunk_on_pelvis_shift", "cog_shift", "cog_asymmetry")),
    ):
        for mid in mids:
            m = by_view[view]["measurements"][mid]
            assert f"{m['label']} {m['direction']}" in text, (view, mid)
            assert _shown(m["value"], m["uncertainty"]) in text, (view, mid)
    assert "no validated photo norm" in text  # why the curves and the CG are not graded


@pytest.mark.parametrize(
    ("view", "mids"),
    [("right_lateral", ("thoracic_kyphosis", "lumbar_lordosis", "shoulder_forward_of_hip")),
     ("anterior", ("head_on_trunk_shift", "trunk_on_pelvis_shift", "cog_shift", "cog_asymmetry"))],
)  # fmt: skip
def test_csv_lists_the_v11_values(view, mids):
    res = run_cli("analyze", str(SAMPLES / f"{view}.json"), "--format", "csv")
    _, rows = _csv_rows(res.stdout)
    measured = {r["measurement"]: r for r in rows if r["not_measured_reason"] == ""}
    for mid in mids:
        assert mid in measured and measured[mid]["value"], mid
    assert measured[mids[-1]]["unit"] in ("cm", "%", "deg")


# --- issue 14: the overview page, the practice, the client's age, cautions, file names, full pages ----------------

PRACTICE = {"name": "Studio Ruch", "therapist": "Zofia Nowak", "contact": "+48 600 100 200 · studio@example.org"}


def test_page_one_is_the_overview(tmp_path):
    """Page 1: the precautions, every view's photo side by side, the ranked observations, the calibration quality."""
    views = load_session(_copy_samples(tmp_path / "s"), client=CLIENT, date=DATE)
    two = [v for v in views if v[0].view in ("anterior", "right_lateral")]
    pdf = report.build_report(two, client=CLIENT, date=DATE, precautions=PRECAUTIONS)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    first = _pages(pdf)[0]
    assert len(reader.pages[0].images) == 2
    assert " ".join(PRECAUTIONS.split()) in first
    ranked = words.ranked_observations([r for _, r, _ in two])
    assert ranked, "the sample has observations"
    key = first[first.index("Key observations") :]
    pos = 0
    for i, o in enumerate(ranked, 1):  # numbered, most important first, each with its chip and its view(s)
        row = f"{i}. {SEVERITY_WORDS[o['severity']]} {o['text']} ("
        at = key.find(row, pos)
        assert at >= pos, (i, o["text"])
        shown = key[at + len(row) : key.index(")", at + len(row))]  # "front view", "front and back views"
        assert shown.endswith(("view", "views")), shown
        for view in o.get("views") or [o["view"]]:  # "views" when the ranking merges a pattern seen in several
            assert VIEW_LABELS[view].split(" (")[0].lower() in shown, (shown, view)
        pos = at
    quality = first[first.index("Calibration quality") :]
    for doc, result, _ in two:
        assert f"{VIEW_LABELS[doc.view]}: vertical:" in quality
        assert f"placement error {result['landmark_sigma_px']:.1f} px" in quality
    # the views themselves start on the next page
    assert "Observations in this view" not in first and "Value ± SD" not in first


def test_the_four_view_overview_leads_with_the_most_important_observation(sample_report):
    _, views, pdf = sample_report
    first = _pages(pdf)[0]
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images) == len(VIEWS)
    top = words.ranked_observations([r for _, r, _ in views])[0]
    assert f"1. {SEVERITY_WORDS[top['severity']]} {top['text']}" in first
    assert " ".join(PRECAUTIONS.split()) in first and " ".join(NOTES.split()) in first


def test_the_four_view_sample_lists_each_pattern_once_on_page_one(sample_report):
    """Issue 14's done-when: front and back, angle and height of one segment read as one observation on page 1."""
    _, views, pdf = sample_report
    key = _pages(pdf)[0]
    key = key[key.index("Key observations") :]
    rows = re.findall(r"\b\d+\. (?:Mild|Moderate|Marked) (.+?) \((?:[a-z ,]+ )?views?\)", key)
    ranked = words.ranked_observations([r for _, r, _ in views])
    assert len(rows) == len(ranked) >= 5
    patterns = [row.split(":")[0].lower() for row in rows]  # "right shoulder lower: 2.3°, 1.5 cm" → the pattern
    assert len(set(patterns)) == len(patterns), patterns
    assert sum("shoulder lower" in p for p in patterns) == 1, "the shoulder was listed four times before issue 14"
    findings_total = sum(len(r["findings"]) for _, r, _ in views)
    assert len(ranked) < findings_total, "observations group the findings"
    assert f"{len(ranked)} observations outside the normal bands" in key


def test_practice_details_and_the_clients_age(tmp_path):
    settings = settings_from_dict({"practice": PRACTICE})
    pdf = report.build_report(
        _bare_views("anterior", "posterior"),
        client=CLIENT,
        date="2026-03-13",
        practice=settings.practice,
        client_dob=dt.date(1980, 3, 14),
    )
    pages = _pages(pdf)
    for value in PRACTICE.values():
        assert value in pages[0]
    assert "born 1980-03-14 (45 y)" in pages[0]  # the age on the visit's date: the birthday is the next day
    assert all(PRACTICE["name"] in p for p in pages)  # the footer
    on_birthday = _pages(report.build_report(_bare_views("anterior"), date="2026-03-14", client_dob=dt.date(1980, 3, 14)))
    assert "born 1980-03-14 (46 y)" in on_birthday[0]
    plain = _text(report.build_report(_bare_views("anterior")))
    assert "born" not in plain and PRACTICE["name"] not in plain


def test_practice_settings_round_trip_and_refuse_bad_values(tmp_path):
    from posture.errors import SettingsError
    from posture.settings import save_settings

    settings = settings_from_dict({"practice": {"name": "  Studio   Ruch ", "contact": "a@b.c"}})
    assert (settings.practice.name, settings.practice.therapist, settings.practice.contact) == ("Studio Ruch", "", "a@b.c")
    path = tmp_path / "s.json"
    save_settings(settings, path)
    assert json.loads(path.read_text(encoding="utf-8"))["practice"] == {"name": "Studio Ruch", "contact": "a@b.c"}
    assert load_settings(path).practice == settings.practice
    save_settings(settings_from_dict({}), path)
    assert "practice" not in json.loads(path.read_text(encoding="utf-8"))
    for bad, words_ in (({"phone": "1"}, "practice.phone"), ({"name": 3}, "must be text"), ([], "must be an object")):
        with pytest.raises(SettingsError, match=re.escape(words_)):
            settings_from_dict({"practice": bad})
    with pytest.raises(SettingsError, match="longer than 200"):
        settings_from_dict({"practice": {"name": "x" * 201}})
    with pytest.raises(ReportError, match="practice details"):
        report.build_report(_bare_views("anterior"), practice=settings_from_dict({"practice": {"name": "山田"}}).practice)


def test_cautions_are_marked_under_their_plan_items():
    """A cautioned plan (built by hand: the real table arrives with the precautions work) prints each caution under its item."""
    from posture.pdf_writer import Writer
    from posture.precautions import CautionedPlan

    plan = CautionedPlan(
        stages=[
            {
                "stage": 1,
                "title": "Relieve pain and trigger points",
                "items": [
                    {
                        "text": "Ankles and feet: consider assessing gastrocnemius and soleus.",
                        "cautions": ["No deep pressure on the calves."],
                    },
                    {"text": "Head and neck: consider assessing upper trapezius.", "cautions": []},
                ],
            },
            {
                "stage": 3,
                "title": "Restore flexibility",
                "items": [
                    {
                        "text": "Knees: consider lengthening the hamstrings.",
                        "cautions": ["No stripping of the medial thigh.", "Check with the client's physician."],
                    }
                ],
            },
        ],
        general=["Other precaution: recent knee arthroscopy."],
    )
    w = Writer("a4", "t", "f")
    w.pdf.add_page()
    report.plan_section(w, plan)
    text = _text(bytes(w.pdf.output()))
    assert "Precautions for planning Other precaution: recent knee arthroscopy." in text
    calves = text.index("gastrocnemius and soleus.")
    assert text.index(f"{report.CAUTION_MARK}: No deep pressure on the calves.") > calves
    assert text.index(f"{report.CAUTION_MARK}: No deep pressure on the calves.") < text.index("upper trapezius")
    trapezius = text[text.index("upper trapezius") : text.index("Stage 3")]
    assert report.CAUTION_MARK not in trapezius  # an item without cautions is not marked
    knees = text[text.index("the hamstrings.") :]
    assert knees.index("No stripping of the medial thigh.") < knees.index("Check with the client's physician.")
    assert text.count(report.CAUTION_MARK) == 3


def test_the_other_precaution_is_printed_beside_the_plan():
    pdf = report.build_report(_bare_views("anterior"), precaution_keys=("pregnancy",), other_precaution="Hip replacement 2024")
    plan = _text(pdf)[_text(pdf).index("Treatment-planning starter") :]
    assert "Hip replacement 2024" in plan[: plan.index("Stage ")]
    with pytest.raises(ReportError, match="other precaution"):
        report.build_report(_bare_views("anterior"), other_precaution="足首")


def _content_bottoms(pdf: bytes) -> list[float]:
    """Per page, how far down (0 top margin … 1 bottom margin) its lowest text reaches, the footer left out."""
    out = []
    for page in pypdf.PdfReader(io.BytesIO(pdf)).pages:
        height = float(page.mediabox.height)
        ys: list[float] = []

        def visit(text, cm, tm, font, size, ys=ys):
            if text.strip():
                ys.append(tm[5] * cm[3] + cm[5])

        page.extract_text(visitor_text=visit)
        body = [y for y in ys if y > 16 * MM_TO_PT]  # the footer sits in the bottom margin
        top, bottom = height - 15 * MM_TO_PT, 16 * MM_TO_PT
        out.append((top - min(body)) / (top - bottom) if body else 0.0)
    return out


@pytest.mark.parametrize("names", [VIEWS, ("anterior", "right_lateral"), ("posterior",)])
def test_no_half_empty_photo_pages(tmp_path, names):
    """After the overview, every page but the last is filled at least halfway: views follow one another."""
    folder = _copy_samples(tmp_path / "s")
    views = [v for v in load_session(folder, client=CLIENT, date=DATE) if v[0].view in names]
    pdf = report.build_report(views, client=CLIENT, date=DATE)
    fill = _content_bottoms(pdf)
    assert all(f > 0.5 for f in fill[1:-1]), fill
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    assert sum(len(p.images) for p in reader.pages[1:]) == len(names)  # each view's photo once after the overview


def test_section_photos_shrink_to_finish_a_page_but_not_much():
    full = report.section_photo_height(4 / 3, 180.0, 500.0, 40.0)
    assert full == report.SECTION_PHOTO_MAX_H or full == pytest.approx(180 * report.SECTION_PHOTO_SHARE * 4 / 3)
    for room in np.linspace(10, 300, 59):
        got = report.section_photo_height(4 / 3, 180.0, float(room), 40.0)
        if got is not None:
            assert report.SECTION_PHOTO_MIN_SHARE * full <= got <= full and got <= room
        else:
            assert room < report.SECTION_PHOTO_MIN_SHARE * full
    assert report.section_photo_height(4 / 3, 180.0, 200.0, 210.0) is None  # the text beside it does not fit


def test_fonts_parsed_once_still_print_every_report():
    """Each report gets its own subset of the bundled font: consecutive reports in one process all read back."""
    names = ["Ελένη Παπαδοπούλου", "Алёна Щукина", "Nguyễn Thị Ánh", "Zoë Ødegård"]
    for name in names:
        first = _pages(report.build_report(_bare_views("anterior"), client=name))[0]
        assert name in first
        assert "Key observations" in first


@pytest.mark.parametrize(
    ("client", "day", "kind", "expected"),
    [
        ("Maria Keller", dt.date(2026, 11, 3), "posture", "Keller_Maria_2026-11-03_posture.pdf"),
        ("Keller, Maria", dt.date(2026, 11, 3), "posture", "Keller_Maria_2026-11-03_posture.pdf"),
        ("Łucja Żółć", dt.date(2025, 3, 14), "handout", "Zolc_Lucja_2025-03-14_handout.pdf"),
        ("  José  María   Núñez-García ", dt.date(2026, 1, 2), "posture", "Nunez-Garcia_Jose_Maria_2026-01-02_posture.pdf"),
        ("Anna/Bob O'Brien", dt.date(2026, 1, 2), "posture", "OBrien_Anna_Bob_2026-01-02_posture.pdf"),
        ("../../etc/passwd", dt.date(2026, 1, 2), "posture", "passwd_etc_2026-01-02_posture.pdf"),
        ("", dt.date(2026, 1, 2), "posture", "2026-01-02_posture.pdf"),
        (None, dt.date(2026, 1, 2), "handout", "2026-01-02_handout.pdf"),
        ("Алёна Щукина", dt.date(2026, 1, 2), "posture", "2026-01-02_posture.pdf"),
        ("Straße Æsir", "2026-01-02", "posture", "AEsir_Strasse_2026-01-02_posture.pdf"),
    ],
)
def test_file_names(client, day, kind, expected):
    from posture.naming import file_name

    name = file_name(client, day, kind)
    assert name == expected
    assert name.isascii() and "/" not in name and " " not in name and not name.startswith(("_", "-", "."))


def test_the_app_report_and_downloads_carry_the_client_record(tmp_path):
    """ui.client_file: the linked client's date of birth and precautions, the practice, and the file names."""
    from posture.settings import Practice
    from posture.store import Precautions, Store
    from ui import client_file, drafts
    from ui.model import Assessment

    with Store(tmp_path / "data") as store:
        client = store.create_client(
            "Maria Keller",
            date_of_birth=dt.date(1980, 3, 14),
            precautions=Precautions(frozenset({"pregnancy"}), "Bad knee"),
            consent_photography=True,
            consent_date=dt.date(2026, 1, 2),
        )
        a = Assessment()
        a.load_sample()
        a.settings = replace(a.settings, practice=Practice("Studio Ruch", "Zofia Nowak", "studio@example.org"))
        client_file.link_client(a, client)
        assert a.link.date_of_birth == dt.date(1980, 3, 14) and a.link.other_precaution == "Bad knee"
        day = dt.date(2026, 11, 3)
        first = _pages(client_file.report_pdf(a, day))[0]
        assert "Maria Keller · born 1980-03-14 (46 y) · 2026-11-03" in first and "Studio Ruch" in first
        assert "Pregnancy" in first
        assert client_file.pdf_name(a, day) == "Keller_Maria_2026-11-03_posture.pdf"
        assert client_file.pdf_name(a, day, "handout") == "Keller_Maria_2026-11-03_handout.pdf"
        # the draft keeps the date of birth like the visit's date
        raw = json.loads(json.dumps(drafts.draft_state(a)))
        assert raw["link"]["date_of_birth"] == "1980-03-14"
        assert drafts._restore_link(raw["link"]) == a.link
        # saving stores the visit with its report
        visit, warning = client_file.save(a, store, day, "first")
        assert warning is None
        assert visit.report is not None and "born 1980-03-14" in _pages(store.read_file(visit.report))[0]


def test_cli_report_prints_the_practice_details_of_the_settings_file(tmp_path):
    settings_file = tmp_path / "clinic.json"
    settings_file.write_text(json.dumps({"practice": PRACTICE}), encoding="utf-8")
    out = tmp_path / "r.pdf"
    res = run_cli("report", str(_small_session(tmp_path / "s")), "--out", str(out), "--settings", str(settings_file))
    assert res.returncode == 0, res.stderr
    first = _pages(out.read_bytes())[0]
    assert all(value in first for value in PRACTICE.values())
