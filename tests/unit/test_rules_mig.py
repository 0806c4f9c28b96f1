"""`over_requested` on MIG pods through the rules SQL (hand-built DuckDB, tests/unit/test_rules_builder.py): each
never-active instance gives back its share of the GPU, its hours and H100-equivalent hours scale with it, and the
change asks for the instances that worked, as the MIG resource."""

from __future__ import annotations

import pytest
from gpu_reclaim.core.config import GpuModelWeight, Settings
from gpu_reclaim.core.rule_settings import RecommendationSettings

from tests.unit.test_rules_builder import A100, Cluster, by_rule, evaluate, settings


def sweep(idle: int, active: int = 2, *, end_h: float = 24, product: str = A100) -> Cluster:
    """Job/sweep's pod asks for idle + active 1g.10gb instances of one A100; `active` work at 50 %."""
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("mig-1", gpu_model=product, machine_group="a100-mig", gpus=1)
    cluster.mig_pod("ml", "sweep-0", "Job/sweep", "1g.10gb", idle + active, category="training", node="mig-1",
                    end_h=end_h)  # fmt: skip
    for index in range(idle + active):
        activity = 0.5 if index < active else 0.0
        cluster.mig_instance("ml", "sweep-0", "GPU-A", str(7 + index), "1g.10gb", end_h=end_h, activity=activity,
                             fb_used_gib=2.0, fb_total_gib=10.0)  # fmt: skip
    return cluster


def test_two_never_active_1g_instances_give_back_two_sevenths_of_a_gpu() -> None:
    [finding] = by_rule(evaluate(sweep(idle=2)), "over_requested")
    assert finding.kind == "reclaim"
    assert finding.gpus_allocated == pytest.approx(4 / 7)
    assert finding.gpus_reclaimable == pytest.approx(2 / 7)
    # 24 h x 2/7 in a 24 h window, per week x 7; A100 weighs 0.32 H100
    assert finding.gpu_hours_recoverable_per_week == pytest.approx(24 * 2 / 7 * 7)
    assert finding.h100_equivalent_hours_recoverable_per_week == pytest.approx(round(48 * 0.32, 3))
    assert finding.idle_gpu_hours == pytest.approx(24 * 2 / 7)
    assert finding.evidence["devices_never_active"] == 2
    assert finding.evidence["largest_pod_devices_requested"] == 4
    assert finding.evidence["device_kind"] == "mig"
    assert finding.action == "Request 2 1g.10gb MIG instance(s) per pod instead of 4 for Job/sweep."
    assert finding.change == (
        "# Job/sweep: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/mig-1g.10gb: 2\n"
    )
    assert finding.nodes == ["mig-1"] and finding.pods == ["sweep-0"]


def test_the_price_scales_with_the_share() -> None:
    config = settings(gpu_models=[GpuModelWeight(match="A100", h100_equivalent=0.32, price_per_gpu_hour=2.0)])
    [finding] = by_rule(evaluate(sweep(idle=3), config=config), "over_requested")
    assert finding.gpus_reclaimable == pytest.approx(3 / 7)
    assert finding.cost_recoverable_per_week == pytest.approx(round(24 * 3 / 7 * 7 * 2.0, 2))


def test_single_strategy_asks_for_nvidia_gpu() -> None:
    [finding] = by_rule(evaluate(sweep(idle=1, product=f"{A100}-MIG-1g.10gb")), "over_requested")
    assert finding.gpus_reclaimable == pytest.approx(1 / 7)
    assert finding.change is not None and finding.change.endswith("limits:\n    nvidia.com/gpu: 2\n")


def test_an_ended_sweep_is_a_waste_report_with_the_smaller_request() -> None:
    [finding] = by_rule(evaluate(sweep(idle=2, end_h=8)), "over_requested")
    assert (finding.kind, finding.gpus_reclaimable) == ("waste_report", 0)
    assert finding.wasted_gpu_hours == pytest.approx(8 * 2 / 7)
    assert finding.change is not None and "nvidia.com/mig-1g.10gb: 2" in finding.change


def test_every_instance_working_or_too_few_asked_is_not_over_requested() -> None:
    assert by_rule(evaluate(sweep(idle=0, active=4)), "over_requested") == []
    rules = RecommendationSettings.model_validate({"over_requested": {"min_gpus": 5}})
    assert by_rule(evaluate(sweep(idle=2), rules=rules), "over_requested") == []


def test_the_idle_instances_are_not_reported_again_by_idle_allocation() -> None:
    findings = evaluate(sweep(idle=2))
    assert [f.rule for f in findings if f.workload == "Job/sweep"] == ["over_requested"]


def test_settings_have_no_mig_specific_knob() -> None:
    assert Settings().recommendations.over_requested.min_gpus == 2  # devices: GPUs, MIG instances or replicas
