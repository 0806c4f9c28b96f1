"""ticket_history in DuckDB: read the lifecycle rows, apply one evaluation's transition in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import duckdb
from gpu_reclaim.core.warehouse import fetch_records, run_sql, transaction
from gpu_reclaim.scoring.findings import SEVERITY_RANK, Finding
from gpu_reclaim.scoring.tickets import FeedUpdate, Ticket, TicketState, plan_feed


def latest_evaluation(con: duckdb.DuckDBPyConnection) -> date | None:
    """The evaluation day the ticket history is at; the feed only moves forward from it."""
    row = run_sql(con, "tickets_latest_evaluation.sql").fetchone()
    return row[0] if row else None


def read_history(con: duckdb.DuckDBPyConnection) -> dict[str, TicketState]:
    """Every ticket's lifecycle row, by finding id."""
    return {
        row["finding_id"]: TicketState(
            finding_id=row["finding_id"],
            status=row["status"],
            first_seen=row["first_seen"],
            last_seen=row["last_seen"],
            last_evaluated_on=row["last_evaluated_on"],
            resolved_at=row["resolved_at"],
            ticket=Ticket.model_validate_json(row["ticket"]),
        )
        for row in fetch_records(con, "tickets_select_history.sql")
    }


def apply_feed_update(con: duckdb.DuckDBPyConnection, update: FeedUpdate, evaluated_on: date) -> None:
    """Write one evaluation's ticket_history rows, in one transaction."""
    with transaction(con):
        for write in update.writes:
            ticket = write.ticket
            params = {
                "finding_id": ticket.id,
                "rule": ticket.rule,
                "workspace": ticket.workspace,
                "status": ticket.status,
                "severity": ticket.severity,
                "first_seen": write.first_seen,
                "last_seen": write.last_seen,
                "resolved_at": write.resolved_at,
                "last_evaluated_on": evaluated_on,
                "ticket": ticket.stored(),
                "cluster": ticket.cluster,
            }
            run_sql(con, "tickets_upsert_history.sql", params)
        for finding_id in update.forgotten:
            run_sql(con, "tickets_delete_history.sql", {"finding_id": finding_id})


def update_ticket_feed(
    con: duckdb.DuckDBPyConnection, findings: Iterable[Finding], evaluated_on: date, now: datetime
) -> list[Ticket]:
    """Move ticket_history to `evaluated_on` (see scoring.tickets.plan_feed) and return the feed's tickets."""
    update = plan_feed(findings, read_history(con), evaluated_on, now)
    apply_feed_update(con, update, evaluated_on)
    return update.tickets


def latest_tickets(con: duckdb.DuckDBPyConnection) -> list[Ticket]:
    """The latest evaluation's feed read back from ticket_history: every ticket it opened, kept open or resolved
    (what tickets.jsonl holds). Open ones first, then by severity, recoverable hours and id."""
    history = read_history(con)
    latest = max((state.last_evaluated_on for state in history.values()), default=None)
    tickets = [state.ticket for state in history.values() if state.last_evaluated_on == latest]
    return sorted(
        tickets,
        key=lambda t: (t.status == "resolved", -SEVERITY_RANK[t.severity], -t.gpu_hours_recoverable_per_week, t.id),
    )
