"""The benchmark's `--json` shape at tiny scale (152 GPUs, 1 day, one run): every field bench/README.md documents
is there, every field written is documented, and each figure names its target and verdict. Nothing is timed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def documented_fields() -> set[str]:
    """The backquoted names in the first column of bench/README.md's field tables."""
    text = (REPO / "bench" / "README.md").read_text(encoding="utf-8")
    section = text.split("## The `--json` file", 1)[1].split("\n## ", 1)[0]
    cells = re.findall(r"^\| ([^|]+) \|", section, flags=re.MULTILINE)
    return {name for cell in cells for name in re.findall(r"`([a-z0-9_.\[\]]+)`", cell)}


def leaf_paths(value: object, prefix: str) -> set[str]:
    """Dotted paths of a JSON value's object keys; list items are `[]`; `runs` (every run, the same fields as the
    fastest) stops there."""
    paths = {prefix} if prefix else set()
    if isinstance(value, dict) and not prefix.endswith(".runs"):
        for key, item in value.items():
            paths |= leaf_paths(item, f"{prefix}.{key}" if prefix else key)
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        paths |= leaf_paths(value[0], f"{prefix}[]")
    return paths


def test_the_json_of_a_tiny_run_has_every_documented_field(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    args = ["--gpus", "152", "--days", "1", "--repeat", "1", "--long-window", "0", "--json", str(out)]
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_benchmark", *args], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(out.read_text())
    main = result["main"]
    assert main["gpus"] == 152 and main["days"] == 1 and main["repeat"] == 1
    assert main["load"]["samples"] > 0
    assert main["ingest"]["samples"] == main["runs"]["ingest"][0]["samples"] > 0
    assert len(main["e2e"]["day_seconds"]) == 1
    names = [f["figure"] for f in result["figures"]]
    assert names == [
        "ingest_vs_ceiling",
        "ingest_vs_naive",
        "end_to_end_seconds",
        "peak_rss_gib",
        "steady_state_day_seconds",
        "day7_vs_day1",
        # not run here (no long window, no --scaling): printed and written as not measured
        "window28_vs_window7",
        "doubling_1064_to_1976",
        "doubling_1976_to_4104",
    ]
    for fig in result["figures"]:
        assert set(fig) == {"figure", "measured", "target", "shown", "target_shown", "met"}
        assert fig["target_shown"] in proc.stdout
    # a 1-day run has no full 7-day window: the steady state is reported as not measured, not as a number
    for name in ("steady_state_day_seconds", "window28_vs_window7", "doubling_1976_to_4104"):
        unmeasured = next(f for f in result["figures"] if f["figure"] == name)
        assert unmeasured["measured"] is None and unmeasured["met"] is None
    assert proc.stdout.count("not measured") >= 2 * 4
    written = leaf_paths(result, "")
    documented = documented_fields()
    assert written - documented == set(), "fields written but not documented in bench/README.md"
    assert {p for p in documented if p.startswith(("main", "figures", "machine"))} - written == set()
