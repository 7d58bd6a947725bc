"""The client handout: one or two pages, plain words, the photos, the plan stage by stage (read back with pypdf).

Everything runs on the synthetic sample client (``sample_images/``) copied to
``tmp_path``, analysed and drawn as the report draws it.
"""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pypdf
import pytest

from posture import analyze, document, handout, report
from posture import findings as words
from posture.errors import ReportError
from posture.settings import Practice

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_images"
VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")
CLIENT = "Łucja Żółć"
DATE = "2025-03-14"
#: Words of the clinical record a client should not meet in the handout.
JARGON = (
    "anterior", "posterior", "lateral", "valgus", "varus", "kyphosis", "lordosis", "ASIS", "PSIS", "malleol", "tibial",
    "scapula", "craniovertebral", "obliquity", "trigger point", "hypertonicity", "neuromuscular", "NMT", "severity",
    "Mild", "Moderate", "Marked", "borderline", "plumb", "Value ± SD", "trapezius", "gastrocnemius", "consider assessing",
)  # fmt: skip


def _pages(pdf: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages]


@pytest.fixture(scope="module")
def sample_views(tmp_path_factory):
    folder = tmp_path_factory.mktemp("session")
    for p in SAMPLES.iterdir():
        if p.suffix in (".json", ".jpg"):
            shutil.copy(p, folder / p.name)
    return report.load_session(folder, client=CLIENT, date=DATE)


@pytest.fixture(scope="module")
def sample_handout(sample_views):
    practice = Practice("Studio Ruch", "Zofia Nowak", "studio@example.org")
    return handout.build_handout(
        sample_views, client=CLIENT, date=DATE, practice=practice, precaution_keys=("pregnancy",), other_precaution="Bad knee"
    )


def test_one_or_two_pages_with_the_photos(sample_handout):
    reader = pypdf.PdfReader(io.BytesIO(sample_handout))
    assert 1 <= len(reader.pages) <= 2
    assert sum(len(p.images) for p in reader.pages) == len(VIEWS)
    text = " ".join(_pages(sample_handout))
    assert CLIENT in text and DATE in text and "Studio Ruch" in text and "Zofia Nowak" in text


def test_plain_words_no_numbers_no_tables(sample_handout):
    text = " ".join(_pages(sample_handout))
    body = text.replace(DATE, "").replace(CLIENT, "")
    body = re.sub(r"Page \d+ of \d+", "", body)
    assert not re.search(r"\d", body), body  # no measurements
    assert not set("°±%") & set(body)
    for term in JARGON:
        assert term.lower() not in body.lower(), term
    assert "not a diagnosis" in body


def test_what_we_saw_names_each_observation_once_with_its_side(sample_views, sample_handout):
    text = " ".join(_pages(sample_handout))
    seen = text[text.index("What we saw") : text.index("What we will work on")]
    results = [r for _, r, _ in sample_views]
    sentences = [t for _, t in handout.plain_observations(results)]
    assert sentences and len(sentences) == len(set(sentences))
    for sentence in sentences:
        assert seen.count(sentence) == 1, sentence
    # the sample's right shoulder is lower (front and back, angle and height): one sentence, the right side
    anterior = next(r for r in results if r["view"] == "anterior")
    assert anterior["measurements"]["shoulder_tilt"]["value"] > 0
    assert seen.count("Your right shoulder sits lower than your left shoulder.") == 1
    # the most important observation comes first
    top = words.ranked_observations(results)[0]
    first = handout.plain_observations(results)[0]
    assert first[0] == top["severity"]


def test_the_side_follows_the_sign():
    doc = document.load(SAMPLES / "anterior.json")
    raw = document.to_dict(doc)
    for lm in raw["landmarks"].values():  # mirror the client: the photo flipped left to right
        lm["x"] = raw["image"]["width"] - lm["x"]
    raw["landmarks"] = {
        (k[:-2] + ("_l" if k.endswith("_r") else "_r") if k.endswith(("_r", "_l")) else k): v for k, v in raw["landmarks"].items()
    }
    mirrored = document.parse_document(raw)
    original = [t for _, t in handout.plain_observations([analyze(doc)])]
    flipped = [t for _, t in handout.plain_observations([analyze(mirrored)])]
    assert "Your right shoulder sits lower than your left shoulder." in original
    assert "Your left shoulder sits lower than your right shoulder." in flipped


def test_what_we_will_work_on_follows_the_plan_stage_by_stage(sample_views, sample_handout):
    text = " ".join(_pages(sample_handout))
    work = text[text.index("What we will work on") :]
    plan = words.combined_plan([r for _, r, _ in sample_views])
    stages = handout.plain_stages([(s["stage"], s["items"]) for s in plan])
    assert len(stages) == len(plan)
    positions = [work.index(f"{handout.ORDINALS[n]}, {title.lower()}") for n, (title, _) in enumerate(stages)]
    assert positions == sorted(positions)
    assert "We will adapt the work to the health information you gave us" in work  # a precaution is recorded
    plain = handout.build_handout(sample_views, client=CLIENT, date=DATE)
    assert "health information" not in " ".join(_pages(plain))


def test_plain_stages_name_areas_not_muscles():
    stages = handout.plain_stages(
        [
            (1, ["Knees: consider assessing the hamstrings.", "Head and neck: consider assessing upper trapezius."]),
            (4, ["Knees: consider building the strength of the quadriceps.", "No region here."]),
            (9, ["Knees: a stage the handout does not know."]),
        ]
    )
    assert stages == [("Ease tight and tender muscles", ["knees", "head and neck"]), ("Build strength", ["knees"])]


def test_every_plain_sentence_fills_its_sides():
    for mid, cases in handout.PLAIN.items():
        for text in cases.values():
            assert text.endswith(".") and text[0].isupper(), mid
    for mid in ("shoulder_tilt", "knee_alignment_r", "pelvic_tilt", "cva", "cog_asymmetry"):
        for value in (-3.0, 3.0, 20.0):
            text = handout._plain(mid, value)
            assert text is not None and "{" not in text, (mid, value)


def test_a_view_without_findings_and_errors(sample_views):
    calm = document.load(SAMPLES / "anterior.json")
    pdf = handout.build_handout([(calm, analyze(calm), None)])
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages) == 1
    with pytest.raises(ReportError, match="no view"):
        handout.build_handout([])
    with pytest.raises(ReportError, match="client name"):
        handout.build_handout(sample_views[:1], client="山田 花子")
    with pytest.raises(ReportError, match="a4 or letter"):
        handout.build_handout(sample_views[:1], paper="legal")


def test_the_app_saves_the_practice_details_the_report_and_handout_print(tmp_path, monkeypatch):
    """Settings in the app (AppTest, headless): the details are saved to the settings file, kept when the bands are
    restored, and the assessment's report and handout carry them."""
    import json
    from datetime import date

    from streamlit.testing.v1 import AppTest

    from ui import client_file

    path = tmp_path / "practice.json"
    monkeypatch.setenv("POSTURE_SETTINGS", str(path))
    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=60).run()
    at.button(key="sample_main").click().run()
    at.text_input(key="practice_name").input("  Studio   Ruch ").run()
    at.text_input(key="practice_therapist").input("Zofia Nowak").run()
    at.button(key="save_practice").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Saved" in s.value for s in at.success)
    assert json.loads(path.read_text(encoding="utf-8"))["practice"] == {"name": "Studio Ruch", "therapist": "Zofia Nowak"}
    at.button(key="reset_bands").click().run()
    a = at.session_state["assessment"]
    assert a.settings.practice.name == "Studio Ruch"
    labels = [b.label for b in at.get("download_button")]
    assert labels.index("Client handout (PDF)") == labels.index("PDF report") + 1
    day = date(2026, 11, 3)
    assert "Studio Ruch" in _pages(client_file.handout_pdf(a, day))[0]
    assert "Zofia Nowak" in _pages(client_file.report_pdf(a, day))[0]
