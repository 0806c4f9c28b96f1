"""wedged_collective on a small DuckDB fixture: a 2-pod × 4-GPU PyTorchJob wedged for 3 h, one GPU idle (the
culprit) and seven spinning, is found with the culprit named; healthy gangs, short stalls, single GPUs and
unprofiled GPUs are not."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from gpu_reclaim.core.rule_settings import RecommendationSettings

from tests.unit.test_rules_builder import Cluster, by_rule, evaluate

A100 = "NVIDIA A100-SXM4-80GB"
SPIN: dict[str, float | None] = {
    "activity": 1.0,
    "gpu_util": 100.0,
    "sm": 0.2,
    "tensor": 0.0,
    "dram": 0.001,
    "power_w": 70.0,
}
TRAIN: dict[str, float | None] = {
    "activity": 0.95,
    "gpu_util": 100.0,
    "sm": 0.8,
    "tensor": 0.5,
    "dram": 0.3,
    "power_w": 330.0,
}
IDLE: dict[str, float | None] = {
    "activity": 0.0,
    "gpu_util": 0.0,
    "sm": 0.0,
    "tensor": 0.0,
    "dram": 0.0,
    "power_w": 58.0,
}
State = dict[str, float | None]


def by_hour(before: State, during: State, start_h: float, end_h: float) -> dict[str, Callable[[float], float | None]]:
    """Each metric: `during` in [start_h, end_h), `before` otherwise."""
    return {
        name: (lambda h, name=name: during[name] if start_h <= h < end_h else before[name])  # type: ignore[misc]
        for name in before
    }


def gang(
    cluster: Cluster,
    *,
    owner: str = "PyTorchJob/llm-ft",
    namespace: str = "ml",
    pods: int = 2,
    gpus: int = 4,
    hours: float = 8.0,
    wedge: tuple[float, float] = (4.0, 7.0),
    culprit: tuple[int, int] | None = (1, 2),
    culprit_state: State = IDLE,
    wedged_state: State = SPIN,
) -> None:
    """`pods` pods of `gpus` A100s training, then wedged in [wedge): every GPU spins but the culprit's."""
    for p in range(pods):
        node = f"node-{p}"
        cluster.node(node, gpu_model=A100, machine_group="a100-8x")
        cluster.pod(namespace, f"worker-{p}", owner, category="training", node=node, gpus=gpus, end_h=hours)
        for g in range(gpus):
            during = culprit_state if (p, g) == culprit else wedged_state
            cluster.gpu(
                namespace,
                f"worker-{p}",
                f"GPU-{namespace}-{p}-{g}",
                end_h=hours,
                gpu_model=A100,
                gpu_index=g,
                fb_used_gib=60.0,
                **by_hour(TRAIN, during, *wedge),  # type: ignore[arg-type]
            )


def test_the_wedged_2x4_job_is_found_with_the_idle_culprit_named() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster)
    findings = evaluate(cluster, hours=8)
    [finding] = by_rule(findings, "wedged_collective")
    assert finding.workload == "PyTorchJob/llm-ft"
    assert finding.evidence["gang_gpus"] == 8
    assert finding.evidence["wedged_hours"] == pytest.approx(3.0)
    assert finding.evidence["gang_gpu_hours_lost"] == pytest.approx(24.0)
    assert finding.evidence["still_wedged_at_window_end"] is False
    assert finding.gpus_reclaimable == 0  # it trained again after the wedge (restarted)
    assert finding.evidence["odd_gpus_out"] == [
        {
            "node": "node-1",
            "gpu_index": 2,
            "gpu_uuid": "GPU-ml-1-2",
            "pod": "worker-1",
            "state": "idle",
            "mean_activity": 0.0,
        }
    ]
    assert "last checkpoint" in finding.action and "node-1 GPU 2 (GPU-ml-1-2, idle)" in finding.action
    assert "node-1 GPU 2" in finding.summary
    assert finding.pods == ["worker-0", "worker-1"] and finding.nodes == ["node-0", "node-1"]
    # 24 GPU-hours lost in a 8-hour window: 504 per week, high severity
    assert finding.severity == "high"
    # one ticket per cause: the seven spinning GPUs' fake_busy finding is suppressed by the wedge
    assert by_rule(findings, "fake_busy") == []


def test_a_wedge_lasting_to_the_window_end_is_reclaimable() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster, wedge=(5.0, 8.0))
    [finding] = by_rule(evaluate(cluster, hours=8), "wedged_collective")
    assert finding.evidence["still_wedged_at_window_end"] is True
    assert finding.gpus_reclaimable == 8


def test_a_culprit_in_another_state_is_named_as_not_spinning() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster, culprit_state=TRAIN)  # a rank still computing (stuck in its own loop) while the others wait
    [finding] = by_rule(evaluate(cluster, hours=8), "wedged_collective")
    [odd] = finding.evidence["odd_gpus_out"]
    assert (odd["gpu_uuid"], odd["state"]) == ("GPU-ml-1-2", "not spinning")


def test_every_gpu_spinning_names_no_culprit() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster, culprit=None)
    [finding] = by_rule(evaluate(cluster, hours=8), "wedged_collective")
    assert finding.evidence["odd_gpus_out"] == []
    assert "every reporting GPU spins" in finding.action


def test_gpus_spinning_from_their_first_step_with_no_odd_one_out_are_a_busy_loop_not_a_wedge() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster, culprit=None, wedge=(0.0, 8.0))
    findings = evaluate(cluster, hours=8)
    assert by_rule(findings, "wedged_collective") == []
    [busy_loop] = by_rule(findings, "fake_busy")
    assert busy_loop.gpus_reclaimable == 8


def test_one_pod_with_several_gpus_is_a_gang() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster, owner="ReplicaSet/trainer-5d9f", pods=1, gpus=4, culprit=(0, 3))
    [finding] = by_rule(evaluate(cluster, hours=8), "wedged_collective")
    assert finding.evidence["gang_gpus"] == 4
    assert [odd["gpu_uuid"] for odd in finding.evidence["odd_gpus_out"]] == ["GPU-ml-0-3"]


@pytest.mark.parametrize(
    ("case", "build"),
    [
        ("healthy training", lambda c: gang(c, wedged_state=TRAIN, culprit=None)),
        ("a 20-minute stall", lambda c: gang(c, wedge=(4.0, 4 + 20 / 60))),
        ("two GPUs idle (more odd ones than max_odd_gpus)", lambda c: gang(c, pods=1, gpus=4, culprit=(0, 3))),
        ("replicas of a ReplicaSet, one GPU each", lambda c: gang(c, owner="ReplicaSet/web-7f", pods=2, gpus=1)),
        ("memory-bound phase", lambda c: gang(c, wedged_state={**SPIN, "dram": 0.6, "power_w": 200.0})),
        ("no profiling metrics", lambda c: gang(c, wedged_state={**SPIN, "sm": None, "tensor": None, "dram": None})),
    ],
)
def test_not_wedged(case: str, build: Callable[[Cluster], None]) -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    build(cluster)
    if case.startswith("two GPUs idle"):
        # a second idle GPU in the same pod: 2 of its 5 GPUs not spinning
        cluster.gpu("ml", "worker-0", "GPU-extra", end_h=8.0, gpu_model=A100, gpu_index=7, **IDLE)  # type: ignore[arg-type]
    assert by_rule(evaluate(cluster, hours=8), "wedged_collective") == [], case


def test_max_odd_gpus_is_the_setting() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    gang(cluster)
    rules = RecommendationSettings.model_validate({"wedged_collective": {"max_odd_gpus": 0}})
    assert by_rule(evaluate(cluster, hours=8, rules=rules), "wedged_collective") == []
