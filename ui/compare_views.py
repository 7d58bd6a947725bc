"""Compare visits: two visits (any revision of each) per view: the photos aligned, a table of what changed, a trend chart.

The verdicts, the measurement that changed most and the normal band come from
:mod:`posture.compare` (a change counts only when it is larger than twice the
combined uncertainty of the two values); the photos' alignment from
:func:`posture.render.align_pair`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from html import escape

import altair as alt
import pandas as pd
import streamlit as st

from posture import landmarks
from posture.compare import Change, TrendSeries, ViewComparison, compare_visits, most_changed, normal_range, trends
from posture.errors import PostureError
from posture.formatting import format_number, unit_symbol
from posture.images import decode_image, display_copy
from posture.render import AlignedPair, align_pair, cannot_align
from posture.result import PlumbLine, Result
from posture.store import Store, StoredFile, Visit

from . import format as fmt
from . import state

VERDICT_STYLE: dict[str, tuple[str, str]] = {
    "improved": ("Improved", "#1a7f37"),
    "worse": ("Worse", "#cf222e"),
    "unchanged": ("Within measurement noise", "#6e7781"),
    "changed": ("Changed", "#0969da"),
    "not_comparable": ("Not comparable", "#8c959f"),
}
#: The normal band's fill on the trend chart (the palette's "normal" green, light).
NORMAL_FILL = "#2da44e"


def _num(value: float | None, unit: str | None) -> str:
    return "–" if value is None or unit is None else format_number(value, unit)


def _value_cell(value: float | None, unit: str | None, severity: str | None, borderline: bool, direction: str) -> str:
    """A value with its severity pill (the app's own labels and colours) and its direction."""
    if value is None:
        return '<td class="pm-val">–</td>'
    return (
        f'<td class="pm-val">{_num(value, unit or "")} {fmt.severity_badge(severity, borderline)}'  # type: ignore[arg-type]
        f'<div class="pm-plane">{escape(direction)}</div></td>'
    )


def change_table_html(vc: ViewComparison, before_label: str, after_label: str) -> str:
    """One row per measurement: before and after with their severities, the change (and what it had to beat), the verdict."""
    rows = []
    for c in vc.changes:
        text, colour = VERDICT_STYLE[c.verdict]
        unit = c.unit
        delta = "–" if c.delta is None or unit is None else f"{'+' if c.delta >= 0 else '−'}{_num(abs(c.delta), unit)}"
        need = (
            "" if c.threshold is None or unit is None else f'<div class="pm-plane">counts beyond ±{_num(c.threshold, unit)}</div>'
        )
        title = escape(c.reason, quote=True)
        shown_reason = c.reason if c.verdict != "unchanged" else ""  # the pill says it; the threshold is beside it
        rows.append(
            f'<tr data-mid="{escape(c.measurement)}" data-verdict="{c.verdict}" '
            f'data-before-severity="{escape(str(c.before_severity))}" data-after-severity="{escape(str(c.after_severity))}">'
            f"<td>{escape(c.label)}</td>"
            + _value_cell(c.before, unit, c.before_severity, c.before_borderline, c.before_direction)
            + _value_cell(c.after, unit, c.after_severity, c.after_borderline, c.after_direction)
            + f'<td class="pm-val">{delta}{need}</td>'
            f'<td title="{title}"><span class="pm-sev" style="background:{colour};color:#fff">{text}</span>'
            + (f'<div class="pm-plane">{escape(shown_reason)}</div>' if shown_reason else "")
            + "</td></tr>"
        )
    return (
        fmt.TABLE_CSS + f'<table class="pm-table pm-compare" data-view="{vc.view}"><thead><tr><th>Measurement</th>'
        f"<th>{escape(before_label)}</th><th>{escape(after_label)}</th><th>Change</th><th>Verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<div class="pm-legend">A change counts only when it is larger than twice the combined uncertainty of the two '
        "values (otherwise it is within measurement noise); improved / worse means closer to / further from the normal "
        "band, and two normal values are neither.</div>"
    )


def _visit_label(v: Visit) -> str:
    views = ", ".join(landmarks.VIEW_LABELS[x].split(" (")[0] for x in v.views)
    return f"{v.visit_date.isoformat()} · {views}" + (f" (rev. {v.revision})" if v.revision > 1 else "")


def _client_picker(store: Store) -> str | None:
    current = state.session().compare_client
    search = st.text_input("Client", key="compare_search", placeholder="find a client by name")
    try:
        rows = store.list_clients(search, limit=30)
        if current and current not in {r.id for r in rows} and not search:
            client = store.get_client(current)
            options = {client.id: client.name} | {r.id: r.name for r in rows}
        else:
            options = {r.id: r.name for r in rows}
    except PostureError as exc:
        st.error(str(exc))
        return None
    if not options:
        st.info("No client matches." if search else "No clients yet.")
        return None
    ids = list(options)
    chosen = st.selectbox(
        "Client's file",
        ids,
        index=ids.index(current) if current in ids else 0,
        format_func=options.get,
        key="compare_pick_client",
    )
    state.session().compare_client = chosen
    return chosen


def _revision_ui(store: Store, col: st.delta_generator.DeltaGenerator, visit: Visit) -> Visit:
    """A revision picker for ``visit`` (default: the latest); the visit at the revision chosen."""
    try:
        revisions = store.list_revisions(visit.id)
    except PostureError as exc:
        col.caption(str(exc))
        return visit
    numbers = [r.number for r in revisions][::-1]  # newest first
    saved = {r.number: r.saved_at for r in revisions}
    chosen = col.selectbox(
        "Revision",
        numbers,
        index=0,
        format_func=lambda n: (
            f"revision {n} of {len(numbers)} · saved {saved[n][:16].replace('T', ' ')}" + (" (latest)" if n == numbers[0] else "")
        ),
        key=f"cmp_rev_{visit.id}",
        disabled=len(numbers) < 2,
    )
    if chosen == visit.revision:
        return visit
    try:
        return store.get_visit(visit.id, revision=chosen)
    except PostureError as exc:
        col.error(str(exc))
        return visit


def compare_page_ui(store: Store) -> None:
    st.title("Compare visits", anchor=False)
    client_id = _client_picker(store)
    if client_id is None:
        return
    try:
        history = store.history(client_id)
    except PostureError as exc:
        st.error(str(exc))
        return
    if len(history) < 2:
        st.info("This client has fewer than two saved visits: there is nothing to compare yet.")
        return
    by_id = {v.id: v for v in history}
    ids = list(by_id)  # oldest first
    c1, c2 = st.columns(2)
    first = c1.selectbox("Earlier visit", ids, index=0, format_func=lambda i: _visit_label(by_id[i]), key=f"cmp_a_{client_id}")
    second = c2.selectbox(
        "Later visit", ids, index=len(ids) - 1, format_func=lambda i: _visit_label(by_id[i]), key=f"cmp_b_{client_id}"
    )
    if first == second:
        st.warning("Pick two different visits.")
        return
    chosen = {first: _revision_ui(store, c1, by_id[first]), second: _revision_ui(store, c2, by_id[second])}
    comparison = compare_visits(chosen[first], chosen[second])
    before, after = chosen[comparison.before_id], chosen[comparison.after_id]
    for view in comparison.only_before + comparison.only_after:
        which = "earlier" if view in comparison.only_before else "later"
        st.caption(f"{landmarks.VIEW_LABELS[view]}: only in the {which} visit, so not compared.")
    all_series = trends([chosen.get(v.id, v) for v in history])  # the trend follows the revisions compared
    if not comparison.views:
        st.info("These two visits have no view in common.")
        trend_ui(all_series, None, None)
        return
    view = st.radio(
        "View",
        list(comparison.views),
        format_func=lambda v: landmarks.VIEW_LABELS[v],
        horizontal=True,
        key=f"cmp_view_{client_id}",
    )
    vc = comparison.views[view]
    _view_comparison_ui(store, before, after, view, vc)
    pair_key = f"{before.id}_{before.revision}_{after.id}_{after.revision}"  # a new pair reopens on its most changed
    trend_ui(all_series, view, most_changed(vc.changes), key=pair_key)


def _summary(vc: ViewComparison) -> str:
    n = vc.counts()
    parts = [f"{n[k]} {VERDICT_STYLE[k][0].lower()}" for k in ("improved", "worse", "changed", "unchanged") if n[k]]
    return " · ".join(parts)


def _headline(c: Change) -> str:
    unit = c.unit or ""
    return f"**{c.label}** {_num(c.before, unit)} → {_num(c.after, unit)}"


def _label(visit: Visit, which: str) -> str:
    return f"{visit.visit_date.isoformat()} ({which}" + (f", revision {visit.revision})" if visit.revision_count > 1 else ")")


def _stored_image(visit: Visit, view: str) -> StoredFile | None:
    """The view's annotated image, else its photo (``None`` when neither is stored intact)."""
    rec = visit.views.get(view)
    if rec is None:
        return None
    return next((f for f in (rec.annotated, rec.photo) if f is not None and not f.problem), None)


@st.cache_data(show_spinner=False, max_entries=4)
def _aligned(
    a_sha: str, a_cm: float, a_plumb: PlumbLine, a_size: int, b_sha: str, b_cm: float, b_plumb: PlumbLine, b_size: int,
    _store: Store, _a: StoredFile, _b: StoredFile,
) -> AlignedPair:  # fmt: skip
    """The two stored images aligned (decoded at display size first); cached by the files' digests and the two scales.

    ``a_size``/``b_size``: the width of the photo each result's pixels refer to (0: the stored image's own).
    """
    images = []
    for stored, width in ((_a, a_size), (_b, b_size)):
        full = decode_image(_store.read_file(stored), "the stored image", min_short_side=1)
        small, scale = display_copy(full)
        images.append((small, scale * full.shape[1] / (width or full.shape[1])))  # px handed in per result px
    (ia, sa), (ib, sb) = images
    ra = {"cm_per_px": a_cm, "plumb_line": a_plumb}
    rb = {"cm_per_px": b_cm, "plumb_line": b_plumb}
    return align_pair(ia, ra, ib, rb, before_scale=sa, after_scale=sb)  # type: ignore[arg-type]


def _original_width(visit: Visit, view: str) -> int:
    """The width of the photo the result's pixels refer to (the document's), 0 when unknown (the stored image's then)."""
    doc = visit.views[view].document
    return int(doc.image_width) if doc is not None and doc.image_width else 0


def photos_ui(store: Store, before: Visit, after: Visit, view: str) -> None:
    """The two photos side by side at one scale, aligned at the plumb line, with an overlay toggle."""
    files = [_stored_image(v, view) for v in (before, after)]
    results: list[Result | None] = [v.views[view].result for v in (before, after)]
    labels = (_label(before, "earlier"), _label(after, "later"))
    if files[0] is None or files[1] is None:
        problem: str | None = "Both visits need a stored photo of this view to show them aligned."
    elif results[0] is None or results[1] is None:
        problem = "Both visits need a readable result of this view to align their photos."
    else:
        problem = cannot_align(results[0], results[1])
    overlay = st.toggle(
        "Overlay the two photos",
        key="cmp_overlay",
        disabled=problem is not None,
        help="The later photo blended over the earlier one, at the same scale and aligned at the plumb line.",
    )
    if problem is None:
        (ra, rb), (fa, fb) = results, files
        assert ra is not None and rb is not None and fa is not None and fb is not None  # checked just above
        try:
            pair = _aligned(
                fa.sha256, ra["cm_per_px"], ra["plumb_line"], _original_width(before, view),
                fb.sha256, rb["cm_per_px"], rb["plumb_line"], _original_width(after, view),
                store, fa, fb,
            )  # fmt: skip
        except (PostureError, ValueError) as exc:
            problem = str(exc)
        else:
            scale = f"same scale ({format_number(pair.cm_per_px * 100, 'cm')} per 100 px), aligned at the plumb line"
            if overlay:
                st.image(pair.overlay(), caption=f"{labels[0]} and {labels[1]} blended: {scale}", width="stretch")
            else:
                c1, c2 = st.columns(2)
                c1.image(pair.before, caption=f"{labels[0]}: {scale}", width="stretch")
                c2.image(pair.after, caption=f"{labels[1]}: {scale}", width="stretch")
            return
    c1, c2 = st.columns(2)
    for col, stored, label in zip((c1, c2), files, labels, strict=True):
        try:
            blob = None if stored is None else store.read_file(stored)
        except PostureError:
            blob = None
        if blob is None:
            col.caption(f"No photo stored for {label}.")
        else:
            col.image(blob, caption=label, width="stretch")
    st.caption(f"Not aligned: {problem}")


def _view_comparison_ui(store: Store, before: Visit, after: Visit, view: str, vc: ViewComparison) -> None:
    left, right = st.columns([2, 1.1])
    with left:
        photos_ui(store, before, after, view)
    with right:
        st.markdown(f"**What changed** · {_summary(vc)}")
        for verdict in ("worse", "improved", "changed"):
            rows = [c for c in vc.changes if c.verdict == verdict]
            if rows:
                colour = {"worse": "red", "improved": "green", "changed": "blue"}[verdict]
                st.markdown(f":{colour}[**{VERDICT_STYLE[verdict][0]}**]")
                st.markdown("\n".join(f"- {_headline(c)}" for c in rows))
        if not any(c.verdict in ("worse", "improved", "changed") for c in vc.changes):
            st.markdown("No measurable change: every difference is within measurement noise.")
    st.html(change_table_html(vc, _label(before, "earlier"), _label(after, "later")))


def _series_label(s: TrendSeries) -> str:
    return f"{landmarks.VIEW_LABELS[s.view].split(' (')[0]} · {s.label} ({unit_symbol(s.unit)})"


def _utc_day(d: date) -> alt.DateTime:
    return alt.DateTime(year=d.year, month=d.month, date=d.day, utc=True)


def _y_domain(df: pd.DataFrame, edges: Sequence[float | None]) -> tuple[float, float]:
    """The value axis: the values with ±2·uncertainty and the normal band's finite edges, with a margin."""
    finite = [e for e in edges if e is not None]
    lo, hi = min([float(df["low"].min()), *finite]), max([float(df["high"].max()), *finite])
    pad = max((hi - lo) * 0.08, 0.5)
    return lo - pad, hi + pad


def trend_chart(series: TrendSeries) -> alt.LayerChart:
    """Values over time with a ±2·uncertainty band (what a change has to beat) and the normal band shaded.

    The time axis has a tick at each visit's date and nowhere else (dates in UTC, so no time zone moves them).
    """
    df = pd.DataFrame(series.records())
    unit = unit_symbol(series.unit)
    normal = normal_range(series.measurement, series.band) if series.unit != "px" else None
    y_lo, y_hi = _y_domain(df, normal or ())
    dates = sorted({p.visit_date for p in series.points})
    x = alt.X(
        "date:T",
        title="Visit",
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(values=[_utc_day(d) for d in dates], format="%Y-%m-%d", labelAngle=0, grid=False),
    )
    y_scale = alt.Scale(domain=[y_lo, y_hi], nice=False)
    base = alt.Chart(df).encode(x=x)
    spread = base.mark_area(opacity=0.15, color="#6e7781").encode(
        y=alt.Y("low:Q", title=f"{series.label} ({unit})", scale=y_scale), y2="high:Q"
    )
    line = base.mark_line(point=True).encode(
        y=alt.Y("value:Q", scale=y_scale),
        tooltip=[alt.Tooltip("date:T", format="%Y-%m-%d"), alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("severity:N")],
    )
    layers: list[alt.Chart] = []
    if normal is not None:
        low = y_lo if normal[0] is None else normal[0]
        high = y_hi if normal[1] is None else normal[1]
        band = pd.DataFrame([{"low": low, "high": high, "what": "normal range"}])
        if high > low:
            layers.append(
                alt.Chart(band)
                .mark_rect(opacity=0.12, color=NORMAL_FILL)
                .encode(y=alt.Y("low:Q", scale=y_scale), y2="high:Q", tooltip=["what:N"])
            )
        else:  # a normal range of one value (mild 0): a rule
            layers.append(alt.Chart(band).mark_rule(color=NORMAL_FILL).encode(y=alt.Y("low:Q", scale=y_scale)))
    return alt.layer(*layers, spread, line).properties(height=260)


def trend_ui(all_series: list[TrendSeries], view: str | None, opening: Change | None, *, key: str = "") -> None:
    """The trend chart of ``view``'s measurements (all views' when ``None``), opening on ``opening``'s series."""
    st.subheader("Trends across all visits", anchor=False)
    multi = [s for s in all_series if len(s.points) >= 2 and (view is None or s.view == view)]
    if not multi:
        st.caption("No measurement of this view was taken in two or more visits yet.")
        return
    labels = {i: _series_label(s) for i, s in enumerate(multi)}
    start = next(
        (i for i, s in enumerate(multi) if opening and (s.measurement, s.unit) == (opening.measurement, opening.unit)), 0
    )
    pick = st.selectbox("Measurement", list(labels), index=start, format_func=labels.get, key=f"trend_{view}_{key}")
    st.altair_chart(trend_chart(multi[pick]), width="stretch")
    st.caption(
        "Opens on the measurement that changed most between the two visits compared (relative to what a change had "
        "to beat). The grey band is ± twice the uncertainty of each value; the green band is the normal range."
    )
