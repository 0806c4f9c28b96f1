"""End to end against a real VictoriaMetrics on 127.0.0.1: the demo simulator's series go in through the import
API, the pipeline's Dagster assets run day by day, and its figures must match the simulator's ground truth."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.assets.ingest import dcgm_gpu_samples, kube_state
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.core.victoria import SourceError
from gpu_reclaim.pipelines.cli_common import resources as cli_resources
from gpu_reclaim.pipelines.definitions import DAILY_ASSETS
from gpu_reclaim.pipelines.runner import days_between, run_pipeline
from gpu_reclaim.scenarios.demo import DemoScenario
from gpu_reclaim.scenarios.demo.owners import config_toml
from gpu_reclaim.scoring.findings import finding_id

from tests.private_servers import server_with_demo

pytestmark = pytest.mark.e2e

DAYS = 5  # long enough for Job/rl-ppo-run42 (day 3) and Job/vision-finetune-vit (day 4) to end in the window
START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday; VictoriaMetrics runs with a 100y retention
TOLERANCE = 0.005
FIGURES = ("allocated_gpu_hours", "used_gpu_hours", "idle_gpu_hours")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A private server with the demo's first DAYS days loaded, and the pipeline run over them."""
    workdir = tmp_path_factory.mktemp("e2e")
    with server_with_demo(DemoScenario(start=START, days=DAYS), workdir / "truth.json") as server:
        config = workdir / "demo_config.toml"  # as `gpu-reclaim demo` writes it: the contacts config map
        config.write_text(config_toml(60), encoding="utf-8")
        resources = cli_resources(config, server.url, workdir / "e2e.duckdb", workdir / "out")
        days = days_between(START.date(), START.date() + timedelta(days=DAYS - 1))
        run_pipeline(DAILY_ASSETS, [], resources, days)  # type: ignore[arg-type]
        yield {
            "server": server,
            "resources": resources,
            "db": workdir / "e2e.duckdb",
            "truth": json.loads((workdir / "truth.json").read_text()),
            "days": days,
        }


def _within(actual: float, expected: float) -> bool:
    return abs(actual - expected) <= TOLERANCE * max(abs(expected), 1e-9) + 1e-9


def _summed(db: Path, table: str, keys: tuple[str, ...]) -> dict[Any, dict[str, float]]:
    """FIGURES summed over the days of `table`, per `keys` (a tuple of them when there are several)."""
    sums = ", ".join(f"sum({figure})" for figure in FIGURES)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(f"SELECT {', '.join(keys)}, {sums} FROM {table} GROUP BY ALL").fetchall()
    n = len(keys)
    return {(row[:n] if n > 1 else row[0]): dict(zip(FIGURES, row[n:], strict=True)) for row in rows}


def _mismatches(actual: dict[Any, dict[str, float]], truth: dict[Any, dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (key, figure, actual[key][figure], expected[figure])
        for key, expected in truth.items()
        for figure in FIGURES
        if not _within(actual[key][figure], expected[figure])
    ]


def test_every_project_matches_the_truth(loaded: dict[str, Any]) -> None:
    actual = _summed(loaded["db"], "project_usage_daily", ("cluster", "namespace"))
    # a Project is (cluster, namespace): `vision` is one in demo-west and one in demo-east (scenarios/demo/east.py)
    truth = {(p["cluster"], p["namespace"]): p for p in loaded["truth"]["projects"] if p["allocated_gpu_hours"] > 0}
    assert ("demo-east", "vision") in truth and ("demo-west", "vision") in truth
    assert set(actual) == set(truth)
    assert not _mismatches(actual, truth)


def test_every_workspace_matches_the_truth(loaded: dict[str, Any]) -> None:
    actual = _summed(loaded["db"], "workspace_usage_daily", ("workspace",))
    truth = {w["workspace"]: w for w in loaded["truth"]["workspaces"] if w["allocated_gpu_hours"] > 0}
    assert set(actual) == set(truth)
    assert not _mismatches(actual, truth)


def test_materialising_a_day_again_changes_nothing(loaded: dict[str, Any]) -> None:
    tables = ["gpu_samples", "pod_steps", "pods", "nodes", "pod_usage_daily", "project_usage_daily"]

    def snapshot() -> dict[str, object]:
        with duckdb.connect(str(loaded["db"]), read_only=True) as con:
            counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}  # type: ignore[index]
            rows = {
                t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)
                for t in ("pod_usage_daily", "project_usage_daily", "workspace_usage_daily", "pods")
            }
        return {"counts": counts, "rows": rows}

    before = snapshot()
    run_pipeline([dcgm_gpu_samples, kube_state, gpu_usage], [], loaded["resources"], loaded["days"][:1])
    assert snapshot() == before
    assert all(count > 0 for count in before["counts"].values())  # type: ignore[attr-defined]


def test_killing_victoria_metrics_mid_run_keeps_earlier_days(tmp_path: Path) -> None:
    db = tmp_path / "faults.duckdb"
    with server_with_demo(DemoScenario(start=START, days=2), tmp_path / "truth.json") as server:
        resources = cli_resources(None, server.url, db, tmp_path / "out")
        assets = [dcgm_gpu_samples, kube_state, gpu_usage]
        run_pipeline(assets, [], resources, [START.date()])  # type: ignore[arg-type]
        with duckdb.connect(str(db), read_only=True) as con:
            before = con.execute("SELECT count(*), sum(used_gpu_hours) FROM pod_usage_daily").fetchone()
        server.kill()
        with pytest.raises(SourceError, match=re.escape(server.url)):
            run_pipeline(assets, [], resources, [START.date() + timedelta(days=1)])  # type: ignore[arg-type]
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute("SELECT count(*), sum(used_gpu_hours) FROM pod_usage_daily").fetchone()
        days = con.execute("SELECT DISTINCT day FROM gpu_samples").fetchall()
    assert after == before
    assert days == [(START.date(),)]


def test_backfilling_an_older_day_keeps_the_ticket_feed(loaded: dict[str, Any]) -> None:
    feed = Path(loaded["resources"]["outputs"].out_dir) / "tickets.jsonl"
    before = feed.read_text(encoding="utf-8")
    assert before.strip(), "the two-day run should have written tickets"
    run_pipeline(DAILY_ASSETS, [], loaded["resources"], loaded["days"][:1])
    assert feed.read_text(encoding="utf-8") == before
    with duckdb.connect(str(loaded["db"]), read_only=True) as con:
        evaluated = con.execute("SELECT DISTINCT evaluated_on FROM recommendations ORDER BY 1").fetchall()
    assert [day for (day,) in evaluated] == loaded["days"]


def _feed(loaded: dict[str, Any]) -> list[dict[str, Any]]:
    feed = Path(loaded["resources"]["outputs"].out_dir) / "tickets.jsonl"
    return [json.loads(line) for line in feed.read_text(encoding="utf-8").splitlines()]


def test_no_active_reclaim_ticket_names_a_workload_that_ended(loaded: dict[str, Any]) -> None:
    tickets = _feed(loaded)
    ended = {(w["namespace"], w["workload"]) for w in loaded["truth"]["ended_workloads"]}
    assert {("rl-lab", "Job/rl-ppo-run42"), ("vision", "Job/vision-finetune-vit")} <= ended
    stale = [
        (t["namespace"], t["workload"], t["rule"])
        for t in tickets
        if t["kind"] == "reclaim" and t["status"] != "resolved" and (t["namespace"], t["workload"]) in ended
    ]
    assert stale == []
    # the two Jobs' idle is reported as waste: resolved, nothing to give back, the fix for next time
    for namespace, workload in (("rl-lab", "Job/rl-ppo-run42"), ("vision", "Job/vision-finetune-vit")):
        key = (namespace, workload, "idle_allocation")
        [report] = [t for t in tickets if (t["namespace"], t["workload"], t["rule"]) == key]
        assert (report["kind"], report["status"], report["gpus_reclaimable"]) == ("waste_report", "resolved", 0)
        assert report["gpu_hours_recoverable_per_week"] == 0 and report["wasted_gpu_hours"] > 0
        assert report["evidence"]["gpus_idle_at_window_end"] == 0
        assert report["action"].startswith(f"Next run of {workload}")
    # and every reclaim-now ticket of a workload has GPUs to give back
    workloads = [t for t in tickets if t["kind"] == "reclaim" and t["status"] != "resolved"
                 and t["rule"] not in ("quota_reclaim", "defragment")]  # fmt: skip
    assert workloads and all(t["gpus_reclaimable"] > 0 and t["change"] for t in workloads)


def test_tickets_name_their_owner_from_pod_namespace_or_config(loaded: dict[str, Any]) -> None:
    tickets = {(t["rule"], t["namespace"], t["workload"]): t for t in _feed(loaded)}
    expected = {(o["rule"], o["namespace"], o["workload"]): o for o in loaded["truth"]["owners"]}
    checked = {key: (tickets[key]["owner"], tickets[key]["owner_channel"]) for key in expected if key in tickets}
    assert checked == {key: (o["owner"], o["owner_channel"]) for key, o in expected.items() if key in checked}
    owners = {owner for owner, _ in checked.values()}
    assert {"alice", "rl-team", "vision-team", "platform-team", "chat-team"} <= owners  # pod, namespace, config


def test_the_snoozed_workload_is_acknowledged_and_the_others_are_not(loaded: dict[str, Any]) -> None:
    [snoozed] = loaded["truth"]["snoozed"]
    tickets = _feed(loaded)
    mine = [t for t in tickets if (t["namespace"], t["workload"]) == (snoozed["namespace"], snoozed["workload"])]
    assert mine and all(t["acknowledged"] and t["acknowledged_until"] == snoozed["snooze_until"] for t in mine)
    others = [t for t in tickets if t not in mine]
    assert others and not any(t["acknowledged"] for t in others)


def test_busy_looking_idle_hours_match_the_truth_and_are_not_used(loaded: dict[str, Any]) -> None:
    with duckdb.connect(str(loaded["db"]), read_only=True) as con:
        rows = con.execute(
            "SELECT cluster, namespace, sum(busy_looking_idle_gpu_hours) FROM project_usage_daily "
            "GROUP BY cluster, namespace"
        ).fetchall()
    actual = {(cluster, namespace): hours for cluster, namespace, hours in rows}  # a Project: (cluster, namespace)
    truth = {(p["cluster"], p["namespace"]): p["busy_looking_idle_gpu_hours"] for p in loaded["truth"]["projects"]}
    busy_looking = {key for key, hours in truth.items() if hours > 0}
    assert busy_looking == {("demo-west", "eval-qa"), ("demo-west", "vision")}  # the busy loop, the wedge
    for key, expected in truth.items():
        if key in actual:
            assert _within(actual[key], expected), key


def _latest_findings(db: Path, rules: tuple[str, ...]) -> list[dict[str, Any]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT ticket FROM recommendations WHERE evaluated_on = (SELECT max(evaluated_on) FROM recommendations) "
            "AND list_contains($rules, rule)",
            {"rules": list(rules)},
        ).fetchall()
    return [json.loads(row[0]) for row in rows]


def test_the_wedged_collective_is_found_with_its_culprit_named(loaded: dict[str, Any]) -> None:
    [planted] = [f for f in loaded["truth"]["findings"] if f["rule"] == "wedged_collective"]
    found = _latest_findings(loaded["db"], ("wedged_collective",))
    [ticket] = [t for t in found if (t["namespace"], t["workload"]) == (planted["namespace"], planted["workload"])]
    evidence = ticket["evidence"]
    assert evidence["gang_gpus"] == planted["gang_gpus"] == 8
    assert abs(evidence["wedged_hours"] - planted["wedged_hours"]) < 1e-6
    [culprit] = evidence["odd_gpus_out"]
    odd = planted["odd_gpu_out"]
    assert (culprit["node"], culprit["gpu_index"], culprit["gpu_uuid"], culprit["state"]) == (
        odd["node"],
        odd["gpu_index"],
        odd["gpu_uuid"],
        "idle",
    )
    assert "last checkpoint" in ticket["action"] and odd["gpu_uuid"] in ticket["action"]
    assert ticket["gpus_reclaimable"] == planted["gpus_reclaimable"]


def test_no_healthy_workload_is_flagged_fake_busy_or_wedged(loaded: dict[str, Any]) -> None:
    """The negatives: busy training, serving with quiet nights (inference at low load), the memory-bound job."""
    flagged = {(t["rule"], t["namespace"], t["workload"]) for t in _latest_findings(loaded["db"], RULES)}
    planted = {(f["rule"], f["namespace"], f["workload"]) for f in loaded["truth"]["findings"] if f["rule"] in RULES}
    healthy = {(h["namespace"], h["workload"]) for h in loaded["truth"]["healthy"]}
    assert ("vision", "Job/vision-memory-bound") in healthy
    assert not {(ns, wl) for _rule, ns, wl in flagged} & healthy
    assert flagged == planted


RULES = ("fake_busy", "wedged_collective")


def test_the_second_cluster_is_kept_apart_with_its_planted_finding(loaded: dict[str, Any]) -> None:
    """demo-east (scenarios/demo/east.py): its Machine Group `h100-sxm` is its own (16 GPUs), not part of the west
    one of the same name; its fragmentation is its own; its idle notebook in namespace `vision` is a reclaim
    ticket of demo-east, with an id that names the cluster."""
    east = loaded["truth"]["clusters"]["demo-east"]
    with duckdb.connect(str(loaded["db"]), read_only=True) as con:
        groups = dict(
            con.execute(
                "SELECT cluster, max(capacity_gpus) FROM machine_group_usage_hourly "
                "WHERE machine_group = 'h100-sxm' GROUP BY cluster"
            ).fetchall()
        )
        fragmentation = dict(con.execute("SELECT cluster, max(gpus) FROM cluster_fragmentation GROUP BY 1").fetchall())
        findings = con.execute(
            "SELECT finding_id, cluster, workspace, json_extract_string(ticket, '$.kind') FROM recommendations "
            "WHERE rule = 'idle_allocation' AND namespace = 'vision' AND workload = $workload "
            "AND evaluated_on = (SELECT max(evaluated_on) FROM recommendations)",
            {"workload": east["finding"]["workload"]},
        ).fetchall()
        west_vision = con.execute(
            "SELECT DISTINCT workspace FROM project_usage_daily WHERE cluster = 'demo-west' AND namespace = 'vision'"
        ).fetchall()
    assert groups["demo-east"] == east["capacity_gpus"] == 16
    assert groups["demo-west"] > 16  # the west group of the same name, alone
    assert fragmentation["demo-east"] == 16 and fragmentation["demo-west"] > 16
    [(ticket_id, cluster, workspace, kind)] = findings
    assert (cluster, workspace, kind) == ("demo-east", "vision-east", "reclaim")
    assert ticket_id == finding_id("idle_allocation", "vision", east["finding"]["workload"], None, "demo-east")
    assert west_vision == [("research",)]
