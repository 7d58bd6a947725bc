"""The client handout: one or two pages in plain language, beside the clinical report.

:func:`build_handout` turns the analysed views into PDF bytes with the
report's writer (:mod:`posture.pdf_writer`): what we saw (the annotated photos
and one plain sentence per observation, no numbers, no measurement tables, no
anatomical terms) and what we will work on, stage by stage, from the
treatment-planning starter (the body areas of each stage, not the muscles),
with a line saying the work is adapted to the client's health information
when a precaution touches the plan. Like the report it describes posture in
the photos and is not a diagnosis.

The plain sentences are data (:data:`PLAIN`), keyed by measurement id and
the case of its value (:func:`posture.findings.case_for`: the sign, or above
or below a range), so the side named is the one the findings name.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Sequence

from fpdf import XPos, YPos

from . import findings as words
from .errors import ReportError
from .landmarks import VIEW_LABELS, VIEWS
from .measurements import REGIONS
from .patterns import case_for
from .pdf_writer import ACCENT, INK, MUTED, Writer, embed_jpeg
from .precautions import PrecautionTable, cautioned_plan
from .report import ReportView, check_printable
from .result import Result, Severity
from .settings import Practice

__all__ = ["ORDINALS", "PLAIN", "build_handout", "plain_observations", "plain_stages"]

#: Plain sentences by measurement id (a limb's ``_r``/``_l`` share one) and case: ``positive``/``negative`` (the sign),
#: ``above``/``below`` (a range), ``any``. ``{side}`` is the side the value points to, ``{other}`` the other side,
#: ``{limb}`` the limb of a ``_r``/``_l`` measurement.
PLAIN: dict[str, dict[str, str]] = {
    "head_tilt": {"any": "Your head tilts a little toward your {side} shoulder."},
    "shoulder_tilt": {"any": "Your {side} shoulder sits lower than your {other} shoulder."},
    "shoulder_height_diff": {"any": "Your {side} shoulder sits lower than your {other} shoulder."},
    "pelvic_obliquity": {"any": "Your hips are not quite level: the {side} side sits lower."},
    "pelvic_height_diff": {"any": "Your hips are not quite level: the {side} side sits lower."},
    "tibial_tuberosity_tilt": {"any": "Your knees are not quite level: the {side} knee sits lower."},
    "scapula_tilt": {"any": "Your {side} shoulder blade sits lower than your {other} one."},
    "shoulder_pelvis_angle": {"any": "Your shoulders and your hips tilt in different directions."},
    "head_shift": {"any": "Your head sits a little to the {side} of centre."},
    "trunk_shift": {"any": "Your upper body sits a little to the {side} of centre."},
    "pelvic_shift": {"any": "Your hips sit a little to the {side} of centre."},
    "leg_length_diff": {"any": "Your {side} leg looks a little longer in the photos."},
    "scapular_asymmetry": {"any": "Your {side} shoulder blade sits further from your spine than your {other} one."},
    "spine_deviation": {"any": "Your spine curves a little to the {side}."},
    "knee_alignment": {"positive": "Your {limb} knee turns in a little.", "negative": "Your {limb} knee bows out a little."},
    "hindfoot_angle": {
        "positive": "Your {limb} foot rolls in a little at the heel.",
        "negative": "Your {limb} foot rolls out a little at the heel.",
    },
    "q_angle": {"any": "Your {limb} knee angles in more than usual."},
    "cva": {"any": "Your head sits forward of your shoulders."},
    "head_forward": {
        "positive": "Your head sits forward of your shoulders.",
        "negative": "Your head sits back behind your shoulders.",
    },
    "head_vertical_alignment": {
        "positive": "Your head sits forward of your shoulders.",
        "negative": "Your head sits back behind your shoulders.",
    },
    "ear_plumb_offset": {
        "positive": "Your head sits forward of your balance line.",
        "negative": "Your head sits behind your balance line.",
    },
    "head_flexion": {"positive": "Your head tips forward, chin down.", "negative": "Your head tips back, chin up."},
    "trunk_lean": {"positive": "Your upper body leans forward.", "negative": "Your upper body leans back."},
    "body_lean": {"positive": "Your whole body leans forward.", "negative": "Your whole body leans back."},
    "pelvic_tilt": {
        "above": "Your pelvis tips forward, which deepens the curve of your lower back.",
        "below": "Your pelvis tips back, which flattens your lower back.",
    },
    "hip_angle": {"positive": "You bend forward a little at the hips.", "negative": "Your hips push forward a little."},
    "knee_angle": {
        "positive": "Your knees lock back when you stand.",
        "negative": "Your knees stay a little bent when you stand.",
    },
    "shank_angle": {"positive": "Your knees sit forward of your ankles.", "negative": "Your knees sit back behind your ankles."},
    "shoulder_plumb_offset": {
        "positive": "Your shoulders sit forward of your balance line.",
        "negative": "Your shoulders sit behind your balance line.",
    },
    "hip_plumb_offset": {
        "positive": "Your hips sit forward of your balance line.",
        "negative": "Your hips sit behind your balance line.",
    },
    "knee_plumb_offset": {
        "positive": "Your knees sit forward of your balance line.",
        "negative": "Your knees sit behind your balance line.",
    },
    "thoracic_kyphosis": {"positive": "Your upper back is more rounded.", "negative": "Your upper back is flatter than usual."},
    "lumbar_lordosis": {"positive": "Your lower back is more arched.", "negative": "Your lower back is flatter than usual."},
    "shoulder_forward_of_hip": {
        "positive": "Your shoulders sit forward of your hips.",
        "negative": "Your shoulders sit back behind your hips.",
    },
    "head_on_trunk_shift": {"any": "Your head sits a little to the {side} of your upper body."},
    "trunk_on_pelvis_shift": {"any": "Your upper body sits a little to the {side} of your hips."},
    "cog_shift": {"any": "Your weight sits a little toward your {side}."},
    "cog_asymmetry": {"any": "You stand with more of your weight on your {side} foot."},
}
#: The NMT stages (:data:`posture.findings.STAGES`) in plain words.
_STAGE_WORDS = {
    1: "Ease tight and tender muscles",
    2: "Help your body back toward balance",
    3: "Loosen up and build better habits",
    4: "Build strength",
    5: "Build staying power",
}
#: The steps of the work, in words (the plan has at most five stages).
ORDINALS = ("First", "Second", "Third", "Fourth", "Fifth", "Then", "Then")
_REGION_WORDS = {
    "head and neck": "head and neck",
    "shoulder girdle": "shoulders",
    "trunk and spine": "back",
    "pelvis and hips": "hips",
    "knees": "knees",
    "ankles and feet": "feet",
}


def _plain(mid: str, value: float) -> str | None:
    """The plain sentence for a value of ``mid`` (``None`` when :data:`PLAIN` has none)."""
    base = mid[:-2] if mid.endswith(("_r", "_l")) else mid
    cases = PLAIN.get(base)
    if cases is None:
        return None
    text = cases.get(case_for(mid, value)) or cases.get("any")
    if text is None:
        return None
    side = "right" if value > 0 else "left"
    limb = "right" if mid.endswith("_r") else "left" if mid.endswith("_l") else ""
    return text.format(side=side, other="left" if side == "right" else "right", limb=limb)


def plain_observations(results: Sequence[Result]) -> list[tuple[Severity, str]]:
    """What we saw: one plain sentence per observation of the views, most important first, each sentence once."""
    by_view = {r["view"]: r for r in results}
    out: dict[str, Severity] = {}
    for o in words.ranked_observations(results):
        result = by_view[o["view"]]
        for mid in o["measurements"]:
            m = result["measurements"].get(mid)
            text = _plain(mid, m["value"]) if m else None
            if text:
                out.setdefault(text, o["severity"])
                break
    return [(severity, text) for text, severity in out.items()]


def plain_stages(plan_stages: Sequence[tuple[int, Sequence[str]]]) -> list[tuple[str, list[str]]]:
    """What we will work on: per stage (number, the plan's item texts) its plain title and the body areas, in order.

    The area of a plan item is the region it starts with (``"Knees: consider…"``,
    :func:`posture.findings.build_plan`'s form); an item naming no known region
    adds no area.
    """
    out = []
    for stage, items in plan_stages:
        areas: list[str] = []
        for item in items:
            region = item.split(":", 1)[0].strip().lower()
            if region in REGIONS and _REGION_WORDS[region] not in areas:
                areas.append(_REGION_WORDS[region])
        if areas and stage in _STAGE_WORDS:
            out.append((_STAGE_WORDS[stage], areas))
    return out


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def build_handout(
    views: Sequence[ReportView],
    *,
    client: str | None = None,
    date: str | None = None,
    paper: str = "a4",
    patterns: words.PatternTable | None = None,
    precaution_table: PrecautionTable | None = None,
    precaution_keys: Iterable[str] = (),
    other_precaution: str = "",
    practice: Practice | None = None,
) -> bytes:
    """The client handout as PDF bytes (one page, two with many observations).

    ``views`` as for :func:`posture.report.build_report`; ``patterns`` and the
    precautions as there (the plan the stages come from, and whether a caution
    touches it); ``practice`` is printed in the header. Raises
    :class:`~posture.errors.ReportError` for an unknown paper, no views, or a
    client name or practice detail the bundled font cannot print.
    """
    if not views:
        raise ReportError("There is no view to make a handout of.")
    practice = practice or Practice()
    check_printable("The client name", client)
    for line in practice.lines():
        check_printable("The practice details (settings)", line)
    views = sorted(views, key=lambda v: VIEWS.index(v[0].view))
    results = [r for _, r, _ in views]
    plan = cautioned_plan(words.combined_plan(results, patterns), precaution_keys, other_precaution, table=precaution_table)
    date = date or _dt.date.today().isoformat()
    w = Writer(
        paper,
        "Your posture assessment" + (f": {client}" if client else ""),
        " · ".join(p for p in ("Your posture assessment", client, date) if p),
        practice.name,
    )
    pdf = w.pdf
    pdf.add_page()

    w.font(18, True, INK)
    pdf.cell(0, 9, "Your posture assessment", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    w.para(" · ".join(p for p in (client, date, *practice.lines()) if p), 10.5, MUTED, h=5.5)
    pdf.set_draw_color(*ACCENT)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 1.5, pdf.l_margin + w.width, pdf.get_y() + 1.5)
    pdf.ln(5)

    w.heading("What we saw", space=0, keep=60)
    photos = [(doc.view, embed_jpeg(img), img.shape[0] / img.shape[1]) for doc, _, img in views if img is not None]
    if photos:
        gap = 4.0
        cell_w = (w.width - gap * (len(photos) - 1)) / len(photos)
        max_h = 95.0 if len(photos) <= 2 else 72.0
        top = pdf.get_y()
        img_h = 0.0
        for i, (view, jpeg, aspect) in enumerate(photos):
            iw = min(cell_w, max_h / aspect)
            ih = iw * aspect
            img_h = max(img_h, ih)
            pdf.image(jpeg, x=pdf.l_margin + i * (cell_w + gap) + (cell_w - iw) / 2, y=top, w=iw, h=ih, alt_text=f"{view} photo")
        for i, (view, _, _) in enumerate(photos):
            pdf.set_xy(pdf.l_margin + i * (cell_w + gap), top + img_h + 0.8)
            w.font(8, False, MUTED)
            pdf.cell(cell_w, 3.8, VIEW_LABELS[view].split(" (")[1].rstrip(")").capitalize(), align="C")
        pdf.set_xy(pdf.l_margin, top + img_h + 7)
    seen = plain_observations(results)
    if seen:
        w.para("These are the things we noticed in your photos, the clearest first:", 10, MUTED)
        pdf.ln(1)
        for _severity, text in seen:
            w.bullet(text, 10.5)
    else:
        w.para("Your posture in these photos is well balanced: nothing stood out.", 10.5)

    stages = plain_stages([(s["stage"], [i["text"] for i in s["items"]]) for s in plan.stages])
    w.heading("What we will work on", space=6, keep=30)
    if stages:
        w.para("We will work step by step, in this order:", 10, MUTED)
        pdf.ln(1)
        for n, (title, areas) in enumerate(stages):
            w.bullet(f"{ORDINALS[n]}, {title.lower()}: your {_join(areas)}.", 10.5)
    else:
        w.para("There is nothing we need to correct from these photos; we will keep an eye on it at your next visits.", 10.5)
    if plan.any_caution:
        pdf.ln(1)
        w.para(
            "We will adapt the work to the health information you gave us. Tell us about any change in your health, "
            "and check with your doctor if you are unsure.",
            10,
            INK,
        )
    pdf.ln(3)
    w.para(
        "This sheet describes your posture as it looks in the photos; it is not a diagnosis. Ask us about anything on it.",
        9,
        MUTED,
    )
    return bytes(pdf.output())
