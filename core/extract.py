"""Extract one UTC day of series from the metrics source into DuckDB staging tables.

VictoriaMetrics' JSON export goes to a temporary file (bounded memory), DuckDB reads it; a query the server
refuses as too large is split (by series selector, then by time) until it passes, so the result is complete.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.shared_gpus import shared_gpu_params
from gpu_reclaim.core.victoria import ExportStats, TooManySeriesError, VictoriaMetricsClient, series_selector
from gpu_reclaim.core.warehouse import run_sql

log = logging.getLogger(__name__)

MIN_SPLIT = timedelta(minutes=15)


@dataclass(frozen=True)
class DayWindow:
    day: date

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=1)

    def params(self) -> dict[str, Any]:
        return {
            "day": self.day,
            "day_start_ms": int(self.start.timestamp() * 1000),
            "day_end_ms": int(self.end.timestamp() * 1000),
        }


def metric_params(settings: Settings) -> dict[str, Any]:
    """Bound parameters every SQL file may use: metric names, label keys, thresholds, step."""
    metrics = settings.metrics
    labels = settings.labels
    params: dict[str, Any] = {f"m_{name}": value for name, value in metrics.model_dump().items()}
    params.update(
        step_seconds=settings.step_seconds,
        idle_threshold=settings.usage.idle_activity_threshold,
        low_use_threshold=settings.usage.low_use_activity_threshold,
        default_h100_equivalent=settings.default_h100_equivalent,
        node_keys=labels.dcgm_node,
        gpu_index_keys=labels.dcgm_gpu_index,
        gpu_uuid_keys=labels.dcgm_gpu_uuid,
        gpu_model_keys=labels.dcgm_gpu_model,
        namespace_keys=labels.dcgm_namespace,
        pod_keys=labels.dcgm_pod,
        container_keys=labels.dcgm_container,
        gpu_resource=labels.gpu_resource,
        gpu_milli_resource=labels.gpu_milli_resource,
        quota_resource=labels.quota_gpu_resource,
        workspace_key=labels.workspace,
        project_key=labels.project,
        provisioning_type_key=labels.provisioning_type,
        category_key=labels.category,
        purpose_key=labels.purpose,
        exempt_label_key=labels.reclaim_exempt,
        exempt_annotation_key=labels.reclaim_exempt_annotation,
        gpu_share_index_key=labels.gpu_share_index_annotation,
        machine_group_key=labels.machine_group,
        gpu_product_key=labels.gpu_product,
        owner_keys=settings.tickets.owner_label_keys,
        channel_keys=settings.tickets.channel_label_keys,
        snooze_key=settings.tickets.snooze_annotation,
    )
    params.update(shared_gpu_params(settings.shared_gpus))
    return params


def dcgm_selectors(settings: Settings) -> list[str]:
    """One selector per DCGM metric, each carrying the configured ``victoria_metrics.matchers``."""
    extra = settings.victoria_metrics.matchers
    return [series_selector(name, extra=extra) for name in settings.metrics.dcgm().values()]


def kube_state_selectors(settings: Settings) -> list[str]:
    """One selector per kube-state-metrics series, each carrying the configured ``victoria_metrics.matchers``."""
    metrics = settings.metrics
    names = [
        metrics.pod_resource_requests,
        metrics.pod_status_phase,
        metrics.pod_owner,
        metrics.pod_labels,
        metrics.pod_annotations,
        metrics.namespace_labels,
        metrics.node_allocatable,
        metrics.node_labels,
        metrics.resource_quota,
    ]
    return [series_selector(name, extra=settings.victoria_metrics.matchers) for name in names]


def export_complete(
    client: VictoriaMetricsClient, selectors: list[str], start: datetime, end: datetime, destination: Path
) -> ExportStats:
    """Export into `destination` (appending), splitting refused queries by selector, then by time."""
    parts: list[tuple[list[str], datetime, datetime]] = [(selectors, start, end)]
    totals = ExportStats(0, 0, 0)
    destination.write_bytes(b"")
    with tempfile.TemporaryDirectory(prefix="gpu-reclaim-part-") as scratch:
        part_file = Path(scratch) / "part.jsonl"
        while parts:
            part_selectors, part_start, part_end = parts.pop()
            try:
                stats = client.export_jsonl(part_selectors, part_start, part_end, part_file)
            except TooManySeriesError:
                if len(part_selectors) > 1:
                    half = len(part_selectors) // 2
                    parts += [
                        (part_selectors[:half], part_start, part_end),
                        (part_selectors[half:], part_start, part_end),
                    ]
                elif part_end - part_start > MIN_SPLIT:
                    middle = part_start + (part_end - part_start) / 2
                    # export's end is inclusive: the first half stops one millisecond before the second starts
                    parts += [
                        (part_selectors, part_start, middle - timedelta(milliseconds=1)),
                        (part_selectors, middle, part_end),
                    ]
                else:
                    raise
                log.info("export refused as too large; split into smaller queries")
                continue
            with destination.open("ab") as sink, part_file.open("rb") as source:
                while chunk := source.read(1 << 20):
                    sink.write(chunk)
            totals = ExportStats(
                totals.series_lines + stats.series_lines,
                totals.samples + stats.samples,
                totals.bytes_read + stats.bytes_read,
            )
    return totals


def export_day(
    client: VictoriaMetricsClient, selectors: list[str], window: DayWindow, destination: Path
) -> ExportStats:
    """Export one UTC day for `selectors` (the export's end is inclusive: stop 1 ms before the next day)."""
    return export_complete(client, selectors, window.start, window.end - timedelta(milliseconds=1), destination)


def stage_export(
    con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow, stage_sql: str, export_file: Path
) -> None:
    """Load an exported file into the temp staging table that `stage_sql` creates."""
    run_sql(con, stage_sql, {**metric_params(settings), **window.params(), "path": str(export_file)})
