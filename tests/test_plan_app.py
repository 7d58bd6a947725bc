"""The treatment-planning starter in the app (AppTest, headless, a real store in a temporary data folder): the
linked client's precautions mark every plan item they touch, and the lines beside the plan name the rest."""

from __future__ import annotations

import os
import re
from datetime import date
from html import unescape

import pytest
from helpers_core import REPO
from streamlit.testing.v1 import AppTest

from posture import precautions
from posture.store import Precautions, Store
from ui.state import SESSION_KEY

APP = str(REPO / "app.py")
VIEWS = ("anterior", "posterior", "right_lateral", "left_lateral")
#: The calf muscles, written out here (the oracle does not read the table's areas).
CALF_WORDS = ("gastrocnemius", "soleus", "tibialis posterior", "popliteus")


def _ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.value for e in at.exception]
    return at


def _plan_html(at: AppTest) -> str:
    (html,) = [h.proto.body for h in at.get("html") if 'class="pm-plan"' in h.proto.body]
    return html


def _items(html: str) -> list[tuple[str, list[str]]]:
    """Each plan item's text and the cautions under it, read back from the page."""
    out = []
    for li in re.findall(r'<li class="pm-item"[^>]*>(.*?)</li>', html, re.S):
        text = unescape(li.split("<div", 1)[0])
        out.append((text, [unescape(c) for c in re.findall(r'<div class="pm-caution">⚠ (.*?)</div>', li)]))
    return out


@pytest.fixture
def client_id():
    """A client recorded with a clotting disorder and another precaution, in the store the app opens."""
    with Store(os.environ["POSTURE_DATA_DIR"]) as store:
        client = store.create_client(
            "Clara Kettel",
            precautions=Precautions(frozenset({"blood_clots_or_clotting_disorders"}), "Recent whiplash"),
            consent_photography=True,
            consent_date=date.today(),
        )
    return client.id


def test_a_client_with_a_clotting_disorder_sees_the_caution_on_every_calf_item(client_id):
    at = _ok(AppTest.from_file(APP, default_timeout=60).run())
    at.switch_page("pages/clients.py").run()
    at.session_state[SESSION_KEY].open_client = client_id
    at.run()
    at.button(key="new_visit").click().run()
    _ok(at.switch_page("pages/assessment.py").run())
    at.button(key="sample_main").click().run()
    _ok(at)
    assert at.session_state["assessment"].link.precaution_keys == ("blood_clots_or_clotting_disorders", "other")
    calf_items = 0
    for view in VIEWS:
        at.session_state[SESSION_KEY].pending_view = view
        _ok(at.run())
        html = _plan_html(at)
        items = _items(html)
        assert items, view
        for text, cautions in items:
            if any(w in text for w in CALF_WORDS):
                calf_items += 1
                assert any(c.startswith("Clotting disorder: ") and "calf" in c for c in cautions), (view, text)
        general = [unescape(g) for g in re.findall(r'<div data-general="1">⚠ (.*?)</div>', html)]
        assert any(g.startswith("Other precaution: Recent whiplash") for g in general), view
        assert general[-1] == precautions.PHYSICIAN_PROMPT
        assert "Cautions after: " in html and "Werner" in html, "the sources under the plan"
        (expander,) = [e for e in at.expander if e.label.startswith("Treatment-planning starter")]
        assert "cautions" in expander.label
    assert calf_items >= 6, "the sample's views name the calf in several items"


def test_an_unlinked_assessment_shows_the_plan_without_cautions():
    at = _ok(AppTest.from_file(APP, default_timeout=60).run())
    at.button(key="sample_main").click().run()
    _ok(at)
    html = _plan_html(at)
    assert _items(html) and all(cautions == [] for _, cautions in _items(html))
    assert "data-general" not in html and "Cautions after" not in html
    (expander,) = [e for e in at.expander if e.label.startswith("Treatment-planning starter")]
    assert expander.label == "Treatment-planning starter (NMT sequence)"
