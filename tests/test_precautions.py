"""The precaution-aware treatment-planning starter (issue 14, item 4): the shipped table, its sources, the
override through a practice's settings file, and the cautions on the plan items they touch."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers_core import REPO

from posture import analysis, document, findings, precautions
from posture.errors import SettingsError
from posture.measurements import REGIONS
from posture.settings import default_settings, load_settings, save_settings, settings_from_dict, settings_to_dict
from posture.store import PRECAUTION_KEYS

SAMPLES = REPO / "sample_images"
VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")
TABLE = json.loads((REPO / "posture" / "data" / "precautions.json").read_text(encoding="utf-8"))
CLOTTING = "blood_clots_or_clotting_disorders"
#: The calf muscles and the medial thigh's, written out here (the oracle does not read the table's areas).
CALF_WORDS = ("gastrocnemius", "soleus", "tibialis posterior", "popliteus", "plantaris")
MEDIAL_THIGH_WORDS = ("adductor", "gracilis", "pectineus", "sartorius")


def _names_any(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{w}", text, re.IGNORECASE) for w in words)


@pytest.fixture(scope="module")
def sample_plan():
    """The four-view sample's combined starter (the report's)."""
    results = [analysis.analyze(document.load(SAMPLES / f"{v}.json"), default_settings()) for v in VIEWS]
    return findings.combined_plan(results)


def _items(plan: precautions.CautionedPlan):
    return [(s["stage"], i) for s in plan.stages for i in s["items"]]


# --- the table ---------------------------------------------------------------------------


def test_every_precaution_of_the_client_file_has_an_entry_with_rules():
    table = precautions.shipped_precautions()
    assert list(table) == list(PRECAUTION_KEYS), "one entry per checklist key, in the checklist's order"
    for key, p in table.items():
        assert p.name.strip() and p.rules, key
    assert default_settings().precautions == table


def test_every_rule_cites_sources_that_are_in_the_table_and_checkable():
    cited = set()
    for key, p in TABLE["precautions"].items():
        for i, rule in enumerate(p["rules"]):
            assert rule["sources"], f"{key}.rules[{i}] has no source"
            for s in rule["sources"]:
                assert s in TABLE["sources"], f"{key}.rules[{i}] cites {s!r}, which is not in sources"
                cited.add(s)
    assert cited == set(TABLE["sources"]), "every listed source is used"
    for key, text in TABLE["sources"].items():
        # a checkable citation: a year of publication, or the page's address
        assert re.search(r"\b(19|20)\d\d\b", text) or "https://" in text, key
    own = [r for p in TABLE["precautions"].values() for r in p["rules"] if r.get("own_choice")]
    assert own and len(own) < sum(len(p["rules"]) for p in TABLE["precautions"].values()), (
        "the project's own conservative choices are marked, and they are not all of it"
    )


def test_the_issues_examples_are_in_the_table():
    table = precautions.shipped_precautions()

    def rules(key: str, stage: int) -> list[precautions.Rule]:
        return [r for r in table[key].rules if stage in r.stages]

    clot = [r for r in rules(CLOTTING, 1) if {"calf", "medial thigh"} <= set(r.areas)]
    assert clot and all(w in clot[0].caution for w in ("deep pressure", "stripping", "friction"))
    bones = table["severe_osteoporosis_or_fragile_bones"]
    assert any("light pressure" in r.caution for r in rules("severe_osteoporosis_or_fragile_bones", 1))
    assert any("forceful mobilisation" in r.caution and 2 in r.stages and not r.areas for r in bones.rules)
    assert any("no direct work" in r.caution and not r.areas for r in rules("acute_injury_or_inflammation", 1))
    assert any("cleared" in r.caution and not r.areas for r in rules("recent_surgery_without_clearance", 1))


def test_every_muscle_of_the_patterns_lies_in_a_body_area_and_each_word_in_one():
    raw = json.loads((REPO / "posture" / "data" / "muscle_patterns.json").read_text(encoding="utf-8"))
    entries = [m for p in raw["shared"].values() for m in p["tight"] + p["weak"]]
    entries += [
        m for cases in raw["patterns"].values() for c in cases.values() if isinstance(c, dict) for m in c["tight"] + c["weak"]
    ]
    assert len(entries) > 50
    for entry in entries:
        assert precautions.item_areas(entry), f"{entry!r} lies in no body area of precautions.json"
    words = [w.lower() for ws in precautions.body_areas().values() for w in ws]
    assert len(words) == len(set(words)), "a word belongs to one body area"
    assert not set(precautions.body_areas()) & set(REGIONS)
    assert precautions.item_areas("gastrocnemius and soleus (right)") == {"calf"}
    assert precautions.item_areas("hip adductors (left)") == {"medial thigh"}
    assert precautions.item_areas("peroneals (fibularis longus and brevis, right)") == {"side of the lower leg"}
    assert precautions.item_areas("deep neck flexors and lower trapezius") == {"front of the neck", "back"}


# --- matching ----------------------------------------------------------------------------


def test_clotting_disorder_cautions_every_calf_item_of_the_four_view_sample(sample_plan):
    plan = precautions.cautioned_plan(sample_plan, [CLOTTING])
    items = _items(plan)
    calf = [(s, i) for s, i in items if _names_any(i["text"], CALF_WORDS)]
    assert {s for s, _ in calf} == {1, 3, 4, 5}, "the sample names calf muscles in four stages"
    assert len(calf) >= 5
    for _, item in calf:
        assert any(c.startswith("Clotting disorder: ") for c in item["cautions"]), item["text"]
        assert any("calf" in c for c in item["cautions"]), item["text"]
    # the soft-tissue item of the knees names aims, not muscles: it works on the calf its pressure item names
    (knees2,) = [i for s, i in items if s == 2 and i["text"].startswith("Knees:")]
    assert any("stripping or friction on the calf" in c for c in knees2["cautions"])
    # no leg muscle, no pressure work: no clotting caution (the head, the upper body's lengthening and strength)
    for stage, item in items:
        if stage != 1 and not _names_any(item["text"], CALF_WORDS + MEDIAL_THIGH_WORDS) and stage != 2:
            assert item["cautions"] == [], item["text"]
    # the stage-1 bruising consideration is on every pressure item, the leg's one only where the legs are named
    assert all(any("bruise" in c for c in i["cautions"]) for s, i in items if s == 1)
    head1 = next(i for s, i in items if s == 1 and i["text"].startswith("Head and neck:"))
    assert not any("calf" in c for c in head1["cautions"])
    assert plan.any_caution
    assert any("one calf or thigh is swollen" in g for g in plan.general), "the rule without stages is beside the plan"


def test_items_are_untouched_without_precautions(sample_plan):
    plan = precautions.cautioned_plan(sample_plan)
    assert not plan.any_caution and plan.general == [] and plan.sources == []
    assert [[i["text"] for i in s["items"]] for s in plan.stages] == [s["items"] for s in sample_plan]
    assert [(s["stage"], s["title"]) for s in plan.stages] == [(s["stage"], s["title"]) for s in sample_plan]


PLAN = [
    {"stage": 1, "title": "Relieve", "items": ["Trunk and spine: consider assessing quadratus lumborum.", "Knees: consider assessing hamstrings."]},
    {"stage": 2, "title": "Correct", "items": ["Trunk and spine: consider soft-tissue work aimed at levelling.", "Knees: consider soft-tissue work aimed at unlocking the knees."]},
    {"stage": 4, "title": "Strength", "items": ["Trunk and spine: consider building the strength of rectus abdominis."]},
]  # fmt: skip


def _table(rules: list[dict]) -> precautions.PrecautionTable:
    return settings_from_dict({"precautions": {"pregnancy": {"name": "test case", "rules": rules}}}).precautions


def test_a_rule_touches_the_items_of_its_stages_in_its_areas_or_regions():
    table = _table(
        [
            {"caution": "consider A.", "stages": [1], "areas": ["back of the thigh"]},  # by muscle: the knees' hamstrings
            {"caution": "consider B.", "stages": [1, 2], "areas": ["trunk and spine"]},  # by region
            {"caution": "consider C.", "stages": [4]},  # every item of stage 4
            {"caution": "consider D.", "stages": [5]},  # no stage-5 item: beside the plan
            {"caution": "consider E."},  # no stages: beside the plan
            {"caution": "consider F.", "stages": [2], "areas": ["back of the thigh"]},  # the knees' soft tissue, by stage 1
        ]
    )
    plan = precautions.cautioned_plan(PLAN, ["pregnancy"], table=table)
    got = {(s["stage"], i["text"].split(":")[0]): i["cautions"] for s in plan.stages for i in s["items"]}
    assert got == {
        (1, "Trunk and spine"): ["Test case: consider B."],
        (1, "Knees"): ["Test case: consider A."],
        (2, "Trunk and spine"): ["Test case: consider B."],
        (2, "Knees"): ["Test case: consider F."],
        (4, "Trunk and spine"): ["Test case: consider C."],
    }
    assert plan.general == ["Test case: consider D.", "Test case: consider E.", precautions.PHYSICIAN_PROMPT]
    assert plan.sources == ["practice settings"]
    # other precautions keep their shipped rules; unchecked ones give nothing
    assert precautions.cautioned_plan(PLAN, ["acute_injury_or_inflammation"], table=table).stages[0]["items"][0]["cautions"]
    assert not precautions.cautioned_plan(PLAN, [], table=table).any_caution


def test_the_other_precaution_is_printed_beside_the_plan(sample_plan):
    plan = precautions.cautioned_plan(sample_plan, [], "Recent whiplash, neck still sore.")
    assert plan.general[0].startswith("Other precaution: Recent whiplash, neck still sore (consider")
    assert plan.general[-1] == precautions.PHYSICIAN_PROMPT
    assert all(i["cautions"] == [] for _, i in _items(plan)), "the other text touches no item"
    bare = precautions.cautioned_plan(sample_plan, ["other"], "")
    assert bare.general[0].startswith(f"Other precaution: {precautions.OTHER_NOT_DESCRIBED} (")
    several = precautions.cautioned_plan(sample_plan, ["pregnancy", CLOTTING], "Whiplash")
    names = [g.split(":")[0] for g in several.general]
    assert names.index("Clotting disorder") < names.index("Pregnancy") < names.index("Other precaution"), "table order"
    assert several.general.count(precautions.PHYSICIAN_PROMPT) == 1


def test_an_unknown_precaution_key_is_refused(sample_plan):
    with pytest.raises(ValueError, match="haemophilia is not a precaution"):
        precautions.cautioned_plan(sample_plan, ["haemophilia"])


def test_the_wording_is_considerations_never_advice_or_diagnosis(sample_plan):
    plan = precautions.cautioned_plan(sample_plan, PRECAUTION_KEYS, "Whiplash")
    lines = [c for _, i in _items(plan) for c in i["cautions"]] + plan.general
    shipped = [r.caution for p in precautions.shipped_precautions().values() for r in p.rules]
    assert len(lines) > 40
    for line in lines:
        assert "consider" in line or "check with the client's physician" in line, line
        low = line.lower()
        for banned in ("do not treat", "diagnos", "contraindicated", "must ", "you have", "you should", "prescri"):
            assert banned not in low, (banned, line)
        assert line.endswith((".", ")")) and "\n" not in line and ".." not in line
    for caution in shipped:
        assert caution[0].islower() or caution.startswith("{other}"), (
            "a caution follows the precaution's name: 'Pregnancy: consider …'"
        )
    # every recorded precaution's rules are somewhere: on an item or beside the plan
    for p in precautions.shipped_precautions().values():
        for r in p.rules:
            text = r.caution.replace("{other}", "Whiplash")
            assert any(line.endswith(text) for line in lines), text


# --- the practice's settings ---------------------------------------------------------------


def test_a_practice_overrides_a_precaution_in_its_settings_file(tmp_path: Path, sample_plan):
    path = tmp_path / "settings.json"
    ours = {"caution": "consider our own pregnancy protocol for the abdomen.", "stages": [1, 2, 3], "areas": ["abdomen"], "sources": ["Our clinic's protocol, 2025"]}  # fmt: skip
    path.write_text(json.dumps({"precautions": {"pregnancy": {"rules": [ours]}}}), encoding="utf-8")
    settings = load_settings(path)
    assert settings.precautions["pregnancy"].name == "pregnancy", "a name left out stays as shipped"
    assert settings.precautions[CLOTTING] == precautions.shipped_precautions()[CLOTTING]
    plan = precautions.cautioned_plan(sample_plan, ["pregnancy"], table=settings.precautions)
    touched = [(s, i) for s, i in _items(plan) if i["cautions"]]
    assert touched and all(
        i["cautions"] == ["Pregnancy: consider our own pregnancy protocol for the abdomen."] for _, i in touched
    )
    abdomen = re.compile(r"abdomin|oblique|psoas")
    pressure = {i["text"].split(":")[0]: i["text"] for s, i in _items(plan) if s == 1}
    for stage, item in touched:  # a soft-tissue item by the muscles its region's pressure item names
        assert abdomen.search(pressure[item["text"].split(":")[0]] if stage == 2 else item["text"]), item["text"]
    assert {s for s, _ in touched} == {1, 2, 3}, "the stages the rule names, and no others"
    assert plan.sources == ["Our clinic's protocol, 2025"]
    # the writer keeps it (and only it), and reading it back gives the same table
    out = tmp_path / "saved" / "settings.json"
    save_settings(settings, out)
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert list(saved["precautions"]) == ["pregnancy"]
    assert saved["precautions"]["pregnancy"]["rules"] == [ours]
    assert load_settings(out).precautions == settings.precautions
    assert "precautions" not in settings_to_dict(default_settings())


def test_a_practice_may_switch_a_precautions_cautions_off():
    table = settings_from_dict({"precautions": {"pregnancy": {"rules": []}}}).precautions
    plan = precautions.cautioned_plan(PLAN, ["pregnancy"], table=table)
    assert plan.general == [precautions.PHYSICIAN_PROMPT], "still the prompt to check with the physician"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "precautions must be an object keyed by precaution"),
        ({"haemophilia": {}}, "precautions.haemophilia is not a precaution of the client file"),
        ({"pregnancy": []}, "precautions.pregnancy must be an object with name and rules"),
        ({"pregnancy": {"label": "x"}}, "precautions.pregnancy.label is not a precaution key"),
        ({"pregnancy": {"name": " "}}, "precautions.pregnancy.name must be text"),
        ({"pregnancy": {"rules": {}}}, "precautions.pregnancy.rules must be a list"),
        ({"pregnancy": {"rules": ["x"]}}, r"precautions.pregnancy.rules\[0\] must be an object"),
        ({"pregnancy": {"rules": [{"stages": [1]}]}}, r"rules\[0\].caution is missing"),
        ({"pregnancy": {"rules": [{"caution": ""}]}}, r"rules\[0\].caution must be a sentence"),
        ({"pregnancy": {"rules": [{"caution": "consider {side}."}]}}, r"rules\[0\].caution uses \{side\}"),
        ({"pregnancy": {"rules": [{"caution": "consider {."}]}}, r"rules\[0\].caution has an unmatched"),
        ({"pregnancy": {"rules": [{"caution": "c", "stages": [6]}]}}, r"rules\[0\].stages\[0\] must be a plan stage"),
        ({"pregnancy": {"rules": [{"caution": "c", "stages": [True]}]}}, r"rules\[0\].stages\[0\] must be a plan stage"),
        ({"pregnancy": {"rules": [{"caution": "c", "stages": []}]}}, r"rules\[0\].stages must be a non-empty list"),
        ({"pregnancy": {"rules": [{"caution": "c", "areas": ["calf"]}]}}, r"rules\[0\].areas needs stages"),
        ({"pregnancy": {"rules": [{"caution": "c", "stages": [1], "areas": ["nose"]}]}}, r"areas\[0\] is not a body area"),
        ({"pregnancy": {"rules": [{"caution": "c", "sources": [""]}]}}, r"rules\[0\].sources\[0\] must be text"),
        ({"pregnancy": {"rules": [{"caution": "c", "own_choice": "yes"}]}}, r"rules\[0\].own_choice must be true or false"),
        ({"pregnancy": {"rules": [{"caution": "c", "depth": 2}]}}, r"rules\[0\].depth is not a rule key"),
    ],
)
def test_a_bad_precautions_setting_is_one_sentence_naming_the_field(tmp_path: Path, raw, message):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"precautions": raw}), encoding="utf-8")
    with pytest.raises(SettingsError, match=message) as err:
        load_settings(path)
    text = str(err.value)
    assert text.startswith(str(path)) and text.endswith(".") and "\n" not in text


# --- end to end: the PDF ---------------------------------------------------------------------


def test_the_pdf_marks_every_calf_item_of_a_client_with_a_clotting_disorder():
    """Issue 14's done-when, read back from the PDF: each plan item naming a calf muscle is followed by the clotting
    caution before the next item begins; items that touch no caution carry none."""
    import io

    import pypdf

    from posture import report

    settings = default_settings()
    views = [(d, analysis.analyze(d, settings), None) for d in (document.load(SAMPLES / f"{v}.json") for v in VIEWS)]
    pdf = report.build_report(views, client="Test Client", date="2026-11-03", precaution_keys=(CLOTTING,))
    text = " ".join(" ".join(p.extract_text().split()) for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    text = text[text.index("Treatment-planning starter Muscles commonly") :]
    plan = precautions.cautioned_plan(findings.combined_plan([r for _, r, _ in views]), (CLOTTING,))
    items = [i for _, i in _items(plan)]
    starts = []
    for item in items:
        at = text.find(" ".join(item["text"].split()))
        assert at >= 0, f"the plan item is not in the PDF: {item['text']}"
        starts.append(at)
    assert starts == sorted(starts), "the PDF keeps the plan's order"
    ends = starts[1:] + [len(text)]
    calf = 0
    for item, start, end in zip(items, starts, ends, strict=True):
        after = text[start + len(" ".join(item["text"].split())) : end]
        if _names_any(item["text"], CALF_WORDS):
            calf += 1
            clot = [c for c in item["cautions"] if "calf" in c]
            assert clot, item["text"]
            assert f"Caution: {' '.join(clot[0].split())}" in after, f"no clotting caution under: {item['text']}"
        if not item["cautions"]:
            assert "Caution:" not in after, f"a caution under an item that touches none: {item['text']}"
    assert calf >= 5
