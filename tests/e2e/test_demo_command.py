"""The README's demo command, run as a user runs it (`gpu-reclaim demo`), checked against the simulator's truth:
per-Project figures in the DuckDB tables and in every summary.json, every planted finding ticketed by the right
rule, and no healthy, serving-with-night-lull or exempt workload ticketed."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import duckdb
import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

TOLERANCE = 0.005
CONTRACT_FIELDS = {
    "id", "status", "rule", "severity", "workspace", "project", "namespace", "workload", "pods", "nodes",
    "gpu_model", "gpus_allocated", "gpus_reclaimable", "idle_gpu_hours", "gpu_hours_recoverable_per_week",
    "window_start", "window_end", "first_seen", "last_seen", "evidence", "action", "summary",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("demo") / "out"
    done = subprocess.run(
        [sys.executable, "-m", "gpu_reclaim.pipelines.cli", "demo", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    tickets = [json.loads(line) for line in (out / "tickets.jsonl").read_text(encoding="utf-8").splitlines()]
    return {
        "out": out,
        "stderr": done.stderr,
        "truth": json.loads((out / "demo_truth.json").read_text(encoding="utf-8")),
        "tickets": tickets,
    }


def _close(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= TOLERANCE * max(abs(expected), 1e-9) + 1e-6


def test_demo_prints_where_the_outputs_are(demo: dict[str, Any]) -> None:
    for line in ("ticket feed:", "reports:", "database:"):
        assert line in demo["stderr"]
    assert (demo["out"] / "reports" / "index.html").is_file()
    assert (demo["out"] / "reports" / "plotly.min.js").is_file()


def test_week_figures_match_the_truth_in_tables_and_summaries(demo: dict[str, Any]) -> None:
    # a Project is (cluster, namespace): `vision` is one in demo-west and one in demo-east (scenarios/demo/east.py)
    truth = {(p["cluster"], p["namespace"]): p for p in demo["truth"]["projects"] if p["allocated_gpu_hours"] > 0}
    with duckdb.connect(str(demo["out"] / "gpu_reclaim.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT cluster, namespace, sum(allocated_gpu_hours), sum(used_gpu_hours), sum(idle_gpu_hours) "
            "FROM project_usage_daily GROUP BY cluster, namespace"
        ).fetchall()
    tables = {(cluster, namespace): figures for cluster, namespace, *figures in rows}
    assert set(tables) == set(truth)
    summaries: dict[tuple[str, str], dict[str, Any]] = {}
    for path in (demo["out"] / "reports").glob("*/summary.json"):
        summary = json.loads(path.read_text(encoding="utf-8"))
        for project in summary["projects"]:
            summaries[(summary["workspace"], project["namespace"])] = project
    for key, expected in truth.items():
        figures = ("allocated_gpu_hours", "used_gpu_hours", "idle_gpu_hours")
        in_summary = summaries[(expected["workspace"], expected["namespace"])]
        for index, figure in enumerate(figures):
            assert _close(tables[key][index], expected[figure]), (key, figure, "table")
            assert _close(in_summary[figure], expected[figure]), (key, figure, "summary.json")


def test_every_planted_finding_is_ticketed_by_the_right_rule(demo: dict[str, Any]) -> None:
    # open reclaim-now tickets, and waste reports (resolved once their workload has ended)
    ticketed = {
        (t["rule"], t["namespace"], t["workload"]): t
        for t in demo["tickets"]
        if t["status"] != "resolved" or t["kind"] == "waste_report"
    }
    missing = []
    for finding in demo["truth"]["findings"]:
        ticket = ticketed.get((finding["rule"], finding["namespace"], finding["workload"]))
        if ticket is None:
            missing.append(finding)
            continue
        assert ticket["kind"] == finding["kind"], finding
        if finding["rule"] in ("over_requested", "quota_reclaim") or finding.get("late_idle"):
            assert ticket["gpus_reclaimable"] == finding["gpus_reclaimable"], finding
    assert not missing


def test_no_active_reclaim_ticket_names_an_ended_workload_and_owners_and_snooze_match(demo: dict[str, Any]) -> None:
    truth, tickets = demo["truth"], demo["tickets"]
    ended = {(w["namespace"], w["workload"]) for w in truth["ended_workloads"]}
    assert {("rl-lab", "Job/rl-ppo-run42"), ("vision", "Job/vision-finetune-vit")} <= ended
    assert not [t for t in tickets if t["kind"] == "reclaim" and t["status"] != "resolved"
                and (t["namespace"], t["workload"]) in ended]  # fmt: skip
    by_key = {(t["rule"], t["namespace"], t["workload"]): t for t in tickets}
    for owner in truth["owners"]:
        ticket = by_key[(owner["rule"], owner["namespace"], owner["workload"])]
        assert (ticket["owner"], ticket["owner_channel"]) == (owner["owner"], owner["owner_channel"]), owner
    [snoozed] = truth["snoozed"]
    for ticket in tickets:
        mine = (ticket["namespace"], ticket["workload"]) == (snoozed["namespace"], snoozed["workload"])
        assert ticket["acknowledged"] == mine, ticket["id"]
        assert ticket["acknowledged_until"] == (snoozed["snooze_until"] if mine else None)


def test_no_healthy_or_exempt_workload_is_ticketed(demo: dict[str, Any]) -> None:
    healthy = {(h["namespace"], h["workload"]) for h in demo["truth"]["healthy"]}
    flagged = [t for t in demo["tickets"] if (t["namespace"], t["workload"]) in healthy]
    assert not flagged


def test_tickets_follow_the_contract(demo: dict[str, Any]) -> None:
    assert demo["tickets"]
    ids = [t["id"] for t in demo["tickets"]]
    assert len(ids) == len(set(ids))
    for ticket in demo["tickets"]:
        assert set(ticket) >= CONTRACT_FIELDS
        assert ticket["status"] in {"new", "ongoing", "resolved"}
        for stamp in ("window_start", "window_end", "first_seen", "last_seen"):
            assert ticket[stamp].endswith("Z")
        assert ticket["action"] and ticket["summary"]
    # evaluated every day of the week: findings seen on earlier days keep their id and are ongoing by the last
    assert any(t["status"] == "ongoing" for t in demo["tickets"])


def test_every_line_of_the_demo_feed_validates_against_the_published_schema(demo: dict[str, Any]) -> None:
    import jsonschema
    from gpu_reclaim.scoring.tickets import Ticket

    from tests.unit.test_ticket_schema import published_schema

    validator = jsonschema.Draft202012Validator(published_schema())
    lines = (demo["out"] / "tickets.jsonl").read_text(encoding="utf-8").splitlines()
    assert lines
    for line in lines:
        errors = [error.message for error in validator.iter_errors(json.loads(line))]
        assert errors == [], line[:200]
        assert Ticket.model_validate_json(line).feed_line() == line  # the model reads and writes the same bytes


def test_time_sliced_use_is_marked_estimated_in_the_reports(demo: dict[str, Any]) -> None:
    """README "MIG and time-sliced GPUs": used GPU-hours split from a time-sliced GPU are shown as estimated."""
    projects: dict[str, dict[str, Any]] = {}
    pages: dict[str, str] = {}
    for path in (demo["out"] / "reports").glob("*/summary.json"):
        for project in json.loads(path.read_text(encoding="utf-8"))["projects"]:
            projects[project["namespace"]] = project
            pages[project["namespace"]] = (path.parent / "index.html").read_text(encoding="utf-8")
    inference, lab = projects["shared-inference"], projects["mig-lab"]
    assert inference["estimated_used_gpu_hours"] == pytest.approx(inference["used_gpu_hours"], abs=1e-3)
    assert 0 < lab["estimated_used_gpu_hours"] < lab["used_gpu_hours"]  # its MIG instances are measured
    assert 'class="sub usage-estimated"' in pages["mig-lab"]
    assert projects["llm-pretrain"]["estimated_used_gpu_hours"] == 0  # whole GPUs: measured


def test_the_finding_cards_add_up_to_the_latest_evaluations_tickets(demo: dict[str, Any]) -> None:
    """Issue 14's totals, each under its own name: the overview's cards equal summary.json, and summary.json the
    stored tickets of the latest evaluation (a waste report's ticket may be resolved in the feed already, so the
    DuckDB file's tickets, not tickets.jsonl's open ones), exempt and insufficient-data ones left out."""
    reports = demo["out"] / "reports"
    totals = json.loads((reports / "summary.json").read_text(encoding="utf-8"))["finding_totals"]
    with duckdb.connect(str(demo["out"] / "gpu_reclaim.duckdb"), read_only=True) as con:
        stored = con.execute(
            "SELECT CAST(ticket AS VARCHAR) FROM recommendations "
            "WHERE evaluated_on = (SELECT max(evaluated_on) FROM recommendations)"
        ).fetchall()
    current = [
        ticket
        for ticket in (json.loads(row[0]) for row in stored)
        if not ticket.get("exempt") and not ticket.get("insufficient_data")
    ]

    def summed(field: str, keep: Any) -> float:
        return sum(ticket[field] or 0.0 for ticket in current if keep(ticket))

    expected = {
        "held_and_idle_gpu_hours_per_week": summed(
            "gpu_hours_recoverable_per_week",
            lambda t: t["kind"] == "reclaim" and t["rule"] not in ("quota_reclaim", "defragment"),
        ),
        "quota_to_release_gpu_hours": summed("quota_headroom_gpu_hours", lambda t: t["rule"] == "quota_reclaim"),
        "whole_nodes_defrag_frees": summed("whole_nodes_freed", lambda t: t["rule"] == "defragment"),
        "wasted_gpu_hours": summed("wasted_gpu_hours", lambda t: t["kind"] == "waste_report"),
    }
    for key, value in expected.items():
        assert _close(totals[key], value), (key, totals[key], value)
    assert totals["held_and_idle_gpu_hours_per_week"] > 0 and totals["quota_to_release_gpu_hours"] > 0
    assert totals["whole_nodes_defrag_frees"] > 0 and totals["wasted_gpu_hours"] > 0
    page = (reports / "index.html").read_text(encoding="utf-8")
    cards = dict(re.findall(r'id="(card-[a-z-]+)" data-value="([^"]+)"', page))
    assert float(cards["card-held-idle"]) == totals["held_and_idle_gpu_hours_per_week"]
    assert float(cards["card-waste"]) == totals["wasted_gpu_hours"]
    assert float(cards["card-quota"]) == totals["quota_to_release_gpu_hours"]
    assert float(cards["card-defrag-nodes"]) == totals["whole_nodes_defrag_frees"]
