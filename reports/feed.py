"""The ticket feed of any past window, rebuilt from DuckDB alone (no metrics source).

ticket_history holds only each ticket's latest state, so the feed as it stood after an older evaluation is
rebuilt by replaying the stored evaluations (the `recommendations` table, one row per finding per evaluation,
in the order each evaluation stored them) through the same lifecycle code as the daily runs
(`store.tickets.update_ticket_feed`), on a scratch in-memory ticket history. Replayed in date order, the feed
of day D equals what the daily run of D wrote, with the same ids, statuses and first/last_seen.

Evaluated days are the days with stored findings or with data (usage, nodes or pods): a day without data and
without a finding cannot be told from a day never evaluated, and is skipped.
Limitations of the replay (as of the daily feed itself): a same-day re-run that dropped a finding the earlier
run of that day had opened is replayed as if the earlier run never happened; a backfilled older day (stored,
but the live feed left alone) is replayed in its place in date order.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import duckdb
from gpu_reclaim.core.warehouse import fetch_records, prepare_connection
from gpu_reclaim.reports.build import covered_days
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.tickets import update_ticket_feed

_NOT_BODY = ("id", "exempt", "insufficient_data")


class StoredFinding(Finding):
    """A finding as an evaluation stored it: its id and ticket body exactly as they were, for the replay."""

    stored_id: str
    stored_body: dict[str, Any]

    @property
    def id(self) -> str:
        return self.stored_id

    def ticket_body(self) -> dict[str, Any]:
        return dict(self.stored_body)


def _ended_at(body: dict[str, Any]) -> datetime | None:
    ended = (body.get("evidence") or {}).get("workload_ended_at")
    return None if ended is None else datetime.fromisoformat(str(ended).replace("Z", "+00:00"))


def stored_finding(ticket_json: str) -> StoredFinding:
    """The finding of one `recommendations.ticket` (the ticket body plus id, exempt and insufficient_data)."""
    stored = json.loads(ticket_json)
    body = {key: value for key, value in stored.items() if key not in _NOT_BODY}
    return StoredFinding(
        rule=body["rule"],
        workspace=body["workspace"],
        project=body["project"],
        namespace=body["namespace"],
        workload=body["workload"],
        window_start=datetime.fromisoformat(body["window_start"]),
        window_end=datetime.fromisoformat(body["window_end"]),
        exempt=bool(stored.get("exempt", False)),
        insufficient_data=bool(stored.get("insufficient_data", False)),
        # what the ticket lifecycle reads: a waste report of an ended workload is resolved, not opened
        kind=body.get("kind", "reclaim"),
        workload_ended_at=_ended_at(body),
        stored_id=str(stored["id"]),
        stored_body=body,
    )


def evaluation_now(day: date) -> datetime:
    """The `now` the daily run of `day` gives the ticket lifecycle: the end of its window, day + 1 at 00:00 UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


@dataclass
class ReplayedFeed:
    """The feed after the latest evaluation of the window (`evaluated_on`; None and no ticket when none ran)."""

    evaluated_on: date | None
    tickets: list[Ticket] = field(default_factory=list)


def replay_ticket_feed(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> ReplayedFeed:
    """The ticket feed as the daily run of the window's latest evaluated day in [window_start, window_end)
    wrote it; empty when no evaluation is dated in the window."""
    as_of = window_end - timedelta(days=1)
    by_day: dict[date, list[StoredFinding]] = {}
    for row in fetch_records(con, "report_feed_recommendations.sql", {"as_of": as_of}):
        by_day.setdefault(row["evaluated_on"], []).append(stored_finding(row["ticket"]))
    if not by_day:
        return ReplayedFeed(None)
    days = sorted(set(by_day) | set(covered_days(con, min(by_day), window_end)))
    if days[-1] < window_start:
        return ReplayedFeed(None)
    scratch = duckdb.connect()
    try:
        prepare_connection(scratch)
        tickets: list[Ticket] = []
        for day in days:
            tickets = update_ticket_feed(scratch, by_day.get(day, []), day, evaluation_now(day))
    finally:
        scratch.close()
    return ReplayedFeed(days[-1], tickets)
