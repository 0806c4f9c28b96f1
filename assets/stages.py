"""The pipeline's daily stages as plain functions (Dagster assets and the CLI both call these).

Each stage replaces one UTC day partition of its tables in one transaction: running a day twice leaves the
same tables, and a stage that fails half-way leaves the previous data of that day intact.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
from gpu_reclaim.core.busy_looking import busy_looking_params, stage_window_power_limits
from gpu_reclaim.core.cluster_days import record_cluster_days
from gpu_reclaim.core.config import Settings, gpu_model_weight, h100_equivalent_weight
from gpu_reclaim.core.extract import (
    DayWindow,
    append_export,
    begin_stage,
    dcgm_selectors,
    export_parts,
    finish_stage,
    kube_state_selectors,
    metric_params,
    stage_export,
)
from gpu_reclaim.core.namespace_quality import record_namespace_conflicts
from gpu_reclaim.core.provenance import record_computed_day
from gpu_reclaim.core.shared_gpu_quality import shared_gpu_warnings
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.warehouse import Warehouse, run_sql, transaction
from gpu_reclaim.store.rule_days import replace_power_day, replace_rule_day, rule_aggregation_params

log = logging.getLogger(__name__)

KUBE_STATE_TABLES = ("pod_steps", "pods", "namespaces", "nodes", "quota_steps", "ticket_labels")
USAGE_TABLES = (
    "pod_gpu_usage_daily",
    "pod_usage_daily",
    "project_usage_daily",
    "workspace_usage_daily",
    "pod_gpu_usage_hourly",
    "project_usage_hourly",
    "machine_group_usage_hourly",
)


@dataclass
class StageResult:
    """What a stage wrote: rows per table, samples read, and warnings for the run's log and metadata."""

    day: date
    rows: dict[str, int] = field(default_factory=dict)
    samples_read: int = 0
    series_read: int = 0
    warnings: list[str] = field(default_factory=list)


def _count_day(con: duckdb.DuckDBPyConnection, table: str, day: date) -> int:
    if table not in ("gpu_samples", *KUBE_STATE_TABLES, *USAGE_TABLES):
        raise ValueError(f"not a partitioned table: {table}")
    row = con.execute(f"SELECT count(*) FROM {table} WHERE day = $day", {"day": day}).fetchone()
    return int(row[0]) if row else 0


# at most this many devices per stage_dcgm_steps.sql batch: a few hundred devices' steps (a day at 60 s: ~430 k
# groups) keep the aggregation's hash table inside the memory limit, at any cluster size
DEVICES_PER_STEP_BATCH = 300


def stage_dcgm_steps(con: duckdb.DuckDBPyConnection, params: dict[str, object]) -> None:
    """stage_dcgm → stage_dcgm_steps (one row per device and step), a batch of devices at a time."""
    run_sql(con, "stage_dcgm_devices.sql")
    run_sql(con, "create_stage_dcgm_steps.sql")
    row = run_sql(con, "count_stage_dcgm_devices.sql").fetchone()
    devices = int(row[0]) if row else 0
    batches = max(1, -(-devices // DEVICES_PER_STEP_BATCH))
    for k in range(batches):  # gpu_id in (first, last]: even batches covering 1..devices
        batch = {"first_gpu_id": devices * k // batches, "last_gpu_id": devices * (k + 1) // batches}
        run_sql(con, "stage_dcgm_steps.sql", {**params, **batch})


def replace_dcgm_day(con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow) -> None:
    """stage_dcgm → the day's gpu_samples and data_quality counts, in one transaction."""
    params = {**metric_params(settings), **window.params(), "stage": "dcgm"}
    stage_dcgm_steps(con, params)
    with transaction(con):
        run_sql(con, "delete_gpu_samples_partition.sql", params)
        run_sql(con, "delete_data_quality_partition.sql", params)
        run_sql(con, "insert_gpu_samples.sql", params)
        run_sql(con, "insert_dcgm_data_quality.sql", params)
        run_sql(con, "insert_mig_data_quality.sql", params)
        record_cluster_days(con, settings, window.day, "dcgm")
        run_sql(con, "delete_rule_aggregate_day.sql", {"day": window.day})


def replace_kube_state_day(con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow) -> None:
    """stage_ksm → the day's kube-state tables (and the shared-GPU data_quality counts), in one transaction."""
    params = {**metric_params(settings), **window.params(), "stage": "shared_gpus"}
    run_sql(con, "stage_node_gpu_sharing.sql", params)
    with transaction(con):
        for table in KUBE_STATE_TABLES:
            run_sql(con, f"delete_{table}_partition.sql", params)
        run_sql(con, "delete_data_quality_partition.sql", params)
        run_sql(con, "delete_data_quality_partition.sql", {**params, "stage": "ticket_labels"})
        for table in KUBE_STATE_TABLES:
            run_sql(con, f"insert_{table}.sql", params)
        run_sql(con, "insert_shared_gpu_data_quality.sql", params)
        run_sql(con, "insert_snooze_data_quality.sql", params)
        record_namespace_conflicts(con, settings, params)
        record_cluster_days(con, settings, window.day, "kube_state")
        run_sql(con, "delete_rule_aggregate_day.sql", {"day": window.day})


_Replace = Callable[[duckdb.DuckDBPyConnection, Settings, DayWindow], None]


def _load_export(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    window: DayWindow,
    export_file: Path,
    stage_sql: str,
    replace: _Replace,
) -> int:
    """Stage an exported file with `stage_sql`, then `replace` the day from it; return the samples read."""
    samples = stage_export(con, settings, window, stage_sql, export_file)
    replace(con, settings, window)
    return samples


def load_dcgm_export(con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow, export_file: Path) -> int:
    """Replace one day of gpu_samples (and its data_quality counts) from an exported file, in one transaction;
    return the samples read."""
    return _load_export(con, settings, window, export_file, "stage_dcgm_export.sql", replace_dcgm_day)


def load_kube_state_export(
    con: duckdb.DuckDBPyConnection, settings: Settings, window: DayWindow, export_file: Path
) -> int:
    """Replace one day of the kube-state tables from an exported file, in one transaction; return the samples."""
    return _load_export(con, settings, window, export_file, "stage_ksm_export.sql", replace_kube_state_day)


def compute_usage(con: duckdb.DuckDBPyConnection, settings: Settings, day: date) -> None:
    """Replace one day of every usage table (and the day's rule aggregates) from the ingested tables, in one
    transaction. The day's power histograms are stored first and its power limits merged from them (one read of
    the day's power for both)."""
    fake_busy = settings.recommendations.fake_busy
    params = {**metric_params(settings), **DayWindow(day).params(), **busy_looking_params(fake_busy)}
    aggregation = rule_aggregation_params(settings)
    with transaction(con):
        record_gpu_model_weights(con, settings, day)
        replace_power_day(con, aggregation, day)
        run_sql(con, "create_partial_rule_days.sql")
        stage_window_power_limits(con, settings.gpu_power, fake_busy, day, day)
        run_sql(con, "stage_held_gpu_steps.sql", params)
        for table in USAGE_TABLES:
            run_sql(con, f"delete_{table}_partition.sql", params)
        for table in USAGE_TABLES:
            run_sql(con, f"insert_{table}.sql", params)
        replace_rule_day(con, aggregation, day, power=False)
        record_computed_day(con, "usage", day)


def _ingest_day(
    warehouse: Warehouse,
    client: VictoriaMetricsClient,
    settings: Settings,
    selectors: list[str],
    day: date,
    stage_sql: str,
    replace: _Replace,
    tables: tuple[str, ...],
) -> StageResult:
    """Export one day of `selectors`, part by part, each loaded into DuckDB while the next is exported; stage it
    with `stage_sql`, replace the day's tables, and count the day's rows of `tables`."""
    window = DayWindow(day)
    result = StageResult(day)
    with (
        tempfile.TemporaryDirectory(prefix="gpu-reclaim-export-", ignore_cleanup_errors=True) as workdir,
        warehouse.connect() as con,
    ):
        begin_stage(con)
        for part, stats in export_parts(client, selectors, window, Path(workdir)):
            append_export(con, part)
            part.unlink()
            result.series_read += stats.series_lines
        result.samples_read = finish_stage(con, settings, window, stage_sql)
        replace(con, settings, window)
        result.rows = {table: _count_day(con, table, day) for table in tables}
    return result


def ingest_dcgm_day(warehouse: Warehouse, client: VictoriaMetricsClient, settings: Settings, day: date) -> StageResult:
    """DCGM series of one day → gpu_samples (+ data_quality counts for stage 'dcgm')."""
    selectors = dcgm_selectors(settings)
    tables = ("gpu_samples",)
    result = _ingest_day(warehouse, client, settings, selectors, day, "stage_dcgm_export.sql", replace_dcgm_day, tables)
    if result.rows["gpu_samples"] == 0:
        result.warnings.append(f"no DCGM samples for {day}: the partition is empty")
    result.warnings += shared_gpu_warnings(warehouse, day, stage="dcgm")
    return result


def ingest_kube_state_day(
    warehouse: Warehouse, client: VictoriaMetricsClient, settings: Settings, day: date
) -> StageResult:
    """kube-state-metrics series of one day → pod_steps, pods, namespaces, nodes, quota_steps."""
    selectors = kube_state_selectors(settings)
    stage, replace, tables = "stage_ksm_export.sql", replace_kube_state_day, KUBE_STATE_TABLES
    result = _ingest_day(warehouse, client, settings, selectors, day, stage, replace, tables)
    if result.rows["pod_steps"] == 0:
        result.warnings.append(f"no kube-state-metrics pod phases for {day}: the partition is empty")
    result.warnings += shared_gpu_warnings(warehouse, day, stage="shared_gpus")
    return result


def record_gpu_model_weights(con: duckdb.DuckDBPyConnection, settings: Settings, day: date) -> None:
    models = [row[0] for row in run_sql(con, "select_gpu_models_of_day.sql", {"day": day}).fetchall()]
    for model in models:
        weight = gpu_model_weight(settings, str(model))
        run_sql(
            con,
            "upsert_gpu_model_weight.sql",
            {
                "gpu_model": model,
                "h100_equivalent": h100_equivalent_weight(settings, model),
                "price_per_gpu_hour": weight.price_per_gpu_hour if weight else None,
            },
        )


def compute_usage_day(warehouse: Warehouse, settings: Settings, day: date) -> StageResult:
    """gpu_samples + pod_steps (+ pods, namespaces, nodes) of one day → the usage tables."""
    result = StageResult(day)
    with warehouse.connect() as con:
        compute_usage(con, settings, day)
        for table in USAGE_TABLES:
            result.rows[table] = _count_day(con, table, day)
        coverage = run_sql(con, "select_dcgm_coverage.sql", {"day": day}).fetchone()
    share = coverage[0] if coverage else None
    if share is not None and share < settings.usage.coverage_warn_share:
        result.warnings.append(
            f"DCGM covers {share:.1%} of allocated GPU-hours on {day} "
            f"(below {settings.usage.coverage_warn_share:.0%}): the rest is reported as no data"
        )
    return result
