"""Ingest assets: one UTC day of DCGM and kube-state-metrics series from VictoriaMetrics into DuckDB."""

from collections.abc import Callable
from datetime import date

from dagster import AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue
from gpu_reclaim.assets.metadata import KINDS_INGEST, day_preview
from gpu_reclaim.assets.partitions import daily_asset, day_count, log_warnings, none_found_check, partition_day
from gpu_reclaim.assets.resources import SettingsResource, WarehouseResource
from gpu_reclaim.assets.stages import StageResult, ingest_dcgm_day, ingest_kube_state_day
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.warehouse import Warehouse, run_sql


def stage_metadata(result: StageResult) -> dict[str, MetadataValue]:
    metadata: dict[str, MetadataValue] = {
        f"rows_{table}": MetadataValue.int(rows) for table, rows in result.rows.items()
    }
    metadata["samples_read"] = MetadataValue.int(result.samples_read)
    metadata["series_read"] = MetadataValue.int(result.series_read)
    if result.warnings:
        metadata["warnings"] = MetadataValue.text("\n".join(result.warnings))
    return metadata


def _ingest(
    context: AssetExecutionContext,
    settings: SettingsResource,
    warehouse: WarehouseResource,
    ingest_day: Callable[[Warehouse, VictoriaMetricsClient, Settings, date], StageResult],
) -> tuple[date, StageResult]:
    """Ingest the partition's day from VictoriaMetrics with `ingest_day`; its warnings go to the run log."""
    day = partition_day(context)
    with settings.client() as client:
        result = ingest_day(warehouse.warehouse(), client, settings.load(), day)
    log_warnings(context, result.warnings)
    return day, result


@daily_asset(
    group_name="ingest",
    kinds=KINDS_INGEST,
    description=(
        "gpu_samples: one row per (step, GPU) with every DCGM metric from VictoriaMetrics, cleaned; "
        "data_quality: what the cleaning dropped or clamped."
    ),
    check_specs=[
        AssetCheckSpec("no_duplicate_gpu_steps", asset="dcgm_gpu_samples"),
        AssetCheckSpec("activity_within_bounds", asset="dcgm_gpu_samples"),
    ],
)
def dcgm_gpu_samples(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource
) -> MaterializeResult:
    day, result = _ingest(context, settings, warehouse, ingest_dcgm_day)
    with warehouse.warehouse().connect(read_only=True) as con:
        duplicates = day_count(con, "check_duplicate_gpu_samples.sql", day)
        out_of_range = day_count(con, "check_activity_bounds.sql", day)
        cleaning = run_sql(con, "select_data_quality_of_day.sql", {"day": day}).fetchall()
    metadata = stage_metadata(result)
    samples = result.rows.get("gpu_samples", 0)
    metadata.update(day_preview(warehouse.warehouse(), "preview_gpu_samples.sql", day, samples))
    metadata["cleaning"] = MetadataValue.md(
        "\n".join(f"- {stage} {rule} {metric}: {count}" for stage, rule, metric, count in cleaning) or "nothing cleaned"
    )
    return MaterializeResult(
        metadata=metadata,
        check_results=[
            none_found_check("no_duplicate_gpu_steps", duplicates, "duplicates"),
            none_found_check("activity_within_bounds", out_of_range, "rows_out_of_range"),
        ],
    )


@daily_asset(
    group_name="ingest",
    kinds=KINDS_INGEST,
    description="pod_steps, pods, namespaces, nodes, quota_steps: one day of kube-state-metrics from VictoriaMetrics.",
)
def kube_state(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource
) -> MaterializeResult:
    day, result = _ingest(context, settings, warehouse, ingest_kube_state_day)
    preview = day_preview(warehouse.warehouse(), "preview_pods.sql", day, result.rows.get("pods", 0))
    return MaterializeResult(metadata={**stage_metadata(result), **preview})
