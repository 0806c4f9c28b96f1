"""report_finding_totals.sql on a small DuckDB: each total under its own name, never added together."""

from __future__ import annotations

from datetime import date

import pytest
from gpu_reclaim.reports.models import FindingTotals
from gpu_reclaim.reports.overview_queries import load_finding_totals
from gpu_reclaim.reports.ticket_queries import load_project_finding_totals

from tests.unit.test_rules_builder import Cluster, evaluate

STEPS_H = 100 * 300 / 3600  # 100 steps of 5 min


def test_held_idle_quota_and_waste_are_separate_totals() -> None:
    cluster = Cluster()
    cluster.namespace("team-a", workspace="ws-a")
    cluster.node("node-1")
    cluster.quota("team-a", 32.0, 0, STEPS_H)
    # held and idle to the window's end: reclaim now (1 GPU, idle the whole window)
    cluster.pod("team-a", "idle-0", "Job/idle", category="training", end_h=STEPS_H)
    cluster.gpu("team-a", "idle-0", "GPU-0", end_h=STEPS_H, activity=0.0)
    # idle 5 h, then ended before the window's end: a waste report
    cluster.pod("team-a", "done-0", "Job/done", category="training", end_h=5)
    cluster.gpu("team-a", "done-0", "GPU-1", end_h=5, activity=0.0)
    findings = evaluate(cluster, hours=STEPS_H, evaluated_on=date(2026, 11, 2))
    kinds = {(f.rule, f.workload): f.kind for f in findings}
    assert kinds[("idle_allocation", "Job/idle")] == "reclaim"
    assert kinds[("idle_allocation", "Job/done")] == "waste_report"
    assert kinds[("quota_reclaim", "ResourceQuota/gpu-quota")] == "reclaim"

    totals = load_finding_totals(cluster.con, date(2026, 11, 2), date(2026, 11, 3))
    assert set(totals) == {"ws-a"}
    ws = totals["ws-a"]
    idle = next(f for f in findings if f.workload == "Job/idle")
    done = next(f for f in findings if f.workload == "Job/done")
    quota = next(f for f in findings if f.rule == "quota_reclaim")
    assert ws.held_and_idle_gpu_hours_per_week == pytest.approx(idle.gpu_hours_recoverable_per_week, abs=1e-3)
    assert ws.held_and_idle_gpu_hours_per_week > 0 and ws.held_and_idle_gpus == 1
    assert ws.quota_to_release_gpu_hours == pytest.approx(quota.quota_headroom_gpu_hours, abs=1e-3)
    assert ws.quota_to_release_gpus == quota.gpus_reclaimable
    assert ws.wasted_gpu_hours == pytest.approx(done.wasted_gpu_hours, abs=1e-3)
    assert (ws.reclaim_findings, ws.waste_reports, ws.whole_nodes_defrag_frees) == (
        sum(1 for f in findings if f.kind == "reclaim"),
        1,
        0,
    )
    assert FindingTotals.summed([ws, ws]).quota_to_release_gpus == 2 * ws.quota_to_release_gpus


def test_the_same_namespace_in_two_clusters_is_two_projects_never_added() -> None:
    cluster = Cluster()
    cluster.namespace("vision", workspace="ws-a")
    cluster.node("node-1")
    cluster.pod("vision", "idle-0", "Job/idle", category="training", end_h=STEPS_H)
    cluster.gpu("vision", "idle-0", "GPU-0", end_h=STEPS_H, activity=0.0)
    findings = evaluate(cluster, hours=STEPS_H, evaluated_on=date(2026, 11, 2))
    idle = next(f for f in findings if f.workload == "Job/idle")
    # the same finding in a second cluster: its own id and cluster, the same Workspace and namespace
    cluster.con.execute(
        "INSERT INTO recommendations SELECT * REPLACE ('east' AS cluster, finding_id || '-east' AS finding_id) "
        "FROM recommendations WHERE cluster = ''"
    )
    totals = load_project_finding_totals(cluster.con, date(2026, 11, 2), date(2026, 11, 3))
    assert set(totals) == {("ws-a", "", "vision"), ("ws-a", "east", "vision")}
    for key in (("ws-a", "", "vision"), ("ws-a", "east", "vision")):
        assert totals[key].held_and_idle_gpus == 1
        assert totals[key].held_and_idle_gpu_hours_per_week == pytest.approx(idle.gpu_hours_recoverable_per_week)
    workspace = load_finding_totals(cluster.con, date(2026, 11, 2), date(2026, 11, 3))["ws-a"]
    assert workspace.held_and_idle_gpus == 2
