"""Which gpu-reclaim version computed each day's stored results (table computed_days, migration 0002).

A stage records its day in the same transaction as its rows, so the record always names the code that wrote what
is stored. After an upgrade the old days keep what the old version computed; the reports say so, and
`gpu-reclaim rescore --start --end` recomputes those days from the stored samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
from gpu_reclaim.core.warehouse import fetch_records, run_sql

from gpu_reclaim import __version__

STAGES = ("usage", "fragmentation", "recommendations")


def record_computed_day(con: duckdb.DuckDBPyConnection, stage: str, day: date) -> None:
    """This gpu-reclaim version computed `stage`'s rows of `day` (call inside the stage's transaction)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    run_sql(con, "upsert_computed_day.sql", {"stage": stage, "day": day, "gpu_reclaim_version": __version__})


@dataclass(frozen=True)
class ComputedBy:
    """Days of a window whose stored results another gpu-reclaim version computed."""

    gpu_reclaim_version: str
    stages: tuple[str, ...]
    days: tuple[date, ...]

    def note(self) -> str:
        spans = ", ".join(day_spans(self.days))
        return (
            f"The {' / '.join(self.stages)} results of {spans} were computed by gpu-reclaim "
            f"{self.gpu_reclaim_version}, not by this gpu-reclaim {__version__}, and are shown as they were computed; "
            f"to recompute them from the stored samples: gpu-reclaim rescore --start {self.days[0].isoformat()} "
            f"--end {self.days[-1].isoformat()}"
        )


def computed_by_other_versions(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> list[ComputedBy]:
    """Per older (or other) version: the stages and days of [window_start, window_end) it computed."""
    params = {"window_start": window_start, "window_end": window_end, "gpu_reclaim_version": __version__}
    by_version: dict[str, tuple[list[str], set[date]]] = {}
    for row in fetch_records(con, "select_days_computed_by_other_versions.sql", params):
        stages, days = by_version.setdefault(row["gpu_reclaim_version"], ([], set()))
        stages.append(row["stage"])
        days.update(row["days"])
    return [
        ComputedBy(version, tuple(stage for stage in STAGES if stage in stages), tuple(sorted(days)))
        for version, (stages, days) in sorted(by_version.items())
    ]


def provenance_notes(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[str]:
    """One sentence per other version, for the reports."""
    return [entry.note() for entry in computed_by_other_versions(con, window_start, window_end)]


def day_spans(days: Sequence[date]) -> list[str]:
    """Consecutive days as 'first to last' spans (a single day as itself)."""
    spans: list[list[date]] = []
    for day in sorted(days):
        if spans and day - spans[-1][-1] == timedelta(days=1):
            spans[-1].append(day)
        else:
            spans.append([day])
    return [
        span[0].isoformat() if len(span) == 1 else f"{span[0].isoformat()} to {span[-1].isoformat()}" for span in spans
    ]
