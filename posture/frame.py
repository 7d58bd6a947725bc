"""The corrected reference frame of one view (spec §3).

From a validated :class:`~posture.document.ViewDocument` this works out the
camera roll (plumb line), the scale (``cm_per_px``), the client's-right sign
``r`` (frontal views), the anterior sign ``f`` (lateral views), the plumb
line's anchor and the landmark placement error ``sigma_px``, and collects the
warnings a therapist should see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import geometry, landmarks
from .document import DETECTION_KEY, Point, ViewDocument, image_center, scale_cm_per_px
from .result import Notice, PlumbLine, VerticalSource

#: Landmarks whose midpoint (or self) anchors the postural plumb line, per view.
PLUMB_LANDMARKS: dict[str, tuple[str, ...]] = {
    "anterior": ("medial_malleolus_r", "medial_malleolus_l"),
    "posterior": ("calcaneus_r", "calcaneus_l"),
    "right_lateral": ("lateral_malleolus",),
    "left_lateral": ("lateral_malleolus",),
}


#: Codes of the frame's warnings (:class:`~posture.result.Notice`).
NO_VERTICAL = "no_vertical"
NO_SCALE = "no_scale"
FACING_CONTRADICTED = "facing_contradicted"
#: What a lateral view's measurements say instead of a direction while the landmarks contradict the facing.
CHECK_FACING = "check the facing"
#: A frontal view whose photo detection saw as a side view (the document's ``detection.shows``, issue 11).
VIEW_CONTRADICTED = "view_contradicted"
CHECK_VIEW = "check the facing (side view?)"

#: Mean r/l separations smaller than this (pixels) count as 0 (spec §3.3 default applies).
_ZERO_PX = 1e-6


@dataclass(frozen=True)
class Frame:
    """Everything needed to turn placed landmarks into measurements.

    ``roll_deg`` follows :func:`posture.geometry.roll_deg_from_line`;
    ``cm_per_px`` is ``None`` without a scale; ``r``/``f`` are ``±1`` (``0``
    where they do not apply); ``plumb_pinned_px`` is a document-pinned anchor,
    which wins over ``plumb_landmarks``.
    """

    view: str
    roll_deg: float
    vertical_source: VerticalSource
    center_px: Point
    cm_per_px: float | None
    r: float
    f: float
    sigma_px: float
    plumb_pinned_px: Point | None
    plumb_landmarks: tuple[str, ...]
    warnings: tuple[Notice, ...] = field(default_factory=tuple)

    def to_XY(self, points_px: np.ndarray) -> np.ndarray:
        """Image pixels → corrected frame (``(..., 2)``)."""
        return geometry.to_corrected(points_px, self.roll_deg, self.center_px)

    def to_px(self, points_XY: np.ndarray) -> np.ndarray:
        """Corrected frame → image pixels (``(..., 2)``)."""
        return geometry.from_corrected(points_XY, self.roll_deg, self.center_px)

    @staticmethod
    def image_side(sign: float) -> float:
        """The side of the image, ``+1`` right or ``-1`` left, that ``sign`` (``r`` or ``f``) points to along X.

        ``r``/``f`` are signs along the corrected frame's +X, which is ``(cos roll, sin roll)`` in
        image pixels. A document's true vertical is within 30° of the image's
        (:data:`posture.document.MAX_VERTICAL_TILT_DEG`), so +X always points into the image's right
        half-plane and the image side is the sign itself: ``image_side(r)`` is the side the client's
        right is on (frontal views), ``image_side(f)`` the side the client faces (lateral views).
        ``0`` (a sign that does not apply to the view) counts as the right.
        """
        return 1.0 if sign >= 0 else -1.0

    @property
    def grading_withheld(self) -> str | None:
        """Why none of this view's measurements is graded, or ``None`` when they are.

        A lateral view whose landmarks contradict its facing (:data:`FACING_CONTRADICTED`:
        eye canthus behind the tragus, ASIS behind the PSIS) has ``f`` pointing the
        wrong way for at least part of the body, so every anterior/posterior sign and
        angle may be reversed: the values are kept (spec §3.4), but each measurement is
        left ungraded (severity ``null``, no band, spec §5) with :data:`CHECK_FACING` as
        its direction, and so lists no finding, until the facing or the landmarks are fixed.
        A frontal view whose photo detection saw from the side (:data:`VIEW_CONTRADICTED`) is withheld
        the same way, with :data:`CHECK_VIEW`, until the photo is moved to a lateral slot (or the
        therapist says it is a frontal photo, which removes the record's ``shows``).
        """
        codes = {n.code for n in self.warnings}
        if FACING_CONTRADICTED in codes:
            return CHECK_FACING
        return CHECK_VIEW if VIEW_CONTRADICTED in codes else None

    @property
    def length_unit(self) -> str:
        return "cm" if self.cm_per_px is not None else "px"

    def plumb_anchor_px(self, placed: dict[str, Point]) -> Point | None:
        """The anchor of the postural plumb line in image pixels, or ``None`` when it cannot be placed."""
        if self.plumb_pinned_px is not None:
            return self.plumb_pinned_px
        if all(i in placed for i in self.plumb_landmarks):
            pts = np.array([placed[i] for i in self.plumb_landmarks], dtype=float)
            x, y = pts.mean(axis=0)
            return (float(x), float(y))
        return None

    def plumb_line_px(self, placed: dict[str, Point], image_height: float | None) -> PlumbLine | None:
        """The plumb line from its anchor up to the top edge of the photo, in image pixels."""
        anchor = self.plumb_anchor_px(placed)
        if anchor is None:
            return None
        ax, ay = anchor
        t = np.radians(self.roll_deg)
        length = ay / np.cos(t) if ay > 0 else (image_height or 1000.0)
        # "up" along the true vertical, in image pixels: (sin roll, -cos roll)
        top = (ax + length * np.sin(t), ay - length * np.cos(t))
        return PlumbLine(p1=[ax, ay], p2=[float(top[0]), float(top[1])])


#: Lateral views: (landmark that lies anterior, landmark that lies posterior, what it says when contradicted).
_FACING_CLUES = (
    ("eye_canthus", "tragus", "The eye canthus lies behind the tragus"),
    ("asis", "psis", "The ASIS lies behind the PSIS"),
)


def _facing_clue(XY: dict[str, np.ndarray], front: str, back: str) -> str | None:
    """``"right"``/``"left"``: the way ``front`` lies from ``back`` along X; ``None`` when either is missing or they are level."""
    if front not in XY or back not in XY or XY[front][0] == XY[back][0]:
        return None
    return "right" if XY[front][0] > XY[back][0] else "left"


def suggested_facing(doc: ViewDocument) -> str | None:
    """Lateral views: which way the landmarks say the client faces (eye ahead of the tragus, ASIS ahead of the PSIS).

    ``None`` for frontal views, when there is nothing to go by, or when the two clues disagree.
    """
    if doc.view not in landmarks.LATERAL_VIEWS:
        return None
    frame = build_frame(doc)
    XY = {i: frame.to_XY(np.asarray(lm.xy, float)) for i, lm in doc.landmarks.items()}
    votes = {c for front, back, _ in _FACING_CLUES if (c := _facing_clue(XY, front, back)) is not None}
    return votes.pop() if len(votes) == 1 else None


def default_sigma_px(image_height: float | None) -> float:
    """Spec §6: ``max(2.0, 0.002 * image height)``, 2.0 when the height is unknown."""
    return 2.0 if image_height is None else max(2.0, 0.002 * image_height)


def shows_side(doc: ViewDocument) -> bool:
    """Detection's record says the photo shows the body's side (``detection.shows == "side"``, spec §10 + issue 11)."""
    record = doc.extra.get(DETECTION_KEY)
    return isinstance(record, dict) and record.get("shows") == "side"


def build_frame(doc: ViewDocument) -> Frame:
    """Work out the corrected frame of ``doc`` (which must be validated)."""
    cal = doc.calibration
    center = image_center(doc)
    warnings: list[Notice] = []
    vertical_source: VerticalSource
    if cal.vertical is not None:
        roll, vertical_source = geometry.roll_deg_from_line(*cal.vertical), "line"
    else:
        roll, vertical_source = 0.0, "image"
        warnings.append(
            Notice(
                NO_VERTICAL,
                "No plumb-line calibration: the photo's vertical is taken as true, so any camera roll "
                "shows up as tilt. Mark two points on the plumb line to correct it.",
            )
        )

    cm_per_px: float | None = None
    if cal.scale is not None:
        cm_per_px = scale_cm_per_px(cal.scale, roll, center)
    else:
        warnings.append(
            Notice(
                NO_SCALE,
                "No scale: distances are in pixels and are not graded. Add two marks a known distance apart or the client's height.",
            )
        )

    XY = {i: geometry.to_corrected(lm.xy, roll, center) for i, lm in doc.landmarks.items()}
    r = f = 0.0
    if doc.view in landmarks.FRONTAL_VIEWS:
        if shows_side(doc):
            warnings.append(
                Notice(
                    VIEW_CONTRADICTED,
                    f"Detection saw a side view in the {landmarks.VIEW_LABELS[doc.view].lower()} slot: check the view "
                    "(the values are not graded until the photo is in a lateral slot).",
                )
            )
        diffs = [XY[a][0] - XY[b][0] for a, b in landmarks.bilateral_pairs(doc.view) if a in XY and b in XY]
        mean = float(np.mean(diffs)) if diffs else 0.0
        # "the mean is 0" up to rounding: a rolled photo turns an exact 0 into ±1e-13 px
        if abs(mean) > _ZERO_PX:
            r = float(np.sign(mean))
        else:
            r = -1.0 if doc.view == "anterior" else 1.0
    else:
        f = 1.0 if doc.effective_facing == "right" else -1.0
        for front, back, says in _FACING_CLUES:
            clue = _facing_clue(XY, front, back)
            if clue is not None and clue != doc.effective_facing:
                warnings.append(
                    Notice(
                        FACING_CONTRADICTED,
                        f"{says} for a client facing {doc.effective_facing}: check which way the client faces "
                        "(the values are not graded until the facing and the landmarks agree).",
                    )
                )

    sigma = cal.landmark_sigma_px if cal.landmark_sigma_px is not None else default_sigma_px(doc.image_height)
    return Frame(
        view=doc.view,
        roll_deg=roll,
        vertical_source=vertical_source,
        center_px=center,
        cm_per_px=cm_per_px,
        r=r,
        f=f,
        sigma_px=float(sigma),
        plumb_pinned_px=cal.plumb_anchor,
        plumb_landmarks=PLUMB_LANDMARKS[doc.view],
        warnings=tuple(warnings),
    )
