"""The fragmentation tables: the day's nodes and pods read into the domain's types, scored snapshot by snapshot
(scoring.fragmentation), and the rows written back, one day of every table in one transaction."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl
from gpu_reclaim.core.provenance import record_computed_day
from gpu_reclaim.core.warehouse import fetch_records, run_sql, transaction
from gpu_reclaim.scoring.fragmentation import (
    PLACEMENT_SIZES,
    WHOLE_GPU_MILLI,
    FragmentationSummary,
    GroupPlan,
    NodeCapacity,
    NodeFragmentation,
    PodClass,
    PodRequest,
    cluster_summary,
    machine_group_summaries,
    node_states,
    pending_by_group,
    plan_machine_groups,
    score_nodes,
    typical_pod_classes,
)
from gpu_reclaim.store.mig_layouts import mig_layouts, with_mig_instances, with_mig_layouts

FRAGMENTATION_TABLES = (
    "node_fragmentation",
    "machine_group_fragmentation",
    "cluster_fragmentation",
    "typical_pod_classes",
    "pending_demand",
    "defrag_plans",
    "defrag_moves",
)
_MIB = 1 << 20


def capacities_from_rows(nodes: Iterable[Mapping[str, Any]]) -> list[NodeCapacity]:
    """``NodeCapacity`` from rows of the ``nodes`` table (one day); nodes without GPUs are kept (0 GPUs)."""
    return [
        NodeCapacity(
            name=str(row["node"]),
            machine_group=str(row["machine_group"]),
            gpu_model=str(row["gpu_model"]),
            gpus=round(float(row["gpu_allocatable"] or 0)),
            cpu_milli=round(float(row["cpu_cores_allocatable"] or 0) * 1000),
            memory_mib=int(float(row["memory_bytes_allocatable"] or 0) // _MIB),
        )
        for row in nodes
    ]


def pods_from_rows(
    pod_steps: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]] = (),
    *,
    serving_categories: Collection[str] = ("serving",),
) -> list[PodRequest]:
    """``PodRequest`` from rows of ``pod_steps`` (one ``ts``) joined by ``uid`` to rows of ``pods``.

    The pod name is ``namespace/pod``. Only Running pods keep their node; other phases (Pending) get
    ``node=None``, which is what :func:`pending_demand` takes. Shared pods (``gpu_milli_requested > 0``
    and no whole GPU) get one GPU of that share and the index of their annotation (``gpu_share_index``);
    the workload is ``owner_kind/owner_name`` and ``serving`` follows the pod's category.
    A MIG instance or a time-sliced replica (``gpus_requested`` below one, no GPU-milli) is a shared pod of its
    share of a GPU, so free slices and unheld replicas are free share only pods that fit can use; a MIG pod gets
    ``mig_profiles=()`` (it never moves until store.mig_layouts gives it its instances and its GPU's layout).
    """
    meta = {str(row["uid"]): row for row in pods}
    out: list[PodRequest] = []
    for row in pod_steps:
        info = meta.get(str(row["uid"]), {})
        milli = float(row["gpu_milli_requested"] or 0)
        whole = round(float(row["gpus_requested"] or 0) - milli / WHOLE_GPU_MILLI)
        shared = milli > 0 and whole == 0
        part = float(row["gpus_requested"] or 0) if milli == 0 else 0.0
        if 0 < part < 1:  # a MIG instance or a replica of a time-sliced GPU: its share of one GPU
            milli, shared = part * WHOLE_GPU_MILLI, True
        index = info.get("gpu_share_index")
        indexes = (int(index),) if shared and index is not None and str(index).strip().isdigit() else None
        owner = f"{info['owner_kind']}/{info['owner_name']}" if info.get("owner_kind") else None
        out.append(
            PodRequest(
                name=f"{row['namespace']}/{row['pod']}",
                cpu_milli=round(float(row["cpu_cores_requested"] or 0) * 1000),
                memory_mib=-int(-float(row["memory_bytes_requested"] or 0) // _MIB),
                num_gpu=1 if shared else max(whole, 0),
                gpu_milli=min(WHOLE_GPU_MILLI, max(1, round(milli))) if shared else WHOLE_GPU_MILLI,
                node=str(row["node"]) if row["phase"] == "Running" and row["node"] else None,
                gpu_indexes=indexes,
                workload=owner,
                serving=str(info.get("category", "")) in serving_categories,
                exempt=bool(info.get("reclaim_exempt", False)),
                mig_profiles=() if row.get("gpu_sharing") == "mig" else None,
            )
        )
    return out


def node_fragmentation_rows(
    scores: Iterable[NodeFragmentation], day: date, snapshot_ts: datetime
) -> list[dict[str, Any]]:
    """Rows of ``node_fragmentation`` (sql/create_fragmentation_tables.sql)."""
    return [
        {
            "day": day,
            "snapshot_ts": snapshot_ts,
            "node": s.node,
            "machine_group": s.machine_group,
            "gpu_model": s.gpu_model,
            "gpus": s.gpus,
            "free_whole_gpus": s.free_whole_gpus,
            "free_gpu_share": s.free_gpu_milli / WHOLE_GPU_MILLI,
            "cpu_free_cores": s.cpu_free_milli / 1000,
            "memory_free_bytes": float(s.memory_free_mib * _MIB),
            "fully_free": s.fully_free,
            "stranded_gpus": s.stranded_gpus,
            "stranded_gpu_share": s.stranded_gpu_milli / WHOLE_GPU_MILLI,
            "fragmentation_gpus": s.fragmentation_milli / WHOLE_GPU_MILLI,
            "fragmentation_ratio": s.fragmentation_ratio,
        }
        for s in scores
    ]


def summary_row(summary: FragmentationSummary, day: date, snapshot_ts: datetime) -> dict[str, Any]:
    """A row of ``machine_group_fragmentation``, or of ``cluster_fragmentation`` once ``machine_group``
    is dropped (the cluster summary's scope is ``"cluster"``)."""
    row: dict[str, Any] = {
        "day": day,
        "snapshot_ts": snapshot_ts,
        "machine_group": summary.scope,
        "gpu_model": summary.gpu_model,
        "nodes": summary.nodes,
        "gpus": summary.gpus,
        "free_whole_gpus": summary.free_whole_gpus,
        "free_gpu_share": summary.free_gpu_milli / WHOLE_GPU_MILLI,
        "fully_free_nodes": summary.fully_free_nodes,
        "stranded_gpus": summary.stranded_gpus,
    }
    for size in PLACEMENT_SIZES:
        row[f"placeable_{size}gpu"] = summary.placeable.get(size, 0)
    row["fragmentation_gpus"] = summary.fragmentation_gpus
    row["fragmentation_ratio"] = summary.fragmentation_ratio
    return row


def typical_pod_class_rows(classes: Sequence[PodClass], day: date, snapshot_ts: datetime) -> list[dict[str, Any]]:
    """Rows of ``typical_pod_classes``."""
    return [
        {
            "day": day,
            "snapshot_ts": snapshot_ts,
            "class_rank": rank,
            "num_gpu": c.num_gpu,
            "gpu_share_per_gpu": c.gpu_milli_per_gpu / WHOLE_GPU_MILLI,
            "cpu_cores": c.cpu_milli / 1000,
            "memory_mib": c.memory_mib,
            "allowed_models": "|".join(sorted(c.allowed_models)) if c.allowed_models is not None else None,
            "pods": c.pods,
            "popularity": c.popularity,
        }
        for rank, c in enumerate(classes, 1)
    ]


def plan_rows(
    plans: Sequence[GroupPlan], low_use_hours: Mapping[str, list[int]], day: date, snapshot_ts: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Rows of ``defrag_plans`` and ``defrag_moves`` of the Machine Groups' plans over one snapshot."""
    at = {"day": day, "snapshot_ts": snapshot_ts}
    plan_table = [
        {
            **at,
            "machine_group": group.machine_group,
            "gpu_model": group.gpu_model,
            "moves": len(group.plan.moves),
            "nodes_freed": len(group.plan.nodes_freed),
            "freed_nodes": list(group.plan.nodes_freed),
            "placeable_8gpu_before": group.plan.placeable_8_before,
            "placeable_8gpu_after": group.plan.placeable_8_after,
            "fragmentation_ratio_before": group.plan.fragmentation_ratio_before,
            "fragmentation_ratio_after": group.plan.fragmentation_ratio_after,
            "low_use_hours_utc": low_use_hours.get(group.machine_group, [])[:3],
        }
        for group in plans
    ]
    move_table = [
        {
            **at,
            "machine_group": group.machine_group,
            "move_order": order,
            "pod": move.pod,
            "from_node": move.from_node,
            "to_node": move.to_node,
            "gpu_indexes": list(move.gpu_indexes),
        }
        for group in plans
        for order, move in enumerate(group.plan.moves, start=1)
    ]
    return plan_table, move_table


def _snapshot_rows(
    rows: dict[str, list[dict[str, Any]]],
    capacities: Sequence[NodeCapacity],
    requests: Sequence[PodRequest],
    bound: Mapping[str, str | None],
    classes: Sequence[PodClass],
    day: date,
    snapshot_ts: datetime,
) -> None:
    """Score one snapshot and add its rows to every snapshot table."""
    placed = [pod for pod in requests if pod.node is not None]
    waiting = [pod for pod in requests if pod.node is None and pod.num_gpu > 0]
    nodes = node_states(capacities, placed)
    scores = score_nodes(nodes, classes)
    rows["node_fragmentation"] += node_fragmentation_rows(scores, day, snapshot_ts)
    rows["machine_group_fragmentation"] += [summary_row(s, day, snapshot_ts) for s in machine_group_summaries(scores)]
    cluster = summary_row(cluster_summary(scores), day, snapshot_ts)
    cluster.pop("machine_group")
    rows["cluster_fragmentation"].append(cluster)
    rows["typical_pod_classes"] += typical_pod_class_rows(classes, day, snapshot_ts)
    rows["pending_demand"] += [
        {"day": day, "snapshot_ts": snapshot_ts, **asdict(group)}
        for group in pending_by_group(waiting, bound, capacities, nodes)
    ]


def _of_cluster(rows: Iterable[Mapping[str, Any]], cluster: str) -> list[Mapping[str, Any]]:
    return [row for row in rows if str(row.get("cluster", "")) == cluster]


def _with_cluster(rows: dict[str, list[dict[str, Any]]], cluster: str) -> dict[str, list[dict[str, Any]]]:
    return {table: [{**row, "cluster": cluster} for row in table_rows] for table, table_rows in rows.items()}


def compute_fragmentation(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, list[dict[str, Any]]]:
    """Every fragmentation row of one day: hourly snapshots, pending demand, and the plan on the last one, per
    cluster (README "Several clusters in one VictoriaMetrics": a cluster's nodes, pods, typical pod classes and
    defrag plan are its own; a pod never moves to another cluster). One cluster '' when labels.cluster_label is
    off."""
    params = {"day": day}
    nodes = fetch_records(con, "select_nodes_of_day.sql", params)
    instances = fetch_records(con, "select_mig_instances_of_day.sql", params)  # MIG layouts (store/mig_layouts.py)
    pod_info = fetch_records(con, "select_pods_of_day.sql", params)
    population = fetch_records(con, "select_pod_requests_of_day.sql", params)
    low_use = fetch_records(con, "select_low_use_hours.sql", params)
    snapshots = [row["snapshot_ts"] for row in fetch_records(con, "select_fragmentation_snapshots.sql", params)]
    steps = {ts: fetch_records(con, "select_pod_steps_at.sql", {**params, "snapshot_ts": ts}) for ts in snapshots}
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in FRAGMENTATION_TABLES}
    for cluster in sorted({str(row["cluster"]) for row in [*nodes, *population]}):
        cluster_rows = cluster_fragmentation_rows(
            day,
            _of_cluster(nodes, cluster),
            _of_cluster(pod_info, cluster),
            _of_cluster(population, cluster),
            _of_cluster(instances, cluster),
            {str(r["machine_group"]): list(r["hours_by_use"]) for r in _of_cluster(low_use, cluster)},
            {ts: _of_cluster(step_rows, cluster) for ts, step_rows in steps.items()},
        )
        for table, table_rows in _with_cluster(cluster_rows, cluster).items():
            rows[table] += table_rows
    return rows


def cluster_fragmentation_rows(
    day: date,
    nodes: Sequence[Mapping[str, Any]],
    pod_info: Sequence[Mapping[str, Any]],
    population: Sequence[Mapping[str, Any]],
    instances: Sequence[Mapping[str, Any]],
    low_use: Mapping[str, list[int]],
    steps: Mapping[datetime, Sequence[Mapping[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """The fragmentation rows of one cluster's day from its rows of nodes, pods, pod_steps (the day's population
    and each snapshot's), its MIG instances and Machine Groups' low-use hours."""
    capacities = [c for c in capacities_from_rows(nodes) if c.gpus > 0]
    capacities = with_mig_layouts(capacities, mig_layouts(instances))
    classes = typical_pod_classes(pods_from_rows(population, pod_info))
    rows: dict[str, list[dict[str, Any]]] = {table: [] for table in FRAGMENTATION_TABLES}
    placed: list[PodRequest] = []
    for snapshot_ts, step_rows in steps.items():
        requests = with_mig_instances(pods_from_rows(step_rows, pod_info), instances, capacities)
        bound = {f"{r['namespace']}/{r['pod']}": r["node"] for r in step_rows}
        _snapshot_rows(rows, capacities, requests, bound, classes, day, snapshot_ts)
        placed = [pod for pod in requests if pod.node is not None]
    if steps:
        plans = plan_machine_groups(capacities, placed, classes)
        rows["defrag_plans"], rows["defrag_moves"] = plan_rows(plans, low_use, day, list(steps)[-1])
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
