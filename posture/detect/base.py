"""What detection finds, as plain frozen dataclasses shared by its parts.

Conventions for everything in :mod:`posture.detect`:

* Images are upright RGB ``uint8`` arrays of shape ``(height, width, 3)``
  (EXIF orientation already applied, as :func:`posture.images.decode_image`
  returns them).
* Points are ``(x, y)`` floats in **original-image pixels** of that upright
  photo, x to the right, y down. Pixel ``(i, j)`` covers ``[i, i+1) × [j, j+1)``,
  so its centre is ``(i + 0.5, j + 0.5)`` (spec §10; the editor's SVG uses the
  same convention, so a detected point and a clicked point mean the same place).
* Distances are in pixels unless the name says ``_cm`` or ``_mm``.
* Colours are ``(r, g, b)`` integers 0–255.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from posture.result import Facing

Point = tuple[float, float]
RGB = tuple[int, int, int]
Origin = Literal["marker", "pose"]
#: What a photo shows, as the pose model sees it: the body's front or back, or its side.
Shows = Literal["front", "side"]

#: The plumb-line marks' default distance (cm): the spec's and the capture guidance's 100 cm.
DEFAULT_MARK_DISTANCE_CM = 100.0
#: Adhesive markers are round dots this wide (mm), spec §10.
MARKER_DIAMETER_MM = (10.0, 25.0)


@dataclass(frozen=True)
class Blob:
    """One round coloured blob: an adhesive marker or a plumb-line mark.

    ``x, y``: sub-pixel centre; ``diameter_px``: equivalent-circle diameter;
    ``color``: its mean colour; ``roundness`` in [0, 1] (1 = a perfect disc).
    """

    x: float
    y: float
    diameter_px: float
    color: RGB
    roundness: float = 1.0

    @property
    def xy(self) -> Point:
        return (self.x, self.y)


@dataclass(frozen=True)
class PlumbFinding:
    """The plumb line and its marks.

    ``line``: two points on the string, the upper one first (``None`` when no
    line was found). ``marks``: the marks found on it, top to bottom (0, 1 or 2;
    more than two candidates are reduced to the best pair). ``roll_deg``: the
    camera's roll as spec §3 defines ``vertical_roll_deg`` (the angle of the
    line's upper end from the image's up direction, positive when the upper end
    is to the image-right of the lower end). ``warnings``: one sentence each.
    """

    line: tuple[Point, Point] | None
    marks: tuple[Blob, ...] = ()
    roll_deg: float | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    """A landmark position the program proposes (never measured until accepted)."""

    landmark_id: str
    x: float
    y: float
    origin: Origin
    confidence: float

    @property
    def xy(self) -> Point:
        return (self.x, self.y)


@dataclass(frozen=True)
class Keypoints:
    """A pose model's keypoints for one person.

    ``points`` maps BlazePose's names (``"nose"``, ``"left_ear"``,
    ``"right_shoulder"``, ``"left_hip"``, ``"left_heel"``, ...; *left/right are
    the person's own*, as the model labels them) to ``(x, y, visibility)`` in
    original-image pixels, visibility in [0, 1]. ``persons`` is how many people
    the detector saw (> 1 deserves a warning); ``score`` the detector's score.
    """

    points: dict[str, tuple[float, float, float]]
    persons: int = 1
    score: float = 1.0


@dataclass(frozen=True)
class Detection:
    """Everything :func:`posture.detect.detect` found in one photo of one view.

    ``vertical``: two points of the true vertical (the marks' centres when both
    were found, else two points on the line), ``None`` without a line.
    ``scale``: ``(p1, p2, distance_cm)`` from the two marks, else ``None``.
    ``markers``: every adhesive-marker centre found, labelled or not.
    ``suggestions``: landmark id → suggestion (markers win over pose).
    ``marker_color``: the colour looked for (given or found). ``facing``: the
    lateral facing the labels follow (the one given, or the one the markers
    showed when none was given); ``None`` for frontal views. ``shows``: what
    the pose model sees, ``"front"`` (a front or back view), ``"side"`` or
    ``None`` (no person, or not clear), and ``side_facing`` the way a side view
    faces (issue 11: a side photo in a frontal slot is not graded).
    """

    view: str
    width: int
    height: int
    vertical: tuple[Point, Point] | None = None
    scale: tuple[Point, Point, float] | None = None
    roll_deg: float | None = None
    plumb_marks: tuple[Point, ...] = ()
    markers: tuple[Point, ...] = ()
    suggestions: dict[str, Suggestion] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    marker_color: RGB | None = None
    persons: int = 0
    facing: Facing | None = None
    shows: Shows | None = None
    side_facing: Facing | None = None
