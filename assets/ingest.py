"""Ingest assets: one UTC day of DCGM and kube-state-metrics series from VictoriaMetrics into DuckDB."""

from datetime import date

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
)
from gpu_reclaim.assets.metadata import KINDS_INGEST, day_preview
from gpu_reclaim.assets.partitions import daily_asset
from gpu_reclaim.assets.resources import SettingsResource, WarehouseResource
from gpu_reclaim.assets.stages import StageResult, ingest_dcgm_day, ingest_kube_state_day
from gpu_reclaim.core.warehouse import run_sql


def partition_day(context: AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


def stage_metadata(result: StageResult) -> dict[str, MetadataValue]:
    metadata: dict[str, MetadataValue] = {
        f"rows_{table}": MetadataValue.int(rows) for table, rows in result.rows.items()
    }
    metadata["samples_read"] = MetadataValue.int(result.samples_read)
    metadata["series_read"] = MetadataValue.int(result.series_read)
    if result.warnings:
        metadata["warnings"] = MetadataValue.text("\n".join(result.warnings))
    return metadata


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
    day = partition_day(context)
    with settings.client() as client:
        result = ingest_dcgm_day(warehouse.warehouse(), client, settings.load(), day)
    for warning in result.warnings:
        context.log.warning(warning)
    with warehouse.warehouse().connect(read_only=True) as con:
        duplicates = int(run_sql(con, "check_duplicate_gpu_samples.sql", {"day": day}).fetchone()[0])  # type: ignore[index]
        out_of_range = int(run_sql(con, "check_activity_bounds.sql", {"day": day}).fetchone()[0])  # type: ignore[index]
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
            AssetCheckResult(
                check_name="no_duplicate_gpu_steps",
                passed=duplicates == 0,
                metadata={"duplicates": duplicates},
            ),
            AssetCheckResult(
                check_name="activity_within_bounds",
                passed=out_of_range == 0,
                severity=AssetCheckSeverity.ERROR,
                metadata={"rows_out_of_range": out_of_range},
            ),
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
    day = partition_day(context)
    with settings.client() as client:
        result = ingest_kube_state_day(warehouse.warehouse(), client, settings.load(), day)
    for warning in result.warnings:
        context.log.warning(warning)
    preview = day_preview(warehouse.warehouse(), "preview_pods.sql", day, result.rows.get("pods", 0))
    return MaterializeResult(metadata={**stage_metadata(result), **preview})
