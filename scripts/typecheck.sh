#!/usr/bin/env bash
# Type-check the package under its installed import names. The subpackages of `gpu_reclaim` live in the
# repository's top-level folders (pyproject's package-dir), which a type checker cannot map; a tree of symlinks under
# build/typecheck/ gives it the installed layout, so every module is checked once, by its real name.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=build/typecheck/gpu_reclaim
rm -rf build/typecheck
mkdir -p "$tree"
for file in gpu_reclaim/*.py gpu_reclaim/py.typed; do ln -s "../../../$file" "$tree/$(basename "$file")"; done
for folder in core scoring store delivery assets reports pipelines scenarios sql; do ln -s "../../../$folder" "$tree/$folder"; done
MYPYPATH=build/typecheck exec .venv/bin/mypy "$tree" tests bench "$@"
