"""A Workspace's report: figures equal DuckDB sums, the page matches summary.json, Workspaces stay isolated,
hostile names are text, the pages work offline; the cluster's findings never reach a Workspace."""

from __future__ import annotations

import html as html_module
import json
import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.models import ReportIndex
from gpu_reclaim.reports.render import format_hours, format_money, format_share

from tests.unit.report_fixture import (
    B_STRINGS,
    CLUSTER_STRINGS,
    HOSTILE,
    PROJECT_COLUMNS,
    WINDOW_END,
    WINDOW_START,
    WORKSPACE_A,
    WORKSPACE_B,
    charts_of,
    make_database,
    overview_files,
    traces_of,
    workspace_files,
)


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
    _, summary = workspace_files(index, WORKSPACE_A)
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
    _, summary = workspace_files(index, WORKSPACE_A)
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
    html, summary = workspace_files(index, WORKSPACE_A)
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
    html, summary = workspace_files(index, WORKSPACE_A)
    text = html + json.dumps(summary, ensure_ascii=False)
    for forbidden in B_STRINGS:
        assert forbidden not in text, forbidden
    b_html, b_summary = workspace_files(index, WORKSPACE_B)
    b_text = b_html + json.dumps(b_summary, ensure_ascii=False)
    for forbidden in ("alpha", "vision", "alert", "88.125", "72.125"):
        assert forbidden not in b_text, forbidden


def test_hostile_names_are_text(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, _ = workspace_files(index, WORKSPACE_A)
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


def test_the_cluster_pseudo_workspace_gets_no_report(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    assert con.execute("SELECT count(*) FROM recommendations WHERE workspace = 'cluster'").fetchone() == (2,)
    assert "cluster" not in [item.workspace for item in index.workspaces]
    assert not (index.out_dir / "cluster").exists()
    _, overview = overview_files(index)
    assert [row["workspace"] for row in overview["workspaces"]] == [WORKSPACE_B, WORKSPACE_A]
    # the cluster's 1344 GPU-hours a week are not a Workspace's: not in the ranking's sum
    assert overview["totals"]["gpu_hours_recoverable_per_week"] == 12.25 + 333.333
    for item in index.workspaces:
        html, summary = workspace_files(index, item.workspace)
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
    html, summary = workspace_files(index, "cluster")
    assert summary["totals"]["allocated_gpu_hours"] == 5.0
    assert summary["recommendations"] == []  # the defragment tickets stay on the overview
    assert "defragment" not in html


def test_no_data_gpus_are_listed(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    html, summary = workspace_files(index, WORKSPACE_A)
    expected = con.execute(
        "SELECT workload, node, sum(no_data_gpu_hours) FROM pod_usage_daily WHERE workspace = ? AND day >= ? "
        "AND day < ? GROUP BY ALL HAVING sum(no_data_gpu_hours) > 0",
        [WORKSPACE_A, WINDOW_START, WINDOW_END],
    ).fetchall()
    assert [(row["workload"], row["node"], row["no_data_gpu_hours"]) for row in summary["no_data"]] == expected
    assert expected == [("Job/vision-eval", "gpu-node-17", 2.5)]
    table = html[html.index('<table id="no-data-table"') :]
    assert "gpu-node-17" in table and f">{format_hours(2.5)}<" in table
    assert workspace_files(index, WORKSPACE_B)[1]["no_data"] == []


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
        html, summary = workspace_files(index, item.workspace)
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
    html, summary = workspace_files(index, WORKSPACE_A)
    number = [project["namespace"] for project in summary["projects"]].index("alpha-reserved") + 1
    traces = traces_of(charts_of(html)[f"chart-project-{number}"])
    assert len(traces["allocated"]) == 7 * 24 and set(traces["allocated"].values()) == {0.0}
    assert set(traces["reserved (quota)"].values()) == {6.0}
