"""The client file under crashes and concurrency: saves killed with SIGKILL, two processes saving at once.

Writers are forked from the test process (already warm, so each round costs
milliseconds, not an interpreter start); each opens its own ``Store``.

Nothing here depends on how fast the machine is: the killing test waits on
the saving process's own reports (a byte on a pipe as each save starts and
ends) and times its kills in units of a save as measured on this machine, so
a machine three (or thirty) times slower kills at the same points of a save.
The only clock limit, :data:`HANG_S`, catches a process that has stopped
reporting altogether (a hang), which no slow machine comes near.
"""

from __future__ import annotations

import os
import random
import select
import signal
import statistics
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from test_store import new_client, visit_draft

from posture.store import Store

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")  # POSIX only, as the store's locking

VIEWS = {"anterior", "posterior"}
ROUNDS = 12
#: A saving process silent for this long has hung (one save takes well under a second here).
HANG_S = 600.0
#: Kills land at a random point between the start of a save and this many times a typical save (measured here).
KILL_SPAN = 1.0


def _fork(target, *args) -> int:
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            target(*args)
            code = 0
        finally:
            os._exit(code)
    return pid


def _save_forever(root: Path, client_id: str, seed: int, progress_fd: int) -> None:
    """Add visits and revise them (with a freshly drawn annotated image) until killed; report each save on a pipe."""
    rng = np.random.default_rng(seed)
    store = Store(root, collect_garbage=False)
    draft = visit_draft(("anterior", "posterior"))
    os.write(progress_fd, b"r")
    last = None
    for i in range(10_000):
        os.write(progress_fd, b"s")
        if last is not None and i % 3 == 2:
            d = last.to_draft()
            ann = rng.integers(0, 255, (160, 120, 3), dtype=np.uint8)
            d = d.with_view(replace(d.view("posterior"), annotated=ann))
            last = store.revise_visit(last.id, replace(d, notes=f"revision {i}"))
        else:
            last = store.add_visit(client_id, draft)
        os.write(progress_fd, b"d")


def _check_whole(store: Store) -> int:
    """Every revision of every visit is complete; return how many revisions there are."""
    assert store.verify(deep=True) == []
    total = 0
    for client in store.list_clients():
        for summary in store.list_visits(client.id):
            for rev in store.list_revisions(summary.id):
                visit = store.get_visit(summary.id, rev.number)
                assert set(visit.views) == VIEWS and visit.problems == ()
                assert all(r.photo and r.annotated and r.result for r in visit.views.values())
                assert visit.report is not None
                total += 1
    return total


def _next_report(fd: int) -> tuple[bytes, float]:
    """The saving process's next report (b"" when it has died) and when it came; fail only when it has hung."""
    ready, _, _ = select.select([fd], [], [], HANG_S)
    assert ready, f"the saving process reported nothing for {HANG_S:.0f} s"
    return os.read(fd, 1), time.monotonic()


def _time_saves(root: Path, n: int = 3) -> list[float]:
    """Seconds each of ``n`` saves of the loop's drafts takes on this machine (in a store of its own)."""
    out = []
    with Store(root) as store:
        cid = new_client(store)
        draft = visit_draft(("anterior", "posterior"))
        for _ in range(n):
            start = time.monotonic()
            store.add_visit(cid, draft)
            out.append(time.monotonic() - start)
    return out


def test_saves_killed_at_random_points_leave_whole_visits_only(tmp_path):
    root = tmp_path / "data"
    with Store(root) as store:
        cid = new_client(store)
    rng = random.Random(20260105)
    save_times = _time_saves(tmp_path / "calibration")  # the median of these and of the loop's saves sets the kill span
    started = completed = 0
    mid_save_kills = 0
    for round_ in range(ROUNDS):
        r, w = os.pipe()
        pid = _fork(_save_forever, root, cid, round_, w)
        os.close(w)
        assert _next_report(r)[0] == b"r"
        # let 0–5 saves finish (timing them; every third is a revision), then kill at a random point of the next one
        log, save_started = b"", 0.0
        for _ in range(rng.randint(0, 5)):
            for expected in (b"s", b"d"):
                report, at = _next_report(r)
                assert report == expected, (round_, log, report)
                log += report
                if report == b"s":
                    save_started = at
            save_times.append(at - save_started)
        report, _ = _next_report(r)
        assert report == b"s", (round_, log, report)
        log += report
        time.sleep(rng.uniform(0.0, KILL_SPAN) * statistics.median(save_times))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        while chunk := os.read(r, 65536):
            log += chunk
        os.close(r)
        started += log.count(b"s")
        completed += log.count(b"d")
        mid_save_kills += log.endswith(b"s")
        with Store(root) as store:  # opens, cleans up the interrupted save
            held = _check_whole(store)
        # every save that returned is there, and nothing that never started
        assert completed <= held <= started, (round_, completed, held, started)
    assert completed >= ROUNDS // 2  # the loop really saved
    assert mid_save_kills >= ROUNDS // 2  # and most kills landed inside a save


def _add_and_revise(root: Path, client_id: str, shared_visit: str, go_fd: int, n: int) -> None:
    store = Store(root, collect_garbage=False)
    draft = visit_draft(("anterior", "posterior"))
    os.read(go_fd, 1)  # start together
    for i in range(n):
        store.add_visit(client_id, draft)
        if i % 3 == 0:
            v = store.get_visit(shared_visit)
            store.revise_visit(shared_visit, replace(v.to_draft(), notes=f"{os.getpid()} {i}"))


def test_two_processes_saving_at_once_lose_nothing(tmp_path):
    root = tmp_path / "data"
    with Store(root) as store:
        cid = new_client(store)
        shared = store.add_visit(cid, visit_draft(("anterior", "posterior"))).id
    r, w = os.pipe()
    n = 9
    pids = [_fork(_add_and_revise, root, cid, shared, r, n) for _ in range(2)]
    os.write(w, b"gg")
    codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in pids]
    os.close(r)
    os.close(w)
    assert codes == [0, 0]
    with Store(root) as store:
        assert len(store.list_visits(cid)) == 1 + 2 * n
        revs = store.list_revisions(shared)
        assert [x.number for x in revs] == list(range(1, 2 + 2 * len(range(0, n, 3))))
        assert len({x.notes for x in revs[1:]}) == len(revs) - 1  # each process's revisions all kept
        _check_whole(store)


def test_threads_sharing_one_store(tmp_path):
    with Store(tmp_path / "data") as store:
        cid = new_client(store)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(4):
                    store.add_visit(cid, visit_draft(("anterior",), report=False))
                    store.list_clients("jane")
            except BaseException as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == [] and len(store.list_visits(cid)) == 12 and store.verify(deep=True) == []
