"""Fill the page models from DuckDB: every figure comes from a named `sql/report_*.sql` query. A Workspace's page
is here; the cluster overview is in overview_queries.py."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import duckdb
from gpu_reclaim.core.cluster_days import cluster_notes
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.provenance import provenance_notes
from gpu_reclaim.core.warehouse import fetch_records as fetch_rows
from gpu_reclaim.core.warehouse import run_sql
from gpu_reclaim.reports.model_base import SUMMARY_FIGURES, UsageFigures, rounded, rounded_hours
from gpu_reclaim.reports.models import (
    HeatmapCell,
    HourlyPoint,
    NoDataGpus,
    ProjectReport,
    ProjectSeries,
    WorkspaceReport,
)
from gpu_reclaim.reports.overview_queries import load_cluster_overview
from gpu_reclaim.reports.rows import efficiency, from_row, percentile, window_params
from gpu_reclaim.reports.ticket_models import FindingTotals, Recommendation
from gpu_reclaim.reports.ticket_queries import load_project_finding_totals, load_recommendations
from gpu_reclaim.reports.trends import load_trends


def list_workspaces(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[str]:
    """Every Workspace with usage or recommendations in the window."""
    rows = fetch_rows(con, "report_workspaces.sql", window_params(window_start, window_end))
    return [str(row["workspace"]) for row in rows]


def usage_figures(row: dict[str, Any], recoverable: float) -> dict[str, Any]:
    """The rounded figures of one usage row (Workspace totals or a Project)."""
    allocated = float(row["allocated_gpu_hours"] or 0.0)
    cost_rows = int(row.get("cost_rows") or 0)
    return {
        "allocated_gpu_hours": rounded_hours(allocated),
        "used_gpu_hours": rounded_hours(row["used_gpu_hours"]),
        "idle_gpu_hours": rounded_hours(row["idle_gpu_hours"]),
        "low_use_gpu_hours": rounded_hours(row["low_use_gpu_hours"]),
        "no_data_gpu_hours": rounded_hours(row["no_data_gpu_hours"]),
        "efficiency": efficiency(row["used_gpu_hours"], allocated),
        "allocated_h100_equivalent_hours": rounded_hours(row["allocated_h100_equivalent_hours"]),
        "idle_h100_equivalent_hours": rounded_hours(row["idle_h100_equivalent_hours"]),
        "gpu_hours_recoverable_per_week": rounded_hours(recoverable),
        "allocated_cost": rounded(row["allocated_cost"]) if cost_rows else None,
        "idle_cost": rounded(row["idle_cost"]) if cost_rows else None,
        "cost_complete": cost_rows == int(row.get("usage_rows") or 0),
        "busy_looking_idle_gpu_hours": rounded(row.get("busy_looking_idle_gpu_hours")),
    }


ProjectKey = tuple[str, str]  # (cluster, namespace): the same namespace in two clusters is two Projects


def _recoverable(rows: list[Recommendation], project: ProjectKey | None = None) -> float:
    """GPU-hours per week of the non-exempt findings (of one Project when given)."""
    return sum(
        item.gpu_hours_recoverable_per_week or 0.0
        for item in rows
        if not item.exempt and (project is None or (item.cluster, item.namespace) == project)
    )


def load_totals(
    con: duckdb.DuckDBPyConnection,
    workspace: str,
    window_start: date,
    window_end: date,
    recommendations: list[Recommendation] | None = None,
) -> UsageFigures:
    """The Workspace's usage over the window; `recommendations` are the window's (loaded when not given)."""
    params = {"workspace": workspace, **window_params(window_start, window_end)}
    row = fetch_rows(con, "report_workspace_totals.sql", params)[0]
    if recommendations is None:
        recommendations, _ = load_recommendations(con, workspace, window_start, window_end)
    return UsageFigures(**usage_figures(row, _recoverable(recommendations)))


def load_previous_totals(
    con: duckdb.DuckDBPyConnection, workspace: str, previous_start: date, window_start: date
) -> UsageFigures | None:
    """The Workspace's figures of the previous window, or None when no day of it holds data (no usage, node or
    pod row): a window never observed is not a window of zeros, so nothing is compared with it."""
    days = run_sql(con, "report_covered_days.sql", window_params(previous_start, window_start)).fetchall()
    if not days:
        return None
    return load_totals(con, workspace, previous_start, window_start)


# the summed usage columns of a query row (a Project that only reserved GPUs gets zeros)
_USAGE_COLUMNS = tuple(key for key in SUMMARY_FIGURES if key.endswith("_hours") and "recoverable" not in key)


def _key(row: dict[str, Any]) -> ProjectKey:
    return (str(row["cluster"]), str(row["namespace"]))


def _with_quota_only_projects(
    usage_rows: list[dict[str, Any]], quota: dict[ProjectKey, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The usage rows, plus a zero row for every Project that reserved GPUs and ran nothing."""
    seen = {_key(row) for row in usage_rows}
    idle_quota = [
        {"cluster": key[0], "project": row["project"], "namespace": key[1], **dict.fromkeys(_USAGE_COLUMNS, 0.0),
         "allocated_cost": None, "idle_cost": None}
        for key, row in quota.items()
        if key not in seen
    ]  # fmt: skip
    return usage_rows + idle_quota


def _projects(
    usage_rows: list[dict[str, Any]],
    quota: dict[ProjectKey, dict[str, Any]],
    points: dict[ProjectKey, list[HourlyPoint]],
    recommendations: list[Recommendation],
) -> tuple[list[ProjectReport], list[ProjectSeries]]:
    """Each Project's figures (usage, quota, peak and p95 allocation, recoverable hours) and hourly series."""
    projects: list[ProjectReport] = []
    series: list[ProjectSeries] = []
    for row in usage_rows:
        key = _key(row)
        allocation = [point.allocated_gpus for point in points.get(key, [])]
        reserved = quota.get(key, {})
        # what the Project's figures and its series share: which Project, and its reserved GPUs
        project: dict[str, Any] = {
            "cluster": key[0],
            "project": row["project"],
            "namespace": key[1],
            "reserved_gpus": rounded(reserved.get("reserved_gpus")),
        }
        projects.append(
            ProjectReport(
                **project,
                max_reserved_gpus=rounded(reserved.get("max_reserved_gpus")),
                peak_allocated_gpus=rounded_hours(max(allocation, default=0.0)),
                p95_allocated_gpus=rounded_hours(percentile(allocation, 0.95)),
                estimated_used_gpu_hours=rounded_hours(row.get("estimated_used_gpu_hours")),
                **usage_figures(row, _recoverable(recommendations, key)),
            )
        )
        series.append(ProjectSeries(**project, points=points.get(key, [])))
    return projects, series


def load_workspace_report(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    workspace: str,
    slug: str,
    window_start: date,
    window_end: date,
    generated_at: datetime,
) -> WorkspaceReport:
    """Everything one Workspace's page shows, and nothing of any other Workspace."""
    params = {"workspace": workspace, **window_params(window_start, window_end)}
    previous_start = window_start - (window_end - window_start)
    recommendations, evaluated_on = load_recommendations(con, workspace, window_start, window_end)

    hourly = fetch_rows(con, "report_project_hourly.sql", params)
    points: dict[ProjectKey, list[HourlyPoint]] = {}
    for row in hourly:
        points.setdefault(_key(row), []).append(from_row(HourlyPoint, row))
    quota = {_key(row): row for row in fetch_rows(con, "report_project_quota.sql", params)}

    usage_rows = _with_quota_only_projects(fetch_rows(con, "report_workspace_projects.sql", params), quota)
    project_totals = {
        (cluster, namespace): totals
        for (owner, cluster, namespace), totals in load_project_finding_totals(con, window_start, window_end).items()
        if owner == workspace
    }
    projects, series = _projects(usage_rows, quota, points, recommendations)
    projects = [
        project.model_copy(
            update={"findings": project_totals.get((project.cluster, project.namespace), FindingTotals())}
        )
        for project in projects
    ]

    heatmap = [
        from_row(HeatmapCell, row, activity=efficiency(row["used_gpu_hours"], row["observed_gpu_hours"]))
        for row in fetch_rows(con, "report_activity_heatmap.sql", params)
    ]

    return WorkspaceReport(
        workspace=workspace,
        slug=slug,
        window_start=window_start,
        window_end=window_end,
        previous_window_start=previous_start,
        evaluated_on=evaluated_on,
        currency=settings.report.currency,
        idle_activity_threshold=settings.usage.idle_activity_threshold,
        low_use_activity_threshold=settings.usage.low_use_activity_threshold,
        totals=load_totals(con, workspace, window_start, window_end, recommendations),
        previous_totals=load_previous_totals(con, workspace, previous_start, window_start),
        projects=projects,
        series=series,
        heatmap=heatmap,
        recommendations=recommendations,
        no_data=[from_row(NoDataGpus, row) for row in fetch_rows(con, "report_workspace_no_data.sql", params)],
        generated_at=generated_at,
        computed_by=provenance_notes(con, window_start, window_end),
        trends=load_trends(con, workspace, window_end),
        finding_totals=FindingTotals.summed(list(project_totals.values())),
        clusters=cluster_notes(con, window_start, window_end),
        # its own rows: a Workspace all in one cluster shows no Cluster column, whatever the other Workspaces hold
        show_clusters=len({project.cluster for project in projects} | {item.cluster for item in recommendations}) > 1,
    )


__all__ = ["list_workspaces", "load_cluster_overview", "load_totals", "load_workspace_report"]
