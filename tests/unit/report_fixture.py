"""The weekly reports' DuckDB fixture: two Workspaces (one with hostile names), the cluster tables and tickets,
and helpers that read back what build_reports wrote. Shared by the tests/unit/test_reports_*.py files."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.models import ReportIndex

WINDOW_START = date(2026, 1, 5)  # a Monday
WINDOW_END = date(2026, 1, 12)
LAST_DAY = date(2026, 1, 11)  # the evaluation dated the window's last day evaluates the window
BEFORE_START = date(2026, 1, 4)  # the last day of the previous window
HOSTILE = "<script>alert(1)</script>"
HOSTILE_WORKLOAD = "Job/<img src=x onerror=alert(2)>"
WORKSPACE_A = "alpha-ws"
WORKSPACE_B = "Bravo Team"
# Every name and a distinctive figure of Workspace B: none may appear in Workspace A's outputs.
B_STRINGS = ("Bravo Team", "bravo", "Bravo", "777.777", "333.333", "444.444", "mg-bravo-only", "555.5")
HOSTILE_GROUP = "mg-<script>alert(5)</script>"
# The cluster-level findings and tables: shown on the overview only, never in a Workspace's outputs.
CLUSTER_STRINGS = ("defragment", "MachineGroup/", "node-a", "alert(5)", "1,344.000", "1344.0", "unplaced")

PROJECT_COLUMNS = (
    "day, workspace, project, namespace, pods, allocated_gpu_hours, used_gpu_hours, idle_gpu_hours, "
    "low_use_gpu_hours, no_data_gpu_hours, efficiency, allocated_h100_equivalent_hours, "
    "idle_h100_equivalent_hours, allocated_cost, idle_cost"
)


def _project_day(
    day: date,
    workspace: str,
    project: str,
    namespace: str,
    allocated: float,
    used: float,
    idle: float,
    no_data: float,
    cost: float | None,
) -> tuple[Any, ...]:
    low_use = idle + 1.0
    return (
        day,
        workspace,
        project,
        namespace,
        2,
        allocated,
        used,
        idle,
        low_use,
        no_data,
        used / allocated,
        allocated * 0.32,
        idle * 0.32,
        cost,
        None if cost is None else cost * idle / allocated,
    )


def make_database() -> duckdb.DuckDBPyConnection:
    """Two Workspaces over the report window and the one before it; one Project has a hostile name."""
    con = duckdb.connect()
    prepare_connection(con)
    d = WINDOW_START
    project_rows = [
        _project_day(d, WORKSPACE_A, "vision", "alpha-vision", 48.125, 20.5, 10.25, 2.0, 96.25),
        _project_day(d + timedelta(1), WORKSPACE_A, "vision", "alpha-vision", 24.0, 6.125, 12.5, 1.5, 48.0),
        _project_day(d + timedelta(2), WORKSPACE_A, HOSTILE, "alpha-xss", 16.0, 1.0, 13.0, 0.0, None),
        _project_day(d - timedelta(6), WORKSPACE_A, "vision", "alpha-vision", 30.0, 15.0, 5.0, 0.0, 60.0),
        _project_day(d, WORKSPACE_B, "bravo-nlp", "bravo-nlp-ns", 777.777, 333.333, 444.444, 0.0, None),
        _project_day(d - timedelta(7), WORKSPACE_A, "vision", "alpha-vision", 99.0, 1.0, 1.0, 0.0, 1.0),
        _project_day(WINDOW_END, WORKSPACE_A, "vision", "alpha-vision", 99.0, 1.0, 1.0, 0.0, 1.0),
    ]
    con.executemany(f"INSERT INTO project_usage_daily ({PROJECT_COLUMNS}) VALUES ({', '.join('?' * 15)})", project_rows)
    for offset in range(-7, 8):
        day = d + timedelta(offset)
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-vision', ?, 'vision', true, '')", [day, WORKSPACE_A])
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-xss', ?, ?, true, '')", [day, WORKSPACE_A, HOSTILE])
        con.execute("INSERT INTO namespaces VALUES (?, 'bravo-nlp-ns', ?, 'bravo-nlp', true, '')", [day, WORKSPACE_B])
        con.execute(
            "INSERT INTO namespaces VALUES (?, 'alpha-reserved', ?, 'reserved-only', true, '')", [day, WORKSPACE_A]
        )
    start = datetime(2026, 1, 5)
    for hour in range(30):
        ts = start + timedelta(hours=hour)
        con.execute(
            "INSERT INTO project_usage_hourly (day, hour, namespace, allocated_gpu_hours, used_gpu_hours, "
            "idle_gpu_hours) "
            "VALUES (?, ?, 'alpha-vision', ?, ?, ?)",
            [ts.date(), ts, 2.0 + (hour % 3), 0.5 * (hour % 4), 0.25],
        )
        con.execute(
            "INSERT INTO project_usage_hourly (day, hour, namespace, allocated_gpu_hours, used_gpu_hours, "
            "idle_gpu_hours) "
            "VALUES (?, ?, 'bravo-nlp-ns', 555.5, 1.0, 2.0)",
            [ts.date(), ts],
        )
    xss_hour = datetime(2026, 1, 7, 9)
    con.execute(
        "INSERT INTO project_usage_hourly (day, hour, namespace, allocated_gpu_hours, used_gpu_hours, "
        "idle_gpu_hours) "
        "VALUES (?, ?, 'alpha-xss', 4.0, 0.25, 3.0)",
        [xss_hour.date(), xss_hour],
    )
    for ts, namespace, observed, used in [
        (datetime(2026, 1, 5, 9), "alpha-vision", 4.0, 3.0),
        (datetime(2026, 1, 6, 14), "alpha-vision", 2.0, 0.5),
        (datetime(2026, 1, 7, 9), "alpha-xss", 4.0, 0.25),
        (datetime(2026, 1, 5, 9), "bravo-nlp-ns", 8.0, 1.0),
        (datetime(2026, 1, 10, 23), "bravo-nlp-ns", 8.0, 7.0),
    ]:
        con.execute(
            "INSERT INTO pod_gpu_usage_hourly (day, hour, uid, gpu_uuid, namespace, observed_gpu_hours, "
            "used_gpu_hours, idle_gpu_hours, mean_activity) VALUES (?, ?, 'uid', 'GPU-1', ?, ?, ?, 0, ?)",
            [ts.date(), ts, namespace, observed, used, used / observed],
        )
    for ts, hard in [(datetime(2026, 1, 5, 0), 16.0), (datetime(2026, 1, 8, 0), 8.0)]:
        con.execute(
            "INSERT INTO quota_steps VALUES (?, ?, 'alpha-vision', 'gpu-quota', ?, 2, '')", [ts.date(), ts, hard]
        )
    con.execute(
        "INSERT INTO quota_steps VALUES (?, ?, 'bravo-nlp-ns', 'gpu-quota', 444.0, 2, '')", [d, datetime(2026, 1, 5, 1)]
    )
    # A Project that reserved GPUs and ran nothing: reported with its quota and zero use.
    con.execute(
        "INSERT INTO quota_steps VALUES (?, ?, 'alpha-reserved', 'q', 6.0, 0, '')", [d, datetime(2026, 1, 5, 2)]
    )
    pod_columns = (
        "day, uid, namespace, pod, workspace, project, workload, owner_kind, owner_name, provisioning_type, "
        "category, purpose, reclaim_exempt, node, machine_group, gpu_model, gpus_requested, running_hours, "
        "allocated_gpu_hours, observed_gpu_hours, used_gpu_hours, idle_gpu_hours, low_use_gpu_hours, "
        "no_data_gpu_hours, h100_equivalent, price_per_gpu_hour"
    )
    for workspace, namespace, group, allocated in [
        (WORKSPACE_A, "alpha-vision", "mg-h100", 72.125),
        (WORKSPACE_B, "bravo-nlp-ns", "mg-bravo-only", 777.777),
    ]:
        con.execute(
            f"INSERT INTO pod_usage_daily ({pod_columns}) VALUES (?, 'u', ?, 'p', ?, 'x', 'Deployment/x', "
            "'Deployment', 'x', 'reserved', 'training', 'service', false, 'n1', ?, 'NVIDIA-H100', 8, 24, ?, ?, "
            "1, 1, 1, 0, 1, NULL)",
            [d, namespace, workspace, group, allocated, allocated],
        )
        con.execute(
            "INSERT INTO nodes (day, node, machine_group, gpu_model, gpu_allocatable, cpu_cores_allocatable, "
            "memory_bytes_allocatable) VALUES (?, ?, ?, 'NVIDIA-H100', 8, 64, 1e12)",
            [d, f"node-{group}", group],
        )
    # GPUs of Workspace A without any DCGM sample: listed in its "no data" section.
    con.execute(
        f"INSERT INTO pod_usage_daily ({pod_columns}) VALUES (?, 'u-nodata', 'alpha-vision', 'p2', ?, 'vision', "
        "'Job/vision-eval', 'Job', 'vision-eval', 'reserved', 'training', 'batch', false, 'gpu-node-17', 'mg-h100', "
        "'NVIDIA-H100', 1, 3, 3.0, 0.5, 0.5, 0.25, 0.25, 2.5, 1, NULL)",
        [d, WORKSPACE_A],
    )
    con.execute("INSERT INTO data_quality VALUES (?, 'ingest', 'clamp_range', 'gpu_util', 12, '')", [d])
    _insert_recommendations(con)
    _insert_cluster_tables(con)
    return con


def _insert_cluster_tables(con: duckdb.DuckDBPyConnection) -> None:
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


def _insert_recommendations(con: duckdb.DuckDBPyConnection) -> None:
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


def build(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportIndex, duckdb.DuckDBPyConnection]:
    """The reports of the fixture's window, and the fixture's connection (for a module-scoped fixture)."""
    con = make_database()
    out_dir = tmp_path_factory.mktemp("reports")
    return build_reports(con, Settings(), WINDOW_START, WINDOW_END, out_dir), con


def columns_by(rows: list[dict[str, Any]], key: str, *columns: str) -> dict[Any, tuple[Any, ...]]:
    """Each row's `columns`, in order, under its `key` column (to compare a page's rows with DuckDB's)."""
    return {row[key]: tuple(row[column] for column in columns) for row in rows}


def workspace_files(index: ReportIndex, workspace: str) -> tuple[str, dict[str, Any]]:
    entry = next(item for item in index.workspaces if item.workspace == workspace)
    html = entry.index_html.read_text(encoding="utf-8")
    return html, json.loads(entry.summary_json.read_text(encoding="utf-8"))


def overview_files(index: ReportIndex) -> tuple[str, dict[str, Any]]:
    html = index.overview_html.read_text(encoding="utf-8")
    return html, json.loads((index.out_dir / "summary.json").read_text(encoding="utf-8"))


def charts_of(html: str) -> dict[str, dict[str, Any]]:
    """Every chart of a page: its id -> the plotly figure (data and layout) in its JSON block."""
    blocks = re.findall(r'<script type="application/json" data-plot="([^"]+)">(.*?)</script>', html, re.S)
    return {chart_id: json.loads(text) for chart_id, text in blocks}


def traces_of(figure: dict[str, Any]) -> dict[str, dict[Any, Any]]:
    """A figure's traces by name: x -> y."""
    return {trace["name"]: dict(zip(trace["x"], trace["y"], strict=True)) for trace in figure["data"]}


def sql_rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    return con.execute(query, [WINDOW_START, WINDOW_END]).fetchall()
