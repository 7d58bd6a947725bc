"""Benchmark of the client file at practice scale: ``python -m benchmarks.store`` (``make bench-store``).

``python -m benchmarks.store [--clients N] [--visits N] [--repeat N] [--keep DIR] [--json]``, from the
repository root. It builds (seeded) a store of ``--clients`` clients (default 10,000) and
``--visits`` visits (default 50,000) in a temporary folder (its path is printed on
stderr first, with the build's progress, and the folder is removed at the end,
also on Ctrl+C or an error; ``--keep DIR`` builds in a new folder and keeps it), with realistic
rows: names from many languages (accents, ``Ł``, apostrophes, Hebrew,
Arabic, CJK), dates of birth, contact details, precautions; every visit has a
revision holding a real view document and its analysis result (about 14 kB of
JSON), one visit in ten a second revision. Photo files are left out (the
queries timed here never touch them). Then it times, median of ``--repeat``
runs after one warm-up:

* ``open``: opening the store (schema check and the clean-up scan), once;
* ``list_first_page``: :meth:`Store.list_clients` (50 names, visit counts, last visit);
* ``count``: :meth:`Store.count_clients`;
* ``search "<q>"``: :meth:`Store.list_clients` with a name fragment, accents
  folded (``zolc`` finds "Żółć"), including one that matches nothing;
* ``timeline``: :meth:`Store.list_visits` of the client with the most visits;
* ``open_visit``: :meth:`Store.get_visit` of that client's latest visit.

Each is printed in ms with a baseline measured in the same run: the same
query in raw ``sqlite3`` (no SQLAlchemy, no records), and the ratio. The goal
is every answer under 200 ms (``all_under_200_ms``).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from posture import document
from posture.analysis import analyze
from posture.store import Precautions, Store, canonical_json, fold_name
from posture.store.schema import clients, revisions, views, visits
from tests.support.synthetic import synthetic_document

GOAL_MS = 200.0

_FIRST = (
    "Anna", "Łucja", "Zoë", "José", "Mohammed", "Siobhán", "Björn", "Chloé", "Ngozi", "Hiroshi", "Ewa", "Jürgen",
    "Agnieszka", "Seán", "Ingrid", "Ольга", "Παναγιώτης", "Yael", "محمد", "Nguyễn Thị", "Dóra", "Renée", "Kai", "Mei",
)  # fmt: skip
_LAST = (
    "Żółć", "Kowalska", "Müller", "O'Brien", "García", "Dvořák", "Şahin", "Kovačević", "Søndergaard", "Smith",
    "Nowak", "Łukasik", "Ó Súilleabháin", "Brontë", "Lefèvre", "Иванова", "Παπαδόπουλος", "כהן", "الحسيني", "Trần",
    "山田", "Kim", "Jones", "van der Berg", "d'Almeida", "Wójcik", "Horvát", "Ærø",
)  # fmt: skip
SEARCHES = ("zolc", "MULLER", "o'br", "anna k", "כה", "الحسي", "xyzzy")


def _median_ms(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up (caches, the page cache)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def _say(message: str) -> None:
    """A progress line on stderr (stdout carries only the figures)."""
    print(message, file=sys.stderr, flush=True)


def build(
    store: Store, n_clients: int, n_visits: int, seed: int = 0, *, progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Fill an empty store with synthetic rows (in bulk, one transaction); return what was built.

    ``progress`` (when given) gets a line when the clients are written and then
    about every tenth of the visits.
    """
    say = progress or (lambda _message: None)
    rng = random.Random(seed)
    docs_by_view = {}
    for view in ("anterior", "posterior", "right_lateral", "left_lateral"):
        doc = synthetic_document(view, image_file=f"{view}.jpg")
        docs_by_view[view] = (document.dumps(doc), canonical_json(analyze(doc)))
    now = "2026-01-01T00:00:00.000000+00:00"
    client_rows = []
    for i in range(n_clients):
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}" + (f" {i}" if rng.random() < 0.5 else "")
        checked = [
            k for k in ("pregnancy", "acute_injury_or_inflammation", "uncontrolled_high_blood_pressure") if rng.random() < 0.05
        ]
        client_rows.append({
            "id": f"{rng.getrandbits(128):032x}", "name": name, "name_fold": fold_name(name),
            "date_of_birth": (date(1940, 1, 1) + timedelta(days=rng.randrange(25_000))).isoformat(),
            "sex": rng.choice(("female", "male", "", "other")), "contact": f"+44 7700 {rng.randrange(10**6):06d}",
            "notes": "Desk worker; runs twice a week." if rng.random() < 0.3 else "",
            "precautions": canonical_json(Precautions(frozenset(checked)).to_dict()),
            "consent_photography": 1, "consent_date": "2025-01-01", "created_at": now, "updated_at": now,
        })  # fmt: skip
    # A skewed share of visits per client (a few regulars, many one-off clients), and one client with the most.
    weights = [min(rng.paretovariate(2.0), 20.0) for _ in range(n_clients)]
    owners = rng.choices(range(n_clients), weights=weights, k=n_visits) if n_clients else []
    with store._write() as conn:  # noqa: SLF001 - the bench fills its own fresh store in bulk
        conn.execute(clients.insert(), client_rows)
        say(f"  {n_clients:,} clients written; writing {n_visits:,} visits...")
        batch_v: list[dict[str, Any]] = []
        batch_r: list[dict[str, Any]] = []
        batch_w: list[dict[str, Any]] = []
        written, shown_tenths = 0, 0

        def flush() -> None:
            nonlocal batch_v, batch_r, batch_w, written, shown_tenths
            conn.execute(visits.insert(), batch_v)
            conn.execute(revisions.insert(), batch_r)
            conn.execute(views.insert(), batch_w)
            written += len(batch_v)
            batch_v, batch_r, batch_w = [], [], []
            tenths = written * 10 // n_visits
            if tenths > shown_tenths:
                shown_tenths = tenths
                say(f"  {written:,} / {n_visits:,} visits ({100 * written // n_visits} %)")

        for owner in owners:
            vid = f"{rng.getrandbits(128):032x}"
            day = (date(2019, 1, 1) + timedelta(days=rng.randrange(2500))).isoformat()
            n_rev = 2 if rng.random() < 0.1 else 1
            batch_v.append({
                "id": vid, "client_id": client_rows[owner]["id"], "visit_date": day, "revision_count": n_rev,
                "created_at": now, "updated_at": now,
            })  # fmt: skip
            for number in range(1, n_rev + 1):
                rid = f"{rng.getrandbits(128):032x}"
                batch_r.append({"id": rid, "visit_id": vid, "number": number, "visit_date": day, "notes": "", "saved_at": now})
                view = rng.choice(tuple(docs_by_view))
                batch_w.append(
                    {"revision_id": rid, "view": view, "document": docs_by_view[view][0], "result": docs_by_view[view][1]}
                )
            if len(batch_v) >= 2000:
                flush()
        if batch_v:
            flush()
        conn.exec_driver_sql("ANALYZE")
    # The client with the most visits (the first of them in creation order on a tie).
    counts = Counter(owners)
    heavy = max(range(n_clients), key=counts.__getitem__) if n_clients and owners else None
    return {
        "heavy_client": client_rows[heavy]["id"] if heavy is not None else None,
        "heavy_visits": counts[heavy] if heavy is not None else 0,
    }


_RAW_PAGE = """
SELECT p.id, p.name, p.precautions,
       (SELECT count(*) FROM visits WHERE visits.client_id = p.id),
       (SELECT max(visit_date) FROM visits WHERE visits.client_id = p.id)
FROM (SELECT id, name, name_fold, precautions FROM clients {where} ORDER BY name_fold, id LIMIT 50) AS p
ORDER BY p.name_fold, p.id
"""
_RAW_TIMELINE = """
SELECT v.id, v.visit_date, v.revision_count, v.updated_at, r.id, r.notes, group_concat(w.view)
FROM visits v LEFT JOIN revisions r ON r.visit_id = v.id AND r.number = v.revision_count
LEFT JOIN views w ON w.revision_id = r.id
WHERE v.client_id = ? GROUP BY v.id ORDER BY v.visit_date DESC, v.created_at DESC
"""


def _fetch_all(conn: sqlite3.Connection, sql: str, params: tuple[str, ...] = ()) -> list[Any]:
    return conn.execute(sql, params).fetchall()


@contextlib.contextmanager
def _store_folder(keep: Path | None) -> Iterator[Path]:
    """The data folder to build in: ``keep`` (kept), else a new temporary folder, removed on the way out."""
    if keep is not None:
        _say(f"The benchmark store goes in {keep} (kept afterwards).")
        yield Path(keep)
        return
    tmp = Path(tempfile.mkdtemp(prefix="posture-bench-store-"))
    _say(f"The benchmark store goes in the temporary folder {tmp} (removed at the end).")
    try:
        yield tmp / "data"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        _say(f"Removed the temporary folder {tmp}.")


def run(
    n_clients: int = 10_000, n_visits: int = 50_000, repeat: int = 15, *, root: Path | None = None, seed: int = 0
) -> dict[str, Any]:
    """Build the store under ``root`` (a temporary folder when None) and time it; return the figures.

    It says on stderr where it builds, how the build goes, and (for the
    temporary folder) that it removed it, which it does also on Ctrl+C or an error.
    """
    with _store_folder(root) as folder:
        _say(f"Building {n_clients:,} clients and {n_visits:,} visits...")
        t = time.perf_counter()
        with Store(folder) as new_store:
            built = build(new_store, n_clients, n_visits, seed, progress=_say)
        build_s = time.perf_counter() - t
        _say(f"  built in {build_s:.1f} s; timing the queries (median of {repeat} runs)...")
        t = time.perf_counter()
        store = Store(folder)
        open_ms = (time.perf_counter() - t) * 1000
        raw = sqlite3.connect(str(folder / "posture.db"))
        rows: list[dict[str, Any]] = []

        def timed(name: str, fn: Callable[[], object], baseline: Callable[[], object] | None, answer: Any = None) -> None:
            ms = _median_ms(fn, repeat)
            base = _median_ms(baseline, repeat) if baseline else None
            rows.append({"query": name, "ms": round(ms, 3), "baseline_raw_sqlite_ms": None if base is None else round(base, 3),
                         "ratio": None if not base else round(ms / base, 2), "answer": answer})  # fmt: skip

        try:
            page = store.list_clients()
            timed(
                "list_first_page",
                store.list_clients,
                lambda: raw.execute(_RAW_PAGE.format(where="")).fetchall(),
                f"{len(page)} clients",
            )
            timed(
                "count",
                store.count_clients,
                lambda: raw.execute("SELECT count(*) FROM clients").fetchone(),
                store.count_clients(),
            )
            for q in SEARCHES:
                like = f"%{fold_name(q).replace(' ', '%')}%"  # the raw baseline: one LIKE (the store ANDs one per word)
                found = store.list_clients(q)
                timed(
                    f'search "{q}"', functools.partial(store.list_clients, q),
                    functools.partial(_fetch_all, raw, _RAW_PAGE.format(where="WHERE name_fold LIKE ?"), (like,)),
                    f"{store.count_clients(q)} match(es), e.g. {found[0].name!r}" if found else "no match",
                )  # fmt: skip
            heavy = built["heavy_client"]
            if heavy:
                timeline = store.list_visits(heavy)
                timed(
                    "timeline",
                    lambda: store.list_visits(heavy),
                    lambda: raw.execute(_RAW_TIMELINE, (heavy,)).fetchall(),
                    f"{len(timeline)} visits",
                )
                latest = timeline[0].id
                timed(
                    "open_visit", lambda: store.get_visit(latest),
                    lambda: raw.execute("SELECT document, result FROM views JOIN revisions r ON r.id = views.revision_id "
                                        "JOIN visits v ON v.id = r.visit_id AND r.number = v.revision_count WHERE v.id = ?", (latest,)).fetchall(),
                    "1 visit",
                )  # fmt: skip
        finally:
            raw.close()
            store.close()
        db_mb = sum(p.stat().st_size for p in folder.glob("posture.db*")) / 1e6
    return {
        "clients": n_clients,
        "visits": n_visits,
        "repeat": repeat,
        "build_s": round(build_s, 1),
        "database_mb": round(db_mb, 1),
        "open_ms": round(open_ms, 1),
        "queries": rows,
        "goal_ms": GOAL_MS,
        "all_under_200_ms": all(r["ms"] < GOAL_MS for r in rows) and open_ms < 10 * GOAL_MS,
    }


def format_text(r: dict[str, Any]) -> str:
    lines = [
        f"Client file benchmark: {r['clients']} clients, {r['visits']} visits "
        f"(database {r['database_mb']} MB, built in {r['build_s']} s); median of {r['repeat']} runs",
        f"{'open the store':28} {r['open_ms']:9.1f} ms   (once: schema check and clean-up scan)",
        f"{'query':28} {'ms':>9}   {'raw sqlite3 ms':>14}  {'ratio':>6}  answer",
    ]
    for q in r["queries"]:
        base = "" if q["baseline_raw_sqlite_ms"] is None else f"{q['baseline_raw_sqlite_ms']:14.2f}"
        ratio = "" if q["ratio"] is None else f"{q['ratio']:6.2f}"
        lines.append(f"{q['query']:28} {q['ms']:9.2f}   {base:>14}  {ratio:>6}  {q['answer']}")
    lines.append(f"All answers under {r['goal_ms']:.0f} ms: {'yes' if r['all_under_200_ms'] else 'NO'}")
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.store [--clients N] [--visits N] [--repeat N] [--keep DIR] [--json]``.

    0; 2 on a bad argument (one line on stderr); 130 on Ctrl+C (the temporary folder removed).
    """
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.store", description="Time the client list, search and timeline on a large synthetic store."
    )
    p.add_argument("--clients", type=int, default=10_000, help="clients to create (default 10000)")
    p.add_argument("--visits", type=int, default=50_000, help="visits to create (default 50000)")
    p.add_argument("--repeat", type=int, default=15, help="repetitions per timing; the median is reported (default 15)")
    p.add_argument("--keep", help="build the store in this (new) folder and keep it (default: a temporary folder)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    if args.clients < 1 or args.visits < 0 or args.repeat < 1:
        print("error: --clients and --repeat must be at least 1, --visits at least 0.", file=sys.stderr)
        return 2
    root = None
    if args.keep:
        root = Path(args.keep)
        if root.exists() and any(root.iterdir()):
            print(f"error: --keep: {root} is not empty; give a new folder.", file=sys.stderr)
            return 2
    try:
        r = run(args.clients, args.visits, args.repeat, root=root)
    except KeyboardInterrupt:
        _say("Interrupted.")
        return 130
    sys.stdout.write(json.dumps(r, indent=2, ensure_ascii=False) + "\n" if args.json else format_text(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
