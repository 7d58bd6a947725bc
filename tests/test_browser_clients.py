"""The client file in the real app, in Debian's Chromium: create a client, save an assessment into their file,
reopen it, save a second visit and compare the two. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_support import CHROMIUM_ARGS, OUTPUT, chromium_path, image_to_screen, open_app, streamlit_server

from posture.store import Store

pytestmark = pytest.mark.browser

NAME = "Łucja Żółć"


def _nav(page, title: str) -> None:  # noqa: ANN001
    page.get_by_role("link", name=title).first.click()
    page.wait_for_selector("[data-testid='stMainBlockContainer']", timeout=15_000)


def _wait_idle(page) -> None:  # noqa: ANN001
    """Until Streamlit has finished the current run (the status widget disappears)."""
    page.wait_for_timeout(150)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=30_000)


def _banner(page, revision: int):  # noqa: ANN001, ANN202
    """The assessment's client banner once the visit is saved at ``revision``."""
    return page.get_by_text(re.compile(rf"Client: {NAME} · visit of \d{{4}}-\d\d-\d\d, revision {revision}$"))


def test_client_visit_reopen_compare(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium_path()  # fails with a clear message when Chromium is missing
    OUTPUT.mkdir(exist_ok=True)
    data = tmp_path / "data"
    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    with streamlit_server(env=env) as url, sync_playwright() as p:
        browser, page, errors = open_app(p, url, {"width": 1440, "height": 1100})

        # create the client, with a precaution and consent
        _nav(page, "Client files")
        page.get_by_role("button", name="New client").click()
        page.get_by_label("Name *").fill(NAME)
        page.get_by_text("Pregnancy", exact=True).click()
        page.get_by_text("Consents to being photographed").click()
        page.get_by_role("button", name="Create client").click()
        expect(page.get_by_role("heading", name=NAME)).to_be_visible(timeout=15_000)
        expect(page.get_by_text("Precautions: Pregnancy")).to_be_visible()
        page.screenshot(path=str(OUTPUT / "clients-1-new-client.png"))

        # a new assessment for her: the sample client's four views, saved into her file
        page.get_by_role("button", name="New assessment").click()
        expect(page.get_by_text(f"Client: {NAME}")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Load the sample client").first.click()
        page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
        _wait_idle(page)
        save = page.get_by_role("button", name=f"Save to {NAME}'s file")
        save.scroll_into_view_if_needed()
        save.click()
        expect(_banner(page, 1)).to_be_visible(timeout=60_000)
        _wait_idle(page)
        with Store(data) as store:
            (client,) = store.list_clients()
            (visit,) = store.list_visits(client.id)
            assert len(visit.views) == 4
            first_tilt = store.get_visit(visit.id).views["anterior"].result["measurements"]["shoulder_tilt"]["value"]

        # reopen it from her page, drag the left acromion 40 px down, save: a second revision
        _nav(page, "Client files")
        expect(page.get_by_role("heading", name="Visits")).to_be_visible(timeout=15_000)
        _wait_idle(page)
        page.screenshot(path=str(OUTPUT / "clients-2-client-page.png"))
        page.get_by_role("button", name="Open", exact=True).first.click()
        page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
        _wait_idle(page)
        expect(_banner(page, 1)).to_be_visible()
        page.locator(".pe-stage").scroll_into_view_if_needed()
        with Store(data) as store:
            acromion = store.get_visit(visit.id).views["anterior"].document.landmarks["acromion_l"]
        x, y = image_to_screen(page, acromion.x, acromion.y)
        k = float(page.locator(".pe-svg").get_attribute("data-k"))
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x, y + 20 * k, steps=4)
        page.mouse.move(x, y + 40 * k, steps=4)
        page.mouse.up()
        _wait_idle(page)
        page.get_by_role("button", name="Save changes as a new revision").click()
        expect(_banner(page, 2)).to_be_visible(timeout=60_000)
        _wait_idle(page)
        with Store(data) as store:
            revised = store.get_visit(visit.id)
            assert revised.revision == 2
            assert revised.views["anterior"].result["measurements"]["shoulder_tilt"]["value"] < first_tilt - 1
            assert (
                store.get_visit(visit.id, revision=1).views["anterior"].result["measurements"]["shoulder_tilt"]["value"]
                == first_tilt
            )

        # a second visit → compare the two
        _nav(page, "Client files")
        page.get_by_role("button", name="New assessment").click()
        expect(page.get_by_text("new visit, not saved yet")).to_be_visible(timeout=15_000)
        page.get_by_role("button", name="Load the sample client").first.click()
        page.wait_for_selector(".pe[data-ready='1']", timeout=30_000)
        _wait_idle(page)
        page.get_by_role("button", name=f"Save to {NAME}'s file").click()
        expect(_banner(page, 1)).to_be_visible(timeout=60_000)
        _wait_idle(page)

        _nav(page, "Compare visits")
        table = page.locator("table.pm-compare[data-view='anterior']")
        expect(table).to_be_visible(timeout=30_000)
        assert table.locator("tr[data-mid='shoulder_tilt']").get_attribute("data-verdict") == "improved"
        assert table.locator("tr[data-mid='head_tilt']").get_attribute("data-verdict") == "unchanged"
        page.wait_for_selector("[data-testid='stVegaLiteChart'], .vega-embed", timeout=30_000)
        page.screenshot(path=str(OUTPUT / "clients-3-compare.png"), full_page=True)
        browser.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def _open_record_form(page, url: str, name: str) -> None:  # noqa: ANN001
    page.goto(url)
    page.wait_for_selector("text=Load the sample client", timeout=30_000)
    _nav(page, "Client files")
    page.get_by_role("button", name="Open", exact=True).first.click()
    page.get_by_role("heading", name=name).wait_for(timeout=15_000)
    page.get_by_text("Edit the record").click()
    _wait_idle(page)


def _form_open(page) -> None:  # noqa: ANN001
    """Open the record form again when a rerun changed the page above it (its expander then starts closed)."""
    body = page.locator("[data-testid='stExpander']").filter(has=page.get_by_text("Edit the record", exact=True)).first
    body = body.locator("[data-testid='stExpanderDetails']")
    if body.get_attribute("inert") is not None:  # closed (Streamlit makes a closed expander's content inert)
        page.get_by_text("Edit the record", exact=True).click()
        page.wait_for_function("(d) => !d.hasAttribute('inert')", arg=body.element_handle(), timeout=15_000)
        _wait_idle(page)


def _save_record(page) -> None:  # noqa: ANN001
    page.get_by_role("button", name="Save client").click()
    _wait_idle(page)


def test_two_windows_cannot_undo_each_others_record_changes(tmp_path: Path) -> None:
    """Issue 12: window B's older form neither brings a withdrawn consent back nor drops A's precaution."""
    from datetime import date

    from playwright.sync_api import expect, sync_playwright

    chromium = chromium_path()
    OUTPUT.mkdir(exist_ok=True)
    data = tmp_path / "data"
    with Store(data) as store:
        cid = store.create_client("Two Windows", notes="original", consent_photography=True, consent_date=date(2026, 1, 2)).id
    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    with streamlit_server(env=env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        a = browser.new_context(viewport={"width": 1300, "height": 1400}).new_page()
        b = browser.new_context(viewport={"width": 1300, "height": 1400}).new_page()
        _open_record_form(a, url, "Two Windows")
        _open_record_form(b, url, "Two Windows")

        # A withdraws consent; B, opened before, changes only the notes: refused, consent stays withdrawn
        a.get_by_text("Consents to being photographed").click()
        _save_record(a)
        expect(a.get_by_text("Record saved.")).to_be_visible(timeout=15_000)
        _form_open(b)
        b.get_by_label("Notes", exact=True).fill("B's notes")
        _save_record(b)
        refusal = b.get_by_text(re.compile(r"^This record was changed in another window at \d\d:\d\d: reload it\.$"))
        expect(refusal).to_be_visible(timeout=15_000)
        b.screenshot(path=str(OUTPUT / "clients-4-stale-record-refused.png"))
        with Store(data) as store:
            c = store.get_client(cid)
            assert (c.consent_photography, c.notes, c.revision) == (False, "original", 2)

        # B reloads, ticks Pregnancy and saves; A's form is now the older one: its notes edit is refused
        b.get_by_role("button", name="Reload the record").click()
        expect(b.get_by_role("button", name="Reload the record")).to_have_count(0, timeout=15_000)
        _wait_idle(b)
        _form_open(b)
        b.get_by_text("Pregnancy", exact=True).click()
        _save_record(b)
        expect(b.get_by_text("Record saved.")).to_be_visible(timeout=15_000)
        _form_open(a)
        a.get_by_label("Notes", exact=True).fill("A's notes")
        _save_record(a)
        expect(a.get_by_text(re.compile(r"^This record was changed in another window at "))).to_be_visible(timeout=15_000)
        with Store(data) as store:
            c = store.get_client(cid)
            assert c.precautions.checked == {"pregnancy"} and c.consent_photography is False
            assert (c.notes, c.revision) == ("original", 3)
        browser.close()


def test_live_search_by_phone_and_the_duplicate_name_warning(tmp_path: Path) -> None:
    """The list follows the typing (no Enter, no leaving the field), a phone number matches whatever its spacing, and
    a new client named like an existing one is created only once the therapist has seen the existing one's birth date."""
    from datetime import date

    from playwright.sync_api import expect, sync_playwright

    data = tmp_path / "data"
    with Store(data) as store:
        store.create_client("Maria Keller", date_of_birth=date(1980, 3, 14), contact="079 123 45 67\nmaria@example.org")
        store.create_client("Tom Berg", contact="tom.berg@example.net")
    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    OUTPUT.mkdir(exist_ok=True)
    with streamlit_server(env=env) as url, sync_playwright() as p:
        browser, page, errors = open_app(p, url, {"width": 1280, "height": 900})
        _nav(page, "Client files")
        keller, berg = page.get_by_text("Maria Keller", exact=True), page.get_by_text("Tom Berg", exact=True)
        expect(keller).to_be_visible(timeout=15_000)
        expect(berg).to_be_visible()

        box = page.get_by_label("Find a client")
        box.press_sequentially("0791234567", delay=30)  # typed, never Enter, focus stays in the field
        expect(berg).to_be_hidden(timeout=10_000)
        expect(keller).to_be_visible()
        assert box.evaluate("el => el === document.activeElement"), "still typing in the search box"
        box.fill("")
        box.press_sequentially("tom.berg@", delay=30)
        expect(keller).to_be_hidden(timeout=10_000)
        expect(berg).to_be_visible()
        page.screenshot(path=str(OUTPUT / "clients-live-search.png"))
        box.fill("")
        box.press("Enter")
        _wait_idle(page)

        page.get_by_role("button", name="New client").click()
        page.get_by_label("Name *").fill("  maria KELLER")
        page.get_by_role("button", name="Create client").click()
        warning = page.get_by_text(
            re.compile(r"already holds a client named like .*Maria Keller \(born 1980-03-14 · \d+ years\)")
        )
        expect(warning).to_be_visible(timeout=15_000)
        warning.scroll_into_view_if_needed()
        page.screenshot(path=str(OUTPUT / "clients-duplicate-warning.png"))
        with Store(data) as store:
            assert store.count_clients() == 2, "nothing created before the therapist decides"
        page.get_by_role("button", name="Create a new client anyway").click()
        expect(page.get_by_role("heading", name="maria KELLER")).to_be_visible(timeout=15_000)
        with Store(data) as store:
            assert store.count_clients() == 3
        assert not errors, errors
        browser.close()
