"""The autosave and the visit date in Debian's Chromium, against the real app.

* a reload restores the exact points (and the page asked before leaving);
* a server killed with SIGKILL mid-assessment and restarted restores them;
* an invalid visit date blocks the save with one sentence; a reopened visit's PDF shows the visit's date.

Run with ``pytest -m browser``; screenshots go to ``test-output/``.
"""

from __future__ import annotations

import io
import json
import signal
import time
from datetime import date
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from browser_support import CHROMIUM_ARGS, OUTPUT, REPO, chromium_path, image_to_screen, start_streamlit, stop_streamlit

pytestmark = pytest.mark.browser

SAMPLE = REPO / "sample_images"
TABLE = "#pm-measurements"


def _truth_points(view: str) -> dict[str, tuple[float, float]]:
    """Where each landmark and calibration click of the sample is, in original pixels."""
    raw = json.loads((SAMPLE / f"{view}.json").read_text())
    pts = {i: (v["x"], v["y"]) for i, v in raw["landmarks"].items()}
    cal = raw.get("calibration") or {}
    if cal.get("vertical"):
        upper, lower = sorted((cal["vertical"]["p1"], cal["vertical"]["p2"]), key=lambda p: p[1])
        pts["@v1"], pts["@v2"] = tuple(upper), tuple(lower)
    scale = cal.get("scale") or {}
    if "p1" in scale:
        pts["@s1"], pts["@s2"] = tuple(scale["p1"]), tuple(scale["p2"])
    return pts


def _upload(page, name: str) -> None:  # noqa: ANN001 - playwright Page
    page.locator('[data-testid="stFileUploader"] input[type="file"]').first.set_input_files(str(SAMPLE / name))
    page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
    page.locator(".pe-stage").scroll_into_view_if_needed()


def _click_prompted(page, truth: dict, n: int) -> list[str]:  # noqa: ANN001
    """Click ``n`` prompted points where the sample has them (whatever the editor asks for, in its order)."""
    clicked = []
    page.locator(".pe-stage").scroll_into_view_if_needed()
    for _ in range(n):
        active = page.locator(".pe").get_attribute("data-active")
        assert active in truth, f"the editor asks for {active!r}, which the sample does not have"
        placed_before = int(page.locator(TABLE).get_attribute("data-placed") or 0)
        x, y = image_to_screen(page, *truth[active])
        page.mouse.click(x, y)
        clicked.append(active)
        if not active.startswith("@"):
            page.wait_for_selector(f'{TABLE}[data-placed="{placed_before + 1}"]', timeout=15_000)
        else:
            page.wait_for_function(
                "a => document.querySelector('.pe')?.getAttribute('data-active') !== a", arg=active, timeout=15_000
            )
    return clicked


def _draft_id(page) -> str:  # noqa: ANN001
    (did,) = parse_qs(urlparse(page.url).query)["draft"]
    return did


def _wait_draft(data_dir: Path, did: str, landmarks: int, timeout_s: float = 5.0) -> dict:
    """The draft on disk once it holds ``landmarks`` landmarks (the autosave lands within a second of the change)."""
    path = data_dir / "drafts" / did / "draft.json"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            raw = json.loads(path.read_text())
            if raw["landmarks"] == landmarks:
                return raw
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"the draft {did} did not reach {landmarks} landmarks within {timeout_s} s")


def _points(raw_draft: dict, view: str) -> dict:
    return raw_draft["state"]["views"][view]["doc"]["landmarks"], raw_draft["state"]["views"][view]["marks"]


def _download_json(page, view: str) -> dict:  # noqa: ANN001
    page.get_by_text("6 · Save").scroll_into_view_if_needed()
    with page.expect_download() as dl:
        page.get_by_role("button", name="View document (JSON)").click()
    return json.loads(Path(dl.value.path()).read_text())


def _restore(page) -> None:  # noqa: ANN001
    page.get_by_text("An unsaved assessment").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Restore").first.click()
    page.get_by_text("An unsaved assessment").first.wait_for(state="detached", timeout=30_000)
    page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
    page.locator(".pe-stage").scroll_into_view_if_needed()


def test_reload_and_sigkill_restore_the_exact_points(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    OUTPUT.mkdir(exist_ok=True)
    data = tmp_path / "data"
    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    truth = _truth_points("anterior")
    proc, url = start_streamlit(env)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            dialogs: list[str] = []

            def on_dialog(d) -> None:  # noqa: ANN001
                dialogs.append(d.type)
                d.accept()

            page.on("dialog", on_dialog)
            page.goto(url)
            _upload(page, "anterior.jpg")
            page.wait_for_selector(f'{TABLE}[data-placed="0"]', timeout=15_000)
            # layout at 1440×900: the title is below the top bar, the photo's top is on screen without scrolling
            page.evaluate("document.querySelectorAll('*').forEach((e) => { if (e.scrollTop) e.scrollTop = 0; })")
            page.wait_for_timeout(200)
            bar = page.locator('[data-testid="stHeader"]').bounding_box()
            title = page.locator("h1").first.bounding_box()
            stage = page.locator(".pe-stage").bounding_box()
            assert bar and title and stage
            assert title["y"] >= bar["y"] + bar["height"], ("the page title hides under the top bar", title, bar)
            assert stage["y"] + 40 < 900, ("the photo's top is below the fold after upload", stage)
            did = _draft_id(page)
            clicked = _click_prompted(page, truth, 5)
            placed = sum(not c.startswith("@") for c in clicked)
            t0 = time.monotonic()
            before = _wait_draft(data, did, placed)
            assert time.monotonic() - t0 < 1.0, "autosaved within a second of the change"
            doc_before = _download_json(page, "anterior")
            assert doc_before["landmarks"] == _points(before, "anterior")[0], "the draft holds what the page shows"
            page.screenshot(path=str(OUTPUT / "drafts-1-before-reload.png"))

            # 1 · a reload: the page asks before leaving, then offers the draft back; Restore gives the exact points
            page.reload()
            assert "beforeunload" in dialogs, "the page warns before a reload loses unsaved work"
            _restore(page)
            page.wait_for_selector(f'{TABLE}[data-placed="{placed}"]', timeout=15_000)
            page.screenshot(path=str(OUTPUT / "drafts-2-restored.png"))
            doc_after = _download_json(page, "anterior")
            assert doc_after["landmarks"] == doc_before["landmarks"], "the reload restored the exact points"
            assert doc_after["calibration"] == doc_before["calibration"]

            # 2 · more work, then the server dies (SIGKILL) and is restarted on the same data folder
            did = _draft_id(page)
            more = _click_prompted(page, truth, 2)
            placed += sum(not c.startswith("@") for c in more)
            killed = _wait_draft(data, did, placed)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
            proc, url = start_streamlit(env)
            page.goto(f"{url}/?draft={did}")
            _restore(page)
            page.wait_for_selector(f'{TABLE}[data-placed="{placed}"]', timeout=15_000)
            page.screenshot(path=str(OUTPUT / "drafts-3-after-sigkill.png"))
            doc_killed = _download_json(page, "anterior")
            lms, marks = _points(killed, "anterior")
            assert doc_killed["landmarks"] == lms, "the restart restored the exact points"
            restored = json.loads((data / "drafts" / _draft_id(page) / "draft.json").read_text())
            assert _points(restored, "anterior") == (lms, marks)
            browser.close()
    finally:
        stop_streamlit(proc)
    assert not errors, f"JavaScript errors in the page: {errors}"


def test_an_invalid_date_blocks_the_save_and_a_reopened_visit_pdf_has_its_date(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    from pypdf import PdfReader

    from posture.store import Store

    chromium = chromium_path()
    OUTPUT.mkdir(exist_ok=True)
    data = tmp_path / "data"
    with Store(data) as store:
        client = store.create_client("Ana Ruiz", consent_photography=True, consent_date=date(2026, 1, 2))
    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    proc, url = start_streamlit(env)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900}, accept_downloads=True)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("dialog", lambda d: d.accept())
            page.goto(url)
            page.get_by_role("button", name="Load the sample client").first.click()
            page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
            page.get_by_role("button", name="Link to this client").click()
            date_box = page.get_by_role("textbox", name="Visit date")
            date_box.wait_for(timeout=15_000)

            # an impossible date: one sentence, and the save button is disabled
            date_box.fill("2026-02-31")
            date_box.press("Enter")
            expect(page.get_by_text("“2026-02-31” is not a date")).to_be_visible(timeout=15_000)
            save = page.get_by_role("button", name="Save to Ana Ruiz's file")
            expect(save).to_be_disabled()
            page.screenshot(path=str(OUTPUT / "drafts-4-invalid-date.png"))
            date_box = page.get_by_role("textbox", name="Visit date")
            date_box.fill("2026-03-04")
            date_box.press("Enter")
            expect(save).to_be_enabled(timeout=15_000)
            save.click()
            expect(page.get_by_text("visit of 2026-03-04, revision 1").first).to_be_visible(timeout=60_000)

            # reopen the visit from the client's page: its PDF carries the visit's date, not today's
            page.get_by_role("button", name="Client file").click()
            page.get_by_text("2026-03-04").first.wait_for(timeout=15_000)
            page.get_by_role("button", name="Open").last.click()
            page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
            page.get_by_text("6 · Save").scroll_into_view_if_needed()
            with page.expect_download(timeout=60_000) as dl:
                page.get_by_role("button", name="PDF report").click()
            assert dl.value.suggested_filename == "Ruiz_Ana_2026-03-04_posture.pdf"  # posture.naming.file_name
            pdf = PdfReader(io.BytesIO(Path(dl.value.path()).read_bytes()))
            text = "\n".join(page_.extract_text() or "" for page_ in pdf.pages)
            assert "2026-03-04" in text
            assert date.today().isoformat() not in text, "a reopened visit's report must not carry today's date"
            page.screenshot(path=str(OUTPUT / "drafts-5-reopened.png"))
            browser.close()
    finally:
        stop_streamlit(proc)
    with Store(data) as store:
        (visit,) = store.list_visits(client.id)
        assert visit.visit_date == date(2026, 3, 4)
    assert not errors, f"JavaScript errors in the page: {errors}"
