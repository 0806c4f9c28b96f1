"""The measure never reads a node as more than 100 % fragmented because of the rounding of the popularities
(found by the deploy test's asset check `ratios_within_bounds` on the demo's second day: a MIG node with 142
free milli-GPUs that every typical class finds useless read 100.00000000000004 %)."""

from __future__ import annotations

from gpu_reclaim.scoring.fragmentation import (
    GpuNode,
    PodRequest,
    fragmentation_ratio,
    node_fragmentation_milli,
    score_node,
    typical_pod_classes,
)


def test_a_node_fragment_to_every_class_is_exactly_100_percent() -> None:
    # 12 pods in three classes of 1, 10 and 1 pods: the popularities 1/12, 10/12, 1/12 are floats whose products
    # with 142 sum to 142.00000000000003 in plain float addition
    pods = [PodRequest("cpu-0", cpu_milli=1000)]
    pods += [PodRequest(f"whole-{i}", cpu_milli=2000, num_gpu=1) for i in range(10)]
    pods += [PodRequest("half-0", cpu_milli=3000, num_gpu=1, gpu_milli=500)]
    classes = typical_pod_classes(pods, coverage=1.0)
    assert sorted(c.pods for c in classes) == [1, 1, 10]
    assert sum(c.popularity * 142 for c in classes) > 142  # the rounding the measure must not pass on
    mig_node = GpuNode("shared-a100-mig-0", "a100-mig", "NVIDIA-A100-SXM4-80GB", (142, 0), 32_000, 1 << 20)
    assert node_fragmentation_milli(mig_node, classes) == 142.0
    assert fragmentation_ratio([mig_node], classes) == 100.0
    assert score_node(mig_node, classes).fragmentation_ratio == 100.0


def test_a_partly_fragmented_node_keeps_its_weighted_sum() -> None:
    pods = [PodRequest(f"quarter-{i}", cpu_milli=1000, num_gpu=1, gpu_milli=250) for i in range(3)]
    pods += [PodRequest("whole-0", cpu_milli=1000, num_gpu=1)]
    classes = typical_pod_classes(pods, coverage=1.0)
    node = GpuNode("n", "g", "T4", (500, 1000), 32_000, 1 << 20)
    # the quarter class (3/4) uses everything; the whole-GPU class (1/4) cannot use the 500 -> F = 125
    assert node_fragmentation_milli(node, classes) == 125.0
