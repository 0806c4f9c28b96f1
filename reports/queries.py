"""Fill the page models from DuckDB: every figure comes from a named `sql/report_*.sql` query."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.provenance import provenance_notes
from gpu_reclaim.core.warehouse import fetch_records as fetch_rows
from gpu_reclaim.reports.models import (
    CapacityHour,
    CapacitySeries,
    ClusterOverview,
    ClusterTicket,
    DataQualityRow,
    DefragPlan,
    FragmentationPoint,
    FragmentationSeries,
    FragmentationSummary,
    HeatmapCell,
    HourlyPoint,
    MachineGroupCapacity,
    MachineGroupUsage,
    NoDataGpus,
    ProjectReport,
    ProjectSeries,
    Recommendation,
    UsageFigures,
    WorkspaceRanking,
    WorkspaceReport,
    rounded,
    rounded_hours,
)


def window_params(window_start: date, window_end: date) -> dict[str, Any]:
    return {"window_start": window_start, "window_end": window_end}


def list_workspaces(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[str]:
    """Every Workspace with usage or recommendations in the window."""
    rows = fetch_rows(con, "report_workspaces.sql", window_params(window_start, window_end))
    return [str(row["workspace"]) for row in rows]


def efficiency(used: float | None, allocated: float | None) -> float | None:
    """used / allocated, None when nothing was allocated."""
    if not allocated or allocated <= 0:
        return None
    return rounded((used or 0.0) / allocated)


def percentile(values: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile (as DuckDB's quantile_cont); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


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
    }


def _evidence(raw: str | None) -> dict[str, str]:
    """The ticket's evidence as label -> printable value (nested values as compact JSON)."""
    if not raw:
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        return {"evidence": json.dumps(parsed, ensure_ascii=False)}
    return {
        str(key): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for key, value in parsed.items()
    }


def load_recommendations(
    con: duckdb.DuckDBPyConnection, workspace: str, window_start: date, window_end: date
) -> tuple[list[Recommendation], date | None]:
    """The Workspace's findings of the latest evaluation in the window, and that evaluation's date."""
    params = {"workspace": workspace, **window_params(window_start, window_end)}
    rows = fetch_rows(con, "report_recommendations.sql", params)
    evaluated_on = rows[0]["evaluated_on"] if rows else None
    items = [
        Recommendation(
            id=row["finding_id"],
            rule=row["rule"],
            severity=row["severity"],
            project=row["project"],
            namespace=row["namespace"],
            workload=row["workload"],
            exempt=bool(row["exempt"]),
            gpu_model=row["gpu_model"],
            gpus_allocated=rounded(row["gpus_allocated"]),
            gpus_reclaimable=rounded(row["gpus_reclaimable"]),
            idle_gpu_hours=rounded(row["idle_gpu_hours"]),
            gpu_hours_recoverable_per_week=rounded(row["gpu_hours_recoverable_per_week"]),
            action=row["action"],
            summary=row["summary"],
            evidence=_evidence(row["evidence_json"]),
        )
        for row in rows
    ]
    return items, evaluated_on


def _recoverable(rows: list[Recommendation], namespace: str | None = None) -> float:
    """GPU-hours per week of the non-exempt findings (of one namespace when given)."""
    return sum(
        item.gpu_hours_recoverable_per_week or 0.0
        for item in rows
        if not item.exempt and (namespace is None or item.namespace == namespace)
    )


def load_totals(con: duckdb.DuckDBPyConnection, workspace: str, window_start: date, window_end: date) -> UsageFigures:
    params = {"workspace": workspace, **window_params(window_start, window_end)}
    row = fetch_rows(con, "report_workspace_totals.sql", params)[0]
    recommendations, _ = load_recommendations(con, workspace, window_start, window_end)
    return UsageFigures(**usage_figures(row, _recoverable(recommendations)))


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
    points: dict[str, list[HourlyPoint]] = {}
    for row in hourly:
        points.setdefault(row["namespace"], []).append(
            HourlyPoint(
                hour=row["hour"],
                allocated_gpus=rounded_hours(row["allocated_gpus"]),
                used_gpus=rounded_hours(row["used_gpus"]),
            )
        )
    quota = {row["namespace"]: row for row in fetch_rows(con, "report_project_quota.sql", params)}

    usage_rows = fetch_rows(con, "report_workspace_projects.sql", params)
    seen = {row["namespace"] for row in usage_rows}
    for namespace, row in quota.items():  # Projects that reserved GPUs and ran nothing
        if namespace not in seen:
            usage_rows.append(
                {
                    "project": row["project"],
                    "namespace": namespace,
                    **dict.fromkeys(
                        (
                            "allocated_gpu_hours",
                            "used_gpu_hours",
                            "idle_gpu_hours",
                            "low_use_gpu_hours",
                            "no_data_gpu_hours",
                            "allocated_h100_equivalent_hours",
                            "idle_h100_equivalent_hours",
                        ),
                        0.0,
                    ),
                    "allocated_cost": None,
                    "idle_cost": None,
                }
            )

    projects: list[ProjectReport] = []
    series: list[ProjectSeries] = []
    for row in usage_rows:
        namespace = row["namespace"]
        allocation = [point.allocated_gpus for point in points.get(namespace, [])]
        reserved = quota.get(namespace, {})
        recoverable = _recoverable(recommendations, namespace)
        projects.append(
            ProjectReport(
                project=row["project"],
                namespace=namespace,
                reserved_gpus=rounded(reserved.get("reserved_gpus")),
                max_reserved_gpus=rounded(reserved.get("max_reserved_gpus")),
                peak_allocated_gpus=rounded_hours(max(allocation, default=0.0)),
                p95_allocated_gpus=rounded_hours(percentile(allocation, 0.95)),
                **usage_figures(row, recoverable),
            )
        )
        series.append(
            ProjectSeries(
                project=row["project"],
                namespace=namespace,
                reserved_gpus=rounded(reserved.get("reserved_gpus")),
                points=points.get(namespace, []),
            )
        )

    heatmap = [
        HeatmapCell(
            weekday=int(row["weekday"]),
            hour_of_day=int(row["hour_of_day"]),
            observed_gpu_hours=rounded_hours(row["observed_gpu_hours"]),
            used_gpu_hours=rounded_hours(row["used_gpu_hours"]),
            activity=efficiency(row["used_gpu_hours"], row["observed_gpu_hours"]),
        )
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
        totals=load_totals(con, workspace, window_start, window_end),
        previous_totals=load_totals(con, workspace, previous_start, window_start),
        projects=projects,
        series=series,
        heatmap=heatmap,
        recommendations=recommendations,
        no_data=[
            NoDataGpus(
                project=row["project"],
                namespace=row["namespace"],
                workload=row["workload"],
                node=row["node"],
                machine_group=row["machine_group"],
                gpu_model=row["gpu_model"],
                pods=int(row["pods"]),
                allocated_gpu_hours=rounded_hours(row["allocated_gpu_hours"]),
                no_data_gpu_hours=rounded_hours(row["no_data_gpu_hours"]),
            )
            for row in fetch_rows(con, "report_workspace_no_data.sql", params)
        ],
        generated_at=generated_at,
        computed_by=provenance_notes(con, window_start, window_end),
    )


def load_cluster_overview(
    con: duckdb.DuckDBPyConnection,
    slugs: dict[str, str],
    window_start: date,
    window_end: date,
    generated_at: datetime,
) -> ClusterOverview:
    """The platform team's page: Workspaces ranked by waste, Machine Groups (use, unallocated capacity, unmet
    demand, fragmentation, defrag plans), the cluster-level tickets and data quality."""
    params = window_params(window_start, window_end)
    workspaces = [
        WorkspaceRanking(
            workspace=row["workspace"],
            slug=slugs[row["workspace"]],
            projects=int(row["projects"]),
            allocated_gpu_hours=rounded_hours(row["allocated_gpu_hours"]),
            used_gpu_hours=rounded_hours(row["used_gpu_hours"]),
            idle_gpu_hours=rounded_hours(row["idle_gpu_hours"]),
            no_data_gpu_hours=rounded_hours(row["no_data_gpu_hours"]),
            efficiency=efficiency(row["used_gpu_hours"], row["allocated_gpu_hours"]),
            allocated_h100_equivalent_hours=rounded_hours(row["allocated_h100_equivalent_hours"]),
            idle_h100_equivalent_hours=rounded_hours(row["idle_h100_equivalent_hours"]),
            recommendations=int(row["recommendations"]),
            gpu_hours_recoverable_per_week=rounded_hours(row["gpu_hours_recoverable_per_week"]),
        )
        for row in fetch_rows(con, "report_overview_workspaces.sql", params)
    ]
    machine_groups = [
        MachineGroupUsage(
            machine_group=row["machine_group"],
            gpu_models=row["gpu_models"] or "",
            nodes=row["nodes"],
            capacity_gpu_hours=rounded(row["capacity_gpu_hours"]),
            allocated_gpu_hours=rounded_hours(row["allocated_gpu_hours"]),
            used_gpu_hours=rounded_hours(row["used_gpu_hours"]),
            idle_gpu_hours=rounded_hours(row["idle_gpu_hours"]),
            no_data_gpu_hours=rounded_hours(row["no_data_gpu_hours"]),
            efficiency=efficiency(row["used_gpu_hours"], row["allocated_gpu_hours"]),
            allocated_share_of_capacity=efficiency(row["allocated_gpu_hours"], row["capacity_gpu_hours"]),
        )
        for row in fetch_rows(con, "report_overview_machine_groups.sql", params)
    ]
    capacity, capacity_series = load_capacity(con, window_start, window_end)
    fragmentation, fragmentation_series = load_fragmentation(con, window_start, window_end)
    tickets, evaluated_on = load_cluster_tickets(con, window_start, window_end)
    data_quality = [
        DataQualityRow(stage=row["stage"], rule=row["rule"], metric=row["metric"], affected=int(row["affected"]))
        for row in fetch_rows(con, "report_overview_data_quality.sql", params)
    ]
    return ClusterOverview(
        window_start=window_start,
        window_end=window_end,
        workspaces=workspaces,
        machine_groups=machine_groups,
        capacity=capacity,
        capacity_series=capacity_series,
        fragmentation=fragmentation,
        fragmentation_series=fragmentation_series,
        defrag_plans=load_defrag_plans(con, window_start, window_end),
        cluster_tickets=tickets,
        evaluated_on=evaluated_on,
        data_quality=data_quality,
        generated_at=generated_at,
        computed_by=provenance_notes(con, window_start, window_end),
    )


def load_capacity(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> tuple[list[MachineGroupCapacity], list[CapacitySeries]]:
    """Per Machine Group: window sums and the hourly series of capacity, allocation, use and unmet demand."""
    params = window_params(window_start, window_end)
    summary = [
        MachineGroupCapacity(
            machine_group=row["machine_group"],
            gpu_model=row["gpu_model"],
            hours=int(row["hours"]),
            capacity_gpu_hours=rounded_hours(row["capacity_gpu_hours"]),
            allocated_gpu_hours=rounded_hours(row["allocated_gpu_hours"]),
            used_gpu_hours=rounded_hours(row["used_gpu_hours"]),
            idle_gpu_hours=rounded_hours(row["idle_gpu_hours"]),
            unallocated_gpu_hours=rounded_hours(row["unallocated_gpu_hours"]),
            pending_gpu_hours=rounded_hours(row["pending_gpu_hours"]),
            peak_pending_gpus=rounded_hours(row["peak_pending_gpus"]),
            pending_snapshots=int(row["pending_snapshots"]),
            peak_blocked_pods=int(row["peak_blocked_pods"]),
            unallocated_share=efficiency(row["unallocated_gpu_hours"], row["capacity_gpu_hours"]),
        )
        for row in fetch_rows(con, "report_overview_capacity.sql", params)
    ]
    points: dict[str, list[CapacityHour]] = {}
    models: dict[str, str] = {}
    for row in fetch_rows(con, "report_overview_capacity_hourly.sql", params):
        models[row["machine_group"]] = row["gpu_model"]
        points.setdefault(row["machine_group"], []).append(
            CapacityHour(
                hour=row["hour"],
                **{
                    key: rounded_hours(row[key])
                    for key in (
                        "capacity_gpus",
                        "allocated_gpus",
                        "used_gpus",
                        "idle_gpus",
                        "unallocated_gpus",
                        "pending_gpus",
                    )
                },
            )
        )
    order = [row.machine_group for row in summary]
    series = [CapacitySeries(machine_group=group, gpu_model=models[group], points=points[group]) for group in order]
    return summary, series


def load_fragmentation(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> tuple[list[FragmentationSummary], list[FragmentationSeries]]:
    """Fragmentation per Machine Group and for the cluster (last): window summary and snapshot series."""
    params = window_params(window_start, window_end)
    summary = [
        FragmentationSummary(
            scope=row["scope"],
            gpu_model=row["gpu_model"],
            gpus=int(row["gpus"]),
            snapshots=int(row["snapshots"]),
            mean_fragmentation_ratio=rounded_hours(row["mean_fragmentation_ratio"]),
            max_fragmentation_ratio=rounded_hours(row["max_fragmentation_ratio"]),
            latest_snapshot=row["latest_snapshot"],
            latest_fragmentation_ratio=rounded_hours(row["latest_fragmentation_ratio"]),
            latest_free_whole_gpus=int(row["latest_free_whole_gpus"]),
            latest_stranded_gpus=int(row["latest_stranded_gpus"]),
            latest_placeable_8gpu=int(row["latest_placeable_8gpu"]),
            min_placeable_8gpu=int(row["min_placeable_8gpu"]),
        )
        for row in fetch_rows(con, "report_overview_fragmentation.sql", params)
    ]
    points: dict[str, list[FragmentationPoint]] = {}
    for row in fetch_rows(con, "report_overview_fragmentation_hourly.sql", params):
        points.setdefault(row["scope"], []).append(
            FragmentationPoint(
                snapshot_ts=row["snapshot_ts"],
                fragmentation_ratio=rounded_hours(row["fragmentation_ratio"]),
                free_whole_gpus=int(row["free_whole_gpus"]),
                placeable_8gpu=int(row["placeable_8gpu"]),
                stranded_gpus=int(row["stranded_gpus"]),
            )
        )
    series = [
        FragmentationSeries(scope=row.scope, gpu_model=row.gpu_model, points=points.get(row.scope, []))
        for row in summary
    ]
    return summary, series


def load_defrag_plans(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[DefragPlan]:
    """The latest consolidation plan of each Machine Group in the window."""
    return [
        DefragPlan(
            machine_group=row["machine_group"],
            gpu_model=row["gpu_model"],
            day=row["day"],
            snapshot_ts=row["snapshot_ts"],
            moves=int(row["moves"]),
            nodes_freed=int(row["nodes_freed"]),
            freed_nodes=row["freed_nodes"] or "",
            placeable_8gpu_before=int(row["placeable_8gpu_before"]),
            placeable_8gpu_after=int(row["placeable_8gpu_after"]),
            fragmentation_ratio_before=rounded_hours(row["fragmentation_ratio_before"]),
            fragmentation_ratio_after=rounded_hours(row["fragmentation_ratio_after"]),
            low_use_hours_utc=[int(hour) for hour in row["low_use_hours_utc"] or []],
        )
        for row in fetch_rows(con, "report_overview_defrag_plans.sql", window_params(window_start, window_end))
    ]


def load_cluster_tickets(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> tuple[list[ClusterTicket], date | None]:
    """The cluster-level `defragment` tickets of the latest evaluation in the window, and its date."""
    rows = fetch_rows(con, "report_overview_defragment_tickets.sql", window_params(window_start, window_end))
    tickets = [
        ClusterTicket(
            id=row["finding_id"],
            rule=row["rule"],
            severity=row["severity"],
            workload=row["workload"],
            exempt=bool(row["exempt"]),
            gpu_model=row["gpu_model"],
            gpus_reclaimable=rounded(row["gpus_reclaimable"]),
            gpu_hours_recoverable_per_week=rounded(row["gpu_hours_recoverable_per_week"]),
            action=row["action"],
            summary=row["summary"],
            evidence=_evidence(row["evidence_json"]),
        )
        for row in rows
    ]
    return tickets, (rows[0]["evaluated_on"] if rows else None)
