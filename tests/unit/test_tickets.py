"""The ticket feed: stable ids, new → ongoing → resolved (once), same-day idempotence, atomic writes."""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.scoring.findings import Finding, finding_id
from gpu_reclaim.scoring.tickets import TICKET_FIELDS, Ticket, make_ticket
from gpu_reclaim.store.feed import write_feed
from gpu_reclaim.store.tickets import update_ticket_feed as store_update

from tests.unit.test_rules_builder import Cluster, by_rule, evaluate

WINDOW_START = datetime(2026, 11, 2)
DAY1, DAY2, DAY3, DAY4 = (date(2026, 11, 3) + timedelta(days=n) for n in range(4))


def at_noon(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, 0, 0)


def finding(workload: str = "Job/train", **overrides: Any) -> Finding:
    values: dict[str, Any] = {
        "rule": "idle_allocation",
        "workspace": "ws-a",
        "project": "ml",
        "namespace": "ml",
        "workload": workload,
        "pods": ["train-0"],
        "nodes": ["node-1"],
        "gpu_model": "NVIDIA-H100-80GB-HBM3",
        "gpus_allocated": 1.0,
        "gpus_reclaimable": 1.0,
        "idle_gpu_hours": 5.0,
        "gpu_hours_recoverable_per_week": 7.0,
        "severity": "low",
        "evidence": {"longest_idle_hours": 5.0},
        "action": "Release the idle GPU.",
        "summary": "Job/train idle 5 h.",
        "window_start": WINDOW_START,
        "window_end": WINDOW_START + timedelta(days=1),
    }
    return Finding(**{**values, **overrides})


def sample_ticket(status: Any = "new") -> Ticket:
    """A complete ticket of :func:`finding` (for tests of the feed writer and the sinks)."""
    return make_ticket(finding(), status, at_noon(DAY1), at_noon(DAY1))


def update_ticket_feed(con: duckdb.DuckDBPyConnection, *args: Any) -> list[dict[str, Any]]:
    """The feed as the JSON objects tickets.jsonl holds."""
    return [ticket.model_dump(mode="json") for ticket in store_update(con, *args)]


def feed_on(con: duckdb.DuckDBPyConnection, findings: list[Finding], day: date) -> list[dict[str, Any]]:
    """The feed of the evaluation dated `day`, run at noon that day."""
    return update_ticket_feed(con, findings, day, at_noon(day))


def statuses(tickets: list[dict[str, Any]]) -> dict[str, str]:
    return {ticket["workload"]: ticket["status"] for ticket in tickets}


def test_lifecycle_new_ongoing_resolved_then_gone(con: duckdb.DuckDBPyConnection) -> None:
    day1 = feed_on(con, [finding()], DAY1)
    day2 = feed_on(con, [finding(idle_gpu_hours=9.0)], DAY2)
    day3 = feed_on(con, [], DAY3)
    day4 = feed_on(con, [], DAY4)
    assert [t["status"] for t in day1] == ["new"]
    assert [t["status"] for t in day2] == ["ongoing"]
    assert [t["status"] for t in day3] == ["resolved"]
    assert day4 == []
    assert day1[0]["id"] == day2[0]["id"] == day3[0]["id"]
    assert day2[0]["first_seen"] == "2026-11-03T12:00:00Z"
    assert day2[0]["last_seen"] == "2026-11-04T12:00:00Z"
    assert day2[0]["idle_gpu_hours"] == 9.0
    assert day3[0]["last_seen"] == "2026-11-04T12:00:00Z"
    assert day3[0] == {**day2[0], "status": "resolved"}
    assert list(day3[0]["evidence"]) == list(day2[0]["evidence"])  # in the feed's order, not re-sorted
    row = con.execute("SELECT status, resolved_at, last_evaluated_on FROM ticket_history").fetchall()
    assert row == [("resolved", at_noon(DAY3), DAY3)]


@pytest.mark.parametrize(
    ("found_again_on", "status", "first_seen"),
    [
        (DAY3, "new", "2026-11-05T12:00:00Z"),  # a resolved finding that returns on a later day is new again
        (DAY2, "ongoing", "2026-11-03T12:00:00Z"),  # a same-day rerun that finds a resolved ticket again: ongoing
    ],
)
def test_a_resolved_finding_found_again(
    con: duckdb.DuckDBPyConnection, found_again_on: date, status: str, first_seen: str
) -> None:
    feed_on(con, [finding()], DAY1)
    feed_on(con, [], DAY2)
    [ticket] = feed_on(con, [finding()], found_again_on)
    assert ticket["status"] == status
    assert ticket["first_seen"] == first_seen


def test_same_day_rerun_gives_the_same_feed(con: duckdb.DuckDBPyConnection) -> None:
    first = feed_on(con, [finding(), finding("Job/other")], DAY1)
    again = update_ticket_feed(con, [finding(), finding("Job/other")], DAY1, at_noon(DAY1) + timedelta(hours=3))
    assert first == again
    assert statuses(again) == {"Job/train": "new", "Job/other": "new"}
    day2 = feed_on(con, [finding()], DAY2)
    day2_again = update_ticket_feed(con, [finding()], DAY2, at_noon(DAY2) + timedelta(hours=1))
    assert day2 == day2_again
    assert statuses(day2_again) == {"Job/train": "ongoing", "Job/other": "resolved"}
    assert update_ticket_feed(con, [finding()], DAY2, at_noon(DAY2) + timedelta(hours=2)) == day2_again


def test_same_day_rerun_without_a_finding_opened_that_day_forgets_it(con: duckdb.DuckDBPyConnection) -> None:
    feed_on(con, [finding()], DAY1)
    assert feed_on(con, [], DAY1) == []
    assert con.execute("SELECT count(*) FROM ticket_history").fetchone() == (0,)


def test_an_earlier_date_than_the_history_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    feed_on(con, [finding()], DAY2)
    with pytest.raises(ValueError, match="earlier date"):
        feed_on(con, [finding()], DAY1)


def test_exempt_and_insufficient_data_findings_are_never_ticketed(con: duckdb.DuckDBPyConnection) -> None:
    findings = [
        finding("Job/exempt", exempt=True),
        finding("Job/unprofiled", rule="fake_busy", insufficient_data=True, severity="none"),
    ]
    assert feed_on(con, findings, DAY1) == []


def test_ticket_fields_are_exactly_the_contract_list(con: duckdb.DuckDBPyConnection) -> None:
    [ticket] = feed_on(con, [finding()], DAY1)
    assert tuple(ticket) == TICKET_FIELDS
    assert ticket["window_start"] == "2026-11-02T00:00:00Z"
    assert ticket["window_end"] == "2026-11-03T00:00:00Z"
    assert ticket["first_seen"].endswith("Z")
    json.dumps(ticket)


def test_id_depends_on_what_the_finding_is_about_not_its_figures() -> None:
    assert finding().id == finding(idle_gpu_hours=99.0, severity="high", pods=["x"]).id
    assert finding().id != finding("Job/other").id
    assert finding().id != finding(rule="low_efficiency").id
    assert finding().id != finding(namespace="other").id
    assert finding_id("downsize_profile", "ml", "Job/a", "h100") != finding_id(
        "downsize_profile", "ml", "Job/a", "a100"
    )


def test_exempt_workload_from_the_cluster_is_not_ticketed() -> None:
    cluster = Cluster.one_node("ml")
    for name, exempt in (("kept", True), ("flagged", False)):
        cluster.pod("ml", f"{name}-0", f"Job/{name}", category="training", end_h=8, exempt=exempt)
        cluster.gpu("ml", f"{name}-0", f"GPU-{name}", end_h=8, activity=lambda h: 0.9 if h < 3 else 0.0)
    findings = by_rule(evaluate(cluster), "idle_allocation")
    assert {f.workload: f.exempt for f in findings} == {"Job/kept": True, "Job/flagged": False}
    tickets = update_ticket_feed(cluster.con, findings, DAY1, at_noon(DAY1))
    assert [t["workload"] for t in tickets] == ["Job/flagged"]


def test_feed_is_readable_like_any_file_written_under_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    write_feed(path, [sample_ticket()])
    assert path.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def _current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_write_feed_replaces_the_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "out" / "tickets.jsonl"
    accented = sample_ticket().model_copy(update={"summary": "é"})
    write_feed(path, [accented, sample_ticket()])
    write_feed(path, [sample_ticket("ongoing")])
    [line] = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["status"] == "ongoing"
    assert sorted(p.name for p in path.parent.iterdir()) == ["tickets.jsonl"]


def test_write_feed_failure_leaves_the_old_feed_and_no_temp_file(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    write_feed(path, [sample_ticket().model_copy(update={"summary": "é"})])
    unwritable = sample_ticket().model_copy(update={"evidence": {"x": object()}})
    with pytest.raises((TypeError, ValueError)):
        write_feed(path, [sample_ticket(), unwritable])
    assert json.loads(path.read_text(encoding="utf-8"))["summary"] == "é"
    assert [p.name for p in tmp_path.iterdir()] == ["tickets.jsonl"]


def test_feed_written_from_an_evaluation(tmp_path: Path) -> None:
    cluster = Cluster.one_node("ml")
    cluster.pod("ml", "train-0", "Job/train", category="training", end_h=8)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=8, activity=lambda h: 0.9 if h < 3 else 0.0)
    tickets = store_update(cluster.con, evaluate(cluster, hours=8), DAY1, at_noon(DAY1))
    write_feed(tmp_path / "tickets.jsonl", tickets)
    [line] = (tmp_path / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    assert line == tickets[0].feed_line()
    ticket = json.loads(line)
    assert list(ticket) == list(TICKET_FIELDS)
    assert Ticket.model_validate_json(line) == tickets[0]
    assert (ticket["rule"], ticket["status"], ticket["workload"]) == ("idle_allocation", "new", "Job/train")
    assert ticket["evidence"]["idle_since"] == "2026-11-02T03:00:00Z"


def waste_report(ended: bool = True) -> Finding:
    """The finding of :func:`finding` once its workload has ended (or only stopped wasting)."""
    return finding(
        kind="waste_report",
        gpus_reclaimable=0.0,
        gpu_hours_recoverable_per_week=0.0,
        wasted_gpu_hours=1.0,
        action="Next run: checkpoint and exit.",
        workload_ended_at=WINDOW_START + timedelta(hours=8) if ended else None,
    )


def test_a_reclaim_ticket_resolves_as_a_waste_report_when_its_workload_ends(con: duckdb.DuckDBPyConnection) -> None:
    [day1] = feed_on(con, [finding()], DAY1)
    [day2] = feed_on(con, [waste_report()], DAY2)
    [day3] = feed_on(con, [waste_report()], DAY3)
    assert day1["id"] == day2["id"] == day3["id"]
    assert (day1["kind"], day1["status"]) == ("reclaim", "new")
    assert (day2["kind"], day2["status"], day2["gpus_reclaimable"]) == ("waste_report", "resolved", 0.0)
    assert day2["action"] == "Next run: checkpoint and exit."
    assert day2["first_seen"] == day1["first_seen"] and day2["last_seen"] == "2026-11-04T12:00:00Z"
    # still in the window the next day: listed again, resolved, lifecycle unchanged (sinks were told once)
    assert day3 == day2
    row = con.execute("SELECT status, resolved_at FROM ticket_history").fetchall()
    assert row == [("resolved", at_noon(DAY2))]
    assert feed_on(con, [], DAY4) == []  # out of the window: gone


def test_a_waste_report_of_a_workload_that_ended_before_any_run_is_born_resolved(
    con: duckdb.DuckDBPyConnection,
) -> None:
    [ticket] = feed_on(con, [waste_report()], DAY1)
    assert (ticket["status"], ticket["kind"]) == ("resolved", "waste_report")
    assert feed_on(con, [waste_report()], DAY1) == [ticket]  # same-day re-run


def test_a_waste_report_of_a_running_workload_stays_open_until_it_ends(con: duckdb.DuckDBPyConnection) -> None:
    day1 = feed_on(con, [waste_report(ended=False)], DAY1)
    day2 = feed_on(con, [waste_report(ended=False)], DAY2)
    day3 = feed_on(con, [waste_report()], DAY3)
    assert [t["status"] for t in day1 + day2 + day3] == ["new", "ongoing", "resolved"]
