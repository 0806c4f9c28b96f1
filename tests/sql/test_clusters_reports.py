"""The report pages with several clusters (README "Clusters in one file"), through the pipeline's SQL: one
Workspace's namespace `team-a` in two clusters (labels.cluster_label set) is two Project rows, each with its own
figures and findings, and the Project, ticket, Machine Group and fragmentation tables show a Cluster column; with
one cluster there is no such column and the pages read as before."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.models import WorkspaceReport
from gpu_reclaim.reports.overview_models import ClusterOverview
from gpu_reclaim.reports.overview_queries import load_cluster_overview
from gpu_reclaim.reports.queries import load_workspace_report
from gpu_reclaim.reports.render import render_overview, render_workspace
from gpu_reclaim.store.fragmentation import compute_fragmentation, store_fragmentation
from gpu_reclaim.store.recommendations import evaluate_recommendations, store_recommendations

from tests.sql.helpers import DAY, DayFixture
from tests.sql.test_clusters_sql import HOURS, LABELLED, OFF, two_clusters

NOW = datetime(2026, 12, 1, tzinfo=UTC)
END = DAY + timedelta(days=1)


def same_workspace() -> DayFixture:
    """Workspace platform's team-a in two clusters, the same node and Machine Group names: busy (0.5) in west,
    idle in east."""
    return two_clusters(east_workspace="platform", east_machine_group="h100-a")


def pages(con: duckdb.DuckDBPyConnection, settings: Settings) -> tuple[WorkspaceReport, ClusterOverview]:
    store_fragmentation(con, DAY, compute_fragmentation(con, DAY))
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    findings = evaluate_recommendations(con, settings, settings.recommendations, start, start + timedelta(hours=6), DAY)
    store_recommendations(con, DAY, findings)
    report = load_workspace_report(con, settings, "platform", "platform", DAY, END, NOW)
    overview = load_cluster_overview(con, {"platform": "platform", "research": "research"}, DAY, END, NOW)
    return report, overview


def table(html: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}".*?</table>', html, re.S)
    assert match, table_id
    return match.group(0)


def figure(html: str, chart_id: str) -> dict[str, Any]:
    match = re.search(rf'<script type="application/json" data-plot="{chart_id}">(.*?)</script>', html, re.S)
    assert match, chart_id
    parsed: dict[str, Any] = json.loads(match.group(1))
    return parsed


def trace_names(html: str, chart_id: str) -> set[str]:
    return {trace["name"] for trace in figure(html, chart_id)["data"]}


def trace_x(html: str, chart_id: str) -> set[str]:
    return {x for trace in figure(html, chart_id)["data"] for x in trace["x"]}


def test_two_clusters_two_project_rows_and_cluster_columns(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    same_workspace().load(con, LABELLED, tmp_path)
    report, overview = pages(con, LABELLED)
    assert report.show_clusters and overview.show_clusters
    rows = {(p.cluster, p.namespace): p for p in report.projects}
    assert set(rows) == {("east", "team-a"), ("west", "team-a")}
    assert rows["west", "team-a"].used_gpu_hours == pytest.approx(HOURS, rel=1e-3)
    assert rows["east", "team-a"].idle_gpu_hours == pytest.approx(2 * HOURS, rel=1e-3)
    # the idle pod's finding (a waste report: it ended in the window) is east's only, never added to west's row
    assert (rows["east", "team-a"].findings.waste_reports, rows["west", "team-a"].findings.waste_reports) == (1, 0)
    assert rows["east", "team-a"].findings.wasted_gpu_hours > 0 == rows["west", "team-a"].findings.wasted_gpu_hours
    assert sorted((s.cluster, len(s.points)) for s in report.series) == [("east", 24), ("west", 24)]

    page = render_workspace(report)
    projects = table(page, "project-table")
    assert "<th>Cluster</th>" in projects
    assert '<td class="cluster">east</td>' in projects and '<td class="cluster">west</td>' in projects
    assert 'colspan="2">Workspace total' in projects
    assert "<th>Cluster</th>" in table(page, "project-capacity-table")
    tickets = table(page, "recommendation-table")
    assert "<th>Cluster</th>" in tickets and '<td class="cluster">east</td>' in tickets

    assert {(g.cluster, g.machine_group) for g in overview.machine_groups} == {("east", "h100-a"), ("west", "h100-a")}
    assert {(f.cluster, f.scope) for f in overview.fragmentation} == {
        ("east", "h100-a"), ("east", "cluster"), ("west", "h100-a"), ("west", "cluster"),
    }  # fmt: skip
    assert all(f.gpus == 8 for f in overview.fragmentation)  # one cluster's node each, never both
    assert {(s.cluster, s.scope) for s in overview.fragmentation_series} == {
        (f.cluster, f.scope) for f in overview.fragmentation
    }
    # capacity, defrag plans and the occupancy map: per cluster too, never one cluster's rows hidden or merged
    assert sorted((c.cluster, c.machine_group, c.capacity_gpu_hours) for c in overview.capacity) == [
        ("east", "h100-a", pytest.approx(8 * 24)), ("west", "h100-a", pytest.approx(8 * 24)),
    ]  # fmt: skip
    assert sorted((c.cluster, len(c.points)) for c in overview.capacity_series) == [("east", 24), ("west", 24)]
    assert sorted((p.cluster, p.machine_group) for p in overview.defrag_plans) == [
        ("east", "h100-a"), ("west", "h100-a"),
    ]  # fmt: skip
    assert sorted((n.cluster, n.node, n.allocated_gpus) for n in overview.occupancy) == [
        ("east", "node-a", 2), ("west", "node-a", 2),
    ]  # fmt: skip
    assert [group for group, _, _ in overview.occupancy_groups] == ["east · h100-a", "west · h100-a"]
    overview_page = render_overview(overview, "EUR", 0.01, 0.1)
    for table_id in ("machine-group-table", "fragmentation-table", "capacity-table", "defrag-table", "occupancy-table"):
        shown = table(overview_page, table_id)
        assert "<th>Cluster</th>" in shown, table_id
        assert '<td class="cluster">east</td>' in shown and '<td class="cluster">west</td>' in shown, table_id
    # the charts name each trace with its cluster
    assert trace_names(overview_page, "chart-fragmentation-ratio") == {
        "east · h100-a", "east · whole cluster", "west · h100-a", "west · whole cluster",
    }  # fmt: skip
    assert trace_x(overview_page, "chart-machine-groups") == {"east · h100-a", "west · h100-a"}


def test_a_workspace_in_one_cluster_has_no_cluster_column(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, LABELLED, tmp_path)  # platform in west only, research in east only
    report, overview = pages(con, LABELLED)
    assert overview.show_clusters and not report.show_clusters
    assert [(p.cluster, p.namespace) for p in report.projects] == [("west", "team-a")]
    assert "<th>Cluster</th>" not in render_workspace(report)
    assert "<th>Cluster</th>" in render_overview(overview, "EUR", 0.01, 0.1)


def test_one_cluster_no_cluster_column(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    same_workspace().load(con, OFF, tmp_path)  # label off: one cluster ''
    report, overview = pages(con, OFF)
    assert not report.show_clusters and not overview.show_clusters
    assert [(p.cluster, p.namespace) for p in report.projects] == [("", "team-a")]
    page, overview_page = render_workspace(report), render_overview(overview, "EUR", 0.01, 0.1)
    assert "<th>Cluster</th>" not in page and "<th>Cluster</th>" not in overview_page
    assert 'class="cluster"' not in page and 'class="cluster"' not in overview_page
    assert "colspan" not in table(page, "project-table")
    assert trace_x(overview_page, "chart-machine-groups") == {"h100-a"}
    assert trace_names(overview_page, "chart-fragmentation-ratio") == {"h100-a", "whole cluster"}
