"""Suggestions in view documents (posture.detect.suggest, spec §10): never measured, accepted, corrected."""

from __future__ import annotations

import json

import pytest

from posture import document
from posture.analysis import analyze
from posture.detect.base import Detection, Suggestion
from posture.detect.suggest import accept_suggestions, detection_of, place, suggestions_of, with_detection
from posture.errors import DocumentError

SAMPLE = "sample_images/anterior.json"


def _sample_without_landmarks() -> tuple[document.ViewDocument, dict[str, tuple[float, float]]]:
    doc = document.load(SAMPLE)
    truth = {i: lm.xy for i, lm in doc.landmarks.items()}
    bare = document.ViewDocument(
        view=doc.view, image_file=doc.image_file, image_width=doc.image_width, image_height=doc.image_height
    )
    return bare, truth


def _detection(truth: dict[str, tuple[float, float]], pose_ids: tuple[str, ...] = ()) -> Detection:
    sug = {i: Suggestion(i, x, y, "pose" if i in pose_ids else "marker", 0.9) for i, (x, y) in truth.items()}
    return Detection(
        view="anterior",
        width=1200,
        height=1600,
        vertical=((262.5, 310.0), (262.5, 1110.0)),
        scale=((262.5, 310.0), (262.5, 1110.0), 100.0),
        roll_deg=0.0,
        plumb_marks=((262.5, 310.0), (262.5, 1110.0)),
        markers=tuple(truth.values()),
        suggestions=sug,
        warnings=("one warning",),
    )


def test_suggestions_are_never_measured_until_accepted():
    bare, truth = _sample_without_landmarks()
    doc = with_detection(bare, _detection(truth))
    result = analyze(doc)
    assert result["measurements"] == {}
    assert doc.calibration.scale is not None and doc.calibration.vertical is not None
    assert set(suggestions_of(doc)) == set(truth)
    accepted = accept_suggestions(doc)
    assert suggestions_of(accepted) == {}
    assert {lm.source for lm in accepted.landmarks.values()} == {"auto"}
    assert analyze(accepted)["measurements"]


def test_accept_all_markers_leaves_pose_suggestions_waiting():
    bare, truth = _sample_without_landmarks()
    doc = with_detection(bare, _detection(truth, pose_ids=("tragus_r", "tragus_l")))
    markers_only = accept_suggestions(doc, origin="marker")
    assert set(suggestions_of(markers_only)) == {"tragus_r", "tragus_l"}
    assert "tragus_r" not in markers_only.landmarks
    assert markers_only.landmarks["acromion_r"].extra == {"from": "marker"}


def test_place_gives_auto_edited_when_moved_and_auto_when_put_on_the_suggestion():
    bare, truth = _sample_without_landmarks()
    doc = with_detection(bare, _detection(truth))
    x, y = truth["acromion_r"]
    on = place(doc, "acromion_r", (x + 0.1, y))
    assert on.landmarks["acromion_r"].source == "auto"
    moved = place(doc, "acromion_r", (x + 5, y))
    assert moved.landmarks["acromion_r"].source == "auto_edited"
    assert moved.landmarks["acromion_r"].extra["from"] == "marker"
    again = place(accept_suggestions(doc, ["acromion_l"]), "acromion_l", (truth["acromion_l"][0] - 4, truth["acromion_l"][1]))
    assert again.landmarks["acromion_l"].source == "auto_edited"  # moved after accepting
    manual = place(bare, "acromion_r", (x, y))
    assert manual.landmarks["acromion_r"].source == "manual"
    removed = place(moved, "acromion_r", None)
    assert "acromion_r" not in removed.landmarks and "acromion_r" not in suggestions_of(removed)


def test_detection_round_trips_through_json_and_keeps_its_record():
    bare, truth = _sample_without_landmarks()
    doc = with_detection(bare, _detection(truth))
    raw = json.loads(document.dumps(doc))
    assert raw["calibration"]["scale"] == {"p1": [262.5, 310.0], "p2": [262.5, 1110.0], "distance_cm": 100.0}
    assert set(raw["suggestions"]) == set(truth)
    assert raw["suggestions"]["glabella"]["from"] == "marker"
    assert len(raw["detection"]["markers"]) == len(truth)
    back = document.loads(json.dumps(raw))
    assert suggestions_of(back) == suggestions_of(doc)
    assert detection_of(back)["warnings"] == ["one warning"]


def test_placed_landmarks_win_over_suggestions():
    doc = document.load(SAMPLE)
    _, truth = _sample_without_landmarks()
    again = with_detection(doc, _detection({k: (x + 3, y) for k, (x, y) in truth.items()}))
    assert suggestions_of(again) == {}
    assert again.landmarks == doc.landmarks


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ([], "suggestions"),
        ({"nose": {"x": 1, "y": 1, "from": "pose"}}, "suggestions.nose"),
        ({"glabella": {"x": "a", "y": 1, "from": "pose"}}, "suggestions.glabella"),
        ({"glabella": {"x": 1e9, "y": 1, "from": "pose"}}, "suggestions.glabella"),
        ({"glabella": {"x": 1, "y": 1, "from": "guess"}}, "suggestions.glabella.from"),
        ({"glabella": {"x": 1, "y": 1, "from": "pose", "confidence": 2}}, "suggestions.glabella.confidence"),
    ],
)
def test_malformed_suggestions_name_the_field(bad, field):
    raw = json.loads(document.dumps(document.load(SAMPLE)))
    raw["landmarks"] = {}
    raw["suggestions"] = bad
    doc = document.loads(json.dumps(raw))
    with pytest.raises(DocumentError) as err:
        suggestions_of(doc)
    assert err.value.field == field
