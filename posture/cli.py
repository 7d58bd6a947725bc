"""Command line: ``python -m posture <command> ...``.

Commands: ``analyze``, ``render`` and ``report`` work on view documents and
photos; ``detect`` writes a view document for a photo (spec §10); ``clients``, ``export`` and ``import`` on the client file (:mod:`posture.store`, :mod:`posture.archive`), which is
imported only when one of them runs, so the others start without SQLAlchemy.
``--version`` prints ``posture <version>``; every ``--help`` shows the
defaults of its options.

Exit status: 0 success, 2 bad input (one line on stderr, no traceback,
nothing written), 1 unexpected internal error. Every file a command reads must be
a regular file (a pipe or a device is refused before it is opened); view
documents and settings files are at most 5 MB, photos at most 200 MB
(:mod:`posture.inputs`, checked before they are read).
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import io
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

from . import __version__, document
from .analysis import analyze
from .detect.base import DEFAULT_MARK_DISTANCE_CM
from .errors import PostureError, UsageError
from .formatting import format_measurement, format_number, origins_text
from .inputs import check_input_path
from .landmarks import VIEW_LABELS, VIEWS
from .result import Result
from .settings import SETTINGS_ENV, load_settings

if TYPE_CHECKING:
    from .store import Store

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def format_text(result: Result) -> str:
    """A readable terminal summary of one result."""
    lines = [f"{VIEW_LABELS[result['view']]} view"]
    cal = [
        f"vertical from the {'plumb line' if result['vertical_source'] == 'line' else 'image'} (roll {format_number(result['vertical_roll_deg'], 'deg', digits=2, sign=True)})"
    ]
    cal.append(f"scale {result['cm_per_px']:.4f} cm/px" if result["cm_per_px"] else "no scale (pixels)")
    if result.get("facing"):
        cal.append(f"client faces {result['facing']}")
    lines.append("Calibration: " + ", ".join(cal))
    if origins := origins_text(result):
        lines.append(f"Landmarks: {origins}")
    for w in result["warnings"]:
        lines.append(f"Warning: {w}")
    lines.append("")
    lines.append(f"{'Measurement':34} {'Value':>18}  {'Severity':10} Direction")
    for mid, m in result["measurements"].items():
        sev = (m["severity"] or "not graded") + ("*" if m["borderline"] else "")
        lines.append(f"{m['label'][:34]:34} {format_measurement(m, digits=1, mid=mid):>18}  {sev:10} {m['direction']}")
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
    "level", "not_measured_reason",
)  # fmt: skip


def format_csv(result: Result) -> str:
    """One row per measurement, for spreadsheets (RFC 4180 quoting, UTF-8 when written).

    Measured ones first, in the result's order: full-precision numbers
    (``value``, ``uncertainty``, the band's thresholds), ``severity`` empty when
    not graded, ``borderline`` ``true``/``false``, ``landmarks`` space-separated,
    ``level`` the spinal level of ``spine_deviation``. Then one row per measurement
    that was not measured, with only ``view``, ``measurement``, ``label`` and
    ``not_measured_reason`` filled in.
    """
    from .measurements import definition

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for mid, m in result["measurements"].items():
        band = m["band"]
        edges: tuple[object, ...] = (
            ("",) * 4 if band is None else (band["mild"], band["moderate"], band["marked"], band["source"])
        )
        w.writerow(
            [
                result["view"], mid, m["label"], m["plane"], repr(m["value"]), m["unit"], repr(m["uncertainty"]),
                m["severity"] or "", str(m["borderline"]).lower(), m["direction"], *edges,
                " ".join(m["landmarks"]), m.get("level") or "", "",
            ]
        )  # fmt: skip
    for mid, why in result["not_measured"].items():
        try:
            label = definition(result["view"], mid).label
        except KeyError:
            label = ""
        w.writerow([result["view"], mid, label] + [""] * (len(CSV_COLUMNS) - 4) + [why])
    return buf.getvalue()


def _write_stdout(text: str) -> None:
    """Print ``text`` as UTF-8 whatever the locale (a redirected stdout on Windows would otherwise be cp1252)."""
    sys.stdout.flush()
    buffer = getattr(sys.stdout, "buffer", None)
    if buffer is None:  # a text-only stream (tests capture stdout this way)
        sys.stdout.write(text)
    else:
        buffer.write(text.encode("utf-8"))
        buffer.flush()


def _cmd_analyze(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings)
    doc = document.load(args.document)
    result = analyze(doc, settings)
    if args.format == "json":
        # allow_nan=False: NaN/Infinity are not JSON; the core never emits them, and if it
        # ever did this fails as an internal error (exit 1) instead of printing invalid JSON
        out = json.dumps(result, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    elif args.format == "csv":
        out = format_csv(result)
    else:
        out = format_text(result)
    _write_stdout(out)
    return EXIT_OK


def _iso_date(text: str | None) -> str:
    """``--date`` (YYYY-MM-DD, default today) checked and normalised."""
    import datetime

    if text is None:
        return datetime.date.today().isoformat()
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise UsageError(f"--date: {text!r} is not a date in the form YYYY-MM-DD.") from None


def _cmd_render(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import images, render, report, session

    out = Path(args.out)
    if out.suffix.lower() not in (".jpg", ".jpeg", ".png") or not out.parent.is_dir():
        raise UsageError(f"--out: {out} must be a .jpg or .png file in an existing folder.")
    report.check_printable("--client", args.client)  # the caption's font is the report's
    settings = load_settings(args.settings)
    doc = document.load(args.document)
    photo = Path(args.image) if args.image else session.photo_path(doc, args.document)
    if photo is None:
        raise UsageError("The view document names no photo (image.file): give one with --image PHOTO.")
    image = images.load_image(photo)
    scale = render.display_scale_for(doc, image.shape[1], image.shape[0])
    caption = render.caption_text(doc.view, _iso_date(args.date), args.client)
    annotated = render.render_annotated(image, doc, analyze(doc, settings), display_scale=scale, grid=args.grid, caption=caption)
    images.save_image(annotated, out)  # atomic, no EXIF
    return EXIT_OK


def _cmd_report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import report

    out = Path(args.out)
    if out.suffix.lower() != ".pdf" or not out.parent.is_dir():
        raise UsageError(f"--out: {out} must be a .pdf file in an existing folder.")
    settings = load_settings(args.settings)
    date = _iso_date(args.date)
    views = report.load_session(args.session, settings, grid=args.grid, client=args.client, date=date, photos=not args.no_photos)
    pdf = report.build_report(
        views, client=args.client, date=date, notes=args.notes, precautions=args.precautions, paper=args.paper,
        settings_path=settings.path, patterns=settings.patterns, practice=settings.practice,
        precaution_table=settings.precautions,
    )  # fmt: skip
    report.write_report(out, pdf)
    return EXIT_OK


def _cmd_detect(args: argparse.Namespace) -> int:
    from pathlib import Path

    from . import detect, images
    from .errors import DetectError

    color = detect.parse_color(args.marker_color) if args.marker_color is not None else None
    if not (args.mark_distance_cm > 0 and args.mark_distance_cm < 1e4):
        raise UsageError(f"--mark-distance-cm: {args.mark_distance_cm:g} is not a distance in cm (give e.g. 100).")
    if args.facing is not None and args.view not in ("right_lateral", "left_lateral"):
        raise UsageError(f"--facing is for the lateral views, not {args.view}.")
    out = Path(args.out) if args.out else None
    if out is not None and (out.suffix.lower() != ".json" or not out.parent.is_dir()):
        raise UsageError(f"--out: {out} must be a .json file in an existing folder.")
    photo = Path(args.photo)
    # orientation applied: the detection's pixels are the upright photo's. A photo over the working size is detected
    # on the copy the app works on (images.load_image), and its document given in the photo's own pixels (spec §10)
    rgb = images.load_image(photo)
    warnings: list[str] = []
    try:
        model: detect.PoseModel | None = detect.load_pose_model()
    except DetectError as exc:
        model = None
        warnings.append(str(exc))
    found = detect.detect(
        rgb, args.view, facing=args.facing, mark_distance_cm=args.mark_distance_cm, marker_color=color, pose_model=model
    )
    if warnings:
        found = dataclasses.replace(found, warnings=found.warnings + tuple(warnings))
    h, w = rgb.shape[:2]
    doc = document.ViewDocument(
        view=args.view, image_file=photo.name, image_width=float(w), image_height=float(h), facing=found.facing or args.facing
    )
    doc = detect.with_detection(doc, found, accept=args.accept)
    full = images.upright_size(photo) or (w, h)
    if full != (w, h):
        doc = document.validated(document.in_pixels_of(doc, *full))
    text = document.dumps(doc)
    if out is None:
        _write_stdout(text)
    else:
        document.save(doc, out)
    for line in found.warnings:
        print(f"warning: {line}", file=sys.stderr)
    return EXIT_OK


def _cmd_bench(args: argparse.Namespace) -> int:
    rest = list(args.bench_args)
    return _bench(rest[1:] if rest[:1] == ["--"] else rest)


def _bench(argv: list[str]) -> int:
    """``bench``'s options are the benchmark's own (``benchmarks.bench``), passed on untouched."""
    import importlib

    try:
        bench = importlib.import_module("benchmarks.bench")
    except ModuleNotFoundError:
        raise UsageError(
            "The benchmark is part of the repository (benchmarks/): run this from the repository's root folder."
        ) from None
    try:
        return int(bench.main(argv, prog="python -m posture bench"))
    except SystemExit as exc:  # its argparse: --help (0) or a usage error (2)
        return EXIT_OK if exc.code in (0, None) else EXIT_BAD_INPUT


# --- the client file -------------------------------------------------------------------


def _store(args: argparse.Namespace) -> Store:
    from .store import Store  # local: SQLAlchemy only for the commands that need it

    return Store(args.data_dir) if args.data_dir else Store()


def _cmd_export(args: argparse.Namespace) -> int:
    from .archive import export_client

    with _store(args) as store:
        summary = export_client(store, store.resolve_client_id(args.client), args.out)
    print(
        f"Exported client {summary.client_id}: {summary.visits} visit(s), {summary.revisions} revision(s), {summary.files} file(s) to {summary.path}"
    )
    return EXIT_OK


def _cmd_import(args: argparse.Namespace) -> int:
    from .archive import import_archive

    check_input_path(args.archive, "archive", UsageError)  # a pipe or a device is refused before anything opens it
    with _store(args) as store:
        s = import_archive(store, args.archive)
    print(f"{s} (client id {s.client_id})")
    return EXIT_OK


def _cmd_clients(args: argparse.Namespace) -> int:
    with _store(args) as store:
        rows = store.list_clients(args.search or "", limit=1000)
        root = store.root
    if args.json:
        print(json.dumps([
            {"id": r.id, "name": r.name, "visits": r.visit_count,
             "last_visit": r.last_visit_date.isoformat() if r.last_visit_date else None}
            for r in rows
        ], ensure_ascii=False, indent=2))  # fmt: skip
    elif not rows:
        print(_no_clients_message(args.search, root), file=sys.stderr)
    else:
        for r in rows:
            last = r.last_visit_date.isoformat() if r.last_visit_date else "-"
            print(f"{r.id}  {r.visit_count:4d} visit(s)  last {last:10}  {r.name}")
    return EXIT_OK


def _no_clients_message(search: str | None, root: object) -> str:
    """The one line ``clients`` prints when it lists nobody (the search JSON-quoted, so it stays one line)."""
    if search and search.split():
        return f"No client in {root} matches {json.dumps(search, ensure_ascii=False)} (case and accents are ignored)."
    return f"No clients yet in {root}."


class _Parser(argparse.ArgumentParser):
    """argparse held to the exit-status contract: a usage error is one line on stderr, exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"error: {self.prog}: {message} (see --help)\n")


class _HelpFormatter(argparse.HelpFormatter):
    """Help that shows every option's default: its value (``(default: a4)``), or the help's own words for one
    that is worked out at run time (``(default: today)``). Flags (off unless given) and required options have none."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        if "(default" in text or action.required or action.default in (None, False, argparse.SUPPRESS):
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text
        return f"{text} (default: %(default)s)"


def _command(sub: Any, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose ``--help`` starts with ``summary`` and shows its options' defaults."""
    parser: argparse.ArgumentParser = sub.add_parser(name, help=summary, description=summary, formatter_class=_HelpFormatter)
    return parser


SETTINGS_HELP = f"grading settings file (JSON) (default: ${SETTINGS_ENV}, else the bands the app saved, else the shipped bands)"
DATA_DIR_HELP = "data folder (default: $POSTURE_DATA_DIR, else the per-user data folder)"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m posture", description="Postural assessment from landmarked photos.", formatter_class=_HelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"posture {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = _command(sub, "analyze", "measure one view document")
    p.add_argument("document", help="view document (JSON)")
    p.add_argument("--format", choices=("json", "text", "csv"), default="text", help="output format")
    p.add_argument("--settings", help=SETTINGS_HELP)
    p.set_defaults(run=_cmd_analyze)

    p = _command(sub, "render", "draw the analysis on the photo (JPEG/PNG, no EXIF)")
    p.add_argument("document", help="view document (JSON)")
    p.add_argument("--image", help="the photo (default: the document's image.file, relative to its folder)")
    p.add_argument("--out", required=True, help="output image, .jpg or .png")
    p.add_argument("--grid", action="store_true", help="draw a 10 cm grid aligned with the true vertical")
    p.add_argument("--client", help="client name for the caption (default: none)")
    p.add_argument("--date", help="date for the caption, YYYY-MM-DD (default: today)")
    p.add_argument("--settings", help=SETTINGS_HELP)
    p.set_defaults(run=_cmd_render)

    p = _command(sub, "report", "PDF report of a session folder (view documents and their photos)")
    p.add_argument("session", help="folder with the view documents (*.json) and photos")
    p.add_argument("--out", required=True, help="output PDF")
    p.add_argument("--client", help="client name (default: none)")
    p.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size")
    p.add_argument("--date", help="session date, YYYY-MM-DD (default: today)")
    p.add_argument("--notes", help="notes to print in the header (default: none)")
    p.add_argument("--precautions", help="precautions to print in the header (default: none)")
    p.add_argument("--grid", action="store_true", help="draw a 10 cm grid on the photos")
    p.add_argument("--no-photos", action="store_true", help="leave the photos out (measurements, findings and plan only)")
    p.add_argument("--settings", help=SETTINGS_HELP)
    p.set_defaults(run=_cmd_report)

    p = _command(sub, "detect", "suggest the calibration and the landmarks of one photo (plumb line, markers, pose)")
    p.add_argument("photo", help="the photo (JPEG, PNG, WebP, TIFF or HEIC)")
    p.add_argument("--view", required=True, choices=VIEWS, help="which view the photo is")
    p.add_argument(
        "--facing",
        choices=("left", "right"),
        help="lateral views: where the client faces (default: from the markers, else the view's)",
    )
    p.add_argument(
        "--mark-distance-cm", type=float, default=DEFAULT_MARK_DISTANCE_CM, help="distance of the plumb line's two marks"
    )
    p.add_argument("--marker-color", help='the markers\' colour as "#RRGGBB" (default: found in the photo)')
    p.add_argument("--accept", action="store_true", help="write every suggestion as a landmark (source auto), ready to analyse")
    p.add_argument("--out", help="the view document to write (default: standard output)")
    p.set_defaults(run=_cmd_detect)

    p = _command(sub, "bench", "benchmark the click, save and detection paths (from the repository root; --help for its options)")
    p.add_argument("bench_args", nargs=argparse.REMAINDER, help="the benchmark's own options: --json, --long-side N, --repeat N")
    p.set_defaults(run=_cmd_bench)

    _add_client_file_commands(sub)
    return parser


def _add_client_file_commands(sub: Any) -> None:
    """``export``, ``import`` and ``clients`` (the store and the archive are imported only when they run)."""
    p = _command(sub, "export", "export one client's file (every visit) to a ZIP")
    p.add_argument("--client", required=True, help="client id (or its first 6+ hex digits; see the clients command)")
    p.add_argument("--out", required=True, help="the ZIP to write")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(run=_cmd_export)

    p = _command(sub, "import", "import a client file exported as a ZIP (importing twice adds it once)")
    p.add_argument("archive", help="the ZIP to read")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(run=_cmd_import)

    p = _command(sub, "clients", "list clients (id, visits, last visit, name)")
    p.add_argument("search", nargs="?", help="part of the name, case and accents ignored (default: every client)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--data-dir", help=DATA_DIR_HELP)
    p.set_defaults(run=_cmd_clients)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if argv[:1] == ["bench"]:  # argparse cannot hand options on to a subcommand's own parser
        argv = ["bench", "--", *argv[1:]]
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse already printed its one-line usage error
        return EXIT_BAD_INPUT if exc.code not in (0, None) else EXIT_OK
    try:
        return int(args.run(args))
    except PostureError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - last resort: one line, exit 1
        print(f"internal error: {type(exc).__name__}: {_one_line(exc)}", file=sys.stderr)
        return EXIT_INTERNAL


def _one_line(exc: BaseException) -> str:
    """The exception's message on one line (the contract is one line on stderr)."""
    return " ".join(str(exc).split())
