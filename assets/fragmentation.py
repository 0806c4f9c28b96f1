"""Fragmentation asset: hourly snapshots of free GPU capacity per node, Machine Group and cluster, unmet demand,
and the day's consolidation plan. The scoring is pure (scoring/fragmentation/) and store/fragmentation.py reads and
writes the tables; this module only wires them."""

from datetime import date

from dagster import AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue
from gpu_reclaim.assets.ingest import kube_state
from gpu_reclaim.assets.metadata import day_preview
from gpu_reclaim.assets.partitions import daily_asset, day_count, log_warnings, none_found_check, partition_day
from gpu_reclaim.assets.resources import WarehouseResource
from gpu_reclaim.assets.stages import StageResult
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.store.fragmentation import compute_fragmentation, store_fragmentation


def fragmentation_day(warehouse: Warehouse, day: date) -> StageResult:
    result = StageResult(day)
    with warehouse.connect() as con:
        rows = compute_fragmentation(con, day)
        store_fragmentation(con, day, rows)
    result.rows = {table: len(table_rows) for table, table_rows in rows.items()}
    if not rows["cluster_fragmentation"]:
        result.warnings.append(f"no kube-state-metrics snapshot on {day}: no fragmentation scores")
    return result


@daily_asset(
    group_name="fragmentation",
    deps=[kube_state, gpu_usage],
    description="Hourly node / Machine Group / cluster fragmentation (Weng et al., ATC'23), unmet demand, defrag plan.",
    check_specs=[
        AssetCheckSpec("groups_sum_to_cluster", asset="fragmentation"),
        AssetCheckSpec("ratios_within_bounds", asset="fragmentation"),
    ],
)
def fragmentation(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
    day = partition_day(context)
    result = fragmentation_day(warehouse.warehouse(), day)
    log_warnings(context, result.warnings)
    with warehouse.warehouse().connect(read_only=True) as con:
        mismatched = day_count(con, "check_fragmentation_sums.sql", day)
        out_of_range = day_count(con, "check_fragmentation_bounds.sql", day)
    metadata: dict[str, MetadataValue] = {f"rows_{t}": MetadataValue.int(n) for t, n in result.rows.items()}
    rows = result.rows["cluster_fragmentation"]
    metadata.update(day_preview(warehouse.warehouse(), "preview_cluster_fragmentation.sql", day, rows))
    return MaterializeResult(
        metadata=metadata,
        check_results=[
            none_found_check("groups_sum_to_cluster", mismatched, "mismatched_snapshots"),
            none_found_check("ratios_within_bounds", out_of_range, "rows_out_of_range"),
        ],
    )
