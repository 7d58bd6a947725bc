#!/usr/bin/env bash
# Make sure .venv is a complete Python 3.11 venv with the packages a target needs; say what it does.
#
#   tools/ensure-venv.sh app   # requirements.txt (what `make run` needs)
#   tools/ensure-venv.sh dev   # requirements.txt + requirements-dev.txt (what `make test` needs)
#
# Environment (the Makefile passes its own): PYTHON (the interpreter that builds the venv, default python3),
# VENV (default .venv).
#
# The venv is rebuilt from scratch when it was made by another Python than 3.11, when its python no longer
# runs, or when an earlier set-up did not finish (no .installed marker: the markers are written only after
# pip succeeded). A requirements file newer than its marker is installed again into the existing venv.
set -euo pipefail

want=${1:?usage: tools/ensure-venv.sh app|dev}
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}
REQUIRED=3.11
# Measured on a fresh clone (2 cores, pip 23.2, empty pip cache): the runtime install ~40 s, ~135 MB of wheels,
# 740 MB on disk; the test tools add ~20 s, ~90 MB of wheels and ~360 MB on disk (mypy, Playwright's driver).
APP_SIZE="about 40 seconds on a fast connection, a few minutes on a slow one; ~135 MB download, ~740 MB on disk"
MODEL_SIZE="two files, 9.4 MB on disk, taken from the 36 MB mediapipe 0.10.21 wheel, which is then deleted"
DEV_SIZE="about 20 seconds on a fast connection; ~90 MB download, ~360 MB more on disk"

say() { printf '\n==> %s\n' "$*" >&2; }

version_of() {  # "3.11" for the interpreter given, nothing when it does not run
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}

have=$(version_of "$PYTHON")
if [ "$have" != "$REQUIRED" ]; then
  if [ -z "$have" ]; then found="\`$PYTHON\` was not found"; else found="\`$PYTHON\` is Python $have"; fi
  echo "Posture needs Python $REQUIRED, but $found: install Python $REQUIRED and give its command, e.g. \`make run PYTHON=python3.11\`." >&2
  exit 1
fi

recorded_version() {  # major.minor that pyvenv.cfg records ("version = 3.11.7"; newer venvs: "version_info = ...")
  sed -nE 's/^version(_info)?[[:space:]]*=[[:space:]]*([0-9]+\.[0-9]+).*/\2/p' "$1/pyvenv.cfg" 2>/dev/null | head -n 1
}

if [ -e "$VENV" ]; then
  if [ ! -e "$VENV/pyvenv.cfg" ]; then
    echo "$VENV exists but is not a venv (no pyvenv.cfg): move it away, or run \`make clean\` if it is Posture's, and try again." >&2
    exit 1
  fi
  made_by=$(version_of "$VENV/bin/python")
  recorded=$(recorded_version "$VENV")
  why=""
  if [ -z "$made_by" ]; then
    why="its python does not run"
  elif [ "$made_by" != "$REQUIRED" ]; then
    why="it was made with Python $made_by, and Posture needs $REQUIRED"
  elif [ -n "$recorded" ] && [ "$recorded" != "$REQUIRED" ]; then
    why="its pyvenv.cfg says it was made with Python $recorded, and Posture needs $REQUIRED"
  elif [ ! -e "$VENV/.installed" ]; then
    why="an earlier set-up did not finish"
  fi
  if [ -n "$why" ]; then
    say "Rebuilding $VENV: $why."
    rm -rf "$VENV"
  fi
fi

pip_install() {
  # pip's own output shows what it downloads and installs; its progress bar shows in a terminal.
  "$VENV/bin/python" -m pip install --disable-pip-version-check "$@"
}

if [ ! -e "$VENV" ]; then
  say "Setting up Posture: creating $VENV with $PYTHON (Python $have) and installing the app's packages ($APP_SIZE)..."
  "$PYTHON" -m venv "$VENV"
  pip_install -r requirements.txt
  touch "$VENV/.installed"
  say "The app's packages are installed in $VENV."
elif [ requirements.txt -nt "$VENV/.installed" ]; then
  say "requirements.txt changed: installing the app's packages into $VENV..."
  pip_install -r requirements.txt
  touch "$VENV/.installed"
fi

# The pose model's two files (BlazePose full, from the mediapipe wheel; tools/fetch_pose_model.py): fetched once
# after the app's packages, again when the fetcher changed or a file it installed is missing. The marker lists them.
model_missing() {
  [ -e "$VENV/.installed-model" ] || return 0
  [ tools/fetch_pose_model.py -nt "$VENV/.installed-model" ] && return 0
  while IFS= read -r f; do [ -s "$f" ] || return 0; done <"$VENV/.installed-model"
  return 1
}
if model_missing; then
  say "Fetching the pose model ($MODEL_SIZE)..."
  "$VENV/bin/python" tools/fetch_pose_model.py --marker "$VENV/.installed-model.tmp"
  mv "$VENV/.installed-model.tmp" "$VENV/.installed-model"
fi

if [ "$want" = dev ]; then
  if [ ! -e "$VENV/.installed-dev" ] || [ requirements-dev.txt -nt "$VENV/.installed-dev" ] \
    || [ requirements.txt -nt "$VENV/.installed-dev" ]; then
    say "Installing the test tools (requirements-dev.txt: pytest, ruff, mypy, import-linter, Playwright; $DEV_SIZE)..."
    pip_install -r requirements.txt -r requirements-dev.txt
    touch "$VENV/.installed-dev"
  fi
fi
