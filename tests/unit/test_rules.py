"""Each rule on a hand-built cluster, with the expected figures worked out here."""

from __future__ import annotations

import pytest

from tests.unit.test_rules_builder import H100, Cluster, by_rule, evaluate


def busy_then_idle(busy_hours: float) -> object:
    return lambda hour: 0.9 if hour < busy_hours else 0.0


def training_cluster(busy_h: float, idle_h: float, *, category: str = "training", purpose: str = "produce") -> Cluster:
    cluster = Cluster.one_node("ml")
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
    cluster = Cluster.one_node("ml")
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
    cluster = Cluster.one_node("ml")
    cluster.pod("ml", "train-0", "Job/train", category="training", end_h=6 + 1 / 6)
    cluster.gpu("ml", "train-0", "GPU-0", end_h=6 + 1 / 6, activity=lambda h: 0.8 if 3 <= h < 3 + 1 / 6 else 0.0)
    assert by_rule(evaluate(cluster), "idle_allocation") == []


def test_serving_with_night_lull_is_never_idle_allocation() -> None:
    cluster = Cluster.one_node("web")
    for replica in range(3):
        pod = f"llm-{replica}"
        cluster.pod("web", pod, "Deployment/llm", category="serving", purpose="service", end_h=24)
        cluster.gpu("web", pod, f"GPU-{replica}", end_h=24, activity=lambda h: 0.0 if h < 8 else 0.7)
    findings = evaluate(cluster)
    assert by_rule(findings, "idle_allocation") == []
    assert by_rule(findings, "serving_overprovisioned") == []  # already at the minimum of 3 replicas


def eight_gpu_pod(active: int, idle: int) -> Cluster:
    cluster = Cluster.one_node("ml")
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
    cluster = Cluster.one_node("ml")
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
    cluster = Cluster.one_node("ml")
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
    cluster = Cluster.one_node("ml")
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
