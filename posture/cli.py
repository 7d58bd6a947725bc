"""Command line: ``python -m posture <command> ...``.

Exit status: 0 success, 2 bad input (one line on stderr, no traceback,
nothing written), 1 unexpected internal error.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from . import document, grading
from .analysis import analyze
from .errors import PostureError
from .landmarks import VIEW_LABELS

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def _fmt_value(m: dict[str, Any]) -> str:
    unit = "°" if m["unit"] == "deg" else f" {m['unit']}"
    return f"{m['value']:+.1f}{unit} ± {m['uncertainty']:.1f}"


def format_text(result: dict[str, Any]) -> str:
    """A readable terminal summary of one result."""
    lines = [f"{VIEW_LABELS[result['view']]} view"]
    cal = [
        f"vertical from the {'plumb line' if result['vertical_source'] == 'line' else 'image'} (roll {result['vertical_roll_deg']:+.2f}°)"
    ]
    cal.append(f"scale {result['cm_per_px']:.4f} cm/px" if result["cm_per_px"] else "no scale (pixels)")
    if result.get("facing"):
        cal.append(f"client faces {result['facing']}")
    lines.append("Calibration: " + ", ".join(cal))
    for w in result["warnings"]:
        lines.append(f"Warning: {w}")
    lines.append("")
    lines.append(f"{'Measurement':34} {'Value':>18}  {'Severity':10} Direction")
    for m in result["measurements"].values():
        sev = (m["severity"] or "not graded") + ("*" if m["borderline"] else "")
        lines.append(f"{m['label'][:34]:34} {_fmt_value(m):>18}  {sev:10} {m['direction']}")
    if any(m["borderline"] for m in result["measurements"].values()):
        lines.append("* borderline: within two uncertainties of a band edge")
    if result["not_measured"]:
        lines += ["", "Not measured:"]
        lines += [f"  {mid}: {why}" for mid, why in result["not_measured"].items()]
    lines += ["", "Findings (most important first):" if result["findings"] else "Findings: none outside the normal bands."]
    for i, f in enumerate(result["findings"], 1):
        lines.append(f"  {i}. [{f['severity']}] {f['text']}")
        if f["referral"]:
            lines.append(f"     Referral: {f['referral']}")
    if result["plan"]:
        lines += ["", "Treatment-planning starter (to consider, not a diagnosis):"]
        for stage in result["plan"]:
            lines.append(f"  Stage {stage['stage']}: {stage['title']}")
            lines += [f"    - {item}" for item in stage["items"]]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = (
    "view", "measurement", "label", "plane", "value", "unit", "uncertainty",
    "severity", "borderline", "direction", "band_mild", "band_moderate", "band_marked", "band_source", "landmarks",
)  # fmt: skip


def format_csv(result: dict[str, Any]) -> str:
    """One row per measurement (measured ones, then the not-measured with their reason)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS + ("not_measured_reason",))
    for mid, m in result["measurements"].items():
        band = m["band"] or {}
        w.writerow(
            [
                result["view"], mid, m["label"], m["plane"], repr(m["value"]), m["unit"], repr(m["uncertainty"]),
                m["severity"] or "", str(m["borderline"]).lower(), m["direction"],
                band.get("mild", ""), band.get("moderate", ""), band.get("marked", ""), band.get("source", ""),
                " ".join(m["landmarks"]), "",
            ]
        )  # fmt: skip
    for mid, why in result["not_measured"].items():
        w.writerow([result["view"], mid] + [""] * (len(CSV_COLUMNS) - 2) + [why])
    return buf.getvalue()


def _cmd_analyze(args: argparse.Namespace) -> int:
    settings = grading.load_settings(args.settings)
    doc = document.load(args.document)
    result = analyze(doc, settings)
    if args.format == "json":
        out = json.dumps(result, indent=2, ensure_ascii=False) + "\n"
    elif args.format == "csv":
        out = format_csv(result)
    else:
        out = format_text(result)
    sys.stdout.write(out)
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m posture", description="Postural assessment from landmarked photos.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("analyze", help="measure one view document")
    p.add_argument("document", help="view document (JSON)")
    p.add_argument("--format", choices=("json", "text", "csv"), default="text")
    p.add_argument("--settings", help=f"grading settings file (JSON); default ${grading.SETTINGS_ENV}")
    p.set_defaults(run=_cmd_analyze)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    try:
        return int(args.run(args))
    except PostureError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last resort: one line, exit 1
        print(f"internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_INTERNAL
