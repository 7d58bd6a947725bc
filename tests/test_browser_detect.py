"""The editor's review flow in Debian's Chromium (issues 10 and 11): detection, "Accept all markers", one-step
calibration, steps that advance, undo that restores the prompt, a click that always places the prompted point.

Run with ``pytest -m browser``. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from browser_support import CHROMIUM_ARGS, OUTPUT, chromium_path, image_to_screen, streamlit_server
from test_browser import TABLE, _wait_placed

from posture import images, landmarks

pytestmark = pytest.mark.browser

W, H = 900, 1200


def _plain_photo(path: Path) -> Path:
    """A photo with nothing to detect (a plain, slightly noisy wall): the therapist clicks everything."""
    rng = np.random.default_rng(3)
    rgb = np.clip(rng.normal(180.0, 6.0, (H, W, 3)), 0, 255).astype(np.uint8)
    path.write_bytes(images.encode_jpeg(rgb, 90))
    return path


class _App:
    """One browser page on a fresh server, with the photo uploaded."""

    def __init__(self, p, url: str, photo: Path) -> None:  # noqa: ANN001 - playwright
        self.browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        self.page = self.browser.new_page(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
        self.errors: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(url)
        self.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(photo))
        self.page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
        self.page.locator(".pe-stage").scroll_into_view_if_needed()
        self.page.wait_for_selector(f'{TABLE}[data-placed="0"]', timeout=15_000)

    def attr(self, name: str) -> str | None:
        return self.page.locator(".pe").get_attribute(name)

    def click(self, x: float, y: float) -> None:
        self.page.mouse.click(*image_to_screen(self.page, x, y))

    def expect_attr(self, name: str, value: str) -> None:
        from playwright.sync_api import expect

        expect(self.page.locator(".pe")).to_have_attribute(name, value, timeout=10_000)

    def document(self) -> dict:
        self.page.get_by_text("6 · Save").scroll_into_view_if_needed()
        with self.page.expect_download() as dl:
            self.page.get_by_role("button", name="View document (JSON)").click()
        self.page.locator(".pe-stage").scroll_into_view_if_needed()
        return json.loads(Path(dl.value.path()).read_text())


def _env(tmp_path: Path) -> dict[str, str]:
    return {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(tmp_path / "data")}


def _close(xy: dict | list, want: tuple[float, float], tol: float = 0.6) -> bool:
    got = (xy["x"], xy["y"]) if isinstance(xy, dict) else tuple(xy)
    return abs(got[0] - want[0]) < tol and abs(got[1] - want[1]) < tol


def test_two_clicks_on_the_plumb_marks_give_vertical_and_scale_and_the_steps_advance(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    photo = _plain_photo(tmp_path / "plain.jpg")
    upper, lower = (120.5, 150.25), (131.0, 1050.75)  # the two marks, 900 px apart, the line leaning right at the top
    with streamlit_server(env=_env(tmp_path)) as url, sync_playwright() as p:
        app = _App(p, url, photo)
        # the editor opens on the first unfinished step: the plumb line's marks
        assert (app.attr("data-mode"), app.attr("data-active")) == ("vertical", "@v1")
        app.click(*upper)
        app.expect_attr("data-active", "@v2")
        app.click(*lower)
        # … then moves on to the landmarks by itself (no tab to click)
        app.expect_attr("data-mode", "landmarks")
        ids = landmarks.landmark_ids("anterior")
        app.expect_attr("data-active", ids[0])
        caption = app.page.get_by_text("camera roll corrected by")
        expect(caption).to_be_visible(timeout=10_000)
        text = caption.inner_text()
        dist = math.dist(upper, lower)
        assert f"scale {100.0 / dist * 10:.3f} mm/px" in text, text
        roll = math.degrees(math.atan2(upper[0] - lower[0], lower[1] - upper[1]))
        assert f"{roll:+.2f}°" in text, text
        doc = app.document()
        vertical = doc["calibration"]["vertical"]
        assert {_close(vertical["p1"], upper), _close(vertical["p2"], upper)} == {True, False}
        assert _close(vertical["p1"], lower) or _close(vertical["p2"], lower)
        scale = doc["calibration"]["scale"]
        assert scale["distance_cm"] == 100.0 and {_close(scale["p1"], upper), _close(scale["p2"], lower)} <= {True}
        app.page.screenshot(path=str(OUTPUT / "browser-detect-1-calibrated.png"))

        # every landmark in turn; after the last one the editor says done and the next view is offered
        for n, lm in enumerate(ids, 1):
            app.expect_attr("data-active", lm)
            app.click(300.0 + 25.0 * (n % 12), 200.0 + 40.0 * n)
            _wait_placed(app.page, n)
        app.expect_attr("data-active", "")
        expect(app.page.locator(".pe-next-name")).to_have_text("View complete ✓")
        nxt = app.page.get_by_role("button", name="Next view: Posterior (back) →")
        expect(nxt).to_be_visible(timeout=10_000)
        app.page.screenshot(path=str(OUTPUT / "browser-detect-2-view-complete.png"))
        nxt.click()
        expect(app.page.get_by_text("2 · Photo of the client's back")).to_be_visible(timeout=10_000)
        app.browser.close()
    assert not app.errors, f"JavaScript errors in the page: {app.errors}"


def test_undo_then_click_stores_the_landmark_that_was_asked_for(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    photo = _plain_photo(tmp_path / "plain.jpg")
    glabella, stray, tragus_r = (450.5, 220.5), (610.0, 700.0), (400.25, 250.75)
    with streamlit_server(env=_env(tmp_path)) as url, sync_playwright() as p:
        app = _App(p, url, photo)
        app.click(100.5, 100.5)
        app.expect_attr("data-active", "@v2")
        app.click(100.5, 1100.5)
        app.expect_attr("data-active", "glabella")
        app.click(*glabella)
        _wait_placed(app.page, 1)
        app.expect_attr("data-active", "tragus_r")
        # a stray click stores the right tragus where it is not, and the prompt moves on to the left one
        app.click(*stray)
        _wait_placed(app.page, 2)
        app.expect_attr("data-active", "tragus_l")
        # Ctrl+Z removes the point AND puts the prompt back on the right tragus
        app.page.keyboard.press("Control+z")
        _wait_placed(app.page, 1)
        app.expect_attr("data-active", "tragus_r")
        app.click(*tragus_r)
        _wait_placed(app.page, 2)
        app.expect_attr("data-active", "tragus_l")
        # a click on top of an existing point places the prompted one there (it does not select the old one)
        app.click(*glabella)
        _wait_placed(app.page, 3)
        app.expect_attr("data-active", "acromion_r")
        app.page.screenshot(path=str(OUTPUT / "browser-detect-3-undo-click.png"))
        lms = app.document()["landmarks"]
        app.browser.close()
    assert set(lms) == {"glabella", "tragus_r", "tragus_l"}
    assert _close(lms["glabella"], glabella) and _close(lms["tragus_r"], tragus_r) and _close(lms["tragus_l"], glabella)
    assert all(lm["source"] == "manual" for lm in lms.values())
    assert not app.errors, f"JavaScript errors in the page: {app.errors}"


def _cli(*args: str, cwd: Path) -> str:
    import os
    import subprocess
    import sys

    from browser_support import REPO

    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run([sys.executable, "-m", "posture", *args], cwd=cwd, capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, (REPO, args, out.stderr)
    return out.stdout


def _shown_values(page) -> dict[str, float]:  # noqa: ANN001 - playwright
    cells = page.locator(f"{TABLE} tr[data-mid] td.pm-val")
    rows = page.locator(f"{TABLE} tr[data-mid]")
    return {rows.nth(i).get_attribute("data-mid"): float(cells.nth(i).get_attribute("data-value")) for i in range(rows.count())}


def test_a_marked_photo_needs_one_accept_all_and_measures_as_the_cli(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright
    from support.marked import marked_photo

    OUTPUT.mkdir(exist_ok=True)
    shot = marked_photo("anterior", size=(1512, 2016), seed=4, roll_deg=0.8, jpeg_quality=92)
    photo = tmp_path / "marked.jpg"
    photo.write_bytes(shot.jpeg)
    # what the command line finds and measures on the same photo
    _cli("detect", str(photo), "--view", "anterior", "--accept", "--out", str(tmp_path / "d.json"), cwd=tmp_path)
    cli_doc = json.loads((tmp_path / "d.json").read_text())
    expected = json.loads(_cli("analyze", str(tmp_path / "d.json"), "--format", "json", cwd=tmp_path))
    origins = {lm.get("from") for lm in cli_doc["landmarks"].values()}
    assert "marker" in origins and len(cli_doc["landmarks"]) >= 15, "the photo's markers were found and labelled"
    with streamlit_server(env=_env(tmp_path)) as url, sync_playwright() as p:
        app = _App(p, url, photo)
        # the calibration is filled from the plumb marks: the editor is on the landmarks already
        app.expect_attr("data-mode", "landmarks")
        banner = app.page.get_by_text("suggestions waiting")
        expect(banner).to_be_visible(timeout=10_000)
        app.page.screenshot(path=str(OUTPUT / "browser-detect-4-suggestions.png"))
        assert app.page.locator(".pe-overlay .sg").count() >= 15, "suggestions drawn as hollow points"
        # Enter accepts the prompted landmark's suggestion and moves on
        first = app.attr("data-active")
        app.page.locator(".pe-stage").focus()
        app.page.keyboard.press("Enter")
        _wait_placed(app.page, 1)
        assert app.attr("data-active") not in (first, None)
        app.page.get_by_role("button", name="Accept all markers").click()
        if "pose" in origins:  # the command line's --accept takes the pose model's suggestions too
            app.page.get_by_role("button", name="Accept all", exact=True).click()
        _wait_placed(app.page, len(cli_doc["landmarks"]))
        app.page.screenshot(path=str(OUTPUT / "browser-detect-5-accepted.png"))
        shown = _shown_values(app.page)
        lms = app.document()["landmarks"]
        app.browser.close()
    assert not app.errors, f"JavaScript errors in the page: {app.errors}"
    assert {i: (lm["source"], lm.get("from")) for i, lm in lms.items()} == {
        i: (lm["source"], lm.get("from")) for i, lm in cli_doc["landmarks"].items()
    }
    want = {mid: m["value"] for mid, m in expected["measurements"].items()}
    assert set(shown) == set(want)
    for mid, value in want.items():
        assert shown[mid] == pytest.approx(value, abs=1e-9), mid


def test_suggestions_from_a_saved_document_enter_drag_and_a_click_on_a_marker(tmp_path: Path) -> None:
    """A view document with suggestions (spec §10) uploaded onto its photo: the editor's review flow, no detector."""
    from playwright.sync_api import expect, sync_playwright

    OUTPUT.mkdir(exist_ok=True)
    photo = _plain_photo(tmp_path / "plain.jpg")
    sugg = {
        "glabella": {"x": 450.5, "y": 220.5, "from": "marker", "confidence": 0.9},
        "tragus_r": {"x": 400.25, "y": 250.75, "from": "pose", "confidence": 0.5},
        "tragus_l": {"x": 500.75, "y": 252.25, "from": "marker", "confidence": 0.9},
    }
    unlabelled = (350.5, 400.25)
    doc = {
        "schema_version": 1, "view": "anterior",
        "image": {"file": "plain.jpg", "width": W, "height": H},
        "landmarks": {},
        "calibration": {"vertical": {"p1": [100.5, 100.5], "p2": [100.5, 1100.5]},
                        "scale": {"p1": [100.5, 100.5], "p2": [100.5, 1100.5], "distance_cm": 100.0}},
        "suggestions": sugg,
        "detection": {"markers": [[450.5, 220.5], [500.75, 252.25], list(unlabelled)], "plumb_marks": [], "warnings": []},
    }  # fmt: skip
    (tmp_path / "anterior.json").write_text(json.dumps(doc))
    with streamlit_server(env=_env(tmp_path)) as url, sync_playwright() as p:
        app = _App(p, url, photo)
        app.page.get_by_role("button", name="Replace…").click()
        app.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(tmp_path / "anterior.json"))
        expect(app.page.get_by_text("3 suggestions waiting: 2 from markers, 1 from the pose model")).to_be_visible(timeout=15_000)
        app.page.keyboard.press("Escape")
        app.page.locator(".pe-stage").scroll_into_view_if_needed()
        app.expect_attr("data-mode", "landmarks")  # calibrated by the document: straight to the landmarks
        app.expect_attr("data-active", "glabella")
        expect(app.page.locator(".pe-overlay .sg.marker")).to_have_count(2)
        expect(app.page.locator(".pe-overlay .sg.pose")).to_have_count(1)
        expect(app.page.locator(".pe-overlay .mk")).to_have_count(1)  # the unlabelled marker's ring
        app.page.screenshot(path=str(OUTPUT / "browser-detect-6-saved-suggestions.png"))
        # Enter accepts the glabella's suggestion; nothing else is measured
        app.page.locator(".pe-stage").focus()
        app.page.keyboard.press("Enter")
        _wait_placed(app.page, 1)
        app.expect_attr("data-active", "tragus_r")
        # drag the pose suggestion of the right tragus 12 px right: auto_edited
        sx, sy = image_to_screen(app.page, 400.25, 250.75)
        k = float(app.page.locator(".pe-svg").get_attribute("data-k"))
        app.page.mouse.move(sx, sy)
        app.page.mouse.down()
        app.page.mouse.move(sx + 6 * k, sy, steps=3)
        app.page.mouse.move(sx + 12 * k, sy, steps=3)
        app.page.mouse.up()
        _wait_placed(app.page, 2)
        app.expect_attr("data-active", "tragus_l")
        # a click near the unlabelled marker while the left tragus is asked for lands exactly on its centre
        ux, uy = image_to_screen(app.page, *unlabelled)
        app.page.mouse.click(ux + 3, uy - 2)
        _wait_placed(app.page, 3)
        lms = app.document()["landmarks"]
        app.browser.close()
    assert not app.errors, f"JavaScript errors in the page: {app.errors}"
    assert (lms["glabella"]["x"], lms["glabella"]["y"], lms["glabella"]["source"]) == (450.5, 220.5, "auto")
    assert lms["glabella"]["from"] == "marker"
    tr = lms["tragus_r"]
    assert tr["source"] == "auto_edited" and tr["from"] == "pose" and abs(tr["x"] - 412.25) < 0.6 and abs(tr["y"] - 250.75) < 0.6
    assert (lms["tragus_l"]["x"], lms["tragus_l"]["y"], lms["tragus_l"]["source"]) == (350.5, 400.25, "auto_edited")
