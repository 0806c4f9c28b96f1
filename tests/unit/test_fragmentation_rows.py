"""The fragmentation figures as DuckDB rows (store/fragmentation.py): read from and written to the tables, and every
row fits the DDL."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import duckdb
from gpu_reclaim.scoring.fragmentation import (
    GpuNode,
    NodeCapacity,
    PodRequest,
    assign_pods,
    cluster_summary,
    machine_group_summaries,
    score_nodes,
    typical_pod_classes,
)
from gpu_reclaim.store.fragmentation import (
    capacities_from_rows,
    node_fragmentation_rows,
    pods_from_rows,
    summary_row,
    typical_pod_class_rows,
)

DDL = Path(__file__).resolve().parents[2] / "sql" / "migrations" / "0001_baseline_v0_1_0.sql"


# -- DuckDB rows ---------------------------------------------------------------------------------------------------


def pod_step(
    uid: str,
    pod: str,
    node: str | None,
    phase: str,
    gpus: float,
    milli: float = 0.0,
    cpu: float = 0.0,
    memory: float = 0.0,
) -> dict[str, Any]:
    """One pod_steps row of namespace `ns`, as the fragmentation stage reads it."""
    return {
        "uid": uid,
        "namespace": "ns",
        "pod": pod,
        "node": node,
        "phase": phase,
        "gpus_requested": gpus,
        "gpu_milli_requested": milli,
        "cpu_cores_requested": cpu,
        "memory_bytes_requested": memory,
    }


def test_rows_from_tables() -> None:
    caps = capacities_from_rows(
        [
            {
                "node": "n1",
                "machine_group": "g",
                "gpu_model": "T4",
                "gpu_allocatable": 2.0,
                "cpu_cores_allocatable": 16.0,
                "memory_bytes_allocatable": 64.0 * 2**30,
            }
        ]
    )
    assert caps == [NodeCapacity("n1", "g", "T4", 2, 16000, 65536)]
    steps = [
        pod_step("u1", "whole", "n1", "Running", gpus=1.0, cpu=2.5, memory=1.5 * 2**20),
        pod_step("u2", "shared", "n1", "Running", gpus=0.25, milli=250.0, cpu=1.0),
        pod_step("u3", "waiting", None, "Pending", gpus=4.0),
    ]
    meta: list[dict[str, Any]] = [
        {
            "uid": "u2",
            "owner_kind": "Deployment",
            "owner_name": "api",
            "category": "serving",
            "reclaim_exempt": True,
            "gpu_share_index": "1",
        }
    ]
    whole, shared, waiting = pods_from_rows(steps, meta)
    assert (whole.name, whole.num_gpu, whole.gpu_milli, whole.cpu_milli, whole.memory_mib) == (
        "ns/whole",
        1,
        1000,
        2500,
        2,
    )
    assert (shared.num_gpu, shared.gpu_milli, shared.gpu_indexes, shared.workload) == (1, 250, (1,), "Deployment/api")
    assert shared.serving and shared.exempt
    assert waiting.node is None and waiting.num_gpu == 4
    state = assign_pods(caps, [whole, shared, waiting]).nodes["n1"]
    assert state.gpu_free_milli == (0, 750)


def test_rows_fit_the_ddl() -> None:
    nodes = [GpuNode("n1", "g", "T4", (1000, 400), 3000, 2048), GpuNode("n2", "g", "T4", (0, 0), 0, 0)]
    classes = typical_pod_classes(
        [PodRequest("a", cpu_milli=1000, num_gpu=1), PodRequest("b", num_gpu=1, allowed_models=frozenset({"T4"}))],
        coverage=1.0,
    )
    scores = score_nodes(nodes, classes)
    day, ts = date(2026, 1, 5), datetime(2026, 1, 5, 12, 0)
    con = duckdb.connect()
    con.execute(DDL.read_text(encoding="utf-8"))

    def insert(table: str, rows: list[dict[str, object]]) -> None:
        columns = list(rows[0])
        marks = ", ".join("?" for _ in columns)
        con.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", [list(r.values()) for r in rows]
        )

    insert("node_fragmentation", list(node_fragmentation_rows(scores, day, ts)))
    insert("machine_group_fragmentation", [summary_row(s, day, ts) for s in machine_group_summaries(scores)])
    cluster = summary_row(cluster_summary(scores), day, ts)
    del cluster["machine_group"]
    insert("cluster_fragmentation", [cluster])
    insert("typical_pod_classes", list(typical_pod_class_rows(classes, day, ts)))
    assert con.execute("SELECT count(*) FROM node_fragmentation").fetchone() == (2,)
    assert con.execute("SELECT free_whole_gpus, placeable_1gpu FROM cluster_fragmentation").fetchone() == (1, 1)
    assert con.execute("SELECT allowed_models FROM typical_pod_classes ORDER BY class_rank").fetchall() == [
        ("T4",),  # equal counts: the class with fewer CPU cores ranks first
        (None,),
    ]
