"""Run the pipeline in process, the way a scheduled Dagster run would: every daily asset for every day,
then the weekly assets. Used by the CLI (`gpu-reclaim run` and `gpu-reclaim demo`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
from dagster import (
    AssetsDefinition,
    DagsterExecutionInterruptedError,
    DagsterExecutionStepExecutionError,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)
from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

# Dagster's console logger prints every event at DEBUG, and a failed step as a multi-line traceback at ERROR. A
# one-shot run prints neither: warnings come back in RunSummary.warnings, and a failure raises the stage's own
# exception, whose message is the one line the CLI shows.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunSummary:
    days: list[date]
    weeks: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def days_between(start: date, end: date) -> list[date]:
    """Every UTC day from start to end, both included."""
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def weeks_covering(days: Sequence[date]) -> list[str]:
    """The Monday-started week partition keys of every complete week inside `days`."""
    present = set(days)
    mondays = sorted({day - timedelta(days=day.weekday()) for day in days})
    return [
        monday.isoformat()
        for monday in mondays
        if all(monday + timedelta(days=offset) in present for offset in range(7))
    ]


def run_pipeline(
    daily_assets: Sequence[AssetsDefinition],
    weekly_assets: Sequence[AssetsDefinition],
    resources: dict[str, SettingsResource | WarehouseResource | OutputsResource],
    days: Sequence[date],
    on_step: Callable[[str], None] = lambda _: None,
) -> RunSummary:
    """Materialise `daily_assets` for each day, then `weekly_assets` for each complete week (or the last days)."""
    summary = RunSummary(days=list(days))
    with DagsterInstance.ephemeral() as instance:
        for day in days:
            on_step(f"day {day}")
            result = _materialize(daily_assets, day.isoformat(), resources, instance)
            for event in result.get_asset_materialization_events():
                warnings = event.materialization.metadata.get("warnings")
                if warnings is not None:
                    summary.warnings.extend(str(warnings.value).splitlines())
        weeks = weeks_covering(days)
        summary.weeks = weeks
        for week in weeks:
            on_step(f"week of {week}")
            _materialize(weekly_assets, week, resources, instance)
    return summary


def is_interrupt(error: BaseException | None) -> bool:
    """SIGINT as it surfaces from a step: Dagster's interrupt error, KeyboardInterrupt, or DuckDB's
    `RuntimeError('Query interrupted')` when the signal arrived during a query (which was then rolled back), or
    DuckDB's InterruptException (its own interrupt call)."""
    if isinstance(error, DagsterExecutionInterruptedError | KeyboardInterrupt | duckdb.InterruptException):
        return True
    return isinstance(error, RuntimeError) and str(error) == "Query interrupted"


def _materialize(
    assets: Sequence[AssetsDefinition],
    partition_key: str,
    resources: dict[str, SettingsResource | WarehouseResource | OutputsResource],
    instance: DagsterInstance,
) -> ExecuteInProcessResult:
    """Materialise in process; a failing step raises the stage's own exception (clear message for the CLI), and an
    interrupt (SIGINT, which Dagster turns into DagsterExecutionInterruptedError) raises KeyboardInterrupt."""
    try:
        return materialize(
            assets, partition_key=partition_key, resources=resources, instance=instance, run_config=QUIET_RUN_CONFIG
        )
    except DagsterExecutionInterruptedError:
        raise KeyboardInterrupt from None
    except DagsterExecutionStepExecutionError as error:
        if is_interrupt(error.user_exception):
            raise KeyboardInterrupt from None
        if error.user_exception is not None:
            raise error.user_exception from None
        raise
