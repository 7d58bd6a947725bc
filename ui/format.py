"""Words and HTML for the results: values with their unit and uncertainty, the measurement table.

Pure functions of the core's result dict (spec §7), so they are tested
without Streamlit. Severity colours are the renderer's palette
(:func:`posture.render.severity_color`), the same on the photo, the page and
the report; severity words are :data:`posture.formatting.SEVERITY_LABELS`.
"""

from __future__ import annotations

from html import escape

from posture import measurements
from posture.formatting import SEVERITY_LABELS, format_number, shown_value
from posture.render import severity_color, text_color_on
from posture.result import Measurement, Observation, Result, Severity


def fmt_value(m: Measurement, mid: str | None = None) -> str:
    """``"2.4° ± 0.3°"``: the value with one standard deviation (the app's table).

    With ``mid`` (the measurement's id) a value near a band edge gets the decimals it needs to read as graded
    (``0.99 cm``, never ``1.0 cm`` graded normal: :func:`posture.formatting.shown_value`), the uncertainty the same.
    """
    shown, digits = shown_value(mid, m)
    return f"{format_number(shown, m['unit'], digits=digits)} ± {format_number(m['uncertainty'], m['unit'], digits=digits)}"


def fmt_band(m: Measurement) -> str:
    band = m.get("band")
    if not band:
        return "not graded (no band)" if m["unit"] != "px" else "not graded: no scale, so the value is in pixels"
    u = m["unit"]
    return (
        f"mild {format_number(band['mild'], u)}, moderate {format_number(band['moderate'], u)}, "
        f"marked {format_number(band['marked'], u)} ({band['source']})"
    )


def measurement_label(view: str, measurement_id: str) -> str:
    try:
        return measurements.definition(view, measurement_id).label
    except KeyError:
        return measurement_id.replace("_", " ").capitalize()


def _css_rgb(severity: Severity | None) -> str:
    r, g, b = severity_color(severity)
    return f"rgb({r},{g},{b})"


def severity_badge(severity: Severity | None, borderline: bool = False) -> str:
    """A coloured pill: ``Mild`` (with ``≈ borderline`` when within 2σ of a band edge)."""
    text = escape(SEVERITY_LABELS[severity])
    r, g, b = text_color_on(severity_color(severity))
    style = f"background:{_css_rgb(severity)};color:rgb({r},{g},{b})"
    extra = (
        ' <span class="pm-border" title="Within two standard deviations of a band edge: '
        'the severity could change with a slightly different placement.">≈ borderline</span>'
        if borderline
        else ""
    )
    return f'<span class="pm-sev" style="{style}">{text}</span>{extra}'


TABLE_CSS = """
<style>
.pm-table{width:100%;border-collapse:collapse;font-size:0.86rem;line-height:1.3}
.pm-table th{text-align:left;font-weight:600;color:#5b6572;border-bottom:2px solid #d5d9e0;padding:4px 6px;white-space:nowrap}
.pm-table td{border-bottom:1px solid #e6e9ee;padding:4px 6px;vertical-align:top}
.pm-table td.pm-val{white-space:nowrap;font-variant-numeric:tabular-nums}
.pm-table td.pm-dir{color:#3a4250}
.pm-plane{font-size:0.72rem;color:#7a8390;font-weight:400}
.pm-sev{display:inline-block;border-radius:10px;padding:0 8px;font-size:0.78rem;font-weight:600;white-space:nowrap}
.pm-border{font-size:0.74rem;color:#8a5a00;white-space:nowrap}
.pm-legend{font-size:0.78rem;color:#5b6572;margin-top:4px}
</style>
"""


def measurement_table_html(result: Result, placed: int | None = None) -> str:
    """The measurement table: one row per measurement, ``data-mid`` on each row, severity as a coloured pill.

    ``placed`` (the number of landmarks placed) is written on the table as
    ``data-placed`` so a browser test can tell which click the table reflects.
    """
    rows = []
    for mid, m in result["measurements"].items():
        title = escape(fmt_band(m), quote=True)
        rows.append(
            f'<tr data-mid="{escape(mid)}" data-severity="{escape(str(m["severity"]))}">'
            f'<td class="pm-name">{escape(m["label"])}<div class="pm-plane">{escape(m["plane"])}</div></td>'
            f'<td class="pm-val" data-value="{m["value"]!r}" title="{title}">{escape(fmt_value(m, mid))}</td>'
            f'<td class="pm-sevcell" title="{title}">{severity_badge(m["severity"], m["borderline"])}</td>'
            f'<td class="pm-dir">{escape(m["direction"])}</td>'
            "</tr>"
        )
    if not rows:
        body = '<tr><td colspan="4">Nothing measured yet: place landmarks on the photo.</td></tr>'
    else:
        body = "".join(rows)
    return (
        TABLE_CSS
        + f'<table class="pm-table" id="pm-measurements" data-placed="{placed if placed is not None else ""}"><thead><tr>'
        '<th>Measurement <span class="pm-plane">· plane</span></th><th>Value ± 1 SD</th><th>Severity</th><th>Direction</th>'
        f"</tr></thead><tbody>{body}</tbody></table>"
        '<div class="pm-legend">Hover a value for its grading band and source. ± is one standard deviation from '
        "landmark placement error.</div>"
    )


def observations_count(observations: list[Observation], findings: int) -> str:
    """``"4 observations outside the normal bands (from 6 findings)"``: what the app counts is observations."""
    n = len(observations)
    noun = "observation" if n == 1 else "observations"
    return f"{n} {noun} outside the normal bands" + (f" (from {findings} findings)" if findings != n else "") + "."


def observation_html(i: int, o: Observation, result: Result) -> str:
    """One observation: its number, text, severity pill, region and the measurements it stands for.

    ``data-oid`` is the observation's id, ``data-mids`` its measurement ids (space-separated); the pill says
    "borderline" when every one of its measurements is.
    """
    ms = [result["measurements"][mid] for mid in o["measurements"] if mid in result["measurements"]]
    badge = severity_badge(o["severity"], bool(ms) and all(m["borderline"] for m in ms))
    labels = ", ".join(escape(m["label"]) for m in ms)
    return (
        f'{TABLE_CSS}<div class="pm-finding" data-oid="{escape(o["id"])}" data-mids="{escape(" ".join(o["measurements"]))}">'
        f"<b>{i}. {escape(o['text'])}</b> {badge} "
        f'<span style="color:#5b6572;font-size:0.85rem">· {escape(o["region"])} · {labels}</span></div>'
    )
