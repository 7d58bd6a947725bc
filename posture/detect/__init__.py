"""Automatic suggestions (spec §10): the plumb line and its marks, adhesive markers, their labels, pose seeds.

Plain functions on numpy arrays; no Streamlit and no file I/O in the maths.
Conventions (pixels, colours, the pixel-centre rule): :mod:`posture.detect.base`.

* :func:`detect` (:mod:`.pipeline`): everything found in one upright photo, a :class:`Detection`;
* :func:`load_pose_model` (:mod:`.pose`): the offline BlazePose model, loaded once per process;
* :mod:`.suggest`: a detection written into a view document, and accepting or correcting its suggestions;
* the parts: :mod:`.plumb`, :mod:`.markers`, :mod:`.labelling`, :mod:`.seeds`.

The names below are loaded on first use, so ``import posture.detect.base``
(the command line's start, say) does not import SciPy or the model runtime.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .base import Detection, Suggestion
    from .markers import parse_color
    from .pipeline import detect, reduced_copy
    from .pose import PoseModel
    from .pose import load_model as load_pose_model
    from .suggest import accept_suggestions, detection_of, place, suggestions_of, with_detection

_WHERE = {
    "Detection": ("base", "Detection"),
    "Suggestion": ("base", "Suggestion"),
    "parse_color": ("markers", "parse_color"),
    "detect": ("pipeline", "detect"),
    "reduced_copy": ("pipeline", "reduced_copy"),
    "PoseModel": ("pose", "PoseModel"),
    "load_pose_model": ("pose", "load_model"),
    "accept_suggestions": ("suggest", "accept_suggestions"),
    "detection_of": ("suggest", "detection_of"),
    "place": ("suggest", "place"),
    "suggestions_of": ("suggest", "suggestions_of"),
    "with_detection": ("suggest", "with_detection"),
}
__all__ = [
    "Detection",
    "PoseModel",
    "Suggestion",
    "accept_suggestions",
    "detect",
    "detection_of",
    "load_pose_model",
    "parse_color",
    "place",
    "reduced_copy",
    "suggestions_of",
    "with_detection",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return getattr(importlib.import_module(f".{module}", __name__), attr)
