"""The findings side of the weekly reports' fixture (tests/unit/report_fixture.py): the cluster tables (capacity,
unmet demand, fragmentation, defrag plans and their `defragment` tickets) and the Workspaces' recommendations."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import duckdb

from tests.unit.report_names import (
    BEFORE_START,
    HOSTILE,
    HOSTILE_GROUP,
    HOSTILE_WORKLOAD,
    LAST_DAY,
    WINDOW_END,
    WINDOW_START,
    WORKSPACE_A,
    WORKSPACE_B,
)


def insert_cluster_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Machine Group capacity and unmet demand per hour, fragmentation snapshots, defrag plans and the
    cluster-level `defragment` tickets (workspace 'cluster'); one row of each just outside the window."""
    start = datetime(2026, 1, 5)
    hourly = "INSERT INTO machine_group_usage_hourly VALUES (?, ?, ?, 'NVIDIA-H100', ?, ?, ?, ?, ?, ?, ?, '')"
    for hour in range(6):
        ts = start + timedelta(hours=hour)
        allocated = 8.0 + 0.5 * hour
        con.execute(
            hourly, [ts.date(), ts, "mg-h100", 16.0, allocated, 2.125 + 0.25 * hour, 1.0, 16.0 - allocated, 0, 0]
        )
        pending = 0.75 if hour == 2 else 0.0
        con.execute(hourly, [ts.date(), ts, HOSTILE_GROUP, 8.0, 3.0, 1.5, 0.5, 5.0, pending, 1 if pending else 0])
    for hour in (3, 4):
        ts = start + timedelta(hours=hour)
        con.execute(
            "INSERT INTO machine_group_usage_hourly VALUES (?, ?, 'unplaced', 'unknown', 0, 0, 0, 0, 0, 12.5, 2, '')",
            [ts.date(), ts],
        )
    outside = start - timedelta(hours=1)
    con.execute(hourly, [outside.date(), outside, "mg-h100", 999.0, 999.0, 999.0, 0, 0, 999.0, 9])

    fragmentation = {
        "mg-h100": ([10.125, 20.25, 30.5, 15.0625], [8, 6, 4, 7], [2, 0, 0, 1]),
        HOSTILE_GROUP: ([5.5, 5.5, 6.75, 5.5], [4, 4, 3, 4], [0, 0, 0, 0]),
        "cluster": ([7.75, 12.5, 22.25, 11.125], [12, 10, 7, 11], [3, 1, 0, 2]),
    }
    for scope, (ratios, free, placeable) in fragmentation.items():
        for hour, (ratio, whole, slots) in enumerate(zip(ratios, free, placeable, strict=True)):
            ts = start + timedelta(hours=hour)
            figures = [ts.date(), ts, "NVIDIA-H100", 2, 16, whole, float(whole), 0, 1, 8, 4, 2, slots]
            if scope == "cluster":
                con.execute(
                    "INSERT INTO cluster_fragmentation VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
                    [*figures, ratio * 0.1, ratio],
                )
            else:
                con.execute(
                    "INSERT INTO machine_group_fragmentation VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')",
                    [*figures[:2], scope, *figures[2:], ratio * 0.1, ratio],
                )
    con.execute(
        "INSERT INTO machine_group_fragmentation VALUES (?, ?, 'mg-h100', 'NVIDIA-H100', 2, 16, 16, 16, 2, 0, "
        "16, 8, 4, 2, 0, 99.9, '')",
        [outside.date(), outside],
    )
    for hour, blocked in ((3, 1), (4, 2)):
        ts = start + timedelta(hours=hour)
        con.execute(
            "INSERT INTO pending_demand VALUES (?, ?, 'unplaced', 2, 12.5, 0, 2, ?, '')", [ts.date(), ts, blocked]
        )

    plan = "INSERT INTO defrag_plans VALUES (?, ?, ?, 'NVIDIA-H100', ?, ?, ?, ?, ?, ?, ?, ?, '')"
    for day, group, moves, freed, before, after, ratio_before, ratio_after, hours in [
        (WINDOW_START + timedelta(1), "mg-h100", 9, ["node-old"], 0, 0, 40.0, 39.0, [1]),
        (WINDOW_START + timedelta(2), "mg-h100", 2, ["node-a"], 0, 1, 30.5, 12.125, [3, 4]),
        (WINDOW_START, HOSTILE_GROUP, 1, ["node-x"], 0, 0, 5.5, 5.5, []),
        (WINDOW_END, "mg-h100", 42, ["node-late"], 0, 5, 80.0, 1.0, [5]),
    ]:
        snapshot = datetime.combine(day, datetime.min.time()) + timedelta(hours=23)
        con.execute(
            plan, [day, snapshot, group, moves, len(freed), freed, before, after, ratio_before, ratio_after, hours]
        )

    for evaluated_on, finding, weekly in [
        (LAST_DAY, "defragment-h100", 1344.0),
        (date(2026, 1, 8), "defrag-old", 5.0),
    ]:
        ticket = {
            "action": "Move 2 pods within mg-h100 at 03:00, 04:00 UTC to empty 1 node(s) (see defrag_moves).",
            "summary": "mg-h100: 2 moves free 1 whole node(s); 8-GPU slots 0 -> 1, fragmentation 30% -> 12%.",
            "evidence": {"moves": 2, "freed_nodes": ["node-a"], "note": HOSTILE_GROUP},
        }
        con.execute(
            "INSERT INTO recommendations VALUES (?, ?, 'defragment', 'high', 'cluster', 'cluster', '', "
            "'MachineGroup/mg-h100', false, 'NVIDIA-H100', 0, 8, 0, ?, ?, ?, ?, '')",
            [evaluated_on, finding, weekly, datetime(2026, 1, 5), datetime(2026, 1, 12), json.dumps(ticket)],
        )


def insert_recommendations(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        # (evaluated_on, id, workspace, project, namespace, workload, exempt, reclaimable, idle, per week)
        (LAST_DAY, "alpha-f1", WORKSPACE_A, "vision", "alpha-vision", "Deployment/vision-api", False, 2, 21.5, 12.25),
        (LAST_DAY, "alpha-f2", WORKSPACE_A, HOSTILE, "alpha-xss", HOSTILE_WORKLOAD, True, 4, 13.0, 9.0),
        (
            LAST_DAY,
            "bravo-f1",
            WORKSPACE_B,
            "bravo-nlp",
            "bravo-nlp-ns",
            "Deployment/bravo-server",
            False,
            8,
            444.444,
            333.333,
        ),
        (date(2026, 1, 8), "alpha-old", WORKSPACE_A, "vision", "alpha-vision", "Job/old", False, 1, 1.0, 99.0),
        (BEFORE_START, "alpha-prev", WORKSPACE_A, "vision", "alpha-vision", "Job/prev", False, 1, 5.0, 7.5),
    ]
    for evaluated_on, finding, workspace, project, namespace, workload, exempt, gpus, idle, weekly in rows:
        ticket = {
            "action": f"Scale {workload} down by {gpus} GPUs",
            "summary": f"{workload} idles",
            "evidence": {"mean_activity": 0.004, "idle_share": 0.93, "note": HOSTILE if exempt else "idle"},
        }
        con.execute(
            "INSERT INTO recommendations VALUES (?, ?, 'idle_allocation', 'high', ?, ?, ?, ?, ?, 'NVIDIA-H100', "
            "8, ?, ?, ?, ?, ?, ?, '')",
            [
                evaluated_on,
                finding,
                workspace,
                project,
                namespace,
                workload,
                exempt,
                gpus,
                idle,
                weekly,
                datetime(2026, 1, 5),
                datetime(2026, 1, 12),
                json.dumps(ticket),
            ],
        )
