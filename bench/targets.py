"""Issue 16's targets table: every target row, measured or not, in a fixed order (pure: no I/O)."""

from __future__ import annotations

import itertools
from typing import Any, NamedTuple

from bench.figures import TARGETS, figure, table, verdict


class TargetRow(NamedTuple):
    figure: str  # the `figures[].figure` name
    label: str  # what the printed row says
    target_shown: str  # the target as printed


# the fixed rows, in the order the table prints them; the doublings follow
ROWS = (
    TargetRow("ingest_vs_ceiling", "ingest ÷ JSON-export ceiling", "≥ 25 %"),
    TargetRow("ingest_vs_naive", "ingest ÷ naive path", "≥ 20×"),
    TargetRow("end_to_end_seconds", "end to end, the 1,064-GPU week", "≤ 60 s"),
    TargetRow("peak_rss_gib", "peak RSS", "≤ 1.5 GiB"),
    TargetRow("steady_state_day_seconds", "steady-state day (full window loaded)", "≤ 8 s"),
    TargetRow("day7_vs_day1", "day 7 ÷ day 1", "≤ 1.2×"),
    TargetRow("window28_vs_window7", "28-day ÷ 7-day window (steady-state day)", "≤ 1.2×"),
)
DOUBLING_SHOWN = "≤ 2.1× per doubling"
LABELS = {row.figure: row.label for row in ROWS}


def doubling_name(smaller_gpus: int, larger_gpus: int) -> str:
    return f"doubling_{smaller_gpus}_to_{larger_gpus}"


def planned_doublings(fleet_gpus: list[int]) -> list[str]:
    """The doubling rows of a scaling run over these fleet sizes (GPUs, ascending)."""
    return [doubling_name(a, b) for a, b in itertools.pairwise(fleet_gpus)]


def not_measured(name: str) -> dict[str, Any]:
    if name.startswith("doubling_"):
        return figure(name, None, TARGETS["doubling_time_ratio"], "not measured", DOUBLING_SHOWN)
    shown = next(row.target_shown for row in ROWS if row.figure == name)
    return figure(name, None, TARGETS[name], "not measured", shown)


def every_target(figures: list[dict[str, Any]], doublings: list[str]) -> list[dict[str, Any]]:
    """`figures` completed with a `not measured` row for each target this run did not measure: the fixed rows
    in ROWS order, then the measured doublings, then the `doublings` (up to 4,096 GPUs) that were not run."""
    by_name = {f["figure"]: f for f in figures}
    out = [by_name.get(row.figure) or not_measured(row.figure) for row in ROWS]
    measured = [f for f in figures if f["figure"].startswith("doubling_")]
    out += measured
    out += [not_measured(name) for name in doublings if name not in by_name]
    return out


def label(name: str) -> str:
    if name.startswith("doubling_"):
        smaller, larger = name.removeprefix("doubling_").split("_to_")
        return f"doubling {int(smaller):,} → {int(larger):,} GPUs"
    return LABELS.get(name, name)


def targets_table(figures: list[dict[str, Any]]) -> str:
    rows = [[label(f["figure"]), f["shown"], f["target_shown"], verdict(f["met"])] for f in figures]
    return table(["figure (issue 16)", "measured (min of runs)", "target", ""], rows)
