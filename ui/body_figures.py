"""Small guide figures: a body outline per view and where each landmark lies on it.

The editor draws the outline (SVG, ``viewBox="0 0 100 220"``) next to the
photo and marks the landmark the therapist is asked for, so "Right ASIS" is
also a dot on a body, on the correct side of the picture for that view:
anterior shows the client's right on the viewer's left, posterior on the
viewer's right, and either is mirrored when the photo has the client's right on
the other side (a mirrored selfie: the frame's ``r``); lateral figures face the
way the client faces in the photo, the frame's anterior sign ``f``
(:func:`posture.frame.build_frame`), not a facing worked out here.
"""

from __future__ import annotations

from posture import landmarks
from posture.frame import Frame

VIEWBOX = "0 0 100 220"

_SKIN = 'fill="#d9dde3" stroke="#8a94a3" stroke-width="1"'
_LIMB = 'stroke="#d9dde3" stroke-linecap="round" fill="none"'

_FRONTAL = f"""
<g class="fig-outline">
  <line x1="42" y1="104" x2="41" y2="203" {_LIMB} stroke-width="11"/>
  <line x1="58" y1="104" x2="59" y2="203" {_LIMB} stroke-width="11"/>
  <ellipse cx="39" cy="209" rx="7" ry="4" {_SKIN}/>
  <ellipse cx="61" cy="209" rx="7" ry="4" {_SKIN}/>
  <line x1="31" y1="47" x2="25" y2="112" {_LIMB} stroke-width="7"/>
  <line x1="69" y1="47" x2="75" y2="112" {_LIMB} stroke-width="7"/>
  <path d="M30 42 Q50 37 70 42 L67 70 Q64 82 66 100 L34 100 Q36 82 33 70 Z" {_SKIN}/>
  <rect x="45.5" y="28" width="9" height="12" {_SKIN}/>
  <ellipse cx="50" cy="18" rx="9.5" ry="11.5" {_SKIN}/>
  <line x1="50" y1="104" x2="50" y2="214" stroke="#b0b7c3" stroke-width="0.6" stroke-dasharray="2 2"/>
</g>
"""

_LATERAL = f"""
<g class="fig-outline">
  <line x1="49" y1="108" x2="50" y2="204" {_LIMB} stroke-width="12"/>
  <path d="M44 210 L62 210 Q62 205 55 204 L46 204 Z" {_SKIN}/>
  <path d="M42 40 Q52 37 58 44 Q61 70 58 92 Q60 104 54 112 L42 112 Q38 100 41 92 Q36 70 42 40 Z" {_SKIN}/>
  <line x1="50" y1="47" x2="52" y2="110" {_LIMB} stroke-width="7"/>
  <rect x="44" y="27" width="9" height="14" {_SKIN}/>
  <path d="M41 18 Q41 6 51 6 Q60 6 60 15 L62 21 L59 22 Q59 29 52 30 L45 30 Q41 26 41 18 Z" {_SKIN}/>
  <line x1="49" y1="112" x2="49" y2="214" stroke="#b0b7c3" stroke-width="0.6" stroke-dasharray="2 2"/>
</g>
"""

# Positions on the figure (viewBox units). Anterior: client's right on the viewer's left.
_ANTERIOR = {
    "glabella": (50, 15),
    "tragus_r": (40.5, 19), "tragus_l": (59.5, 19),
    "acromion_r": (32, 43), "acromion_l": (68, 43),
    "sternal_notch": (50, 41),
    "asis_r": (40, 94), "asis_l": (60, 94),
    "greater_trochanter_r": (35, 103), "greater_trochanter_l": (65, 103),
    "patella_r": (41.5, 150), "patella_l": (58.5, 150),
    "knee_lateral_r": (36.5, 154), "knee_lateral_l": (63.5, 154),
    "tibial_tuberosity_r": (41.5, 160), "tibial_tuberosity_l": (58.5, 160),
    "lateral_malleolus_r": (36, 202), "lateral_malleolus_l": (64, 202),
    "medial_malleolus_r": (45.5, 201), "medial_malleolus_l": (54.5, 201),
}  # fmt: skip

# Posterior: client's right on the viewer's right.
_POSTERIOR = {
    "tragus_r": (59.5, 20), "tragus_l": (40.5, 20),
    "acromion_r": (68, 43), "acromion_l": (32, 43),
    "c7": (50, 37), "t3": (50, 50),
    "scapula_inferior_angle_r": (60, 70), "scapula_inferior_angle_l": (40, 70),
    "t7": (50, 70), "t12": (50, 84), "l3": (50, 94),
    "psis_r": (54.5, 100), "psis_l": (45.5, 100), "s1": (50, 104),
    "leg_midline_r": (58.5, 172), "leg_midline_l": (41.5, 172),
    "achilles_r": (59, 199), "achilles_l": (41, 199),
    "calcaneus_r": (59.5, 208), "calcaneus_l": (40.5, 208),
}  # fmt: skip

# Lateral, drawn facing the viewer's right.
_LATERAL_POINTS = {
    "tragus": (47, 19),
    "eye_canthus": (56, 16),
    "c7": (43.5, 38),
    "acromion": (50, 45),
    "asis": (57, 96),
    "psis": (42, 95),
    "greater_trochanter": (49, 108),
    "knee": (50, 154),
    "lateral_malleolus": (50, 203),
    "thoracic_apex": (40.5, 62),
    "t12": (42, 80),
    "lumbar_apex": (44, 88),
    "s1": (41.5, 97),
}


#: The image side of the client's right in each frontal figure as drawn (a camera's view: spec §3.3's default r).
_DRAWN_RIGHT_SIDE = {"anterior": -1.0, "posterior": 1.0}


def _mirrored(frame: Frame) -> bool:
    """The figure as drawn shows the other side of the photo: a lateral client facing the image's left (the
    figure faces right), or a frontal photo with the client's right on the other side than drawn."""
    if frame.view in landmarks.LATERAL_VIEWS:
        return frame.image_side(frame.f) < 0
    return frame.image_side(frame.r) != _DRAWN_RIGHT_SIDE[frame.view]


def figure_points(frame: Frame) -> dict[str, tuple[float, float]]:
    """Where each landmark of the frame's view lies on the guide figure (viewBox units).

    Mirrored (x → 100 − x) when the photo shows the other side than drawn (:func:`_mirrored`).
    """
    drawn = {"anterior": _ANTERIOR, "posterior": _POSTERIOR}.get(frame.view, _LATERAL_POINTS)
    if _mirrored(frame):
        return {k: (100.0 - x, y) for k, (x, y) in drawn.items()}
    return dict(drawn)


def figure_svg(frame: Frame) -> str:
    """The outline of the body for the frame's view as SVG markup (no landmarks; the editor adds them)."""
    body = (_FRONTAL if frame.view in landmarks.FRONTAL_VIEWS else _LATERAL).strip()
    return f'<g transform="translate(100 0) scale(-1 1)">{body}</g>' if _mirrored(frame) else body
