"""Issue 12, item 3: rendering is bounded by the photo's height, whatever its shape.

A 254-byte 60000×1 PNG used to cost 2.4 GB per full-resolution render (text sized from the long
side). The photo rules now refuse such shapes, but the renderer is bounded by itself: each case
renders in a fresh subprocess and reports its peak resident memory (``ru_maxrss``), and the Python
side (numpy arrays, label patches) is measured with tracemalloc in the same run.
The peak is the process's own VmHWM (``ru_maxrss`` where /proc is missing: see ``PEAK_KB``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from helpers_core import REPO
from test_cli_inputs import PEAK_KB

from posture.render.primitives import MAX_UNIT_PX, Style

_RENDER = (
    PEAK_KB
    + r"""
import json, sys, tracemalloc
import numpy as np
from posture import analyze, render
from posture.document import ViewDocument

w, h = int(sys.argv[1]), int(sys.argv[2])
grid = sys.argv[3] == "grid"
image = np.full((h, w, 3), 128, np.uint8)
baseline_kb = peak_kb()
# a document with landmarks along the photo (every label, the legend and the caption are drawn)
doc = ViewDocument(view="anterior", image_width=float(w), image_height=float(h))
ids = ["glabella", "acromion_r", "acromion_l", "asis_r", "asis_l", "patella_r", "patella_l",
       "medial_malleolus_r", "medial_malleolus_l"]
for i, lm in enumerate(ids):
    doc = doc.with_landmark(lm, ((0.3 + 0.4 * (i % 2)) * (w - 1), (i + 1) / (len(ids) + 1) * (h - 1)))
tracemalloc.start()
out = render.render_annotated(image, doc, analyze(doc), grid=grid, caption="Anterior · 2026-12-02 · A long client name")
traced_peak = tracemalloc.get_traced_memory()[1]
assert out.shape == image.shape
print(json.dumps({"maxrss_mb": peak_kb() / 1024,
                  "baseline_mb": baseline_kb / 1024, "traced_peak_mb": traced_peak / 2**20}))
"""
)


def _render_peak(width: int, height: int, grid: bool = False) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(
        [sys.executable, "-c", _RENDER, str(width), str(height), "grid" if grid else "plain"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("width", "height", "limit_mb"),
    [
        (60000, 1, 300),  # the torture case: 254 bytes as a PNG, 2.4 GB before
        (1, 60000, 300),  # its transpose
        (60000, 10, 300),
        (10, 60000, 300),
        (300, 1800, 300),  # the thinnest accepted portrait photo
        (1800, 300, 300),  # ... and landscape
    ],
)
def test_extreme_shapes_render_within_a_bounded_memory(width: int, height: int, limit_mb: int) -> None:
    peak = _render_peak(width, height)
    # tracemalloc: what the render allocated besides the photo and its output copy
    photo_mb = width * height * 3 / 2**20
    assert peak["traced_peak_mb"] - 2 * photo_mb < 60, peak
    assert peak["maxrss_mb"] < limit_mb, peak


def test_the_renderer_alone_on_a_full_60_mp_tall_photo_stays_bounded() -> None:
    """60 MP at 1:6 (3162×18972), with the grid (an extra copy): the photo is 172 MB; the annotation adds little.

    The app and the command line never hand the renderer more than the 12.5 MP working copy (decision 152;
    ``tests/test_photo_budget.py`` holds the whole path to 500 MB): this bounds the renderer by itself."""
    peak = _render_peak(3162, 18972, grid=True)
    assert peak["maxrss_mb"] < 600, peak  # the photo, its output and the grid layer (3 × 172 MB) with the interpreter
    assert peak["traced_peak_mb"] - 2 * 3162 * 18972 * 3 / 2**20 < 100, peak  # the output and the grid layer


def test_the_style_is_bounded_for_any_size() -> None:
    ordinary = Style.for_size(3000, 4000)
    assert ordinary.u == 4.0  # portrait photos: the height, as the long side was
    assert Style.for_size(4000, 3000).u == 3.0  # landscape: the height
    for w, h in [(60000, 1), (1, 60000), (10**6, 10**6), (1, 1)]:
        s = Style.for_size(w, h)
        assert s.u <= MAX_UNIT_PX / 1000 and s.u <= 6 * w / 1000
        assert s.font <= round(13.0 * MAX_UNIT_PX / 1000) and s.line <= round(1.8 * MAX_UNIT_PX / 1000)
    assert Style.for_size(1, 60000).font == 9  # the minimum: a strip one pixel wide gets the smallest text
