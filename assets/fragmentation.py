"""Fragmentation asset: hourly snapshots of free GPU capacity per node, Machine Group and cluster, unmet demand,
and the day's consolidation plan. The scoring is pure (scoring/fragmentation*.py); this module moves rows."""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl
from dagster import AssetCheckResult, AssetCheckSpec, AssetExecutionContext, MaterializeResult, MetadataValue, asset
from gpu_reclaim.assets.ingest import DUCKDB_POOL, kube_state, partition_day
from gpu_reclaim.assets.partitions import daily_partitions
from gpu_reclaim.assets.stages import StageResult
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.core.provenance import record_computed_day
from gpu_reclaim.core.warehouse import Warehouse, run_sql, transaction
from gpu_reclaim.pipelines.resources import WarehouseResource
from gpu_reclaim.scoring.fragmentation import (
    NodeCapacity,
    PodRequest,
    capacities_from_rows,
    cluster_summary,
    machine_group_summaries,
    node_fragmentation_rows,
    node_states,
    pending_demand,
    pods_from_rows,
    score_nodes,
    summary_row,
    typical_pod_class_rows,
    typical_pod_classes,
)
from gpu_reclaim.scoring.fragmentation_plan import plan_defragmentation, validate_plan

FRAGMENTATION_TABLES = (
    "node_fragmentation",
    "machine_group_fragmentation",
    "cluster_fragmentation",
    "typical_pod_classes",
    "pending_demand",
    "defrag_plans",
    "defrag_moves",
)


def _records(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
    cursor = run_sql(con, name, params)
    columns = [description[0] for description in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def pending_rows(
    pending: Sequence[PodRequest], pod_nodes: Mapping[str, str | None], capacities: Sequence[NodeCapacity], nodes: Any
) -> list[dict[str, Any]]:
    """Per Machine Group: Pending GPU pods, their GPUs, and how many fit now / if consolidated.

    A bound Pending pod is judged in its node's group; an unbound one against every group (it fits if any
    group could take it) and counted under 'unplaced'."""
    group_of_node = {capacity.name: capacity.machine_group for capacity in capacities}
    groups = sorted({capacity.machine_group for capacity in capacities})
    tally: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0, 0])
    for pod in pending:
        bound = group_of_node.get(pod_nodes.get(pod.name) or "")
        candidates = [bound] if bound else groups
        fits = pending_demand({group: [pod] for group in candidates}, nodes)
        now = any(fit.fits_now for fit in fits)
        consolidated = any(fit.fits_if_consolidated for fit in fits)
        row = tally[bound or "unplaced"]
        row[0] += 1
        row[1] += pod.num_gpu * pod.milli_per_gpu / 1000
        row[2] += now
        row[3] += consolidated
        row[4] += consolidated and not now
    return [
        {
            "machine_group": group,
            "pending_pods": int(row[0]),
            "pending_gpus": row[1],
            "fit_now": int(row[2]),
            "fit_if_consolidated": int(row[3]),
            "blocked_by_fragmentation": int(row[4]),
        }
        for group, row in sorted(tally.items())
    ]


def plan_rows(
    capacities: Sequence[NodeCapacity],
    placed: Sequence[PodRequest],
    classes: Any,
    low_use_hours: Mapping[str, list[int]],
    day: date,
    snapshot_ts: datetime,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The consolidation plan of each Machine Group over one snapshot, as defrag_plans and defrag_moves rows."""
    plans: list[dict[str, Any]] = []
    moves: list[dict[str, Any]] = []
    for group in sorted({capacity.machine_group for capacity in capacities}):
        members = [capacity for capacity in capacities if capacity.machine_group == group]
        names = {capacity.name for capacity in members}
        pods = [pod for pod in placed if pod.node in names]
        plan = plan_defragmentation(members, pods, classes)
        broken = validate_plan(members, pods, plan.moves)
        if broken:  # the planner and its validator disagree: keep no plan rather than a wrong one
            raise RuntimeError(f"defragmentation plan for {group} breaks rules: {broken[:3]}")
        plans.append(
            {
                "day": day,
                "snapshot_ts": snapshot_ts,
                "machine_group": group,
                "gpu_model": members[0].gpu_model,
                "moves": len(plan.moves),
                "nodes_freed": len(plan.nodes_freed),
                "freed_nodes": list(plan.nodes_freed),
                "placeable_8gpu_before": plan.placeable_8_before,
                "placeable_8gpu_after": plan.placeable_8_after,
                "fragmentation_ratio_before": plan.fragmentation_ratio_before,
                "fragmentation_ratio_after": plan.fragmentation_ratio_after,
                "low_use_hours_utc": low_use_hours.get(group, [])[:3],
            }
        )
        moves += [
            {
                "day": day,
                "snapshot_ts": snapshot_ts,
                "machine_group": group,
                "move_order": order,
                "pod": move.pod,
                "from_node": move.from_node,
                "to_node": move.to_node,
                "gpu_indexes": list(move.gpu_indexes),
            }
            for order, move in enumerate(plan.moves, start=1)
        ]
    return plans, moves


def compute_fragmentation(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, list[dict[str, Any]]]:
    """Every fragmentation row of one day: hourly snapshots, pending demand, and the plan on the last one."""
    params = {"day": day}
    capacities = [c for c in capacities_from_rows(_records(con, "select_nodes_of_day.sql", params)) if c.gpus > 0]
    pod_info = _records(con, "select_pods_of_day.sql", params)
    population = pods_from_rows(_records(con, "select_pod_requests_of_day.sql", params), pod_info)
    classes = typical_pod_classes(population)
    low_use = {row["machine_group"]: row["hours_by_use"] for row in _records(con, "select_low_use_hours.sql", params)}
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in FRAGMENTATION_TABLES}
    snapshots = [row["snapshot_ts"] for row in _records(con, "select_fragmentation_snapshots.sql", params)]
    placed: list[PodRequest] = []
    for snapshot_ts in snapshots:
        step_rows = _records(con, "select_pod_steps_at.sql", {**params, "snapshot_ts": snapshot_ts})
        requests = pods_from_rows(step_rows, pod_info)
        placed = [pod for pod in requests if pod.node is not None]
        waiting = [pod for pod in requests if pod.node is None and pod.num_gpu > 0]
        nodes = node_states(capacities, placed)
        scores = score_nodes(nodes, classes)
        rows["node_fragmentation"] += node_fragmentation_rows(scores, day, snapshot_ts)
        rows["machine_group_fragmentation"] += [
            summary_row(summary, day, snapshot_ts) for summary in machine_group_summaries(scores)
        ]
        cluster = summary_row(cluster_summary(scores), day, snapshot_ts)
        cluster.pop("machine_group")
        rows["cluster_fragmentation"].append(cluster)
        rows["typical_pod_classes"] += typical_pod_class_rows(classes, day, snapshot_ts)
        bound = {f"{r['namespace']}/{r['pod']}": r["node"] for r in step_rows}
        rows["pending_demand"] += [
            {"day": day, "snapshot_ts": snapshot_ts, **row} for row in pending_rows(waiting, bound, capacities, nodes)
        ]
    if snapshots:
        plans, moves = plan_rows(capacities, placed, classes, low_use, day, snapshots[-1])
        rows["defrag_plans"], rows["defrag_moves"] = plans, moves
    return rows


def store_fragmentation(con: duckdb.DuckDBPyConnection, day: date, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """Replace one day of every fragmentation table, in one transaction."""
    with transaction(con):
        for table in FRAGMENTATION_TABLES:
            run_sql(con, f"delete_{table}_partition.sql", {"day": day})
            if rows[table]:
                con.register("staged_rows", pl.DataFrame(rows[table], infer_schema_length=None).to_arrow())
                try:
                    run_sql(con, f"insert_{table}.sql")
                finally:
                    con.unregister("staged_rows")
        record_computed_day(con, "fragmentation", day)


def fragmentation_day(warehouse: Warehouse, day: date) -> StageResult:
    result = StageResult(day)
    with warehouse.connect() as con:
        rows = compute_fragmentation(con, day)
        store_fragmentation(con, day, rows)
    result.rows = {table: len(table_rows) for table, table_rows in rows.items()}
    if not rows["cluster_fragmentation"]:
        result.warnings.append(f"no kube-state-metrics snapshot on {day}: no fragmentation scores")
    return result


@asset(
    partitions_def=daily_partitions,
    pool=DUCKDB_POOL,
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
    for warning in result.warnings:
        context.log.warning(warning)
    with warehouse.warehouse().connect(read_only=True) as con:
        mismatched = int(run_sql(con, "check_fragmentation_sums.sql", {"day": day}).fetchone()[0])  # type: ignore[index]
        out_of_range = int(run_sql(con, "check_fragmentation_bounds.sql", {"day": day}).fetchone()[0])  # type: ignore[index]
    metadata: dict[str, MetadataValue] = {f"rows_{t}": MetadataValue.int(n) for t, n in result.rows.items()}
    return MaterializeResult(
        metadata=metadata,
        check_results=[
            AssetCheckResult(
                check_name="groups_sum_to_cluster",
                passed=mismatched == 0,
                metadata={"mismatched_snapshots": mismatched},
            ),
            AssetCheckResult(
                check_name="ratios_within_bounds",
                passed=out_of_range == 0,
                metadata={"rows_out_of_range": out_of_range},
            ),
        ],
    )
