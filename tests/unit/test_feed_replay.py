"""The ticket feed of a past window replayed from DuckDB alone equals the feed each daily run wrote."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.reports.feed import replay_ticket_feed, stored_finding
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.store.recommendations import store_recommendations
from gpu_reclaim.store.tickets import update_ticket_feed

DAY1 = date(2026, 11, 2)


def _finding(rule: str, workload: str, day: date, **extra: Any) -> Finding:
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
    return Finding(
        rule=rule,
        workspace="ws",
        project="p",
        namespace="ns",
        workload=workload,
        pods=[f"{workload.split('/')[-1]}-0"],
        gpus_allocated=4,
        gpus_reclaimable=2,
        idle_gpu_hours=10.5 + day.day,
        gpu_hours_recoverable_per_week=20.25,
        severity="high",
        evidence={"zeta": 1, "alpha": [day.isoformat()], "mean_activity": 0.004},
        action="Scale down",
        summary=f"{workload} idles",
        window_start=end - timedelta(days=7),
        window_end=end,
        **extra,
    )


def _live_run(con: duckdb.DuckDBPyConnection, day: date, findings: list[Finding]) -> list[dict[str, Any]]:
    """What the daily recommendations stage does: store the evaluation, move the history, return the feed."""
    store_recommendations(con, day, findings)
    con.execute(
        "INSERT INTO nodes (day, node, machine_group, gpu_model, gpu_allocatable, cpu_cores_allocatable, "
        "memory_bytes_allocatable) VALUES (?, 'n1', 'mg', 'NVIDIA-H100', 8, 64, 1e12)",
        [day],
    )  # the day has data
    feed = update_ticket_feed(con, findings, day, datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC))
    return [json.loads(ticket.feed_line()) for ticket in feed]  # as tickets.jsonl holds it


def test_replayed_feed_equals_every_daily_feed() -> None:
    con = duckdb.connect()
    prepare_connection(con)
    plan = [
        [_finding("idle_allocation", "Job/a", DAY1), _finding("idle_allocation", "Job/b", DAY1, exempt=True)],
        [
            _finding("idle_allocation", "Job/a", DAY1 + timedelta(1)),
            _finding("defragment", "MachineGroup/mg", DAY1 + timedelta(1), machine_group="mg"),
            _finding("low_efficiency", "Job/c", DAY1 + timedelta(1), insufficient_data=True),
        ],
        [],  # every ticket resolves
        [_finding("idle_allocation", "Job/a", DAY1 + timedelta(3))],  # opened again: new
        [_finding("idle_allocation", "Job/a", DAY1 + timedelta(4))],  # ongoing
    ]
    feeds = [_live_run(con, DAY1 + timedelta(days=offset), findings) for offset, findings in enumerate(plan)]
    assert [[t["status"] for t in feed] for feed in feeds] == [
        ["new"],
        ["new", "ongoing"],  # the feed order: severity, then recoverable GPU-hours (scoring.tickets.feed_order)
        ["resolved", "resolved"],
        ["new"],
        ["ongoing"],
    ]
    for offset, feed in enumerate(feeds):
        day = DAY1 + timedelta(days=offset)
        replayed = replay_ticket_feed(con, day - timedelta(days=6), day + timedelta(days=1))
        assert replayed.evaluated_on == day
        assert [json.loads(ticket.feed_line()) for ticket in replayed.tickets] == feed, day
    # a window after the last evaluation, or before the first, has no feed
    assert replay_ticket_feed(con, DAY1 + timedelta(days=5), DAY1 + timedelta(days=12)).tickets == []
    assert replay_ticket_feed(con, DAY1 - timedelta(days=7), DAY1).evaluated_on is None
    # the replay never writes to the database it reads
    assert con.execute("SELECT max(last_evaluated_on) FROM ticket_history").fetchone() == (DAY1 + timedelta(4),)


def test_stored_finding_keeps_id_and_body() -> None:
    finding = _finding("defragment", "MachineGroup/mg", DAY1, machine_group="mg")
    stored = {"id": finding.id, **finding.ticket_body(), "exempt": False, "insufficient_data": False}
    again = stored_finding(json.dumps(stored, sort_keys=True))
    assert again.id == finding.id
    assert again.ticket_body() == json.loads(json.dumps(finding.ticket_body()))
    assert again.ticketable


def test_the_cli_names_the_feed_as_the_pipeline_writes_it() -> None:
    from gpu_reclaim.assets.reclamation import FEED_NAME
    from gpu_reclaim.pipelines.cli import FEED_FILE

    assert FEED_FILE == FEED_NAME
