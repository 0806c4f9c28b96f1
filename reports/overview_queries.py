"""The platform team's page from DuckDB: Workspaces ranked by waste, Machine Groups, capacity and unmet demand,
fragmentation, defrag plans, cluster tickets and data quality (every figure from a named sql/report_*.sql)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb
from gpu_reclaim.core.cluster_days import cluster_notes
from gpu_reclaim.core.provenance import provenance_notes
from gpu_reclaim.core.warehouse import fetch_records as fetch_rows
from gpu_reclaim.reports.overview_models import (
    CapacityHour,
    CapacitySeries,
    ClusterOverview,
    DataQualityRow,
    DefragPlan,
    FragmentationPoint,
    FragmentationSeries,
    FragmentationSummary,
    MachineGroupCapacity,
    MachineGroupUsage,
    OccupancyNode,
    WaitingDemand,
    WorkspaceRanking,
)
from gpu_reclaim.reports.rows import efficiency, from_row, window_clusters, window_params
from gpu_reclaim.reports.ticket_models import FindingTotals
from gpu_reclaim.reports.ticket_queries import (
    latest_evaluation,
    load_cluster_tickets,
    load_finding_totals,
    load_open_tickets,
)


def load_cluster_overview(
    con: duckdb.DuckDBPyConnection,
    slugs: dict[str, str],
    window_start: date,
    window_end: date,
    generated_at: datetime,
    idle_threshold: float = 0.01,
    step_seconds: int = 60,
) -> ClusterOverview:
    """The platform team's page: Workspaces ranked by waste, Machine Groups (use, unallocated capacity, unmet
    demand, fragmentation, defrag plans), the cluster-level tickets and data quality."""
    params = window_params(window_start, window_end)
    evaluated_on = latest_evaluation(con, window_start, window_end)
    finding_totals = load_finding_totals(con, window_start, window_end)
    workspaces = [
        from_row(
            WorkspaceRanking,
            row,
            slug=slugs[row["workspace"]],
            efficiency=efficiency(row["used_gpu_hours"], row["allocated_gpu_hours"]),
        )
        for row in fetch_rows(con, "report_overview_workspaces.sql", {**params, "evaluated_on": evaluated_on})
    ]
    machine_groups = [
        from_row(
            MachineGroupUsage,
            row,
            gpu_models=row["gpu_models"] or "",
            efficiency=efficiency(row["used_gpu_hours"], row["allocated_gpu_hours"]),
            allocated_share_of_capacity=efficiency(row["allocated_gpu_hours"], row["capacity_gpu_hours"]),
        )
        for row in fetch_rows(con, "report_overview_machine_groups.sql", params)
    ]
    capacity, capacity_series = load_capacity(con, window_start, window_end)
    fragmentation, fragmentation_series = load_fragmentation(con, window_start, window_end)
    data_quality = [
        from_row(DataQualityRow, row) for row in fetch_rows(con, "report_overview_data_quality.sql", params)
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
        cluster_tickets=load_cluster_tickets(con, evaluated_on),
        open_tickets=load_open_tickets(con, evaluated_on),
        occupancy=[
            from_row(OccupancyNode, row)
            for row in fetch_rows(con, "report_overview_occupancy.sql", {**params, "idle_threshold": idle_threshold})
        ],
        waiting=[
            from_row(WaitingDemand, row, workloads=row["workloads"] or "")
            for row in fetch_rows(con, "report_overview_waiting_pods.sql", {**params, "step_seconds": step_seconds})
        ],
        evaluated_on=evaluated_on,
        data_quality=data_quality,
        generated_at=generated_at,
        computed_by=provenance_notes(con, window_start, window_end),
        finding_totals=FindingTotals.summed(list(finding_totals.values())),
        workspace_finding_totals=finding_totals,
        clusters=cluster_notes(con, window_start, window_end),
        show_clusters=len(window_clusters(con, window_start, window_end)) > 1,
    )


def load_capacity(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> tuple[list[MachineGroupCapacity], list[CapacitySeries]]:
    """Per Machine Group: window sums and the hourly series of capacity, allocation, use and unmet demand."""
    params = window_params(window_start, window_end)
    summary = [
        from_row(
            MachineGroupCapacity,
            row,
            unallocated_share=efficiency(row["unallocated_gpu_hours"], row["capacity_gpu_hours"]),
        )
        for row in fetch_rows(con, "report_overview_capacity.sql", params)
    ]
    points: dict[tuple[str, str], list[CapacityHour]] = {}
    models: dict[tuple[str, str], str] = {}
    for row in fetch_rows(con, "report_overview_capacity_hourly.sql", params):
        key = (row["cluster"], row["machine_group"])
        models[key] = row["gpu_model"]
        points.setdefault(key, []).append(from_row(CapacityHour, row))
    order = [(row.cluster, row.machine_group) for row in summary]
    series = [
        CapacitySeries(
            cluster=cluster, machine_group=group, gpu_model=models[cluster, group], points=points[cluster, group]
        )
        for cluster, group in order
    ]
    return summary, series


def load_fragmentation(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> tuple[list[FragmentationSummary], list[FragmentationSeries]]:
    """Fragmentation per cluster, Machine Group and for the whole cluster (last): window summary and snapshot
    series."""
    params = window_params(window_start, window_end)
    summary = [
        from_row(FragmentationSummary, row) for row in fetch_rows(con, "report_overview_fragmentation.sql", params)
    ]
    points: dict[tuple[str, str], list[FragmentationPoint]] = {}
    for row in fetch_rows(con, "report_overview_fragmentation_hourly.sql", params):
        points.setdefault((row["cluster"], row["scope"]), []).append(from_row(FragmentationPoint, row))
    series = [
        FragmentationSeries(
            cluster=row.cluster,
            scope=row.scope,
            gpu_model=row.gpu_model,
            points=points.get((row.cluster, row.scope), []),
        )
        for row in summary
    ]
    return summary, series


def load_defrag_plans(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[DefragPlan]:
    """The latest consolidation plan of each Machine Group in the window."""
    return [
        from_row(
            DefragPlan,
            row,
            freed_nodes=row["freed_nodes"] or "",
            low_use_hours_utc=[int(hour) for hour in row["low_use_hours_utc"] or []],
        )
        for row in fetch_rows(con, "report_overview_defrag_plans.sql", window_params(window_start, window_end))
    ]


__all__ = ["load_cluster_overview", "load_finding_totals"]
