"""The weekly reports' DuckDB fixture: two Workspaces (one with hostile names), the cluster tables and tickets
(report_fixture_findings.py), and helpers that read back what build_reports wrote. Shared by the
tests/unit/test_reports_*.py files, which import the fixture's names (report_names.py) from here too."""

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

from tests.unit.report_fixture_findings import insert_cluster_tables, insert_recommendations
from tests.unit.report_names import (
    B_STRINGS,
    BEFORE_START,
    CLUSTER_STRINGS,
    HOSTILE,
    HOSTILE_GROUP,
    HOSTILE_WORKLOAD,
    LAST_DAY,
    PROJECT_COLUMNS,
    WINDOW_END,
    WINDOW_START,
    WORKSPACE_A,
    WORKSPACE_B,
)

# the names and days are report_names.py's; the test modules import them from here with the helpers
__all__ = [
    "BEFORE_START",
    "B_STRINGS",
    "CLUSTER_STRINGS",
    "HOSTILE",
    "HOSTILE_GROUP",
    "HOSTILE_WORKLOAD",
    "LAST_DAY",
    "PROJECT_COLUMNS",
    "WINDOW_END",
    "WINDOW_START",
    "WORKSPACE_A",
    "WORKSPACE_B",
    "build",
    "charts_of",
    "columns_by",
    "make_database",
    "overview_files",
    "sql_rows",
    "traces_of",
    "workspace_files",
]


PROJECT_HOURLY = (
    "INSERT INTO project_usage_hourly (day, hour, namespace, allocated_gpu_hours, used_gpu_hours, idle_gpu_hours) "
    "VALUES (?, ?, ?, ?, ?, ?)"
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
    _insert_namespaces(con)
    _insert_hourly(con)
    _insert_quotas_and_pods(con, d)
    insert_recommendations(con)
    insert_cluster_tables(con)
    return con


def _insert_namespaces(con: duckdb.DuckDBPyConnection) -> None:
    """The Projects' namespaces, every day of both windows."""
    for offset in range(-7, 8):
        day = WINDOW_START + timedelta(offset)
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-vision', ?, 'vision', true, '')", [day, WORKSPACE_A])
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-xss', ?, ?, true, '')", [day, WORKSPACE_A, HOSTILE])
        con.execute("INSERT INTO namespaces VALUES (?, 'bravo-nlp-ns', ?, 'bravo-nlp', true, '')", [day, WORKSPACE_B])
        con.execute(
            "INSERT INTO namespaces VALUES (?, 'alpha-reserved', ?, 'reserved-only', true, '')", [day, WORKSPACE_A]
        )


def _insert_hourly(con: duckdb.DuckDBPyConnection) -> None:
    """The Projects' hours (the heatmaps and trends) and a few GPU-hours per pod."""
    start = datetime(2026, 1, 5)
    for hour in range(30):
        ts = start + timedelta(hours=hour)
        con.execute(PROJECT_HOURLY, [ts.date(), ts, "alpha-vision", 2.0 + (hour % 3), 0.5 * (hour % 4), 0.25])
        con.execute(PROJECT_HOURLY, [ts.date(), ts, "bravo-nlp-ns", 555.5, 1.0, 2.0])
    xss_hour = datetime(2026, 1, 7, 9)
    con.execute(PROJECT_HOURLY, [xss_hour.date(), xss_hour, "alpha-xss", 4.0, 0.25, 3.0])
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


def _insert_quotas_and_pods(con: duckdb.DuckDBPyConnection, d: date) -> None:
    """Quotas (one Project reserved GPUs and ran nothing), a pod per Workspace and its node, a pod without
    DCGM samples, and a data-quality count."""
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
