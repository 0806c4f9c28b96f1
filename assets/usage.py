"""Usage asset: allocation against use per pod-GPU, pod, Project and Workspace for one UTC day."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
)
from gpu_reclaim.assets.ingest import dcgm_gpu_samples, kube_state, stage_metadata
from gpu_reclaim.assets.metadata import day_preview
from gpu_reclaim.assets.partitions import daily_asset, day_count, log_warnings, none_found_check, partition_day
from gpu_reclaim.assets.resources import SettingsResource, WarehouseResource
from gpu_reclaim.assets.stages import compute_usage_day
from gpu_reclaim.core.warehouse import run_sql


@daily_asset(
    group_name="usage",
    deps=[dcgm_gpu_samples, kube_state],
    description=(
        "Allocation against use per pod-GPU, pod, Project and Workspace: pod_gpu_usage_daily, pod_usage_daily, "
        "project/workspace_usage_daily and the hourly tables."
    ),
    check_specs=[
        AssetCheckSpec("workspace_totals_equal_projects", asset="gpu_usage"),
        AssetCheckSpec("dcgm_coverage", asset="gpu_usage", description="Share of allocated GPU-hours with DCGM."),
    ],
)
def gpu_usage(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource
) -> MaterializeResult:
    day = partition_day(context)
    loaded = settings.load()
    result = compute_usage_day(warehouse.warehouse(), loaded, day)
    log_warnings(context, result.warnings)
    with warehouse.warehouse().connect(read_only=True) as con:
        mismatched = day_count(con, "check_workspace_totals.sql", day)
        coverage_row = run_sql(con, "select_dcgm_coverage.sql", {"day": day}).fetchone()
    coverage = float(coverage_row[0]) if coverage_row and coverage_row[0] is not None else 1.0
    return MaterializeResult(
        metadata={
            **stage_metadata(result),
            **day_preview(
                warehouse.warehouse(),
                "preview_workspace_usage_daily.sql",
                day,
                result.rows.get("workspace_usage_daily", 0),
            ),
        },
        check_results=[
            none_found_check("workspace_totals_equal_projects", mismatched, "mismatched_workspaces"),
            AssetCheckResult(
                check_name="dcgm_coverage",
                passed=coverage >= loaded.usage.coverage_warn_share,
                severity=AssetCheckSeverity.WARN,
                metadata={"coverage_share": coverage},
            ),
        ],
    )
