"""Compare visits: two visits side by side per view, a table of what changed, and a trend chart.

The verdicts come from :mod:`posture.compare` (a change counts only when it is
larger than twice the combined uncertainty of the two values).
"""

from __future__ import annotations

from html import escape

import altair as alt
import pandas as pd
import streamlit as st

from posture import landmarks
from posture.compare import Change, TrendSeries, ViewComparison, compare_visits, trends
from posture.errors import PostureError
from posture.formatting import format_number, unit_symbol
from posture.store import Store, Visit

from . import format as fmt
from . import state

VERDICT_STYLE: dict[str, tuple[str, str]] = {
    "improved": ("Improved", "#1a7f37"),
    "worse": ("Worse", "#cf222e"),
    "unchanged": ("Unchanged", "#6e7781"),
    "changed": ("Changed", "#0969da"),
    "not_comparable": ("Not comparable", "#8c959f"),
}


def _num(value: float | None, unit: str | None) -> str:
    return "–" if value is None or unit is None else format_number(value, unit)


def change_table_html(vc: ViewComparison, before_label: str, after_label: str) -> str:
    """One row per measurement: before, after, change (with the threshold it had to beat) and the verdict."""
    rows = []
    for c in vc.changes:
        text, colour = VERDICT_STYLE[c.verdict]
        unit = c.unit
        delta = "–" if c.delta is None or unit is None else f"{'+' if c.delta >= 0 else '−'}{_num(abs(c.delta), unit)}"
        need = (
            "" if c.threshold is None or unit is None else f'<div class="pm-plane">counts beyond ±{_num(c.threshold, unit)}</div>'
        )
        title = escape(c.reason, quote=True)
        rows.append(
            f'<tr data-mid="{escape(c.measurement)}" data-verdict="{c.verdict}">'
            f"<td>{escape(c.label)}</td>"
            f'<td class="pm-val">{_num(c.before, unit or "")}<div class="pm-plane">{escape(c.before_direction)}</div></td>'
            f'<td class="pm-val">{_num(c.after, unit or "")}<div class="pm-plane">{escape(c.after_direction)}</div></td>'
            f'<td class="pm-val">{delta}{need}</td>'
            f'<td title="{title}"><span class="pm-sev" style="background:{colour};color:#fff">{text}</span>'
            + (f'<div class="pm-plane">{escape(c.reason)}</div>' if c.reason else "")
            + "</td></tr>"
        )
    return (
        fmt.TABLE_CSS + f'<table class="pm-table pm-compare" data-view="{vc.view}"><thead><tr><th>Measurement</th>'
        f"<th>{escape(before_label)}</th><th>{escape(after_label)}</th><th>Change</th><th>Verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        '<div class="pm-legend">A change counts only when it is larger than twice the combined uncertainty of the two '
        "values; improved / worse means closer to / further from the normal band.</div>"
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


def _annotated(store: Store, visit: Visit, view: str) -> bytes | None:
    rec = visit.views.get(view)
    if rec is None or rec.annotated is None or rec.annotated.problem:
        return None
    try:
        return store.read_file(rec.annotated)
    except PostureError:
        return None


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
    comparison = compare_visits(by_id[first], by_id[second])
    before, after = by_id[comparison.before_id], by_id[comparison.after_id]
    for view in comparison.only_before + comparison.only_after:
        which = "earlier" if view in comparison.only_before else "later"
        st.caption(f"{landmarks.VIEW_LABELS[view]}: only in the {which} visit, so not compared.")
    if not comparison.views:
        st.info("These two visits have no view in common.")
    else:
        tabs = st.tabs([landmarks.VIEW_LABELS[v] for v in comparison.views])
        for tab, (view, vc) in zip(tabs, comparison.views.items(), strict=True):
            with tab:
                _view_comparison_ui(store, before, after, view, vc)
    trend_ui(trends(history))


def _summary(vc: ViewComparison) -> str:
    n = vc.counts()
    parts = [f"{n[k]} {VERDICT_STYLE[k][0].lower()}" for k in ("improved", "worse", "changed", "unchanged") if n[k]]
    return " · ".join(parts)


def _headline(c: Change) -> str:
    unit = c.unit or ""
    return f"**{c.label}** {_num(c.before, unit)} → {_num(c.after, unit)}"


def _view_comparison_ui(store: Store, before: Visit, after: Visit, view: str, vc: ViewComparison) -> None:
    c1, c2, c3 = st.columns([1, 1, 1.1])
    for col, visit in ((c1, before), (c2, after)):
        data = _annotated(store, visit, view)
        with col:
            if data is None:
                st.caption(f"No annotated photo stored for {visit.visit_date.isoformat()}.")
            else:
                st.image(data, caption=visit.visit_date.isoformat(), width="stretch")
    with c3:
        st.markdown(f"**What changed** · {_summary(vc)}")
        for verdict in ("worse", "improved", "changed"):
            rows = [c for c in vc.changes if c.verdict == verdict]
            if rows:
                colour = {"worse": "red", "improved": "green", "changed": "blue"}[verdict]
                st.markdown(f":{colour}[**{VERDICT_STYLE[verdict][0]}**]")
                st.markdown("\n".join(f"- {_headline(c)}" for c in rows))
        if not any(c.verdict in ("worse", "improved", "changed") for c in vc.changes):
            st.markdown("No measurable change: every difference is within the measurement uncertainty.")
    st.html(change_table_html(vc, before.visit_date.isoformat(), after.visit_date.isoformat()))


def _series_label(s: TrendSeries) -> str:
    return f"{landmarks.VIEW_LABELS[s.view].split(' (')[0]} · {s.label} ({unit_symbol(s.unit)})"


def trend_chart(series: TrendSeries) -> alt.LayerChart:
    """Values over time with a ±2·uncertainty band (what a change has to beat)."""
    df = pd.DataFrame(series.records())
    unit = unit_symbol(series.unit)
    base = alt.Chart(df).encode(x=alt.X("date:T", title="Visit"))
    band = base.mark_area(opacity=0.15).encode(y=alt.Y("low:Q", title=f"{series.label} ({unit})"), y2="high:Q")
    line = base.mark_line(point=True).encode(
        y="value:Q", tooltip=[alt.Tooltip("date:T"), alt.Tooltip("value:Q", format=".2f"), alt.Tooltip("severity:N")]
    )
    return alt.layer(band, line).properties(height=260)


def trend_ui(all_series: list[TrendSeries]) -> None:
    st.subheader("Trends across all visits", anchor=False)
    multi = [s for s in all_series if len(s.points) >= 2]
    if not multi:
        st.caption("No measurement was taken in two or more visits yet.")
        return
    labels = {i: _series_label(s) for i, s in enumerate(multi)}
    pick = st.selectbox("Measurement", list(labels), format_func=labels.get, key="trend_pick")
    st.altair_chart(trend_chart(multi[pick]), width="stretch")
    st.caption("The shaded band is ± twice the uncertainty of each value.")
