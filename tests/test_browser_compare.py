"""Compare visits in the real app, in Debian's Chromium (issue 14): both severities beside each value, "within
measurement noise", a revision picker, the photos aligned side by side with an overlay toggle, the view chosen
driving the table and the trend chart. Two visits are saved into a real store first. Screenshots go to ``test-output/``.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from browser_support import OUTPUT, chromium_path, open_app, streamlit_server
from test_store import sample_doc, sample_photo

from posture.analysis import analyze
from posture.compare import compare_visits, most_changed
from posture.formatting import SEVERITY_LABELS
from posture.store import Store, ViewDraft, VisitDraft

pytestmark = pytest.mark.browser


def _wait_idle(page) -> None:  # noqa: ANN001
    page.wait_for_timeout(150)
    page.wait_for_selector("[data-testid='stStatusWidget']", state="detached", timeout=30_000)


def _draft(doc, view: str) -> ViewDraft:  # noqa: ANN001
    return ViewDraft(doc, analyze(doc), sample_photo(view), sample_photo(view))


def _visits(data: Path) -> tuple[str, str]:
    """One client, two visits: the first saved twice (right shoulder 40 px low, then level), the second the sample
    with the head drawn back 15 px in the side view. Returns the two visit ids."""
    front, side = sample_doc("anterior"), sample_doc("right_lateral")
    r, left = front.landmarks["acromion_r"], front.landmarks["acromion_l"]
    low = front.with_landmark("acromion_r", (r.x, left.y + 40))
    t = side.landmarks["tragus"]
    back = side.with_landmark("tragus", (t.x - 15, t.y))  # facing right: x − 15 is toward the back
    with Store(data) as store:
        cid = store.create_client("Mara Compare", consent_photography=True, consent_date=date(2026, 1, 5)).id
        first = store.add_visit(cid, VisitDraft(date(2026, 1, 5), views=[_draft(low, "anterior"), _draft(side, "right_lateral")]))
        store.revise_visit(
            first.id, VisitDraft(date(2026, 1, 5), views=[_draft(front, "anterior"), _draft(side, "right_lateral")])
        )
        second = store.add_visit(
            cid, VisitDraft(date(2026, 3, 2), views=[_draft(front, "anterior"), _draft(back, "right_lateral")])
        )
    return first.id, second.id


def test_compare_page_severities_noise_revisions_aligned_photos_and_trend(tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    chromium_path()  # fails with a clear message when Chromium is missing
    OUTPUT.mkdir(exist_ok=True)
    data = tmp_path / "data"
    first_id, second_id = _visits(data)
    with Store(data) as store:
        rev1 = compare_visits(store.get_visit(first_id, revision=1), store.get_visit(second_id))
        rev2 = compare_visits(store.get_visit(first_id), store.get_visit(second_id))
    tilt1 = next(c for c in rev1.views["anterior"].changes if c.measurement == "shoulder_tilt")
    tilt2 = next(c for c in rev2.views["anterior"].changes if c.measurement == "shoulder_tilt")
    cva = next(c for c in rev2.views["right_lateral"].changes if c.measurement == "cva")
    side_best = most_changed(rev2.views["right_lateral"].changes)
    assert (tilt1.verdict, tilt2.verdict, cva.verdict) == ("improved", "unchanged", "unchanged")  # the set-up itself

    env = {"POSTURE_SETTINGS": str(tmp_path / "settings.json"), "POSTURE_DATA_DIR": str(data)}
    with streamlit_server(env=env) as url, sync_playwright() as p:
        browser, page, errors = open_app(p, url, {"width": 1440, "height": 1200})
        page.get_by_role("link", name="Compare visits").first.click()
        table = page.locator("table.pm-compare[data-view='anterior']")
        expect(table).to_be_visible(timeout=45_000)
        _wait_idle(page)

        # the latest revisions: the shoulder within noise, with both severities beside the values
        row = table.locator("tr[data-mid='shoulder_tilt']")
        assert row.get_attribute("data-verdict") == "unchanged"
        expect(row).to_contain_text("Within measurement noise")
        pills = row.locator(".pm-sev")
        assert pills.nth(0).inner_text() == SEVERITY_LABELS[tilt2.before_severity]
        assert pills.nth(1).inner_text() == SEVERITY_LABELS[tilt2.after_severity]
        assert "Unchanged" not in table.inner_text()

        # the photos side by side at one scale, aligned at the plumb line; the overlay toggle blends them
        captions = page.get_by_text(re.compile(r"aligned at the plumb line$"))
        expect(captions).to_have_count(2, timeout=15_000)
        images = page.locator("[data-testid='stImage'] img")
        expect(images).to_have_count(2)
        sizes = [images.nth(i).evaluate("i => [i.naturalWidth, i.naturalHeight]") for i in range(2)]
        assert sizes[0] == sizes[1] and sizes[0][0] > 100, sizes  # one canvas for both
        page.screenshot(path=str(OUTPUT / "compare-1-side-by-side.png"), full_page=True)
        page.get_by_text("Overlay the two photos").click()
        _wait_idle(page)
        expect(page.get_by_text(re.compile(r"blended: same scale"))).to_be_visible(timeout=15_000)
        expect(images).to_have_count(1)
        page.screenshot(path=str(OUTPUT / "compare-2-overlay.png"), full_page=True)

        # a revision picker per visit: the earlier visit's first revision (shoulder 40 px low) → improved
        pickers = page.locator("[data-testid='stSelectbox']").filter(has_text="Revision")
        expect(pickers).to_have_count(2)
        expect(pickers.nth(0).get_by_role("combobox")).to_have_value(re.compile(r"^revision 2 of 2 .*\(latest\)$"))
        expect(pickers.nth(1).get_by_role("combobox")).to_be_disabled()  # the later visit has one revision
        pickers.nth(0).click()
        page.get_by_role("option", name=re.compile(r"^revision 1 of 2")).click()
        _wait_idle(page)
        expect(table.locator("tr[data-mid='shoulder_tilt']")).to_have_attribute("data-verdict", "improved", timeout=15_000)
        row = table.locator("tr[data-mid='shoulder_tilt']")
        assert row.get_attribute("data-before-severity") == tilt1.before_severity
        assert row.locator(".pm-sev").nth(0).inner_text() == SEVERITY_LABELS[tilt1.before_severity]

        # the view chosen drives the table and the trend chart, which opens on the measurement that changed most
        page.get_by_text("Right lateral (right side)", exact=True).click()
        side = page.locator("table.pm-compare[data-view='right_lateral']")
        expect(side).to_be_visible(timeout=15_000)
        _wait_idle(page)
        cva_row = side.locator("tr[data-mid='cva']")
        assert cva_row.get_attribute("data-verdict") == "unchanged"
        expect(cva_row).to_contain_text("Within measurement noise")
        assert (cva_row.get_attribute("data-before-severity"), cva_row.get_attribute("data-after-severity")) == (
            cva.before_severity,
            cva.after_severity,
        )
        trend = page.locator("[data-testid='stSelectbox']").filter(has_text="Measurement")
        expect(trend.get_by_role("combobox")).to_have_value(re.compile(re.escape(side_best.label)))
        page.wait_for_selector("[data-testid='stVegaLiteChart'], .vega-embed", timeout=30_000)
        page.locator("[data-testid='stVegaLiteChart'], .vega-embed").first.scroll_into_view_if_needed()
        page.wait_for_timeout(300)
        page.screenshot(path=str(OUTPUT / "compare-3-side-view-trend.png"), full_page=True)
        browser.close()
    assert not errors, f"JavaScript errors in the page: {errors}"
