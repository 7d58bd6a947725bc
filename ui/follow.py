"""The outcome follows the editing: after each run of the editing part, the findings, plan, preview and save
step rerun by themselves once the live results are on screen (issue 11, click latency).

The assessment page is two fragments. A click in the landmark editor reruns only the first (the editor and the
live results), so the click's answer does not wait for the rest of the page. Each run of that part bumps
:attr:`ui.state.Session.edits` and hands the count to the editor; the second fragment draws this tiny
follower with the count it was drawn at. When the editor has a newer count than the follower (the editing
part ran alone), the follower asks for its own fragment's rerun. In a full run both parts draw the same count,
so nothing is asked twice.
"""

from __future__ import annotations

import streamlit as st

#: How long the follower waits after the editor's news before asking: in a full run the second part's own
#: drawing arrives within this and settles it.
FOLLOW_DELAY_MS = 60

_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const w = window;
  const f = (w.__postureFollow = w.__postureFollow || {});
  f.shown = data.edits;
  f.ask = setStateValue;
  f.check = () => {
    clearTimeout(f.timer);
    f.timer = setTimeout(() => {
      if (f.wanted != null && f.wanted > f.shown && f.wanted !== f.asked) {
        f.asked = f.wanted;
        f.ask("edits", f.wanted);
      }
    }, FOLLOW_DELAY_MS);
  };
  f.check();
  const el = parentElement.querySelector(".pf-follow");
  if (el) el.dataset.edits = String(data.edits);
  return undefined;
}
""".replace("FOLLOW_DELAY_MS", str(FOLLOW_DELAY_MS))

_component = st.components.v2.component(
    "posture_outcome_follower",
    html='<span class="pf-follow" hidden></span>',
    css=".pf-follow{display:none}",
    js=_JS,
)


def follower(edits: int) -> None:
    """Draw the follower at the top of the outcome part: ``edits`` is the editing part's count it shows."""
    _component(
        data={"edits": int(edits)}, key="outcome_follower", default={"edits": None}, on_edits_change=_noop, height="content"
    )


def _noop() -> None:
    """The follower's change callback: its change only has to rerun its fragment."""
