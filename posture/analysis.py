"""One view document in, the spec's result object out (spec §7 "Result").

``analyze(doc, settings)`` is the whole pipeline: corrected frame → every
measurement of the view with its uncertainty → grading → findings →
treatment-planning starter. It does no I/O and never needs the photo: the
grading bands and muscle patterns are an argument (the shipped defaults when left out); reading a
practice's settings file is the caller's business (the command line and the
app do it, with :func:`posture.settings.load_settings`).
"""

from __future__ import annotations

import numpy as np

from . import findings as words
from . import grading
from .document import ViewDocument
from .frame import Frame, build_frame
from .measurements import Measured, definitions, evaluate
from .result import RESULT_SCHEMA_VERSION, LandmarkOrigins, Measurement, Notice, PlumbLine, Result
from .settings import Settings, default_settings

__all__ = ["RESULT_SCHEMA_VERSION", "analyze", "corrected_landmarks", "grade"]


def corrected_landmarks(doc: ViewDocument, frame: Frame) -> dict[str, np.ndarray]:
    """Placed landmarks in the corrected frame, each a ``(2,)`` array."""
    return {i: frame.to_XY(np.asarray(lm.xy, float)) for i, lm in doc.landmarks.items()}


def grade(m: Measured, frame: Frame, settings: Settings) -> Measurement:
    """The result entry of one measurement, graded under ``settings`` (ungraded while the frame withholds grading)."""
    d = m.definition
    band = settings.band(d.id)
    if d.kind == "length" and frame.cm_per_px is None:
        band = None  # distances in pixels are not graded
    withheld = frame.grading_withheld
    if withheld is not None:
        band = None  # the facing is contradicted: the signs may be reversed (see Frame.grading_withheld)
    rule = grading.rule_for(d.id)
    severity = rule.severity(m.value, band) if band else None
    entry: Measurement = {
        "label": d.label,
        "plane": d.plane,
        "value": m.value,
        "unit": m.unit,
        "uncertainty": m.uncertainty,
        "severity": severity,
        "borderline": band is not None and rule.is_borderline(m.value, m.uncertainty, band),
        "direction": withheld
        if withheld is not None
        else words.direction(d.id, m.value, m.extra, band, severity=severity, unit=m.unit, uncertainty=m.uncertainty),
        "landmarks": list(m.landmarks),
        "band": band.as_dict() if band else None,
        "region": d.region,
    }
    if "level" in m.extra:
        entry["level"] = m.extra["level"]
    return entry


def landmark_origins(doc: ViewDocument) -> LandmarkOrigins:
    """How many placed landmarks came from markers, from the pose model and by hand.

    An accepted suggestion (``source`` ``auto`` or ``auto_edited``) keeps its
    origin in the landmark's ``"from"`` key (:mod:`posture.detect.suggest`); an
    ``auto`` point without one counts as a marker's; ``manual`` is by hand.
    """
    counts: LandmarkOrigins = {"marker": 0, "pose": 0, "hand": 0}
    for lm in doc.landmarks.values():
        if lm.source == "manual":
            counts["hand"] += 1
        elif lm.extra.get("from") == "pose":
            counts["pose"] += 1
        else:
            counts["marker"] += 1
    return counts


def analyze(doc: ViewDocument, settings: Settings | None = None) -> Result:
    """Analyse a validated view document under ``settings`` (default: the shipped bands and patterns); return spec §7's result."""
    settings = settings or default_settings()
    frame = build_frame(doc)
    XY = corrected_landmarks(doc, frame)
    measurements: dict[str, Measurement] = {}
    not_measured: dict[str, str] = {}
    for d in definitions(doc.view):
        outcome = evaluate(frame, XY, d)
        if isinstance(outcome, str):
            not_measured[d.id] = outcome
        else:
            measurements[d.id] = grade(outcome, frame, settings)
    found = words.build_findings(measurements, settings.patterns)
    notices: list[Notice] = [*frame.warnings, *words.referrals_without_finding(measurements, found)]
    placed = {i: lm.xy for i, lm in doc.landmarks.items()}
    line = frame.plumb_line_px(placed, doc.image_height)
    plumb_line: PlumbLine | None = None if line is None else {"p1": line["p1"], "p2": line["p2"]}
    result: Result = {
        "schema_version": RESULT_SCHEMA_VERSION,
        "view": doc.view,
        "vertical_source": frame.vertical_source,
        "vertical_roll_deg": frame.roll_deg,
        "cm_per_px": frame.cm_per_px,
        "plumb_line": plumb_line,
        "warnings": [n.text for n in notices],
        "measurements": measurements,
        "not_measured": not_measured,
        "findings": words.public(found),
        "plan": words.build_plan(found),
        "observations": words.build_observations(found),
        "landmark_sigma_px": frame.sigma_px,
        "warning_codes": [n.code for n in notices],
        "landmark_origins": landmark_origins(doc),
    }
    facing = doc.effective_facing
    if facing is not None:
        result["facing"] = facing
    return result
