"""Run the pipeline in process, the way a scheduled Dagster run would: every daily asset for every day,
then the weekly assets. Used by the CLI (`gpu-reclaim run` and `gpu-reclaim demo`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dagster import (
    AssetsDefinition,
    DagsterExecutionStepExecutionError,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)

from pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

# Dagster's console logger prints every event at DEBUG; a one-shot run shows warnings and errors only.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


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


def _materialize(
    assets: Sequence[AssetsDefinition],
    partition_key: str,
    resources: dict[str, SettingsResource | WarehouseResource | OutputsResource],
    instance: DagsterInstance,
) -> ExecuteInProcessResult:
    """Materialise in process; a failing step raises the stage's own exception (clear message for the CLI)."""
    try:
        return materialize(
            assets, partition_key=partition_key, resources=resources, instance=instance, run_config=QUIET_RUN_CONFIG
        )
    except DagsterExecutionStepExecutionError as error:
        if error.user_exception is not None:
            raise error.user_exception from None
        raise
