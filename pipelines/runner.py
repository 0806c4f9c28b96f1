"""Run the pipeline in process, the way a scheduled Dagster run would: every daily asset for every day,
then the weekly assets. Used by the CLI (`gpu-reclaim run` and `gpu-reclaim demo`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from dagster import AssetsDefinition, DagsterInstance, materialize

from pipelines.resources import OutputsResource, SettingsResource, WarehouseResource


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
            result = materialize(daily_assets, partition_key=day.isoformat(), resources=resources, instance=instance)
            for event in result.get_asset_materialization_events():
                warnings = event.materialization.metadata.get("warnings")
                if warnings is not None:
                    summary.warnings.extend(str(warnings.value).splitlines())
        weeks = weeks_covering(days)
        summary.weeks = weeks
        for week in weeks:
            on_step(f"week of {week}")
            materialize(weekly_assets, partition_key=week, resources=resources, instance=instance)
    return summary
