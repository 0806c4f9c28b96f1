"""Report asset: the reports per Workspace, their summary.json, and the cluster overview, for the window of
`report.window_days` days ending with each Monday-started week (labelled partial when data covers fewer days)."""

from datetime import date, timedelta
from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from gpu_reclaim.assets.fragmentation import fragmentation
from gpu_reclaim.assets.metadata import KINDS_WAREHOUSE, OWNERS, preview_metadata
from gpu_reclaim.assets.partitions import weekly_partitions
from gpu_reclaim.assets.reclamation import recommendations
from gpu_reclaim.assets.resources import OutputsResource, SettingsResource, WarehouseResource
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import default_window, write_reports
from gpu_reclaim.reports.models import ReportIndex


def week_window(settings: Settings, week_start: date) -> tuple[date, date]:
    """The report window of the week starting `week_start`: the `report.window_days` days ending with its Sunday."""
    return default_window(settings, week_start + timedelta(days=7))


def report_metadata(index: ReportIndex) -> dict[str, Any]:
    coverage = index.coverage
    return {
        "overview": MetadataValue.path(str(index.overview_html)),
        "window": MetadataValue.text(f"{index.window_start} to {index.window_end} (end exclusive)"),
        "coverage": MetadataValue.text(coverage.label if coverage else "unknown"),
        "partial": MetadataValue.bool(bool(coverage and coverage.partial)),
        "workspaces": MetadataValue.int(len(index.workspaces)),
        "bytes_written": MetadataValue.int(index.bytes_written),
        "seconds": MetadataValue.float(index.seconds),
        **preview_metadata(
            len(index.workspaces),
            ["workspace", "report"],
            [[files.workspace, str(files.index_html)] for files in index.workspaces],
        ),
    }


@asset(
    partitions_def=weekly_partitions,
    group_name="reports",
    kinds={*KINDS_WAREHOUSE, "html"},
    owners=OWNERS,
    deps=[gpu_usage, fragmentation, recommendations],
    description=(
        "out/reports/: index.html (cluster overview), <workspace>/index.html, dated archive, summary.json, for the "
        "report.window_days days ending with the week's Sunday; partial windows say so ('3 of 7 days')."
    ),
)
def workspace_reports(
    context: AssetExecutionContext,
    settings: SettingsResource,
    warehouse: WarehouseResource,
    outputs: OutputsResource,
) -> MaterializeResult:
    loaded = settings.load()
    window_start, window_end = week_window(loaded, date.fromisoformat(context.partition_key))
    index = write_reports(warehouse.warehouse(), loaded, outputs.path(), window_start, window_end)
    if index.coverage is not None and index.coverage.partial:
        context.log.warning(f"partial report window {index.window_start} to {index.window_end}: {index.coverage.label}")
    return MaterializeResult(metadata=report_metadata(index))
