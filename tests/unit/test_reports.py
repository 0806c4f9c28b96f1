"""Weekly reports: figures equal DuckDB sums, pages match summary.json, Workspaces stay isolated."""

from __future__ import annotations

import html as html_module
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.reports import numbers
from gpu_reclaim.reports.build import atomic_write, build_reports, default_window, slugify
from gpu_reclaim.reports.charts import figure_json, quota_chart
from gpu_reclaim.reports.models import ProjectReport, ReportIndex
from gpu_reclaim.reports.render import change, format_hours, format_money, format_percent, format_share

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


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportIndex, duckdb.DuckDBPyConnection]:
    con = make_database()
    out_dir = tmp_path_factory.mktemp("reports")
    return build_reports(con, Settings(), WINDOW_START, WINDOW_END, out_dir), con


def _files(index: ReportIndex, workspace: str) -> tuple[str, dict[str, Any]]:
    entry = next(item for item in index.workspaces if item.workspace == workspace)
    html = entry.index_html.read_text(encoding="utf-8")
    return html, json.loads(entry.summary_json.read_text(encoding="utf-8"))


def test_writes_every_file(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    assert (index.out_dir / "index.html").is_file()
    assert (index.out_dir / "plotly.min.js").stat().st_size > 1_000_000
    assert sorted(item.workspace for item in index.workspaces) == [WORKSPACE_B, WORKSPACE_A]
    for item in index.workspaces:
        assert item.index_html.parent.parent == index.out_dir
        assert item.archive_html.name == "2026-01-05.html"
        assert item.archive_html.read_bytes() == item.index_html.read_bytes()
        assert item.summary_json.is_file()
    assert not list(index.out_dir.rglob("*.tmp"))


def _duckdb_sums(con: duckdb.DuckDBPyConnection, workspace: str, start: date, end: date) -> dict[str, float]:
    row = con.execute(
        "SELECT sum(allocated_gpu_hours), sum(used_gpu_hours), sum(idle_gpu_hours), sum(low_use_gpu_hours), "
        "sum(no_data_gpu_hours), sum(allocated_h100_equivalent_hours), sum(idle_h100_equivalent_hours) "
        "FROM project_usage_daily WHERE workspace = ? AND day >= ? AND day < ?",
        [workspace, start, end],
    ).fetchone()
    assert row is not None
    keys = (
        "allocated_gpu_hours",
        "used_gpu_hours",
        "idle_gpu_hours",
        "low_use_gpu_hours",
        "no_data_gpu_hours",
        "allocated_h100_equivalent_hours",
        "idle_h100_equivalent_hours",
    )
    return {key: round(value, 3) for key, value in zip(keys, row, strict=True)}


def test_summary_totals_equal_duckdb_sums(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, summary = _files(index, WORKSPACE_A)
    assert summary["workspace"] == WORKSPACE_A
    assert (summary["window_start"], summary["window_end"]) == ("2026-01-05", "2026-01-12")
    expected = _duckdb_sums(con, WORKSPACE_A, WINDOW_START, WINDOW_END)
    totals = summary["totals"]
    for key, value in expected.items():
        assert totals[key] == value, key
    assert totals["allocated_gpu_hours"] == 88.125
    assert totals["efficiency"] == round(27.625 / 88.125, 3)
    assert totals["gpu_hours_recoverable_per_week"] == 12.25  # latest run, exempt finding left out
    assert totals["allocated_cost"] == 144.25  # partial: the hostile Project has no price
    previous = summary["previous_totals"]
    assert previous == {
        **previous,
        **_duckdb_sums(con, WORKSPACE_A, WINDOW_START - timedelta(7), WINDOW_START),
        "gpu_hours_recoverable_per_week": 7.5,
    }


def test_summary_projects_and_recommendations(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    _, summary = _files(index, WORKSPACE_A)
    projects = {project["namespace"]: project for project in summary["projects"]}
    assert set(projects) == {"alpha-vision", "alpha-xss", "alpha-reserved"}
    reserved_only = projects["alpha-reserved"]
    assert (reserved_only["project"], reserved_only["reserved_gpus"]) == ("reserved-only", 6.0)
    assert (reserved_only["allocated_gpu_hours"], reserved_only["efficiency"]) == (0.0, None)
    vision = projects["alpha-vision"]
    assert vision["allocated_gpu_hours"] == 72.125
    assert vision["used_gpu_hours"] == 26.625
    assert vision["efficiency"] == round(26.625 / 72.125, 3)
    assert vision["reserved_gpus"] == 8.0  # the last quota of the window
    assert vision["peak_allocated_gpus"] == 4.0
    assert projects["alpha-xss"]["project"] == HOSTILE
    assert projects["alpha-xss"]["gpu_hours_recoverable_per_week"] == 0.0
    assert [(item["id"], item["exempt"]) for item in summary["recommendations"]] == [
        ("alpha-f1", False),
        ("alpha-f2", True),
    ]
    first = summary["recommendations"][0]
    assert {key: first[key] for key in ("rule", "workload", "gpus_reclaimable", "idle_gpu_hours")} == {
        "rule": "idle_allocation",
        "workload": "Deployment/vision-api",
        "gpus_reclaimable": 2.0,
        "idle_gpu_hours": 21.5,
    }


def test_html_shows_the_summary_numbers(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, summary = _files(index, WORKSPACE_A)
    for figures in [summary["totals"], *summary["projects"]]:
        for key, value in figures.items():
            if key == "efficiency":
                assert format_share(value) in html
            elif key.endswith("_hours"):
                assert f">{format_hours(value)}<" in html, key
    for item in summary["recommendations"]:
        assert f">{format_hours(item['idle_gpu_hours'])}<" in html
    # money is shown when prices are configured, marked partial when a GPU model has none
    assert summary["totals"]["allocated_cost"] == 144.25
    assert f">{format_money(summary['totals']['allocated_cost'])}<" in html
    assert f">{format_money(summary['totals']['idle_cost'])}<" in html
    assert "Cost of allocation (partial)" in html


def test_workspaces_are_isolated(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, summary = _files(index, WORKSPACE_A)
    text = html + json.dumps(summary, ensure_ascii=False)
    for forbidden in B_STRINGS:
        assert forbidden not in text, forbidden
    b_html, b_summary = _files(index, WORKSPACE_B)
    b_text = b_html + json.dumps(b_summary, ensure_ascii=False)
    for forbidden in ("alpha", "vision", "alert", "88.125", "72.125"):
        assert forbidden not in b_text, forbidden


def test_hostile_names_are_text(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, _ = _files(index, WORKSPACE_A)
    assert HOSTILE not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # Only our own script elements open and close; JSON blocks cannot be closed by a label.
    assert html.count("<script") == html.count("</script>")
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block
        json.loads(block)


def test_pages_work_offline(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    pages = [index.overview_html] + [item.index_html for item in index.workspaces]
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<(script|link|img)[^>]+(src|href)=\"(https?:)?//", html)
        sources = re.findall(r'<script[^>]*src="([^"]+)"', html)
        assert sources == ["plotly.min.js"]  # each Workspace folder has its own copy: it works copied alone
        assert (page.parent / sources[0]).read_bytes() == (index.out_dir / "plotly.min.js").read_bytes()


def test_overview_ranks_and_links_every_workspace(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html = index.overview_html.read_text(encoding="utf-8")
    assert html.index("Bravo Team") < html.index(WORKSPACE_A)  # most idle first
    for item in index.workspaces:
        assert f'href="{item.slug}/index.html"' in html
    assert "mg-bravo-only" in html and "mg-h100" in html
    assert "clamp_range" in html


@pytest.mark.parametrize(
    "name", ["alpha-ws", "Bravo Team", "..", ".", "", "../../etc", "plotly.min.js", "index.html", "a/b", "ü"]
)
def test_slugs_are_safe_path_segments(name: str) -> None:
    slug = slugify(name)
    assert re.fullmatch(r"[a-z0-9_-]+", slug)
    assert slug not in {"index.html", "plotly.min.js"}


def test_slugs_are_unique() -> None:
    names = ["Team A", "team-a", "team a", "TEAM-A", "team_a"]
    assert len({slugify(name) for name in names}) == len(names)


def test_atomic_write_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "x" / "summary.json"
    assert atomic_write(target, "{}") == 2
    assert atomic_write(target, '{"a": 1}') == 8
    assert target.read_text() == '{"a": 1}'
    assert [path.name for path in target.parent.iterdir()] == ["summary.json"]


def test_empty_window_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        build_reports(duckdb.connect(), Settings(), WINDOW_END, WINDOW_START, tmp_path)


def test_empty_database_gives_an_empty_overview(tmp_path: Path) -> None:
    con = duckdb.connect()
    prepare_connection(con)
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    assert index.workspaces == []
    assert "No Workspace held GPUs" in index.overview_html.read_text(encoding="utf-8")


def test_default_window_is_settings_days() -> None:
    assert default_window(Settings(), WINDOW_END) == (WINDOW_START, WINDOW_END)


def test_chart_json_cannot_close_a_script() -> None:
    project = ProjectReport(
        project="</script><script>alert(3)</script>",
        namespace="ns",
        allocated_gpu_hours=1,
        used_gpu_hours=1,
        idle_gpu_hours=0,
        low_use_gpu_hours=0,
        no_data_gpu_hours=0,
        efficiency=1,
        allocated_h100_equivalent_hours=1,
        idle_h100_equivalent_hours=0,
        gpu_hours_recoverable_per_week=0,
        peak_allocated_gpus=1,
        p95_allocated_gpus=1,
    )
    text = quota_chart([project])
    assert "<" not in text and ">" not in text
    assert "alert(3)" in json.dumps(json.loads(text))
    assert figure_json.__doc__


@pytest.mark.parametrize(
    ("current", "previous", "higher_is", "kind", "expected"),
    [
        (10.0, 8.0, "worse", "hours", ("▲ +2 (+25.0%)", "worse")),
        (6.0, 8.0, "worse", "hours", ("▼ -2 (-25.0%)", "better")),
        (1.0, 0.0, "better", "hours", ("▲ +1 (new)", "better")),
        (14885.0, 3764.5, "neutral", "hours", ("▲ +11,121 (+295.4%)", "same")),
        (0.5, 0.25, "better", "ratio", ("▲ +25.0 pp", "better")),
        (3.0, 3.0, "neutral", "hours", ("no change", "same")),
        (3.02, 3.0, "worse", "hours", ("no change", "same")),  # below what the page shows
        (None, 3.0, "neutral", "ratio", ("no comparison", "none")),
        (552.0, None, "worse", "hours", ("no previous data", "none")),  # the previous window holds no data
    ],
)
def test_change_from_previous_window(
    current: float | None, previous: float | None, higher_is: Any, kind: Any, expected: tuple[str, str]
) -> None:
    result = change(current, previous, higher_is, kind)
    assert (result.text, result.direction) == expected


# --- the cluster overview's capacity, unmet demand, fragmentation and defrag sections ------------------------


def _overview(index: ReportIndex) -> tuple[str, dict[str, Any]]:
    html = index.overview_html.read_text(encoding="utf-8")
    return html, json.loads((index.out_dir / "summary.json").read_text(encoding="utf-8"))


def _charts(html: str) -> dict[str, dict[str, Any]]:
    """Every chart of a page: its id -> the plotly figure (data and layout) in its JSON block."""
    blocks = re.findall(r'<script type="application/json" data-plot="([^"]+)">(.*?)</script>', html, re.S)
    return {chart_id: json.loads(text) for chart_id, text in blocks}


def _traces(figure: dict[str, Any]) -> dict[str, dict[Any, Any]]:
    """A figure's traces by name: x -> y."""
    return {trace["name"]: dict(zip(trace["x"], trace["y"], strict=True)) for trace in figure["data"]}


def test_the_cluster_pseudo_workspace_gets_no_report(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    assert con.execute("SELECT count(*) FROM recommendations WHERE workspace = 'cluster'").fetchone() == (2,)
    assert "cluster" not in [item.workspace for item in index.workspaces]
    assert not (index.out_dir / "cluster").exists()
    _, overview = _overview(index)
    assert [row["workspace"] for row in overview["workspaces"]] == [WORKSPACE_B, WORKSPACE_A]
    # the cluster's 1344 GPU-hours a week are not a Workspace's: not in the ranking's sum
    assert overview["totals"]["gpu_hours_recoverable_per_week"] == 12.25 + 333.333
    for item in index.workspaces:
        html, summary = _files(index, item.workspace)
        text = html + json.dumps(summary, ensure_ascii=False)
        for forbidden in CLUSTER_STRINGS:
            assert forbidden not in text, (item.workspace, forbidden)


def test_a_real_workspace_named_cluster_keeps_its_report(tmp_path: Path) -> None:
    con = make_database()
    con.execute(
        f"INSERT INTO project_usage_daily ({PROJECT_COLUMNS}) VALUES (?, 'cluster', 'ops', 'ops-ns', 1, 5, 1, 4, 4, "
        "0, 0.2, 5, 4, NULL, NULL)",
        [WINDOW_START],
    )
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    assert "cluster" in [item.workspace for item in index.workspaces]
    html, summary = _files(index, "cluster")
    assert summary["totals"]["allocated_gpu_hours"] == 5.0
    assert summary["recommendations"] == []  # the defragment tickets stay on the overview
    assert "defragment" not in html


def _sql_rows(con: duckdb.DuckDBPyConnection, query: str) -> list[tuple[Any, ...]]:
    return con.execute(query, [WINDOW_START, WINDOW_END]).fetchall()


def test_overview_capacity_equals_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = _overview(index)
    expected = {
        group: tuple(round(value, 3) for value in figures)
        for group, *figures in _sql_rows(
            con,
            "SELECT machine_group, sum(capacity_gpus), sum(allocated_gpus), sum(used_gpus), sum(unallocated_gpus), "
            "sum(pending_gpus), max(pending_gpus) FROM machine_group_usage_hourly WHERE day >= ? AND day < ? "
            "GROUP BY machine_group",
        )
    }
    actual = {
        row["machine_group"]: (
            row["capacity_gpu_hours"],
            row["allocated_gpu_hours"],
            row["used_gpu_hours"],
            row["unallocated_gpu_hours"],
            row["pending_gpu_hours"],
            row["peak_pending_gpus"],
        )
        for row in overview["capacity"]
    }
    assert actual == expected
    assert actual["mg-h100"] == (96.0, 55.5, 16.5, 40.5, 0.0, 0.0)  # the 999s of the hour before are left out
    unplaced = next(row for row in overview["capacity"] if row["machine_group"] == "unplaced")
    assert (unplaced["pending_gpu_hours"], unplaced["pending_snapshots"], unplaced["peak_blocked_pods"]) == (25.0, 2, 2)
    assert [row["machine_group"] for row in overview["capacity"]][-1] == "unplaced"
    assert overview["capacity_gpu_hours"] == 96.0 + 48.0
    assert overview["unallocated_gpu_hours"] == 40.5 + 30.0
    assert overview["pending_gpu_hours"] == 0.75 + 25.0


def test_overview_fragmentation_equals_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = _overview(index)
    columns = (
        "avg(fragmentation_ratio), max(fragmentation_ratio), arg_max(fragmentation_ratio, snapshot_ts), "
        "arg_max(free_whole_gpus, snapshot_ts), arg_max(placeable_8gpu, snapshot_ts), min(placeable_8gpu), count(*)"
    )
    expected = {
        scope: (round(mean, 3), round(largest, 3), round(latest, 3), free, slots, fewest, count)
        for scope, mean, largest, latest, free, slots, fewest, count in _sql_rows(
            con,
            f"SELECT machine_group, {columns} FROM machine_group_fragmentation WHERE day >= ? AND day < ? "
            f"GROUP BY machine_group UNION ALL SELECT 'cluster', {columns} FROM cluster_fragmentation "
            "WHERE day >= $1 AND day < $2",
        )
    }
    actual = {
        row["scope"]: (
            row["mean_fragmentation_ratio"],
            row["max_fragmentation_ratio"],
            row["latest_fragmentation_ratio"],
            row["latest_free_whole_gpus"],
            row["latest_placeable_8gpu"],
            row["min_placeable_8gpu"],
            row["snapshots"],
        )
        for row in overview["fragmentation"]
    }
    assert actual == expected
    assert actual["mg-h100"] == (18.984, 30.5, 15.062, 7, 1, 0, 4)  # 99.9 of the hour before is left out
    assert [row["scope"] for row in overview["fragmentation"]][-1] == "cluster"


def test_overview_defrag_plans_and_tickets_equal_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = _overview(index)
    expected = _sql_rows(
        con,
        "SELECT machine_group, moves, nodes_freed, placeable_8gpu_before, placeable_8gpu_after, "
        "round(fragmentation_ratio_before, 3), round(fragmentation_ratio_after, 3), low_use_hours_utc "
        "FROM defrag_plans WHERE day >= ? AND day < ? "
        "QUALIFY day = max(day) OVER (PARTITION BY machine_group) ORDER BY machine_group",
    )
    plans = [
        (
            plan["machine_group"],
            plan["moves"],
            plan["nodes_freed"],
            plan["placeable_8gpu_before"],
            plan["placeable_8gpu_after"],
            plan["fragmentation_ratio_before"],
            plan["fragmentation_ratio_after"],
            plan["low_use_hours_utc"],
        )
        for plan in overview["defrag_plans"]
    ]
    assert plans == [tuple(row) for row in expected]
    assert plans[1] == ("mg-h100", 2, 1, 0, 1, 30.5, 12.125, [3, 4])  # the latest plan in the window
    assert overview["slots_opened_by_defrag"] == 1
    tickets = [
        (item["id"], item["rule"], item["gpu_hours_recoverable_per_week"]) for item in overview["cluster_tickets"]
    ]
    assert tickets == [("defragment-h100", "defragment", 1344.0)]  # the latest evaluation only
    assert overview["evaluated_on"] == LAST_DAY.isoformat()


def test_overview_html_shows_the_summary_numbers(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, overview = _overview(index)
    tables = {
        name: html[html.index(f'<table id="{name}"') : html.index("</table>", html.index(f'<table id="{name}"'))]
        for name in ("capacity-table", "fragmentation-table", "defrag-table", "cluster-ticket-table")
    }
    for row in overview["capacity"]:
        for key, value in row.items():
            if key.endswith("_gpu_hours"):
                assert f">{format_hours(value)}<" in tables["capacity-table"], (row["machine_group"], key)
            elif key.endswith("_gpus"):  # GPUs are whole numbers on the pages
                assert f">{numbers.gpus(value)}<" in tables["capacity-table"], (row["machine_group"], key)
            elif key in ("pending_snapshots", "peak_blocked_pods"):
                assert f">{value}<" in tables["capacity-table"], (row["machine_group"], key)
        assert format_share(row["unallocated_share"]) in tables["capacity-table"]
    for row in overview["fragmentation"]:
        for key, value in row.items():
            if key.endswith("fragmentation_ratio"):
                assert f">{format_percent(value)}<" in tables["fragmentation-table"], (row["scope"], key)
            elif key in ("latest_free_whole_gpus", "latest_placeable_8gpu", "min_placeable_8gpu", "snapshots"):
                assert f">{value}<" in tables["fragmentation-table"], (row["scope"], key)
    for plan in overview["defrag_plans"]:
        row_html = tables["defrag-table"]
        assert f"<span>{plan['placeable_8gpu_before']}</span> → <span>{plan['placeable_8gpu_after']}</span>" in row_html
        before, after = (
            format_percent(plan[key]) for key in ("fragmentation_ratio_before", "fragmentation_ratio_after")
        )
        assert f"<span>{before}</span> → <span>{after}</span>" in row_html
    assert "03:00, 04:00" in tables["defrag-table"]
    for item in overview["cluster_tickets"]:
        assert item["id"] in tables["cluster-ticket-table"]
        assert f">{format_hours(item['gpu_hours_recoverable_per_week'])}<" in tables["cluster-ticket-table"]
    cards = {
        "card-capacity": format_hours(overview["capacity_gpu_hours"]),
        "card-unallocated": format_hours(overview["unallocated_gpu_hours"]),
        "card-pending": format_hours(overview["pending_gpu_hours"]),
        "card-fragmentation": format_percent(overview["fragmentation"][-1]["latest_fragmentation_ratio"]),
        "card-placeable": str(overview["fragmentation"][-1]["latest_placeable_8gpu"]),
        "card-defrag": str(overview["slots_opened_by_defrag"]),
    }
    for card, text in cards.items():
        assert f'id="{card}">{text}<' in html, card


def test_overview_charts_plot_the_duckdb_series(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    html, overview = _overview(index)
    charts = _charts(html)
    groups = [row["machine_group"] for row in overview["capacity"]]
    for number, group in enumerate(groups, start=1):
        figure = charts[f"chart-capacity-{number}"]
        traces = _traces(figure)
        assert len(next(iter(traces.values()))) == 7 * 24  # every hour of the window, on the window's range
        assert figure["layout"]["xaxis"]["range"] == ["2026-01-05T00:00:00", "2026-01-12T00:00:00"]
        rows = con.execute(
            "SELECT strftime(hour, '%Y-%m-%dT%H:%M:%S'), allocated_gpus, used_gpus, unallocated_gpus, pending_gpus "
            "FROM machine_group_usage_hourly WHERE machine_group = ? AND day >= ? AND day < ?",
            [group, WINDOW_START, WINDOW_END],
        ).fetchall()
        names = (
            ("allocated", "used", "unallocated", "pending") if group != "unplaced" else (None, None, None, "pending")
        )
        assert set(traces) == {name for name in names if name} | ({"capacity"} if group != "unplaced" else set())
        for hour, *values in rows:
            for name, value in zip(names, values, strict=True):
                if name:
                    assert traces[name][hour] == round(value, 3), (group, name, hour)
        for name in ("pending",):
            assert sum(traces[name].values()) == sum(row[4] for row in rows)  # hours without a row are 0
    for chart_id, column in (
        ("chart-fragmentation-ratio", "fragmentation_ratio"),
        ("chart-free-gpus", "free_whole_gpus"),
        ("chart-placeable-8gpu", "placeable_8gpu"),
    ):
        traces = _traces(charts[chart_id])
        expected: dict[str, dict[str, Any]] = {}
        for scope, ts, value in _sql_rows(
            con,
            f"SELECT machine_group, strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%S'), {column} FROM "
            "machine_group_fragmentation WHERE day >= ? AND day < ? UNION ALL SELECT 'whole cluster', "
            f"strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%S'), {column} FROM cluster_fragmentation "
            "WHERE day >= $1 AND day < $2",
        ):
            name = html_module.escape(scope, quote=False)
            expected.setdefault(name, {})[ts] = round(value, 3)
        assert traces == expected, chart_id


def test_overview_hostile_group_names_are_text(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, overview = _overview(index)
    assert HOSTILE_GROUP in [row["machine_group"] for row in overview["capacity"]]
    assert HOSTILE_GROUP not in html and "<script>alert" not in html
    assert "mg-&lt;script&gt;alert(5)&lt;/script&gt;" in html
    assert html.count("<script") == html.count("</script>")
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block
    # plotly.js draws trace names as text: they carry the HTML-escaped label, shown as typed
    names = {trace["name"] for figure in _charts(html).values() for trace in figure["data"]}
    assert "mg-&lt;script&gt;alert(5)&lt;/script&gt;" in names


def test_no_data_gpus_are_listed(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    html, summary = _files(index, WORKSPACE_A)
    expected = con.execute(
        "SELECT workload, node, sum(no_data_gpu_hours) FROM pod_usage_daily WHERE workspace = ? AND day >= ? "
        "AND day < ? GROUP BY ALL HAVING sum(no_data_gpu_hours) > 0",
        [WORKSPACE_A, WINDOW_START, WINDOW_END],
    ).fetchall()
    assert [(row["workload"], row["node"], row["no_data_gpu_hours"]) for row in summary["no_data"]] == expected
    assert expected == [("Job/vision-eval", "gpu-node-17", 2.5)]
    table = html[html.index('<table id="no-data-table"') :]
    assert "gpu-node-17" in table and f">{format_hours(2.5)}<" in table
    assert _files(index, WORKSPACE_B)[1]["no_data"] == []


def test_every_workspace_shows_only_its_own_data(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    """For every Workspace: no namespace, Project, workload or finding id of any other Workspace."""
    index, con = built
    owned: dict[str, set[str]] = {}
    for workspace, *labels in con.execute(
        "SELECT workspace, namespace, project FROM project_usage_daily UNION ALL "
        "SELECT workspace, namespace, workload FROM pod_usage_daily UNION ALL "
        "SELECT workspace, finding_id, workload FROM recommendations"
    ).fetchall():
        owned.setdefault(workspace, set()).update(label for label in labels if label)
    assert set(owned) >= {WORKSPACE_A, WORKSPACE_B, "cluster"}
    for item in index.workspaces:
        html, summary = _files(index, item.workspace)
        text = html + json.dumps(summary, ensure_ascii=False)
        mine = owned[item.workspace]
        for other, theirs in owned.items():
            if other == item.workspace:
                continue
            for name in theirs - mine:
                if not any(name in own for own in mine):
                    assert name not in text, (item.workspace, other, name)
                    assert html_module.escape(name) not in html, (item.workspace, other, name)


def test_a_project_that_only_reserved_gpus_is_charted_against_its_quota(
    built: tuple[ReportIndex, duckdb.DuckDBPyConnection],
) -> None:
    index, _ = built
    html, summary = _files(index, WORKSPACE_A)
    number = [project["namespace"] for project in summary["projects"]].index("alpha-reserved") + 1
    traces = _traces(_charts(html)[f"chart-project-{number}"])
    assert len(traces["allocated"]) == 7 * 24 and set(traces["allocated"].values()) == {0.0}
    assert set(traces["reserved (quota)"].values()) == {6.0}
