"""Where everything goes on one annotated image: :func:`build_overlay` and the per-view builder.

:func:`build_overlay` works out, in the output image's pixels, the plumb line,
true-horizontal references at each bilateral pair, plumb-line offsets as
arrows, the CVA with its arc, the joint chains, the spinal curves' chords and
apices (side views), the centre of gravity's vertical (front view), the landmark dots and every
label (placed so that labels do not cover each other). It returns an
:class:`~.primitives.Overlay` of plain primitives; :mod:`.paint` draws it.

Documents and results are in original-image pixels; ``display_scale`` (output
px per original px) maps them onto the output. Which image side is the
client's right (frontal views) or the anterior (lateral views) is the
frame's ``r``/``f`` (:func:`posture.frame.build_frame`), never worked out here.
A landmark dot takes the worst severity of the measurements it takes part in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import cv2
import numpy as np

from posture.document import DistanceScale, ViewDocument
from posture.errors import ImageError
from posture.formatting import format_number, format_value
from posture.frame import PLUMB_LANDMARKS, build_frame
from posture.landmarks import JOINT_CHAINS, LATERAL_VIEWS, SPINE_LEVELS, short_label
from posture.measurements import COG_LANDMARKS, cog_x
from posture.measurements import definition as measurement_definition
from posture.result import Measurement, Result, Severity, worst_severity

from .labels import Placer, caption_patch, label_patch, legend_patch
from .palette import CALIBRATION_COLOR, GRID_SPACING_CM, PLUMB_COLOR, REFERENCE_COLOR, RGB, severity_color
from .primitives import Dot, FloatArray, Overlay, Point, Sprite, Stroke, Style, TextBox


def display_scale_for(doc: ViewDocument, width: int, height: int) -> float:
    """The ``display_scale`` at which a ``width × height`` photo shows ``doc``.

    1.0 when the document gives no size or the same size; the ratio when the
    photo is a resized copy (same aspect within 1 %). Raises
    :class:`~posture.errors.ImageError` when the photo cannot be the
    document's (a different aspect ratio: probably another photo, or rotated).
    """
    if doc.image_width is None or doc.image_height is None:
        return 1.0
    sx, sy = width / doc.image_width, height / doc.image_height
    if abs(sx - sy) > 0.01 * max(sx, sy):
        raise ImageError(
            f"The photo is {width}×{height} px but the view document was placed on a "
            f"{doc.image_width:g}×{doc.image_height:g} px photo: is it the right photo, the right way up?"
        )
    return sx


# --- geometry helpers -------------------------------------------------------------


def _dashes(p1: FloatArray, p2: FloatArray, dash: float, gap: float) -> list[FloatArray]:
    """Dash segments along p1→p2, each ``(2, 2)``."""
    d = p2 - p1
    length = float(np.hypot(*d))
    if length == 0:
        return []
    unit = d / length
    out = []
    t = 0.0
    while t < length:
        out.append(np.array([p1 + unit * t, p1 + unit * min(t + dash, length)]))
        t += dash + gap
    return out


def _clip_line(p: FloatArray, direction: FloatArray, w: int, h: int) -> FloatArray | None:
    """The segment of the infinite line ``p + t·direction`` inside the ``w × h`` image, ``(2, 2)``."""
    ts: list[float] = []
    for axis, size in ((0, w), (1, h)):
        if abs(direction[axis]) > 1e-12:
            ts += [(0 - p[axis]) / direction[axis], (size - p[axis]) / direction[axis]]
    pts = [p + t * direction for t in ts]
    inside = [q for q in pts if -1e-6 <= q[0] <= w + 1e-6 and -1e-6 <= q[1] <= h + 1e-6]
    if len(inside) < 2:
        return None
    inside.sort(key=lambda q: float(np.dot(q - p, direction)))
    return np.array([inside[0], inside[-1]])


def _arrow_head(tail: FloatArray, tip: FloatArray, size: float) -> FloatArray:
    d = tip - tail
    n = float(np.hypot(*d))
    if n == 0:
        return np.array([tip, tip, tip])
    d = d / n
    perp = np.array([-d[1], d[0]])
    base = tip - d * size
    return np.array([tip, base + perp * size * 0.45, base - perp * size * 0.45])


# --- what each view draws ----------------------------------------------------------
# The landmarks of a pair, an offset or a chain are the registry's (the measurement's own landmarks,
# :data:`posture.landmarks.JOINT_CHAINS`); these tables only say what is drawn and its title.

#: (tilt measurement between a right and a left landmark, its height-difference measurement or None, title)
_PAIRS: dict[str, tuple[tuple[str, str | None, str], ...]] = {
    "anterior": (
        ("head_tilt", None, "Head tilt"),
        ("shoulder_tilt", "shoulder_height_diff", "Shoulders"),
        ("pelvic_obliquity", "pelvic_height_diff", "Pelvis"),
        ("tibial_tuberosity_tilt", None, "Tibial tuberosities"),
    ),
    "posterior": (
        ("head_tilt", None, "Head tilt"),
        ("shoulder_tilt", "shoulder_height_diff", "Shoulders"),
        ("scapula_tilt", None, "Scapulae"),
        ("pelvic_obliquity", "pelvic_height_diff", "Pelvis"),
    ),
}

#: (offset from the plumb line, title); the point is the midpoint of the measurement's own landmarks.
_OFFSETS: dict[str, tuple[tuple[str, str], ...]] = {
    "anterior": (("head_shift", "Head shift"), ("trunk_shift", "Trunk shift"), ("pelvic_shift", "Pelvic shift")),
    "posterior": (("trunk_shift", "Trunk shift"),),
    "lateral": (
        ("ear_plumb_offset", "Ear"),
        ("shoulder_plumb_offset", "Shoulder"),
        ("hip_plumb_offset", "Hip"),
        ("knee_plumb_offset", "Knee"),
    ),
}


def _wrap_direction(text: str) -> list[str]:
    """Direction words on one or two lines (split at the comma when long)."""
    if len(text) > 30 and ", " in text:
        a, b = text.split(", ", 1)
        return [a, b]
    return [text]


def _measured_landmarks(view: str, mid: str, used: Sequence[str], anchors: set[str]) -> list[str]:
    """The landmarks a measurement is *about*: those it uses, minus the plumb anchor it is measured from."""
    try:
        uses_plumb = measurement_definition(view, mid).uses_plumb
        own = set(measurement_definition(view, mid).landmarks)
    except KeyError:
        return list(used)
    if not uses_plumb:
        return list(used)
    return [i for i in used if i not in anchors or i in own]


class _Builder:
    """Builds the :class:`Overlay` of one view: each method draws one part, :meth:`build` runs them in order.

    ``right_side`` (frontal views) is the image side the client's right is on and
    ``front`` (lateral views) the side the client faces, ``+1`` image-right or
    ``-1`` left: the frame's ``r`` and ``f`` (``0`` where they do not apply).
    """

    def __init__(self, doc: ViewDocument, result: Result, w: int, h: int, scale: float, style: Style):
        self.doc, self.result, self.w, self.h, self.k, self.s = doc, result, w, h, scale, style
        self.m: dict[str, Measurement] = result["measurements"]
        roll = math.radians(float(result["vertical_roll_deg"]))
        self.up = np.array([math.sin(roll), -math.cos(roll)])  # true "up" in image px
        self.horiz = np.array([math.cos(roll), math.sin(roll)])  # true horizontal (+X) in image px
        self.pts: dict[str, FloatArray] = {i: np.array(lm.xy, dtype=np.float64) * scale for i, lm in doc.landmarks.items()}
        self.ov = Overlay(w, h, style)
        self.placer = Placer(w, h, style)
        self.labels: list[tuple[Point, Sprite, float, str]] = []
        self.lateral = doc.view in LATERAL_VIEWS
        frame = build_frame(doc)
        self.frame = frame
        self.right_side = 0.0 if self.lateral else frame.image_side(frame.r)
        self.front = frame.image_side(frame.f) if self.lateral else 0.0

    # primitives
    def sev(self, mid: str) -> Severity | None:
        m = self.m.get(mid)
        return m["severity"] if m else None

    def line(self, pts: Sequence[FloatArray] | FloatArray, color: RGB, width: int | None = None, halo: bool = True) -> None:
        self.ov.strokes.append(Stroke(np.asarray(pts, dtype=np.float64), color, width or self.s.line, halo))

    def dashed(self, p1: FloatArray, p2: FloatArray, color: RGB, width: int | None = None) -> None:
        u = self.s.u
        for seg in _dashes(p1, p2, max(4.0, 9 * u), max(3.0, 6 * u)):
            self.line(seg, color, width or self.s.thin)

    def arrow(self, tail: FloatArray, tip: FloatArray, color: RGB, clear: float = 0.0, level: bool = False) -> None:
        """An offset arrow from ``tail`` (on the plumb line) toward ``tip`` (the point it measures).

        The head stops ``clear`` px short of ``tip`` (the rim of the dot drawn
        there), so the dot never hides it. When the gap is too short for a head,
        the head goes just beyond the dot, still pointing away from the line
        (as dimension lines do), so the direction stays readable; ``level``
        (the value shows as zero) draws only a tick across the plumb line.
        """
        size = max(5.0, 9.0 * self.s.u)
        length = float(np.hypot(*(tip - tail)))
        if level or length < 0.5:
            a, b = tail - self.horiz * size * 0.5, tail + self.horiz * size * 0.5
            self.line([a, b], color)
            self._avoid_segment(a, b)
            return
        d = (tip - tail) / length
        if length - clear >= size * 1.2:  # room for a shaft and a head between the line and the dot
            end = tip - d * clear
            head = _arrow_head(tail, end, size)
            self.line([tail, end - d * size * 0.8], color)
        else:  # too short: the shaft runs into the dot, the head sits just beyond it
            base = tip + d * clear
            end = base + d * size
            head = _arrow_head(base, end, size)
            self.line([tail, base], color)
        self.ov.strokes.append(Stroke(head, color, 1, True, fill=True))
        self._avoid_segment(tail, end, size * 0.45)

    def _avoid_segment(self, a: FloatArray, b: FloatArray, pad: float = 0.0) -> None:
        """Keep labels off a short segment when they can (its bounding box, ``pad`` px around)."""
        pad = max(pad, float(self.s.line))
        self.placer.avoid((min(a[0], b[0]) - pad, min(a[1], b[1]) - pad, max(a[0], b[0]) + pad, max(a[1], b[1]) + pad))

    def label(
        self, anchor: FloatArray, title: str, detail: Iterable[str], severity: Severity | None, side: float, key: str
    ) -> None:
        lines = [(title, self.s.font, True)] + [(d, self.s.small_font, False) for d in detail if d]
        patch = label_patch(tuple(lines), severity_color(severity))
        self.labels.append(((float(anchor[0]), float(anchor[1])), patch, side, key))

    def dot_rim(self) -> float:
        """Distance from a dot's centre to just outside its white ring and dark halo (see :func:`.paint.paint`)."""
        return self.s.dot_radius + max(1, round(self.s.u * 1.3)) + 1 + self.s.u

    def value(self, mid: str) -> str:
        m = self.m[mid]
        return format_value(mid, m, magnitude=mid != "cva")

    # the parts
    def plumb(self) -> FloatArray | None:
        pl = self.result["plumb_line"]
        if not pl:
            return None
        anchor = np.array(pl["p1"], dtype=np.float64) * self.k
        seg = _clip_line(anchor, self.up, self.w, self.h)
        if seg is not None:
            self.line(seg, PLUMB_COLOR, self.s.line)
        return anchor

    def grid(self) -> None:
        cm = self.result["cm_per_px"]
        if not cm:
            return
        step = GRID_SPACING_CM / cm * self.k
        if step < 4:  # would be a grey wash, not a grid
            return
        pl = self.result["plumb_line"]
        origin = np.array(pl["p1"], dtype=np.float64) * self.k if pl else np.array([self.w / 2, self.h / 2])
        reach = math.hypot(self.w, self.h)
        n = int(reach / step) + 2
        for direction, across in ((self.up, self.horiz), (self.horiz, self.up)):
            for i in range(-n, n + 1):
                seg = _clip_line(origin + across * i * step, direction, self.w, self.h)
                if seg is not None:
                    self.ov.grid.append(seg)

    def calibration_marks(self) -> None:
        cal = self.doc.calibration
        pts: list[Point] = []
        if cal.vertical is not None:
            pts += list(cal.vertical)
        sc = cal.scale
        if isinstance(sc, DistanceScale):
            pts += [sc.p1, sc.p2]
        elif sc is not None:
            pts += [sc.top, sc.floor]
        r = max(3.0, 5.0 * self.s.u)
        for x, y in pts:
            c = np.array([x, y]) * self.k
            self.line([c - (r, 0), c + (r, 0)], CALIBRATION_COLOR, self.s.thin)
            self.line([c - (0, r), c + (0, r)], CALIBRATION_COLOR, self.s.thin)

    def pairs(self) -> None:
        left_side = -self.right_side
        for tilt_id, height_id, title in _PAIRS.get(self.doc.view, ()):
            rid, lid = measurement_definition(self.doc.view, tilt_id).landmarks
            if tilt_id not in self.m or rid not in self.pts or lid not in self.pts:
                continue
            R, L = self.pts[rid], self.pts[lid]
            t_l = float(np.dot(L - R, self.horiz))
            ext = max(abs(t_l) * 0.22, 14 * self.s.u)
            lo, hi = min(0.0, t_l) - ext, max(0.0, t_l) + ext
            self.dashed(R + self.horiz * lo, R + self.horiz * hi, REFERENCE_COLOR)
            height = self.m.get(height_id) if height_id is not None else None
            sev = worst_severity([self.sev(tilt_id)] + ([height["severity"]] if height else []))
            self.line([R, L], severity_color(sev))
            text = f"{title} {self.value(tilt_id)}"
            if height_id is not None and height:
                text += f" · {self.value(height_id)}"
            end = R + self.horiz * (hi if t_l >= 0 else lo)
            detail = self.m[tilt_id]["direction"] if self.m[tilt_id]["value"] != 0 else "level"
            self.label(end, text, _wrap_direction(detail), sev, left_side, tilt_id)

    def offsets(self, anchor: FloatArray | None) -> None:
        if anchor is None:
            return
        view = self.doc.view
        side = self.front if self.lateral else self.right_side
        for mid, title in _OFFSETS["lateral" if self.lateral else view]:
            ids = measurement_definition(view, mid).landmarks
            if mid not in self.m or not all(i in self.pts for i in ids):
                continue
            p = np.mean([self.pts[i] for i in ids], axis=0)
            foot = anchor + self.up * float(np.dot(p - anchor, self.up))
            sev = self.sev(mid)
            m = self.m[mid]
            level = format_number(abs(m["value"]), m["unit"]) == format_number(0.0, m["unit"])  # shown as zero: no direction
            if len(ids) > 1:  # a derived point (mid-pelvis): a small ring
                ring = self.s.dot_radius * 0.8
                self.arrow(foot, p, severity_color(sev), ring + self.s.thin + self.s.u, level)
                circle = np.asarray(cv2.ellipse2Poly((0, 0), (1000, 1000), 0, 0, 360, 30), dtype=np.float64)
                self.ov.strokes.append(Stroke(circle / 1000 * ring + p, severity_color(sev), self.s.thin))
            else:
                self.arrow(foot, p, severity_color(sev), self.dot_rim(), level)
            outer = p if float(np.dot(p - foot, self.horiz)) * side >= 0 else foot
            self.label(outer, f"{title} {self.value(mid)}", _wrap_direction(m["direction"]), sev, side, mid)

    def chain(self, ids: Sequence[str], severities: Sequence[Severity | None]) -> None:
        """Segments ids[i]–ids[i+1], each coloured by severities[i] (only those with both ends placed)."""
        for (a, b), s in zip(zip(ids, ids[1:], strict=False), severities, strict=True):
            if a in self.pts and b in self.pts:
                self.line([self.pts[a], self.pts[b]], severity_color(s))

    def frontal_limbs(self) -> None:
        if self.lateral:
            return
        view, chains = self.doc.view, JOINT_CHAINS[self.doc.view]
        for s in ("r", "l"):
            side = self.right_side if s == "r" else -self.right_side
            if view == "anterior":
                q, k = f"q_angle_{s}", f"knee_alignment_{s}"
                if k in self.m:
                    self.chain(chains[k], [self.sev(k)] * 2)
                    self.label(self.pts[f"knee_lateral_{s}"], f"Knee {s.upper()} {self.value(k)}",
                               _wrap_direction(self.m[k]["direction"]), self.sev(k), side, k)  # fmt: skip
                if q in self.m:
                    self.chain(chains[q], [self.sev(q)] * 2)
                    self.label(self.pts[f"patella_{s}"], f"Q angle {s.upper()} {self.value(q)}", [], self.sev(q), side, q)
            else:
                hf = f"hindfoot_angle_{s}"
                if hf in self.m:
                    self.chain(chains[hf], [self.sev(hf)] * 2)
                    self.label(self.pts[f"achilles_{s}"], f"Hindfoot {s.upper()} {self.value(hf)}",
                               _wrap_direction(self.m[hf]["direction"]), self.sev(hf), side, hf)  # fmt: skip

    def spine(self) -> None:
        if self.doc.view != "posterior":
            return
        levels = [i for i in JOINT_CHAINS["posterior"]["spine"] if i in self.pts]  # the placed ones, top down
        sd = self.m.get("spine_deviation")
        sev = sd["severity"] if sd else None
        if len(levels) >= 2:
            self.line([self.pts[i] for i in levels], severity_color(sev), self.s.thin)
        if sd and "c7" in self.pts and "s1" in self.pts:
            self.dashed(self.pts["c7"], self.pts["s1"], REFERENCE_COLOR)
            level = sd.get("level")
            at = self.pts.get(level, self.pts["c7"]) if level else self.pts["c7"]
            title = f"Spine {self.value('spine_deviation')}" + (f" at {level.upper()}" if level else "")
            self.label(at, title, _wrap_direction(sd["direction"]), sev, -self.right_side, "spine_deviation")

    def lateral_parts(self) -> None:
        if not self.lateral:
            return
        f, p, m = self.front, self.pts, self.m
        chains = JOINT_CHAINS[self.doc.view]
        # head: CVA line, its horizontal and arc
        if "cva" in m and "tragus" in p and "c7" in p:
            c7, tr = p["c7"], p["tragus"]
            sev = self.sev("cva")
            length = float(np.hypot(*(tr - c7)))
            hdir = self.horiz * f
            self.dashed(c7, c7 + hdir * length * 1.05, REFERENCE_COLOR)
            self.line([c7, tr], severity_color(sev))
            a1 = math.degrees(math.atan2(hdir[1], hdir[0]))
            a2 = math.degrees(math.atan2(tr[1] - c7[1], tr[0] - c7[0]))
            d = (a2 - a1 + 180) % 360 - 180
            radius = length * 0.45
            angles = np.radians(np.linspace(a1, a1 + d, max(8, int(abs(d) / 3))))
            arc = c7 + radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
            self.line(arc, severity_color(sev), self.s.thin)
            at = c7 + hdir * length * 1.05  # beside the end of the horizontal, clear of the arc
            self.label(at, f"CVA {self.value('cva')}", _wrap_direction(m["cva"]["direction"]), sev, f, "cva")
        head = [i for i in ("head_vertical_alignment", "head_forward") if i in m]
        if head:
            sev = worst_severity(self.sev(i) for i in head)
            self.line([p["tragus"], p["acromion"]], severity_color(sev), self.s.thin)
            title = "Head forward " + " · ".join(self.value(i) for i in head)
            at = (p["tragus"] + p["acromion"]) / 2
            self.label(at, title, [m[head[0]]["direction"]], sev, -f, "head_forward")
        # pelvis
        if "pelvic_tilt" in m:
            sev = self.sev("pelvic_tilt")
            self.chain(chains["pelvis"], [sev])
            self.label(p["asis"], f"Pelvic tilt {self.value('pelvic_tilt')}",
                       _wrap_direction(m["pelvic_tilt"]["direction"]), sev, f, "pelvic_tilt")  # fmt: skip
        # trunk and leg chain: acromion–trochanter, trochanter–knee, knee–malleolus
        sevs = [
            self.sev("trunk_lean"),
            worst_severity([self.sev("hip_angle"), self.sev("knee_angle")]),
            worst_severity([self.sev("knee_angle"), self.sev("shank_angle")]),
        ]
        self.chain(chains["leg"], sevs)
        if "body_lean" in m:
            self.dashed(p["acromion"], p["lateral_malleolus"], severity_color(self.sev("body_lean")))
        if "trunk_lean" in m:
            at = (p["acromion"] + p["greater_trochanter"]) / 2
            self.label(at, f"Trunk lean {self.value('trunk_lean')}", [m["trunk_lean"]["direction"]],
                       self.sev("trunk_lean"), -f, "trunk_lean")  # fmt: skip
        if "hip_angle" in m:
            flexed = m["hip_angle"]["direction"].split(", ")[0]  # e.g. "hip extended"; the full words are in the table
            self.label(
                p["greater_trochanter"], f"Hip angle {self.value('hip_angle')}", [flexed], self.sev("hip_angle"), -f, "hip_angle"
            )
        if "knee_angle" in m:
            self.label(p["knee"], f"Knee angle {self.value('knee_angle')}", [m["knee_angle"]["direction"]],
                       self.sev("knee_angle"), -f, "knee_angle")  # fmt: skip

    def curves(self) -> None:
        """The side views' spinal curves: each curve's two arms, its chord (dashed) and the apex's offset from it."""
        if not self.lateral:
            return
        chains = JOINT_CHAINS[self.doc.view]
        for mid, title in (("thoracic_kyphosis", "Kyphosis"), ("lumbar_lordosis", "Lordosis")):
            top, apex, bottom = chains[mid]
            if mid not in self.m or not all(i in self.pts for i in (top, apex, bottom)):
                continue
            sev = self.sev(mid)
            a, b, c = self.pts[top], self.pts[apex], self.pts[bottom]
            self.chain(chains[mid], [sev, sev])
            self.dashed(a, c, REFERENCE_COLOR)
            chord = c - a
            length = float(np.hypot(*chord))
            if length > 0:  # the apex's foot on the chord, joined to the apex: the depth of the curve
                foot = a + chord * float(np.dot(b - a, chord)) / length**2
                self.line([foot, b], severity_color(sev), self.s.thin)
            self.label(b, f"{title} {self.value(mid)}", _wrap_direction(self.m[mid]["direction"]), sev, -self.front, mid)

    def centre_of_gravity(self) -> None:
        """The anterior view's centre of gravity: a true vertical through CG_X, from the ankles to the head."""
        cg = self.m.get("cog_shift")
        if self.doc.view != "anterior" or cg is None or not all(i in self.doc.landmarks for i in COG_LANDMARKS):
            return
        XY = {i: self.frame.to_XY(np.asarray(self.doc.landmarks[i].xy, dtype=np.float64)) for i in COG_LANDMARKS}
        x = float(cog_x(XY))
        low = min(float(XY[i][1]) for i in COG_LANDMARKS)  # the lowest and highest of its landmarks, true vertical
        high = max(float(XY[i][1]) for i in COG_LANDMARKS)
        bottom = self.frame.to_px(np.array([x, low])) * self.k
        top = self.frame.to_px(np.array([x, high])) * self.k
        color = severity_color(cg["severity"])
        self.dashed(bottom, top, color, self.s.line)
        size = max(4.0, 6.0 * self.s.u)  # a small diamond at the ankles' height marks the line as the CG's
        diamond = np.array(
            [bottom + self.up * size, bottom + self.horiz * size, bottom - self.up * size, bottom - self.horiz * size]
        )
        self.ov.strokes.append(Stroke(diamond, color, 1, True, fill=True))
        detail = [cg["direction"]]
        asym = self.m.get("cog_asymmetry")
        if asym is not None:
            detail.append(f"asymmetry {self.value('cog_asymmetry')}")
        self.label(bottom, f"CG {self.value('cog_shift')}", detail, cg["severity"], -self.right_side, "cog_shift")

    def dots(self) -> None:
        # A plumb-line anchor is the reference of the offsets, not their subject: it does not take their colour.
        anchors = set(PLUMB_LANDMARKS.get(self.doc.view, ()))
        by_landmark: dict[str, list[Severity | None]] = {}
        for mid, m in self.m.items():
            measured = _measured_landmarks(self.doc.view, mid, m["landmarks"], anchors)
            if mid == "spine_deviation":  # every spinal level is searched for the largest deviation, not only the one reported
                measured = list(dict.fromkeys([*measured, *(i for i in SPINE_LEVELS if i in self.pts)]))
            for lm in measured:
                by_landmark.setdefault(lm, []).append(m["severity"])
        r = self.s.dot_radius
        for i, xy in self.pts.items():
            sev = worst_severity(by_landmark.get(i, []))
            self.ov.dots.append(Dot(i, (float(xy[0]), float(xy[1])), r, sev))
            self.placer.avoid((xy[0] - r, xy[1] - r, xy[0] + r, xy[1] + r))

    def landmark_labels(self) -> None:
        for d in self.ov.dots:
            i = d.landmark
            if self.lateral:
                side = -self.front
            elif i.endswith("_l"):
                side = -self.right_side
            else:  # the client's right, or the midline
                side = self.right_side
            patch = label_patch(((short_label(i), self.s.small_font, False),), None, 170)
            self.ov.texts.append(self.placer.place(d.center, patch, side, f"landmark:{i}"))

    def build(self, grid: bool, caption: str | None, legend: bool) -> Overlay:
        s = self.s
        if caption:
            cap = caption_patch(caption, self.w, s.font)
            y = self.h - cap.shape[0]
            self.ov.texts.append(TextBox((0, y), cap, "caption"))
            self.placer.block((0, y, self.w, self.h))
        if legend:
            cal = self.doc.calibration
            leg = legend_patch(
                s.small_font, grid and bool(self.result["cm_per_px"]), cal.vertical is not None or cal.scale is not None
            )
            m = round(s.gap)
            self.ov.texts.append(TextBox((m, m), leg, "legend"))
            self.placer.block((m, m, m + leg.shape[1], m + leg.shape[0]))
        if grid:
            self.grid()
        anchor = self.plumb()
        self.calibration_marks()
        self.pairs()
        self.spine()
        self.frontal_limbs()
        self.lateral_parts()
        self.curves()
        self.centre_of_gravity()
        self.offsets(anchor)
        self.dots()
        for anchor_xy, patch, side, key in self.labels:
            self.ov.texts.append(self.placer.place(anchor_xy, patch, side, key))
        self.landmark_labels()
        return self.ov


def build_overlay(
    doc: ViewDocument,
    result: Result,
    width: int,
    height: int,
    *,
    display_scale: float = 1.0,
    grid: bool = False,
    caption: str | None = None,
    legend: bool = True,
    text_scale: float = 1.0,
) -> Overlay:
    """Where everything goes on a ``width × height`` output image (see :func:`.paint.render_annotated`)."""
    if width <= 0 or height <= 0:
        raise ValueError("the image must not be empty")
    if not (display_scale > 0 and math.isfinite(display_scale)):
        raise ValueError(f"display_scale must be a positive number, got {display_scale!r}")
    style = Style.for_size(width, height, text_scale)
    return _Builder(doc, result, width, height, display_scale, style).build(grid, caption, legend)
