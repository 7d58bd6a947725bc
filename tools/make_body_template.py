#!/usr/bin/env python3
"""Write ``posture/data/body_template.json``: the average body the marker labelling fits to the markers.

Run from the repository root: ``python tools/make_body_template.py``.

The template is the sample client's 3-D body model (``sample_images/generate.py``,
``client_landmarks``: cm, X toward the client's left, Y up from the floor,
Z forward) with every built-in postural finding set to neutral (level
shoulders and pelvis, no head tilt or shift, a CVA of 50°, a pelvic tilt of
10°, straight knees, neutral heels), 170 cm tall. Each view keeps the two
coordinates its camera sees, as ``[u, y]`` in cm:

* frontal views: ``u`` = X (toward the client's **left**), ``y`` = Y;
* lateral views: ``u`` = Z (toward the client's **front**), ``y`` = Y, for the
  side facing the camera (the right side in ``right_lateral``).

:mod:`posture.detect.labelling` turns ``u`` into image x with the view's
convention. The file is data: rebuild it only when the body model changes.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from posture.landmarks import LATERAL_VIEWS, VIEWS, landmark_ids, mirror_id  # noqa: E402


def _generate_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("sample_generate", ROOT / "sample_images" / "generate.py")
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["sample_generate"] = mod
    spec.loader.exec_module(mod)
    return mod


def main() -> None:
    gen = _generate_module()
    neutral = gen.Client(
        shoulder_drop_r_cm=0.0,
        pelvis_drop_r_cm=0.0,
        head_tilt_r_deg=0.0,
        head_shift_l_cm=0.0,
        cva_deg=50.0,
        pelvic_tilt_deg=10.0,
        knee_z_cm=0.0,
        hindfoot_valgus_r_deg=0.0,
        hindfoot_valgus_l_deg=0.0,
    )
    body = gen.client_landmarks(neutral)
    out: dict[str, object] = {
        "about": "Average body for labelling adhesive markers (tools/make_body_template.py): [u, y] cm; "
        "frontal u = toward the client's left, lateral u = toward the client's front; y up from the floor.",
        "stature_cm": gen.STATURE_CM,
    }
    for view in VIEWS:
        pts: dict[str, list[float]] = {}
        for lid in landmark_ids(view):
            if view in LATERAL_VIEWS:
                side = "r" if view == "right_lateral" else "l"
                base = gen.LATERAL_SOURCE.get(lid, lid)
                p = body[base if base == "c7" else f"{base}_{side}"]
                pts[lid] = [round(float(p[2]), 2), round(float(p[1]), 2)]
            else:
                p = body[lid]
                pts[lid] = [round(float(p[0]), 2), round(float(p[1]), 2)]
        if view not in LATERAL_VIEWS:  # the average body is symmetric: mean of each pair, midline points on u = 0
            for lid, (u, y) in list(pts.items()):
                other = mirror_id(lid)
                if other == lid:
                    pts[lid] = [0.0, y]
                elif lid.endswith("_r"):
                    ou, oy = pts[other]
                    half, mid = round((abs(u) + abs(ou)) / 2, 2), round((y + oy) / 2, 2)
                    pts[lid], pts[other] = [-half, mid], [half, mid]
        out[view] = pts
    path = ROOT / "posture" / "data" / "body_template.json"
    lines = ["{"]
    items = list(out.items())
    for n, (key, value) in enumerate(items):
        comma = "," if n < len(items) - 1 else ""
        if isinstance(value, dict):
            inner = ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in value.items())
            lines.append(f"  {json.dumps(key)}: {{{inner}}}{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
