"""Automatic suggestions (spec §10): the plumb line and its marks, adhesive markers, their labels, pose seeds.

Plain functions on numpy arrays; no Streamlit and no file I/O in the maths.
Conventions (pixels, colours, the pixel-centre rule): :mod:`posture.detect.base`.
"""
