"""Rules on a hand-built cluster, continued from test_rules.py: quota and serving capacity, exemptions, storage,
money and H100 equivalents, ordering, and each rule's settings."""

from __future__ import annotations

import json
from datetime import date

import pytest
from gpu_reclaim.core.rule_settings import RecommendationSettings
from pydantic import ValidationError

from tests.unit.test_rules import training_cluster
from tests.unit.test_rules_builder import Cluster, by_rule, evaluate, settings


def test_quota_recommendation_is_p95_with_headroom_never_below_peak() -> None:
    # Quota 32; allocation 6 GPUs for 96 of 100 steps and 8 for 4: p95 = 6, peak = 8.
    # Recommend max(ceil(6 x 1.2), 8) = 8, so 24 GPUs reclaimable.
    cluster = Cluster()
    cluster.namespace("team-a", workspace="ws-a", project="team-a")
    cluster.node("node-1")
    steps_h = 100 * 300 / 3600
    cluster.quota("team-a", 32.0, 0, steps_h)
    cluster.pod("team-a", "base-0", "Job/base", category="training", gpus=6, end_h=steps_h)
    cluster.pod("team-a", "burst-0", "Job/burst", category="training", gpus=2, start_h=96 * 300 / 3600, end_h=steps_h)
    [finding] = by_rule(evaluate(cluster, hours=steps_h), "quota_reclaim")
    assert finding.evidence["p95_demand_gpus"] == 6
    assert finding.evidence["peak_demand_gpus"] == 8
    assert finding.evidence["recommended_gpu_hard"] == 8
    assert finding.gpus_reclaimable == 24
    assert finding.workload == "ResourceQuota/gpu-quota"
    # reserved-but-unused quota: (32 - mean demand 6.08) x 100 steps of 5 min; a quota cut frees no held GPU
    assert finding.quota_headroom_gpu_hours == pytest.approx((32 - (96 * 6 + 4 * 8) / 100) * steps_h)
    assert finding.gpu_hours_recoverable_per_week == 0 and finding.idle_gpu_hours == 0
    assert finding.kind == "reclaim" and finding.severity == "high"
    assert finding.change == (
        "kubectl -n team-a patch resourcequota gpu-quota --type=merge -p "
        """'{"spec":{"hard":{"requests.nvidia.com/gpu":"8"}}}'"""
    )


def test_quota_counts_pending_gpu_requests_as_demand() -> None:
    # Quota 48: 16 GPUs Running, 32 more Pending for two hours. Peak demand 48: nothing to reclaim.
    cluster = Cluster.one_node("llm")
    cluster.quota("llm", 48.0, 0, 8)
    cluster.pod("llm", "run-0", "Job/run", category="training", gpus=16, end_h=8)
    cluster.pod("llm", "wait-0", "Job/wait", category="training", gpus=32, start_h=2, end_h=4)
    con = cluster.load()
    con.execute("UPDATE pod_steps SET phase = 'Pending' WHERE pod = 'wait-0'")
    assert by_rule(evaluate(cluster, hours=8), "quota_reclaim") == []


@pytest.mark.parametrize(("replicas", "recommended"), [(6, 3), (4, 3), (3, None)])
def test_serving_overprovisioned_never_below_three_replicas(replicas: int, recommended: int | None) -> None:
    cluster = Cluster.one_node("web")
    for replica in range(replicas):
        pod = f"llm-{replica}"
        cluster.pod("web", pod, "Deployment/llm", category="serving", purpose="service", end_h=24)
        cluster.gpu("web", pod, f"GPU-{replica}", end_h=24, activity=0.1)
    found = by_rule(evaluate(cluster), "serving_overprovisioned")
    if recommended is None:
        assert found == []
    else:
        [finding] = found
        assert finding.evidence["recommended_replicas"] == recommended
        assert finding.gpus_reclaimable == replicas - recommended
        assert finding.change == f"kubectl -n web scale deploy/llm --replicas={recommended}"


def test_exempt_pod_label_keeps_the_finding_but_marks_it_exempt() -> None:
    cluster = Cluster.one_node("ml")
    cluster.pod("ml", "train-0", "Job/train", category="training", end_h=8, exempt=True)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=8, activity=lambda h: 0.9 if h < 3 else 0.0)
    [finding] = by_rule(evaluate(cluster), "idle_allocation")
    assert finding.exempt and not finding.ticketable


@pytest.mark.parametrize(
    "allow_list",
    [
        {"exempt_workloads": ["ml/Job/train"]},
        {"exempt_projects": ["ml"]},
        {"exempt_workspaces": ["ws-a"]},
    ],
)
def test_config_allow_lists_mark_findings_exempt(allow_list: dict[str, list[str]]) -> None:
    [finding] = by_rule(evaluate(training_cluster(3, 5), config=settings(**allow_list)), "idle_allocation")
    assert finding.exempt


def test_findings_are_stored_in_recommendations_and_a_rerun_replaces_them() -> None:
    cluster = training_cluster(3, 5)
    findings = evaluate(cluster)
    evaluate(cluster)
    rows = cluster.con.execute(
        "SELECT finding_id, rule, exempt, CAST(ticket AS VARCHAR) FROM recommendations ORDER BY finding_id"
    ).fetchall()
    assert [row[0] for row in rows] == sorted(finding.id for finding in findings)
    assert json.loads(rows[0][3])["id"] == rows[0][0]


def test_money_and_h100_equivalents_when_configured() -> None:
    config = settings(gpu_models=[{"match": "H100", "h100_equivalent": 1.0, "price_per_gpu_hour": 2.0}])
    [finding] = by_rule(evaluate(training_cluster(3, 5), hours=8, config=config), "idle_allocation")
    assert finding.h100_equivalent_hours_recoverable_per_week == pytest.approx(21.0)
    assert finding.cost_recoverable_per_week == pytest.approx(42.0)
    assert finding.ticket_body()["evidence"]["cost_recoverable_per_week"] == pytest.approx(42.0)
    [unpriced] = by_rule(evaluate(training_cluster(3, 5), hours=8), "idle_allocation")
    assert unpriced.cost_recoverable_per_week is None
    assert "cost_recoverable_per_week" not in unpriced.ticket_body()["evidence"]  # no null money


def test_reserved_service_is_ordered_last() -> None:
    cluster = Cluster.one_node("ml")
    for name, purpose, provisioning in (("svc", "service", "reserved"), ("dev", "produce", "on-demand")):
        cluster.pod("ml", f"{name}-0", f"Job/{name}", category="training", purpose=purpose,
                    provisioning_type=provisioning, end_h=8)  # fmt: skip
        cluster.gpu("ml", f"{name}-0", f"GPU-{name}", end_h=8, activity=lambda h: 0.9 if h < 3 else 0.0)
    findings = by_rule(evaluate(cluster), "idle_allocation")
    assert [finding.workload for finding in findings] == ["Job/dev", "Job/svc"]


@pytest.mark.parametrize(
    "raw",
    [
        {"unknown_key": 1},
        {"idle_activity_max": 0.5},  # the flat keys of v0.1.0 are gone: each rule has its own table
        {"idle_allocation": {"activity_max": 0}},
        {"quota_reclaim": {"headroom": 0.5}},
        {"serving_overprovisioned": {"min_replicas": 0}},
        {"idle_allocation": {"hours_by_category": {"training": 4.0}}},
        {"severity": {"medium_hours_per_week": 200, "high_hours_per_week": 100}},
    ],
)
def test_settings_reject_bad_values(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        RecommendationSettings.model_validate(raw)


def test_settings_thresholds_by_category_and_purpose() -> None:
    rules = RecommendationSettings()
    idle = rules.idle_allocation
    assert idle.hours_for("interactive", "produce") == 2.0
    assert idle.hours_for("training", "produce") == 4.0
    assert idle.hours_for("data", "qa") == 1.0
    assert idle.hours_for("serving", "test") is None
    assert idle.hours_for("mystery", "produce") == 4.0
    assert idle.shortest_hours == 1.0
    levels = [rules.severity.level(h) for h in (0, 23.9, 24, 167.9, 168)]
    assert levels == ["low", "low", "medium", "medium", "high"]


def test_each_rule_gets_its_own_settings() -> None:
    from gpu_reclaim.scoring.rules.evaluate import default_rules

    rules = RecommendationSettings.model_validate(
        {"fake_busy": {"min_hours": 3.0}, "severity": {"high_hours_per_week": 200}}
    )
    by_name = {rule.name: rule for rule in default_rules(rules)}
    assert len(by_name) == 10
    assert by_name["fake_busy"].settings.min_hours == 3.0  # type: ignore[attr-defined]
    assert all(rule.severity.high_hours_per_week == 200 for rule in by_name.values())  # type: ignore[attr-defined]


def test_evaluated_on_partitions_recommendations() -> None:
    cluster = training_cluster(3, 5)
    evaluate(cluster, evaluated_on=date(2026, 11, 3))
    evaluate(cluster, evaluated_on=date(2026, 11, 4))
    assert cluster.con.execute("SELECT count(DISTINCT evaluated_on) FROM recommendations").fetchone() == (2,)
