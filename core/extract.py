"""Extract one UTC day of series from the metrics source into DuckDB staging tables.

VictoriaMetrics' JSON export goes to temporary files (bounded memory), one per selector, exported in a background
thread while DuckDB loads the previous one (export_parts); a query the server refuses as too large is split (by
series selector, then by time) until it passes, so the result is complete. The lines are checked for framing as
they arrive and for their arrays and sample count in SQL (check_stage_export_lines.sql).
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.errors import SourceError
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
        # '' when off: labels[''] is NULL, so every row's cluster is '' (README "Several clusters")
        cluster_label=labels.cluster_label or "",
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
                None if totals.samples is None or stats.samples is None else totals.samples + stats.samples,
                totals.bytes_read + stats.bytes_read,
            )
    return totals


def export_day(
    client: VictoriaMetricsClient, selectors: list[str], window: DayWindow, destination: Path
) -> ExportStats:
    """Export one UTC day for `selectors` (the export's end is inclusive: stop 1 ms before the next day)."""
    return export_complete(client, selectors, window.start, window.end - timedelta(milliseconds=1), destination)


def begin_stage(con: duckdb.DuckDBPyConnection) -> None:
    """An empty stage_export_lines for the parts of one stage."""
    run_sql(con, "stage_export_lines.sql")


def append_export(con: duckdb.DuckDBPyConnection, export_file: Path) -> None:
    """Load one exported file into stage_export_lines."""
    run_sql(con, "stage_append_export.sql", {"path": str(export_file)})


def finish_stage(con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow, stage_sql: str) -> int:
    """Check the staged lines in SQL, build the stage's own table with `stage_sql`; return the samples read."""
    row = run_sql(con, "check_stage_export_lines.sql").fetchone()
    lines, samples, mismatched, first = row if row else (0, 0, 0, None)
    if mismatched:
        raise SourceError(
            f"malformed export: {mismatched} of {lines} series lines lack an array or have values and timestamps "
            f"of different lengths (first: {first!r}); check the server or the proxy in front of it"
        )
    run_sql(con, stage_sql, {**metric_params(settings), **window.params()})
    if settings.labels.cluster_label is not None:  # the raw labels are gone after this: count the clusters now
        run_sql(con, "stage_cluster_series.sql", {"cluster_label": settings.labels.cluster_label})
    run_sql(con, "drop_stage_export_lines.sql")
    return int(samples)


def stage_export(
    con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow, stage_sql: str, export_file: Path
) -> int:
    """Load an exported file into the temp staging table that `stage_sql` creates; return the samples read."""
    begin_stage(con)
    append_export(con, export_file)
    return finish_stage(con, settings, window, stage_sql)


_DONE = object()


def export_parts(
    client: VictoriaMetricsClient, selectors: list[str], window: DayWindow, workdir: Path
) -> Iterator[tuple[Path, ExportStats]]:
    """Export one day selector by selector (each with export_day's splitting and retries) in a background thread,
    yielding each finished part while the next one is exported: the caller loads part k into DuckDB while the
    server streams part k+1 (the server and DuckDB each keep a core busy). At most two parts wait on disk.

    An export error is raised here, at the part it happened in. The thread is a daemon and stops at the next part
    once the caller stops asking (an error or an interrupt in the load), so an interrupted run does not wait for
    a server that holds its answer."""
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.2)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for k, selector in enumerate(selectors):
                if stop.is_set():
                    return
                part = workdir / f"part-{k:03d}.jsonl"
                if not put((part, export_day(client, [selector], window, part))):
                    return
            put(_DONE)
        except BaseException as error:  # handed to the caller, raised in its thread
            put(error)

    thread = threading.Thread(target=produce, name="gpu-reclaim-export", daemon=True)
    thread.start()
    try:
        while (item := ready.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
