"""Report asset: the weekly HTML report per Workspace, its summary.json, and the cluster overview."""

from datetime import date, timedelta

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from gpu_reclaim.assets.fragmentation import fragmentation
from gpu_reclaim.assets.partitions import weekly_partitions
from gpu_reclaim.assets.reclamation import recommendations
from gpu_reclaim.assets.resources import OutputsResource, SettingsResource, WarehouseResource
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.reports.build import build_reports


@asset(
    partitions_def=weekly_partitions,
    group_name="reports",
    deps=[gpu_usage, fragmentation, recommendations],
    description="out/reports/: index.html (cluster overview), <workspace>/index.html, dated archive, summary.json.",
)
def workspace_reports(
    context: AssetExecutionContext,
    settings: SettingsResource,
    warehouse: WarehouseResource,
    outputs: OutputsResource,
) -> MaterializeResult:
    window_start = date.fromisoformat(context.partition_key)
    window_end = window_start + timedelta(days=7)
    with warehouse.warehouse().connect(read_only=True) as con:
        index = build_reports(con, settings.load(), window_start, window_end, outputs.path() / "reports")
    return MaterializeResult(
        metadata={
            "overview": MetadataValue.path(str(index.overview_html)),
            "workspaces": MetadataValue.int(len(index.workspaces)),
            "bytes_written": MetadataValue.int(index.bytes_written),
            "seconds": MetadataValue.float(index.seconds),
        }
    )
