"""Write-back asset: after a day is scored, its gpu_reclaim_* series go to VictoriaMetrics (core/writeback.py).

A refused or unreachable target never fails the day: the asset materialises with a warning, the failure is
recorded in write_back_status, and the next run retries it.
"""

from typing import Any

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from gpu_reclaim.assets.fragmentation import fragmentation
from gpu_reclaim.assets.metadata import KINDS_INGEST, preview_metadata
from gpu_reclaim.assets.partitions import daily_asset, log_warnings, partition_day
from gpu_reclaim.assets.reclamation import recommendations
from gpu_reclaim.assets.resources import SettingsResource, WarehouseResource
from gpu_reclaim.core.errors import named_one_line
from gpu_reclaim.core.writeback import WriteBackResult, write_back


@daily_asset(
    group_name="write_back",
    kinds=KINDS_INGEST,
    deps=[fragmentation, recommendations],
    description="Imports the day's scores into VictoriaMetrics as gpu_reclaim_* series ([write_back] enabled).",
)
def score_write_back(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource
) -> MaterializeResult:
    loaded = settings.load()
    if not loaded.write_back.enabled:
        return MaterializeResult(
            metadata={"enabled": MetadataValue.bool(False), **preview_metadata(0, ["day", "stage", "status"], [])}
        )
    day = partition_day(context)
    try:
        result = write_back(warehouse.warehouse(), loaded, day)
    except Exception as error:  # a day never fails because of its write-back; the next run retries it
        reason = named_one_line(error, 300)
        result = WriteBackResult(warnings=[f"write-back for {day} failed (retried next run): {reason}"])
    log_warnings(context, result.warnings)
    metadata: dict[str, Any] = {
        "enabled": MetadataValue.bool(True),
        **preview_metadata(
            result.series,
            ["day", "stage", "status"],
            [[str(d), stage, "written"] for d, stage in sorted(result.written)]
            + [[str(d), stage, "failed"] for d, stage in sorted(result.failed)],
        ),
        "series": MetadataValue.int(result.series),
        "samples": MetadataValue.int(result.samples),
        "written": MetadataValue.json(sorted(f"{d}:{stage}" for d, stage in result.written)),
        "failed": MetadataValue.json(sorted(f"{d}:{stage}" for d, stage in result.failed)),
    }
    if result.warnings:
        metadata["warnings"] = MetadataValue.text("\n".join(result.warnings))
    return MaterializeResult(metadata=metadata)
