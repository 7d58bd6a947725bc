"""Capture guidance, reachable from the upload step: how to take a photo that detection reads (issue 10, spec §10).

One inline SVG (no file, no network): the client beside a plumb line with two
marks 100 cm apart, round markers on the palpated landmarks, and the camera
about 3 m away at hip height and level; plus the same rules as a short list.
The figures quoted come from the core (:mod:`posture.detect.base`), so the
guide and detection agree.
"""

from __future__ import annotations

import streamlit as st

from posture.detect.base import DEFAULT_MARK_DISTANCE_CM, MARKER_DIAMETER_MM

_MM_LO, _MM_HI = (f"{v:g}" for v in MARKER_DIAMETER_MM)
_CM = f"{DEFAULT_MARK_DISTANCE_CM:g}"

#: Side-by-side: the scene from the front (left) and from above-side (right: camera distance and height).
SVG = f"""
<svg class="pg-capture" viewBox="0 0 520 300" xmlns="http://www.w3.org/2000/svg" role="img"
     aria-label="Capture set-up: plumb line beside the client with two marks {_CM} cm apart, markers on the landmarks,
     camera about 3 m away at hip height and level">
  <rect x="0" y="0" width="520" height="300" fill="#f4f1ea"/>
  <rect x="0" y="262" width="300" height="38" fill="#d9cbb4"/>
  <!-- plumb line with its two marks -->
  <line x1="70" y1="12" x2="70" y2="258" stroke="#222" stroke-width="1.6"/>
  <circle cx="70" cy="60" r="6" fill="#1f9d55"/><circle cx="70" cy="210" r="6" fill="#1f9d55"/>
  <path d="M64 258 L76 258 L70 270 Z" fill="#8a6d1f"/>
  <line x1="50" y1="60" x2="50" y2="210" stroke="#1f9d55" stroke-width="1.2"/>
  <path d="M46 66 L50 58 L54 66 M46 204 L50 212 L54 204" fill="none" stroke="#1f9d55" stroke-width="1.2"/>
  <text x="44" y="140" font-size="12" fill="#1f6b3d" text-anchor="end" transform="rotate(-90 44 140)">{_CM} cm</text>
  <!-- the client: close-fitting clothing, arms relaxed -->
  <circle cx="175" cy="45" r="17" fill="#d8a888"/>
  <rect x="168" y="60" width="14" height="12" fill="#d8a888"/>
  <path d="M140 74 L210 74 L204 160 L146 160 Z" fill="#3c5a88"/>
  <path d="M146 160 L204 160 L200 178 L150 178 Z" fill="#2f3d55"/>
  <path d="M150 178 L172 178 L170 258 L154 258 Z M178 178 L200 178 L196 258 L180 258 Z" fill="#d8a888"/>
  <path d="M140 76 L128 150 L136 152 L148 90 Z M210 76 L222 150 L214 152 L202 90 Z" fill="#d8a888"/>
  <!-- round markers, one colour, on the palpated landmarks -->
  <g fill="#e0303a" stroke="#fff" stroke-width="0.8">
    <circle cx="142" cy="76" r="3.6"/><circle cx="208" cy="76" r="3.6"/>
    <circle cx="158" cy="158" r="3.6"/><circle cx="192" cy="158" r="3.6"/>
    <circle cx="163" cy="214" r="3.6"/><circle cx="188" cy="214" r="3.6"/>
    <circle cx="162" cy="250" r="3.6"/><circle cx="189" cy="250" r="3.6"/>
    <circle cx="175" cy="40" r="3.6"/>
  </g>
  <text x="235" y="80" font-size="11" fill="#333">markers {_MM_LO}–{_MM_HI} mm,</text>
  <text x="235" y="94" font-size="11" fill="#333">one colour</text>
  <text x="96" y="290" font-size="11" fill="#333">plain wall, whole body in the frame</text>
  <!-- the camera, seen from the side -->
  <line x1="320" y1="262" x2="515" y2="262" stroke="#777" stroke-width="1.2"/>
  <rect x="330" y="120" width="6" height="142" fill="#3c5a88"/><circle cx="333" cy="110" r="8" fill="#d8a888"/>
  <rect x="488" y="166" width="20" height="14" rx="2" fill="#333"/><circle cx="488" cy="173" r="4" fill="#666"/>
  <line x1="498" y1="180" x2="490" y2="262" stroke="#333" stroke-width="1.5"/>
  <line x1="498" y1="180" x2="506" y2="262" stroke="#333" stroke-width="1.5"/>
  <line x1="484" y1="173" x2="340" y2="173" stroke="#c07b00" stroke-width="1" stroke-dasharray="4 3"/>
  <text x="412" y="166" font-size="11" fill="#8a5800" text-anchor="middle">level, at hip height</text>
  <line x1="336" y1="276" x2="498" y2="276" stroke="#333" stroke-width="1"/>
  <path d="M342 272 L336 276 L342 280 M492 272 L498 276 L492 280" fill="none" stroke="#333" stroke-width="1"/>
  <text x="417" y="292" font-size="11" fill="#333" text-anchor="middle">about 3 m</text>
</svg>
"""

RULES = (
    f"**Plumb line** beside the client, in the photo from top to bottom, with **two marks {_CM} cm apart** "
    "(beads or tape of one colour): they give the true vertical and the scale in one step.",
    f"**Round markers {_MM_LO}–{_MM_HI} mm across, all of one saturated colour**, stuck on the landmarks after "
    "palpation (the practice's marker colour is set under *Practice settings*).",
    "**Camera about 3 m away, at the client's hip height and level** (no tilt up or down); the whole body in the frame.",
    "**Plain background** and **close-fitting clothing** (or underwear/shorts) so the landmarks and markers show.",
    "One person in the photo; good even light, no strong shadows on the wall.",
)


def capture_guide_ui() -> None:
    """A short illustrated panel on taking photos that detection reads (collapsed)."""
    with st.expander("How to take a photo the app can read by itself", icon=":material/photo_camera:"):
        st.html(f'<div style="max-width:560px">{SVG}</div>')
        st.markdown("\n".join(f"- {r}" for r in RULES))
        st.caption(
            "On upload the app finds the plumb line and its marks (true vertical and scale) and the markers, and "
            "suggests the landmarks; you review them and accept. Without markers a pose model suggests some "
            "landmarks, less precisely: check each one."
        )
