"""The ticket feed: findings become tickets with a stable id and a lifecycle new → ongoing → resolved.

State lives in DuckDB's ticket_history (one row per finding id). Transitions are keyed on `evaluated_on`, so
re-running an evaluation date gives the same feed: a ticket opened on that date stays `new`, one resolved on
that date is emitted as `resolved` again, and first_seen/last_seen keep the values of the date's first run.
Limitation: a ticket that a same-day earlier run opened and the re-run no longer finds is forgotten; if that
earlier run had re-opened a resolved ticket, the older resolved row is forgotten with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
from gpu_reclaim.scoring.findings import Finding, rfc3339
from gpu_reclaim.scoring.rules.sql import bind, read_sql

TICKET_FIELDS = (
    "id",
    "status",
    "rule",
    "severity",
    "workspace",
    "project",
    "namespace",
    "workload",
    "pods",
    "nodes",
    "gpu_model",
    "gpus_allocated",
    "gpus_reclaimable",
    "idle_gpu_hours",
    "gpu_hours_recoverable_per_week",
    "window_start",
    "window_end",
    "first_seen",
    "last_seen",
    "evidence",
    "action",
    "summary",
)


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def make_ticket(finding: Finding, status: str, first_seen: datetime, last_seen: datetime) -> dict[str, Any]:
    """The ticket of a finding, with exactly the fields of CONTRACT.md in its order."""
    values = {
        "id": finding.id,
        "status": status,
        **finding.ticket_body(),
        "first_seen": rfc3339(first_seen),
        "last_seen": rfc3339(last_seen),
    }
    return {field: values[field] for field in TICKET_FIELDS}


def latest_evaluation(con: duckdb.DuckDBPyConnection) -> date | None:
    """The evaluation day the ticket history is at; the feed only moves forward from it."""
    row = con.execute(read_sql("tickets_latest_evaluation")).fetchone()
    return row[0] if row else None


def _history(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cursor = con.execute(read_sql("tickets_select_history"))
    columns = [column[0] for column in cursor.description or []]
    return {row[0]: dict(zip(columns, row, strict=True)) for row in cursor.fetchall()}


def _write_row(
    con: duckdb.DuckDBPyConnection,
    ticket: dict[str, Any],
    evaluated_on: date,
    first_seen: datetime,
    last_seen: datetime,
    resolved_at: datetime | None,
) -> None:
    params = {
        "finding_id": ticket["id"],
        "rule": ticket["rule"],
        "workspace": ticket["workspace"],
        "status": ticket["status"],
        "severity": ticket["severity"],
        "first_seen": first_seen,
        "last_seen": last_seen,
        "resolved_at": resolved_at,
        "last_evaluated_on": evaluated_on,
        "ticket": json.dumps(ticket, sort_keys=True),
    }
    con.execute(read_sql("tickets_upsert_history"), bind("tickets_upsert_history", params))


def _open_ticket(
    con: duckdb.DuckDBPyConnection,
    finding: Finding,
    row: dict[str, Any] | None,
    evaluated_on: date,
    now: datetime,
) -> dict[str, Any]:
    """The new or ongoing ticket of a present finding, written to ticket_history."""
    if row is None:
        status, first, last = "new", now, now
    elif row["last_evaluated_on"] == evaluated_on and row["status"] in ("new", "ongoing"):
        status, first, last = row["status"], row["first_seen"], row["last_seen"]  # same-day re-run
    elif row["last_evaluated_on"] == evaluated_on or row["status"] in ("new", "ongoing"):
        status, first, last = "ongoing", row["first_seen"], now  # seen before this date (or resolved today)
    else:
        status, first, last = "new", now, now  # resolved on an earlier date: opened again
    ticket = make_ticket(finding, status, first, last)
    _write_row(con, ticket, evaluated_on, first, last, None)
    return ticket


def _closed_ticket(
    con: duckdb.DuckDBPyConnection, row: dict[str, Any], evaluated_on: date, now: datetime
) -> dict[str, Any] | None:
    """The resolved ticket of an absent finding, emitted on the date it resolved only."""
    same_day = row["last_evaluated_on"] == evaluated_on
    if row["status"] == "resolved":
        return dict(json.loads(row["ticket"])) if same_day else None
    if same_day and row["status"] == "new":
        con.execute(read_sql("tickets_delete_history"), {"finding_id": row["finding_id"]})
        return None
    ticket = {**json.loads(row["ticket"]), "status": "resolved"}
    _write_row(con, ticket, evaluated_on, row["first_seen"], row["last_seen"], now)
    return ticket


def update_ticket_feed(
    con: duckdb.DuckDBPyConnection, findings: Iterable[Finding], evaluated_on: date, now: datetime
) -> list[dict[str, Any]]:
    """Move ticket_history to `evaluated_on` and return the tickets to write: new and ongoing in priority
    order of `findings`, then those resolved on this date. Exempt and insufficient-data findings never
    become tickets. Evaluating a date earlier than the history's latest is refused."""
    now = _naive_utc(now)
    history = _history(con)
    latest = max((row["last_evaluated_on"] for row in history.values()), default=None)
    if latest is not None and evaluated_on < latest:
        raise ValueError(f"ticket history is at {latest}; cannot evaluate the earlier date {evaluated_on}")
    present: dict[str, Finding] = {}
    for finding in findings:
        if finding.ticketable:
            present.setdefault(finding.id, finding)
    tickets: list[dict[str, Any]] = []
    con.execute("BEGIN TRANSACTION")
    try:
        for finding_id, finding in present.items():
            tickets.append(_open_ticket(con, finding, history.get(finding_id), evaluated_on, now))
        resolved = []
        for finding_id, row in sorted(history.items()):
            if finding_id not in present:
                ticket = _closed_ticket(con, row, evaluated_on, now)
                if ticket is not None:
                    resolved.append(ticket)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return tickets + resolved


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread, for a moment)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def write_feed(path: Path, tickets: Iterable[dict[str, Any]]) -> None:
    """Write tickets.jsonl atomically: a temp file in the same directory, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the rename
        mode="w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            for ticket in tickets:
                handle.write(json.dumps(ticket, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # NamedTemporaryFile creates 0600; the feed is for other tools to read, like any file written with umask
        os.chmod(handle.name, 0o666 & ~_umask())
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
