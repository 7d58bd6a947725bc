"""One view document in, the spec's result object out (spec §7 "Result").

``analyze(doc)`` is the whole pipeline: corrected frame → every measurement of
the view with its uncertainty → grading → findings → treatment-planning
starter. It does no I/O and never needs the photo.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import findings as words
from . import grading
from .document import ViewDocument
from .frame import Frame, build_frame
from .measurements import Measured, definitions, evaluate

RESULT_SCHEMA_VERSION = 1


def corrected_landmarks(doc: ViewDocument, frame: Frame) -> dict[str, np.ndarray]:
    """Placed landmarks in the corrected frame, each a ``(2,)`` array."""
    return {i: frame.to_XY(np.asarray(lm.xy, float)) for i, lm in doc.landmarks.items()}


def grade(m: Measured, frame: Frame, settings: grading.Settings) -> dict[str, Any]:
    """The result entry of one measurement, graded under ``settings``."""
    d = m.definition
    band = settings.band(d.id)
    if d.kind == "length" and frame.cm_per_px is None:
        band = None  # distances in pixels are not graded
    rule = grading.rule_for(d.id)
    severity = grading.severity(m.value, band, rule) if band else None
    entry: dict[str, Any] = {
        "label": d.label,
        "plane": d.plane,
        "value": m.value,
        "unit": m.unit,
        "uncertainty": m.uncertainty,
        "severity": severity,
        "borderline": bool(band) and grading.is_borderline(m.value, m.uncertainty, band, rule),
        "direction": words.direction(d.id, m.value, m.extra),
        "landmarks": list(m.landmarks),
        "band": band.as_dict() if band else None,
        "region": d.region,
    }
    if "level" in m.extra:
        entry["level"] = m.extra["level"]
    return entry


def analyze(doc: ViewDocument, settings: grading.Settings | None = None) -> dict[str, Any]:
    """Analyse a validated view document; return the result object of spec §7."""
    settings = settings or grading.load_settings()
    frame = build_frame(doc)
    XY = corrected_landmarks(doc, frame)
    measurements: dict[str, dict[str, Any]] = {}
    not_measured: dict[str, str] = {}
    for d in definitions(doc.view):
        outcome = evaluate(frame, XY, d)
        if isinstance(outcome, str):
            not_measured[d.id] = outcome
        else:
            measurements[d.id] = grade(outcome, frame, settings)
    measured = [{"id": k, **v} for k, v in measurements.items()]
    found = words.build_findings(measured)
    placed = {i: lm.xy for i, lm in doc.landmarks.items()}
    result: dict[str, Any] = {
        "schema_version": RESULT_SCHEMA_VERSION,
        "view": doc.view,
        "vertical_source": frame.vertical_source,
        "vertical_roll_deg": frame.roll_deg,
        "cm_per_px": frame.cm_per_px,
        "plumb_line": frame.plumb_line_px(placed, doc.image_height),
        "warnings": list(frame.warnings) + words.referrals_without_finding(measured, found),
        "measurements": measurements,
        "not_measured": not_measured,
        "findings": words.public(found),
        "plan": words.build_plan(found),
        "landmark_sigma_px": frame.sigma_px,
    }
    if doc.effective_facing is not None:
        result["facing"] = doc.effective_facing
    return result
