"""Run the pipeline in process, the way a scheduled Dagster run would: every daily asset for every day, then
the reports of the window ending with the last day. Used by the CLI (`gpu-reclaim run` and `gpu-reclaim demo`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from dagster import (
    AssetsDefinition,
    DagsterExecutionInterruptedError,
    DagsterExecutionStepExecutionError,
    DagsterInstance,
    ExecuteInProcessResult,
    materialize,
)
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.errors import is_query_interrupt
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
from gpu_reclaim.reports.build import default_window, write_reports
from gpu_reclaim.reports.models import ReportIndex

# Dagster's console logger prints every event at DEBUG, and a failed step as a multi-line traceback at ERROR. A
# one-shot run prints neither: warnings come back in RunSummary.warnings, and a failure raises the stage's own
# exception, whose message is the one line the CLI shows.
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


Resources = dict[str, SettingsResource | WarehouseResource | OutputsResource]


@dataclass
class RunSummary:
    """What a run did: its days, the warnings of its stages, whether it wrote the ticket feed, and the reports
    it wrote (None when it built none)."""

    days: list[date]
    warnings: list[str] = field(default_factory=list)
    feed_written: bool = False
    reports: ReportIndex | None = None


def days_between(start: date, end: date) -> list[date]:
    """Every UTC day from start to end, both included."""
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


def run_pipeline(
    daily_assets: Sequence[AssetsDefinition],
    report_assets: Sequence[AssetsDefinition],
    resources: Resources,
    days: Sequence[date],
    on_step: Callable[[str], None] = lambda _: None,
) -> RunSummary:
    """Materialise `daily_assets` for each day; then, when `report_assets` are given (WEEKLY_ASSETS), write the
    reports of the `report.window_days` days ending with the last day, with the function behind those assets
    (a one-shot run's window is not a Monday week partition; partial when the data covers fewer days)."""
    summary = RunSummary(days=list(days))
    with DagsterInstance.ephemeral() as instance:
        for day in days:
            on_step(f"day {day}")
            result = _materialize(daily_assets, day.isoformat(), resources, instance)
            for event in result.get_asset_materialization_events():
                metadata = event.materialization.metadata
                warnings = metadata.get("warnings")
                if warnings is not None:
                    summary.warnings.extend(str(warnings.value).splitlines())
                feed_written = metadata.get("feed_written")
                if feed_written is not None and feed_written.value is True:
                    summary.feed_written = True
    if report_assets and days:
        on_step(f"reports of the window ending {max(days)}")
        settings, warehouse, out_dir = _unpack(resources)
        window_start, window_end = default_window(settings, max(days) + timedelta(days=1))
        summary.reports = write_reports(warehouse, settings, out_dir, window_start, window_end)
    return summary


def _unpack(resources: Resources) -> tuple[Settings, Warehouse, Path]:
    settings, warehouse, outputs = resources["settings"], resources["warehouse"], resources["outputs"]
    if not (
        isinstance(settings, SettingsResource)
        and isinstance(warehouse, WarehouseResource)
        and isinstance(outputs, OutputsResource)
    ):
        raise TypeError("resources must hold 'settings', 'warehouse' and 'outputs' resources")
    return settings.load(), warehouse.warehouse(), outputs.path()


def is_interrupt(error: BaseException | None) -> bool:
    """SIGINT as it surfaces from a step: Dagster's interrupt error, or a KeyboardInterrupt or DuckDB interrupt
    (core.errors.is_query_interrupt)."""
    return isinstance(error, DagsterExecutionInterruptedError) or is_query_interrupt(error)


def _materialize(
    assets: Sequence[AssetsDefinition],
    partition_key: str,
    resources: Resources,
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
