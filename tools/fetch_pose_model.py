"""Fetch the pose model's two files at set-up (never at run time): ``python tools/fetch_pose_model.py``.

Runs with the venv's python after the app's packages are installed (``tools/ensure-venv.sh``
calls it for ``make run`` and ``make test``). It downloads the registry's ``mediapipe==0.10.21``
wheel for one fixed platform with pip (the ``.tflite`` files inside are platform-independent, so
this works from any machine), takes out exactly the two files ``posture.detect.pose.MODEL_FILES``
names, checks their sha256, writes them atomically into ``posture.detect.pose.model_dir()`` and
deletes the wheel. Nothing happens when both files are already there with the right hashes.

Options: ``--wheel PATH`` uses a wheel already on disk instead of downloading; ``--dir PATH``
writes somewhere else; ``--marker PATH`` writes the installed files' paths there, one a line,
after success (the set-up's marker). Exit 0 on success, 1 with one sentence otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from posture.detect.pose import MODEL_FILES, MODEL_WHEEL, model_dir, model_problem  # noqa: E402

PIP_PLATFORM = ["--platform", "manylinux_2_28_x86_64", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]


def say(text: str) -> None:
    print(f"pose model: {text}", file=sys.stderr, flush=True)


def download(into: Path) -> Path:
    """The wheel, downloaded by pip into ``into`` (pip shows its own progress)."""
    say(f"downloading {MODEL_WHEEL} from the package registry (~36 MB, only two files of it are kept)...")
    cmd = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*cmd, *PIP_PLATFORM, MODEL_WHEEL, "-d", str(into)], check=True)
    wheels = sorted(into.glob("mediapipe-*.whl"))
    if not wheels:
        raise RuntimeError(f"pip downloaded no mediapipe wheel into {into}")
    return wheels[0]


def extract(wheel: Path, folder: Path) -> None:
    """Unzip the two members, check their sha256, write each atomically (a temporary file, then a rename)."""
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as zf:
        for name, (member, expected) in MODEL_FILES.items():
            data = zf.read(member)
            got = hashlib.sha256(data).hexdigest()
            if got != expected:
                raise RuntimeError(f"{member} in {wheel.name} has sha256 {got}, expected {expected}")
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.chmod(tmp, 0o644)
                os.replace(tmp, folder / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            say(f"{name} ({len(data) / 1e6:.1f} MB, sha256 checked) -> {folder / name}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fetch the pose model's two files (BlazePose full, Apache-2.0).")
    parser.add_argument("--wheel", type=Path, help="a mediapipe 0.10.21 wheel already on disk")
    parser.add_argument("--dir", type=Path, help="where to put the files (default: the app's model folder)")
    parser.add_argument("--marker", type=Path, help="write the installed files' paths here after success")
    args = parser.parse_args(argv)
    folder: Path = args.dir or model_dir()
    try:
        if model_problem(folder) is None:
            say(f"already installed in {folder}")
        elif args.wheel is not None:
            extract(args.wheel, folder)
        else:
            with tempfile.TemporaryDirectory(prefix="posture-model-") as tmp:
                extract(download(Path(tmp)), folder)
            say("the wheel was deleted")
        problem = model_problem(folder)
        if problem is not None:
            raise RuntimeError(problem)
    except (OSError, RuntimeError, KeyError, zipfile.BadZipFile, subprocess.CalledProcessError) as exc:
        say(f"could not install the pose model: {exc}")
        return 1
    if args.marker is not None:
        args.marker.write_text("".join(f"{folder / name}\n" for name in MODEL_FILES), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
