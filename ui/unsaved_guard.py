"""The ``beforeunload`` guard: the browser asks before leaving or reloading the page while work is unsaved.

A tiny in-page component (components v2, no iframe, no visible content). The
server tells it on every run whether the assessment is saved in the client
file (``unsaved``). Between runs the page itself notes any edit (a click or a
key in the landmark editor, a changed input) as pending until the next run has
autosaved it. While either holds, leaving the page triggers the browser's own
"Leave site? Changes you made may not be saved." question.
"""

from __future__ import annotations

import streamlit as st

_JS = """
export default function (component) {
  const { data } = component;
  const w = window;
  if (!w.__postureGuard) {
    const g = (w.__postureGuard = { unsaved: false, pending: false, run: -1 });
    const edit = (e) => {
      const t = e.target;
      if (!(t instanceof Element)) return;
      if (e.type === "pointerup" || e.type === "keydown") {
        if (t.closest(".pe-stage") || t.closest(".pe-btn")) g.pending = true;
      } else if (t.matches("input, textarea, select")) {
        g.pending = true;
      }
    };
    for (const type of ["pointerup", "keydown", "input", "change"]) document.addEventListener(type, edit, true);
    w.addEventListener("beforeunload", (e) => {
      if (!(g.unsaved || g.pending)) return undefined;
      e.preventDefault();
      e.returnValue = "";
      return "";
    });
  }
  const g = w.__postureGuard;
  if (data && data.run > g.run) { // the newest run of any part of the page (each part has its guard)
    g.run = data.run;
    g.unsaved = !!data.unsaved;
    g.pending = false; // this run has autosaved everything sent before it
  }
  const el = component.parentElement.querySelector(".pg-guard");
  if (el) el.dataset.unsaved = g.unsaved ? "1" : "0";
  return undefined;
}
"""

_component = st.components.v2.component(
    "posture_unsaved_guard",
    html='<span class="pg-guard" data-unsaved="0" hidden></span>',
    css=".pg-guard{display:none}",
    js=_JS,
)


def unsaved_guard(unsaved: bool, run: int, key: str = "unsaved_guard") -> None:
    """Draw the guard: ``unsaved`` is whether leaving now would lose work; ``run`` must change on every run."""
    _component(data={"unsaved": bool(unsaved), "run": int(run)}, key=key, height="content")
