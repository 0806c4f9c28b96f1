#!/usr/bin/env bash
# Idempotent setup for a fresh Debian/Ubuntu machine: system packages (VictoriaMetrics, optionally Chromium)
# and the project's virtualenv. Used by `make demo` and `make test`; safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "bootstrap: unknown option $arg" >&2; exit 2 ;;
  esac
done

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
command -v victoria-metrics >/dev/null 2>&1 || missing+=(victoria-metrics)
if [ "$want_browser" = 1 ]; then
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]} from Debian's packages"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip 2>&1 | { grep -v 'WARNING: Location' || true; }
  .venv/bin/python -m pip install -q -e '.[dev]' 2>&1 | { grep -vE 'WARNING: Location|BuildBackendWarning|^ *[!*]|corresp|Please|By 20|See https|with strategy|folders in|name as your' || true; }
  rm -f .venv/.installed-*
  touch "$stamp"
fi
