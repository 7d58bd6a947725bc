"""The benchmark's plumbing (not its timings): ``python -m posture bench --json`` on a small photo."""

from __future__ import annotations

import json

import pytest
from helpers_core import run_cli


def test_bench_json_has_the_ratios_and_the_parts():
    out = run_cli("bench", "--json", "--long-side", "800", "--repeat", "1")
    assert out.returncode == 0, out.stderr
    r = json.loads(out.stdout)
    for key in ("decode_ms", "encode_full_ms", "per_click_ms", "save_ms", "peak_memory_mb", "max_rss_mb"):
        assert r[key] > 0, key
    assert set(r["per_click_parts_ms"]) == {"analyze_ms", "render_display_ms", "encode_display_ms"}
    assert set(r["save_parts_ms"]) == {"render_full_ms", "report_pdf_ms"}
    # the ratios come from the unrounded times
    assert r["per_click_vs_decode"] == pytest.approx(r["per_click_ms"] / r["decode_ms"], rel=0.01)
    assert r["save_vs_decode_encode"] == pytest.approx(r["save_ms"] / (r["decode_ms"] + r["encode_full_ms"]), rel=0.01)
    assert r["save_sizes_kb"]["report_pdf"] > 10 and r["image"]["height"] == 800
