"""Weekly reports: figures equal DuckDB sums, pages match summary.json, Workspaces stay isolated."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.warehouse import prepare_connection
from reports.build import atomic_write, build_reports, default_window, slugify
from reports.charts import figure_json, quota_chart
from reports.models import ProjectReport, ReportIndex
from reports.render import change, format_hours, format_share

WINDOW_START = date(2026, 1, 5)  # a Monday
WINDOW_END = date(2026, 1, 12)
HOSTILE = "<script>alert(1)</script>"
HOSTILE_WORKLOAD = "Job/<img src=x onerror=alert(2)>"
WORKSPACE_A = "alpha-ws"
WORKSPACE_B = "Bravo Team"
# Every name and a distinctive figure of Workspace B: none may appear in Workspace A's outputs.
B_STRINGS = ("Bravo Team", "bravo", "Bravo", "777.777", "333.333", "444.444", "mg-bravo-only", "555.5")

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
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-vision', ?, 'vision', true)", [day, WORKSPACE_A])
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-xss', ?, ?, true)", [day, WORKSPACE_A, HOSTILE])
        con.execute("INSERT INTO namespaces VALUES (?, 'bravo-nlp-ns', ?, 'bravo-nlp', true)", [day, WORKSPACE_B])
        con.execute("INSERT INTO namespaces VALUES (?, 'alpha-reserved', ?, 'reserved-only', true)", [day, WORKSPACE_A])
    start = datetime(2026, 1, 5)
    for hour in range(30):
        ts = start + timedelta(hours=hour)
        con.execute(
            "INSERT INTO project_usage_hourly VALUES (?, ?, 'alpha-vision', ?, ?, ?)",
            [ts.date(), ts, 2.0 + (hour % 3), 0.5 * (hour % 4), 0.25],
        )
        con.execute("INSERT INTO project_usage_hourly VALUES (?, ?, 'bravo-nlp-ns', 555.5, 1.0, 2.0)", [ts.date(), ts])
    xss_hour = datetime(2026, 1, 7, 9)
    con.execute(
        "INSERT INTO project_usage_hourly VALUES (?, ?, 'alpha-xss', 4.0, 0.25, 3.0)", [xss_hour.date(), xss_hour]
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
        con.execute("INSERT INTO quota_steps VALUES (?, ?, 'alpha-vision', 'gpu-quota', ?, 2)", [ts.date(), ts, hard])
    con.execute(
        "INSERT INTO quota_steps VALUES (?, ?, 'bravo-nlp-ns', 'gpu-quota', 444.0, 2)", [d, datetime(2026, 1, 5, 1)]
    )
    # A Project that reserved GPUs and ran nothing: reported with its quota and zero use.
    con.execute("INSERT INTO quota_steps VALUES (?, ?, 'alpha-reserved', 'q', 6.0, 0)", [d, datetime(2026, 1, 5, 2)])
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
        con.execute("INSERT INTO nodes VALUES (?, ?, ?, 'NVIDIA-H100', 8, 64, 1e12)", [d, f"node-{group}", group])
    con.execute("INSERT INTO data_quality VALUES (?, 'ingest', 'clamp_range', 'gpu_util', 12)", [d])
    _insert_recommendations(con)
    return con


def _insert_recommendations(con: duckdb.DuckDBPyConnection) -> None:
    rows = [
        # (evaluated_on, id, workspace, project, namespace, workload, exempt, reclaimable, idle, per week)
        (WINDOW_END, "alpha-f1", WORKSPACE_A, "vision", "alpha-vision", "Deployment/vision-api", False, 2, 21.5, 12.25),
        (WINDOW_END, "alpha-f2", WORKSPACE_A, HOSTILE, "alpha-xss", HOSTILE_WORKLOAD, True, 4, 13.0, 9.0),
        (
            WINDOW_END,
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
        (WINDOW_START, "alpha-prev", WORKSPACE_A, "vision", "alpha-vision", "Job/prev", False, 1, 5.0, 7.5),
    ]
    for evaluated_on, finding, workspace, project, namespace, workload, exempt, gpus, idle, weekly in rows:
        ticket = {
            "action": f"Scale {workload} down by {gpus} GPUs",
            "summary": f"{workload} idles",
            "evidence": {"mean_activity": 0.004, "idle_share": 0.93, "note": HOSTILE if exempt else "idle"},
        }
        con.execute(
            "INSERT INTO recommendations VALUES (?, ?, 'idle_allocation', 'high', ?, ?, ?, ?, ?, 'NVIDIA-H100', "
            "8, ?, ?, ?, ?, ?, ?)",
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
        assert sources == (["plotly.min.js"] if page == index.overview_html else ["../plotly.min.js"])
        assert (page.parent / sources[0]).resolve() == (index.out_dir / "plotly.min.js").resolve()


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
        (10.0, 8.0, "worse", "hours", ("▲ +2.000 (+25.0%)", "worse")),
        (6.0, 8.0, "worse", "hours", ("▼ -2.000 (-25.0%)", "better")),
        (1.0, 0.0, "better", "hours", ("▲ +1.000 (new)", "better")),
        (0.5, 0.25, "better", "ratio", ("▲ +25.0 pp", "better")),
        (3.0, 3.0, "neutral", "hours", ("no change", "same")),
        (None, 3.0, "neutral", "ratio", ("no comparison", "none")),
    ],
)
def test_change_from_previous_window(
    current: float | None, previous: float | None, higher_is: Any, kind: Any, expected: tuple[str, str]
) -> None:
    result = change(current, previous, higher_is, kind)
    assert (result.text, result.direction) == expected
