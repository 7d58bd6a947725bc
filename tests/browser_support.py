"""Helpers for the real-browser tests: start the app on a free port, drive Debian's Chromium.

Playwright cannot download its own browser here, so the tests launch the
system ``chromium``; when it is missing they fail with a message saying how
to install it (``tools/ensure-browser.sh``), never skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUTPUT = REPO / "test-output"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium, or an AssertionError that says how to get it."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, (
        "Chromium is not installed, so the browser tests cannot run. Install it with "
        "`bash tools/ensure-browser.sh` (Debian: `apt-get install -y chromium`)."
    )
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_streamlit(
    env: dict[str, str] | None = None, timeout_s: float = 30.0, port: int | None = None
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``streamlit run app.py`` on ``port`` (a free one by default); return the process and its URL once healthy.

    The caller stops it (:func:`streamlit_server` does; a crash test kills it with SIGKILL).
    """
    port = port or free_port()
    log = (OUTPUT / f"streamlit-{port}.log").open("ab") if OUTPUT.is_dir() else subprocess.DEVNULL
    cmd = [
        sys.executable, "-m", "streamlit", "run", "app.py",
        "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT)
    if hasattr(log, "close"):
        log.close()  # the child has its own copy
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            assert proc.poll() is None, f"streamlit exited early with status {proc.returncode}"
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        return proc, url
            except OSError:
                pass
            assert time.monotonic() < deadline, "streamlit did not become healthy in time"
            time.sleep(0.1)
    except BaseException:
        stop_streamlit(proc)
        raise


def stop_streamlit(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def streamlit_server(env: dict[str, str] | None = None, timeout_s: float = 30.0) -> Iterator[str]:
    """Run ``streamlit run app.py`` on a free local port; yield its URL; stop it afterwards."""
    proc, url = start_streamlit(env, timeout_s)
    try:
        yield url
    finally:
        stop_streamlit(proc)


def image_to_screen(page, x: float, y: float) -> tuple[float, float]:  # noqa: ANN001 - playwright Page
    """Page coordinates of original-image pixel ``(x, y)`` in the landmark editor (its current zoom/pan)."""
    svg = page.locator(".pe-svg")
    box = svg.bounding_box()
    assert box is not None, "the landmark editor is not visible"
    k = float(svg.get_attribute("data-k"))
    tx = float(svg.get_attribute("data-tx"))
    ty = float(svg.get_attribute("data-ty"))
    return box["x"] + tx + x * k, box["y"] + ty + y * k


def screen_to_image(page, sx: float, sy: float) -> tuple[float, float]:  # noqa: ANN001
    svg = page.locator(".pe-svg")
    box = svg.bounding_box()
    assert box is not None
    k = float(svg.get_attribute("data-k"))
    tx = float(svg.get_attribute("data-tx"))
    ty = float(svg.get_attribute("data-ty"))
    return (sx - box["x"] - tx) / k, (sy - box["y"] - ty) / k


def open_app(p, url: str, viewport: dict[str, int], **context: object) -> tuple[object, object, list[str]]:  # noqa: ANN001
    """Debian's Chromium on the app's start page, ready (``p``: Playwright): ``(browser, page, errors)``, where
    ``errors`` collects the page's JavaScript errors for the test to assert empty at its end."""
    browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
    page = browser.new_page(viewport=viewport, **context)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector("text=Load the sample client", timeout=30_000)
    return browser, page, errors
