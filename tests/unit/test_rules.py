"""Each rule on a hand-built cluster, with the expected figures worked out here."""

from __future__ import annotations

import json
from datetime import date

import pytest
from gpu_reclaim.core.rule_settings import RecommendationSettings
from pydantic import ValidationError

from tests.unit.test_rules_builder import H100, Cluster, by_rule, evaluate, settings


def busy_then_idle(busy_hours: float) -> object:
    return lambda hour: 0.9 if hour < busy_hours else 0.0


def training_cluster(busy_h: float, idle_h: float, *, category: str = "training", purpose: str = "produce") -> Cluster:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    end = busy_h + idle_h
    cluster.pod("ml", "train-0", "Job/train", category=category, purpose=purpose, end_h=end)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=end, activity=lambda hour: 0.9 if hour < busy_h else 0.0)
    return cluster


def test_late_idle_training_is_found() -> None:
    # Busy 3 h, then idle 5 h up to the window's end: one idle run of 5 h >= 4 h (training), still held.
    # Window 8 h, so per week = x 21.
    [finding] = by_rule(evaluate(training_cluster(3, 5), hours=8), "idle_allocation")
    assert finding.workload == "Job/train"
    assert finding.kind == "reclaim"
    assert finding.gpus_reclaimable == 1
    assert finding.idle_gpu_hours == pytest.approx(5.0)
    assert finding.evidence["longest_idle_hours"] == pytest.approx(5.0)
    assert finding.evidence["idle_since"] == "2026-11-02T03:00:00Z"
    assert finding.evidence["gpus_idle_at_window_end"] == 1
    assert finding.gpu_hours_recoverable_per_week == pytest.approx((5 - 4) * 21)
    assert finding.wasted_gpu_hours == pytest.approx(1.0)
    assert finding.workload_ended_at is None
    assert finding.change == "kubectl -n ml delete job/train"
    assert finding.severity == "low"
    assert finding.window_start.isoformat() == "2026-11-02T00:00:00"


def test_late_idle_of_a_job_that_ended_is_a_waste_report() -> None:
    # The same Job ends at 8 h of a 24 h window: its GPUs were given back; the waste is reported, not reclaimed.
    [finding] = by_rule(evaluate(training_cluster(3, 5)), "idle_allocation")
    assert finding.kind == "waste_report"
    assert finding.gpus_reclaimable == 0
    assert finding.gpu_hours_recoverable_per_week == 0
    assert finding.wasted_gpu_hours == pytest.approx(1.0)
    assert finding.idle_gpu_hours == pytest.approx(5.0)
    assert finding.workload_ended_at is not None and finding.workload_ended_at.isoformat() == "2026-11-02T08:00:00"
    assert finding.evidence["gpus_idle_at_window_end"] == 0
    assert finding.action.startswith("Next run of Job/train: checkpoint and exit")
    assert "idle timeout of 4.0 h" in finding.action
    assert finding.change is None
    assert "It ended at 2026-11-02T08:00:00Z." in finding.summary


def test_idle_that_stopped_before_the_window_end_is_a_waste_report() -> None:
    # Idle 5 h, then busy again to the window's end: the workload runs but no longer wastes.
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "train-0", "Job/train", category="training", end_h=8)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=8, activity=lambda h: 0.0 if h < 5 else 0.9)
    [finding] = by_rule(evaluate(cluster, hours=8), "idle_allocation")
    assert (finding.kind, finding.gpus_reclaimable, finding.workload_ended_at) == ("waste_report", 0, None)
    assert finding.evidence["gpus_idle_at_window_end"] == 0


def test_training_idle_only_three_hours_is_not_found() -> None:
    assert by_rule(evaluate(training_cluster(5, 3)), "idle_allocation") == []


def test_interactive_idle_two_and_a_half_hours_is_found() -> None:
    [finding] = by_rule(evaluate(training_cluster(1, 2.5, category="interactive")), "idle_allocation")
    assert finding.evidence["threshold_hours"] == 2.0
    assert finding.idle_gpu_hours == pytest.approx(2.5)


def test_test_purpose_uses_the_one_hour_threshold() -> None:
    [finding] = by_rule(evaluate(training_cluster(1, 1.5, purpose="test")), "idle_allocation")
    assert finding.evidence["threshold_hours"] == 1.0


def test_idle_run_broken_by_busy_steps_is_not_continuous() -> None:
    # 3 h idle, 10 min busy, 3 h idle: no continuous 4 h run.
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "train-0", "Job/train", category="training", end_h=6 + 1 / 6)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=6 + 1 / 6, activity=lambda h: 0.8 if 3 <= h < 3 + 1 / 6 else 0.0)
    assert by_rule(evaluate(cluster), "idle_allocation") == []


def test_serving_with_night_lull_is_never_idle_allocation() -> None:
    cluster = Cluster()
    cluster.namespace("web")
    cluster.node("node-1")
    for replica in range(3):
        pod = f"llm-{replica}"
        cluster.pod("web", pod, "Deployment/llm", category="serving", purpose="service", end_h=24)
        cluster.gpu("web", pod, f"GPU-{replica}", end_h=24, activity=lambda h: 0.0 if h < 8 else 0.7)
    findings = evaluate(cluster)
    assert by_rule(findings, "idle_allocation") == []
    assert by_rule(findings, "serving_overprovisioned") == []  # already at the minimum of 3 replicas


def eight_gpu_pod(active: int, idle: int) -> Cluster:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "big-0", "Job/big", category="training", gpus=8, end_h=8)
    for index in range(active):
        cluster.gpu("ml", "big-0", f"GPU-a{index}", end_h=8, activity=0.6)
    for index in range(idle):
        cluster.gpu("ml", "big-0", f"GPU-i{index}", end_h=8, activity=0.0)
    return cluster


def test_eight_gpu_pod_with_six_never_active_gpus() -> None:
    [finding] = by_rule(evaluate(eight_gpu_pod(2, 6), hours=8), "over_requested")
    assert finding.gpus_allocated == 8
    assert finding.gpus_reclaimable == 6
    assert finding.idle_gpu_hours == pytest.approx(6 * 8)
    assert finding.evidence["gpus_no_data"] == 0
    assert finding.action == "Request 2 GPU(s) per pod instead of 8 for Job/big."
    assert finding.change == (
        "# Job/big: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/gpu: 2\n"
    )


def test_over_request_of_an_ended_job_is_a_waste_report_with_the_smaller_request() -> None:
    [finding] = by_rule(evaluate(eight_gpu_pod(2, 6)), "over_requested")
    assert (finding.kind, finding.gpus_reclaimable) == ("waste_report", 0)
    assert finding.wasted_gpu_hours == pytest.approx(6 * 8)
    assert finding.action == "Next run of Job/big: request 2 GPU(s) per pod instead of 8."
    assert finding.change is not None and "nvidia.com/gpu: 2" in finding.change


def test_requested_gpus_without_dcgm_series_are_no_data_not_reclaimable() -> None:
    [finding] = by_rule(evaluate(eight_gpu_pod(2, 5), hours=8), "over_requested")
    assert finding.gpus_reclaimable == 5
    assert finding.evidence["gpus_no_data"] == 1


def test_multi_gpu_pod_using_every_gpu_is_not_over_requested() -> None:
    assert by_rule(evaluate(eight_gpu_pod(8, 0)), "over_requested") == []


def fake_busy_cluster(*, profiled: bool, real_work: bool = False) -> Cluster:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "spin-0", "Job/spin", category="training", end_h=4)
    prof = 0.6 if real_work else 0.01
    cluster.gpu(
        "ml",
        "spin-0",
        "GPU-0",
        end_h=4,
        gpu_util=95.0,
        sm=prof if profiled else None,
        tensor=prof if profiled else None,
        dram=prof if profiled else None,
        power_w=90.0,
    )
    return cluster


def test_fake_busy_with_profiling_metrics_is_found() -> None:
    findings = evaluate(fake_busy_cluster(profiled=True), hours=4)
    [finding] = by_rule(findings, "fake_busy")
    assert not finding.insufficient_data
    assert finding.gpus_reclaimable == 1
    assert finding.change == "kubectl -n ml delete job/spin"
    assert finding.evidence["fake_busy_gpu_hours"] == pytest.approx(4.0)
    assert by_rule(findings, "idle_allocation") == []  # GPU_UTIL 95 % is not idle


def test_fake_busy_without_profiling_metrics_is_insufficient_data() -> None:
    [record] = by_rule(evaluate(fake_busy_cluster(profiled=False)), "fake_busy")
    assert record.insufficient_data
    assert record.severity == "none"
    assert record.gpus_reclaimable == 0
    assert not record.ticketable


def test_high_util_with_real_sm_work_is_not_fake_busy() -> None:
    assert by_rule(evaluate(fake_busy_cluster(profiled=True, real_work=True)), "fake_busy") == []


def test_low_efficiency_over_fifty_gpu_hours() -> None:
    # 4 GPUs x 24 h = 96 GPU-hours at 10 %: needs ceil(4 x 0.1 / 0.5) = 1 GPU, so 3 reclaimable;
    # recoverable 96 - 9.6 / 0.5 = 76.8 GPU-hours in the window.
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "slow-0", "Job/slow", category="training", gpus=4, end_h=24)
    for index in range(4):
        cluster.gpu("ml", "slow-0", f"GPU-{index}", end_h=24, activity=0.1)
    [finding] = by_rule(evaluate(cluster), "low_efficiency")
    assert finding.gpus_reclaimable == 3
    assert finding.evidence["mean_activity"] == pytest.approx(0.1)
    assert finding.gpu_hours_recoverable_per_week == pytest.approx(76.8 * 7)
    assert finding.severity == "high"
    assert finding.idle_gpu_hours == 0  # 10 % activity is low, never idle (< 1 %): one meaning per figure
    assert finding.wasted_gpu_hours == pytest.approx(76.8)
    assert finding.change == (
        "# Job/slow: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/gpu: 1\n"
    )


def test_low_efficiency_needs_more_than_fifty_gpu_hours() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "slow-0", "Job/slow", category="training", gpus=2, end_h=24)  # 48 GPU-hours
    for index in range(2):
        cluster.gpu("ml", "slow-0", f"GPU-{index}", end_h=24, activity=0.1)
    assert by_rule(evaluate(cluster), "low_efficiency") == []


@pytest.mark.parametrize(("fb_used_gib", "found"), [(60.0, True), (20.0, False)])
def test_idle_held_memory(fb_used_gib: float, found: bool) -> None:
    # A data job idle 1.5 h: below data's 4 h idle threshold, above idle_held_memory's 1 h.
    cluster = training_cluster(2, 1.5, category="data")
    cluster.rows["gpu_samples"] = []
    cluster.gpu("ml", "train-0", "GPU-0", end_h=3.5, activity=lambda h: 0.9 if h < 2 else 0.0, fb_used_gib=fb_used_gib)
    findings = evaluate(cluster)
    assert by_rule(findings, "idle_allocation") == []
    assert len(by_rule(findings, "idle_held_memory")) == (1 if found else 0)


def test_idle_held_memory_is_suppressed_by_idle_allocation() -> None:
    findings = evaluate(training_cluster(3, 5))  # 40 of 80 GiB held: fraction 0.5
    assert len(by_rule(findings, "idle_allocation")) == 1
    assert by_rule(findings, "idle_held_memory") == []


def test_downsize_profile_on_an_80gb_gpu() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1", machine_group="h100-8x")
    cluster.pod("ml", "tiny-0", "Deployment/tiny", category="training", end_h=8)
    cluster.gpu("ml", "tiny-0", "GPU-0", end_h=8, activity=0.5, tensor=0.02, fb_used_gib=4.0)
    [finding] = by_rule(evaluate(cluster), "downsize_profile")
    assert finding.machine_group == "h100-8x"
    assert finding.gpu_model == H100
    assert finding.evidence["peak_memory_gib"] == pytest.approx(4.0)
    assert finding.id != finding.model_copy(update={"machine_group": "a100-8x"}).id
    assert finding.kind == "waste_report"  # it ended at 8 h of the 24 h window: the request for next time
    assert finding.change is not None and "nvidia.com/mig-1g.10gb: 1" in finding.change
    [running] = by_rule(evaluate(cluster, hours=8), "downsize_profile")
    assert running.kind == "reclaim" and running.change == finding.change


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
    cluster = Cluster()
    cluster.namespace("llm")
    cluster.node("node-1")
    cluster.quota("llm", 48.0, 0, 8)
    cluster.pod("llm", "run-0", "Job/run", category="training", gpus=16, end_h=8)
    cluster.pod("llm", "wait-0", "Job/wait", category="training", gpus=32, start_h=2, end_h=4)
    con = cluster.load()
    con.execute("UPDATE pod_steps SET phase = 'Pending' WHERE pod = 'wait-0'")
    assert by_rule(evaluate(cluster, hours=8), "quota_reclaim") == []


@pytest.mark.parametrize(("replicas", "recommended"), [(6, 3), (4, 3), (3, None)])
def test_serving_overprovisioned_never_below_three_replicas(replicas: int, recommended: int | None) -> None:
    cluster = Cluster()
    cluster.namespace("web")
    cluster.node("node-1")
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
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
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
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
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
