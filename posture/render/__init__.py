"""Annotated photos: the analysis drawn over the client's photo (OpenCV + bundled DejaVu text).

Two steps, so the geometry is testable without pixels:

* :func:`build_overlay` works out *where* everything goes, in the output
  image's pixels: the plumb line, true-horizontal references at each
  bilateral pair, plumb-line offsets as arrows, the CVA with its arc, the
  joint chains, the landmark dots and every label (placed so that labels do
  not cover each other). It returns an :class:`Overlay` of plain primitives.
* :func:`paint` draws an :class:`Overlay` onto a **new** copy of an image.

:func:`render_annotated` does both and is what the app and the CLI call.

Coordinates: documents and results are in *original-image* pixels (x right,
y down). ``display_scale`` says the image handed in is a resized copy, with
``display px = original px * display_scale`` (what
:func:`posture.images.display_copy` returns), so the app can redraw on its
~1400 px display copy on every click and render the full-resolution image
only when it saves. Line widths and text sizes follow the *output* image's
height (height / 1000 is the unit, bounded: :class:`Style`), so an annotation
reads the same at 12 MP and at 1000 px, and no extreme size costs more memory
than a 10000 px tall photo's labels.

Colours encode severity, the same everywhere (the app and the report read
:data:`SEVERITY_COLORS` too): normal green, mild amber, moderate orange,
marked red, not graded grey. A landmark dot takes the worst severity of the
measurements it takes part in.

The modules, along the seams:

* :mod:`.palette`: every colour (severities, plumb line, references, halo, calibration marks);
* :mod:`.primitives`: sizes (:class:`Style`) and what an overlay is made of (:class:`Stroke`, :class:`Dot`, ...);
* :mod:`.labels`: fonts, cached label/legend/caption patches, the greedy label placer, :func:`caption_text`;
* :mod:`.overlay`: :func:`build_overlay` and the per-view builder, :func:`display_scale_for`;
* :mod:`.paint`: :func:`paint` and :func:`render_annotated`;
* :mod:`.align`: two photos at one scale, aligned at the plumb line (:func:`align_pair`, the compare page).

Landmark ids, short labels, joint chains and spinal levels are the registry's
(:mod:`posture.landmarks`); which image side is the client's right or the
anterior is the frame's (:func:`posture.frame.build_frame`).
"""

from __future__ import annotations

from posture.landmarks import short_label

from .align import AlignedPair, align_pair, cannot_align
from .labels import caption_text, font_path
from .overlay import build_overlay, display_scale_for
from .paint import paint, render_annotated
from .palette import (
    CALIBRATION_COLOR,
    GRID_ALPHA,
    GRID_SPACING_CM,
    HALO_COLOR,
    PLUMB_COLOR,
    REFERENCE_COLOR,
    RGB,
    SEVERITY_COLORS,
    severity_color,
    text_color_on,
)
from .primitives import Dot, Overlay, Stroke, Style, TextBox

__all__ = [
    "AlignedPair",
    "CALIBRATION_COLOR",
    "GRID_ALPHA",
    "GRID_SPACING_CM",
    "HALO_COLOR",
    "PLUMB_COLOR",
    "REFERENCE_COLOR",
    "RGB",
    "SEVERITY_COLORS",
    "Dot",
    "Overlay",
    "Stroke",
    "Style",
    "TextBox",
    "align_pair",
    "build_overlay",
    "caption_text",
    "cannot_align",
    "display_scale_for",
    "font_path",
    "paint",
    "render_annotated",
    "severity_color",
    "short_label",
    "text_color_on",
]
