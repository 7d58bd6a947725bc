"""The app process's peak memory with the pose model loaded: ``python -m benchmarks.app_memory PHOTO.jpg``.

Run in a fresh process (``benchmarks.bench`` starts it), so that nothing the
benchmark's other timings allocated counts: it imports what the app's server
imports (Streamlit, the core, the client file), loads the pose model, decodes
the JPEG once (``benchmarks.bench`` passes its marked 12 MP photo), keeps the display copy, runs the detection and one
analysis and display render, as an upload does, and prints the process's
peak resident size (``getrusage`` ``ru_maxrss``) in MB as one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
from collections.abc import Sequence


def measure(photo: str) -> dict[str, float]:
    import numpy as np
    import streamlit  # noqa: F401, TID251  (the app's server has it loaded; a benchmark, not the core)

    from benchmarks.bench import _decode_rgb
    from posture import analysis, detect, document, images, render, store  # noqa: F401

    with open(photo, "rb") as f:
        jpeg = f.read()
    model = detect.load_pose_model()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rgb = _decode_rgb(np.frombuffer(jpeg, np.uint8))
    display, scale = images.display_copy(rgb)
    found = detect.detect(rgb, "anterior", pose_model=model)
    h, w = rgb.shape[:2]
    doc = detect.with_detection(
        document.ViewDocument(view="anterior", image_width=float(w), image_height=float(h)), found, accept=True
    )
    render.render_annotated(display, doc, analysis.analyze(doc), display_scale=scale)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 if sys.platform == "darwin" else 1)
    return {"app_rss_mb": round(rss / 1024, 1), "app_rss_before_photo_mb": round(before / 1024, 1)}


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.app_memory", description=__doc__.splitlines()[0])
    p.add_argument("photo", help="a JPEG photo (the benchmark's marked 12 MP photo)")
    args = p.parse_args(argv)
    sys.stdout.write(json.dumps(measure(args.photo)) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
