"""The tickets of the report pages from DuckDB: every query reads the view report_ticket_findings
(sql/create_views.sql) for the latest evaluation dated in the window (sql/report_latest_evaluation.sql)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

import duckdb
from gpu_reclaim.core.warehouse import fetch_records
from gpu_reclaim.reports.rows import evidence_labels, from_row, window_params
from gpu_reclaim.reports.ticket_models import ClusterTicket, FindingTotals, Recommendation

TicketT = TypeVar("TicketT", Recommendation, ClusterTicket)


def latest_evaluation(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> date | None:
    """The date of the latest evaluation run dated in [window_start, window_end), None when none ran."""
    rows = fetch_records(con, "report_latest_evaluation.sql", window_params(window_start, window_end))
    value = rows[0]["evaluated_on"] if rows else None
    return value if isinstance(value, date) else None


def load_tickets(
    con: duckdb.DuckDBPyConnection, model: type[TicketT], query: str, params: Mapping[str, Any]
) -> list[TicketT]:
    """The rows of one ticket query as page models, evidence as short labelled sentences."""
    return [
        from_row(
            model, row, id=row["finding_id"], exempt=bool(row["exempt"]), evidence=evidence_labels(row["evidence_json"])
        )
        for row in fetch_records(con, query, params)
    ]


def load_recommendations(
    con: duckdb.DuckDBPyConnection, workspace: str, window_start: date, window_end: date
) -> tuple[list[Recommendation], date | None]:
    """The Workspace's findings of the latest evaluation in the window, and that evaluation's date."""
    evaluated_on = latest_evaluation(con, window_start, window_end)
    params = {"workspace": workspace, "evaluated_on": evaluated_on}
    return load_tickets(con, Recommendation, "report_recommendations.sql", params), evaluated_on


def load_open_tickets(con: duckdb.DuckDBPyConnection, evaluated_on: date | None) -> list[Recommendation]:
    """Every open (non-exempt) ticket of the evaluation, of every Workspace and the cluster."""
    return load_tickets(con, Recommendation, "report_overview_open_tickets.sql", {"evaluated_on": evaluated_on})


def load_cluster_tickets(con: duckdb.DuckDBPyConnection, evaluated_on: date | None) -> list[ClusterTicket]:
    """The cluster-level `defragment` tickets of the evaluation."""
    return load_tickets(con, ClusterTicket, "report_overview_defragment_tickets.sql", {"evaluated_on": evaluated_on})


def load_project_finding_totals(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> dict[tuple[str, str, str], FindingTotals]:
    """Per (Workspace, cluster, namespace): the findings' totals of the latest evaluation in the window (the
    cluster's defrag tickets under ('cluster', <cluster>, '')). The same namespace in two clusters is two
    Projects, never added together."""
    params = {"evaluated_on": latest_evaluation(con, window_start, window_end)}
    rows = fetch_records(con, "report_finding_totals.sql", params)
    return {
        (str(row["workspace"]), str(row["cluster"]), str(row["namespace"])): from_row(FindingTotals, row)
        for row in rows
    }


def load_finding_totals(
    con: duckdb.DuckDBPyConnection, window_start: date, window_end: date
) -> dict[str, FindingTotals]:
    """Per Workspace (and `cluster`): the findings' totals of the latest evaluation in the window."""
    parts: dict[str, list[FindingTotals]] = {}
    for (workspace, _, _), totals in load_project_finding_totals(con, window_start, window_end).items():
        parts.setdefault(workspace, []).append(totals)
    return {workspace: FindingTotals.summed(totals) for workspace, totals in parts.items()}
