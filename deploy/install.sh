#!/usr/bin/env bash
# Build gpu-reclaim's wheel from this checkout and install it, with its dependencies, into a virtualenv.
#
#   deploy/install.sh VENV [EXTRAS]      e.g. deploy/install.sh /opt/gpu-reclaim k8s
#
# VENV is created when it does not exist. EXTRAS is a comma-separated list of the package's extras (demo, k8s, dev).
# Needs uv (`pip install uv`; $UV names another binary). The wheel is built from a copy of the source, so no stale
# build/ folder can leak into it, and kept in $GPU_RECLAIM_WHEEL_DIR when that is set.
# The Dockerfile runs this script; so does tests/packaging/test_wheel.py.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 VENV [EXTRAS]" >&2
  exit 2
fi
venv=$1
extras=${2:-}
src=$(cd "$(dirname "$0")/.." && pwd)
uv=${UV:-$(command -v uv || true)}
if [ -z "$uv" ]; then
  echo "install.sh: needs uv on PATH (pip install uv)" >&2
  exit 2
fi
python=$(command -v "${PYTHON:-python3}")
export UV_PYTHON_DOWNLOADS=never

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/wheels"
tar -C "$src" -cf - --exclude=./.venv --exclude=./.git --exclude=./build --exclude=./out --exclude=./data \
  --exclude='*.egg-info' --exclude=__pycache__ --exclude=.mypy_cache --exclude=.ruff_cache --exclude=.pytest_cache \
  --exclude=./.dagster_home . | tar -C "$work/src" -xf -

if [ ! -x "$venv/bin/python" ]; then
  "$uv" venv --quiet --python "$python" "$venv"
fi
"$uv" build --quiet --wheel --python "$python" --out-dir "$work/wheels" "$work/src"
wheels=("$work"/wheels/gpu_reclaim-*.whl)
wheel=${wheels[0]}
if [ -n "${GPU_RECLAIM_WHEEL_DIR:-}" ]; then
  mkdir -p "$GPU_RECLAIM_WHEEL_DIR"
  cp "$wheel" "$GPU_RECLAIM_WHEEL_DIR/"
fi
"$uv" pip install --quiet --python "$venv/bin/python" "$wheel${extras:+[$extras]}"
echo "installed $(basename "$wheel")${extras:+ [$extras]} into $venv"
