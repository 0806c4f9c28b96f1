"""The node measure against the authors' own unit tests, as fixed expected values.

Source: the simulator of Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with
Fragmentation Gradient Descent" (USENIX ATC '23): https://github.com/hkust-adsl/kubernetes-scheduler-simulator,
file ``pkg/utils/frag_test.go`` at commit 29a1e4c4c51130ae55bda03ea0c794d613a60295 (the measure itself is
``NodeGpuShareFragAmount`` / ``GetNodePodFrag`` in ``pkg/utils/frag.go``, same commit). The repository is
published under the Apache License 2.0 (the licence GitHub lists for it; it builds on alibaba/open-simulator,
Apache-2.0). Only test inputs and expected numbers are taken, no code: the node states, the typical pod
lists with their percentages, and the asserted values (``assert.InDelta(..., 0.01)`` there, the same
tolerance here).

Mapping: ``MilliCpuLeft`` -> ``cpu_free_milli``, ``MilliGpuLeftList`` -> ``gpu_free_milli``, ``GpuType`` of the
node -> ``gpu_model``; a pod's ``MilliCpu``/``MilliGpu``/``GpuNumber`` -> ``cpu_milli``/``gpu_milli_per_gpu``/
``num_gpu``, its ``GpuType`` ("" = any model) -> ``allowed_models``, ``Percentage`` -> ``popularity`` (used as
given: the upstream lists do not sum to 1, and neither does the measure renormalise them). The upstream pods
carry no memory request, so ``memory_mib`` is None. ``FragAmountSumExceptQ3`` is F_n
(:func:`node_fragmentation_milli`).
"""

from __future__ import annotations

import pytest
from gpu_reclaim.scoring.fragmentation import (
    GpuNode,
    PodClass,
    class_fits,
    class_fragmentation_milli,
    node_fragmentation_milli,
)

# (MilliCpu, MilliGpu, GpuNumber, GpuType, Percentage in %) of TestingGenerateGetTypicalPods().
TYPICAL_PODS: tuple[tuple[int, int, int, str, float], ...] = (
    (6000, 465, 1, "", 9.33),
    (8000, 440, 1, "2080", 9.15),
    (8000, 475, 1, "T4", 8.76),
    (8000, 440, 1, "P100", 8.72),
    (2000, 465, 1, "", 8.68),
    (12000, 900, 1, "", 8.65),
    (4000, 900, 1, "", 8.43),
    (16000, 678, 1, "T4", 8.36),
    (8000, 500, 1, "", 8.29),
    (6000, 511, 1, "", 8.11),
    (14000, 1000, 2, "2080", 0.54),
    (4000, 1000, 1, "2080", 0.43),
    (32000, 1000, 2, "T4", 0.43),
    (16000, 1000, 1, "V100M16", 0.40),
    (64000, 1000, 2, "", 0.40),
    (10000, 1000, 2, "", 0.40),
    (11400, 1000, 1, "T4", 0.36),
    (16000, 1000, 1, "T4", 0.36),
    (4000, 1000, 2, "", 0.36),
    (14000, 1000, 2, "V100M16", 0.36),
    (8000, 1000, 4, "", 0.36),
    (16000, 1000, 2, "", 0.32),
    (2000, 1000, 1, "T4", 0.32),
    (6000, 1000, 1, "", 0.32),
    (4000, 1000, 1, "", 0.32),
    (5000, 1000, 1, "", 0.32),
    (32000, 1000, 4, "V100M16", 0.32),
    (32000, 1000, 2, "", 0.32),
    (24000, 1000, 8, "2080", 0.32),
    (40000, 1000, 4, "", 0.29),
    (32000, 1000, 8, "", 0.29),
    (32000, 1000, 1, "T4", 0.29),
    (16000, 1000, 1, "", 0.25),
    (7000, 1000, 1, "V100M16", 0.25),
    (24000, 1000, 1, "T4", 0.25),
)

# TestingGenerateGetTypicalPodsWithNonGpu(): three classes request no GPU (MilliGpu 0, GpuNumber 0).
TYPICAL_PODS_WITH_NON_GPU: tuple[tuple[int, int, int, str, float], ...] = (
    (15700, 1000, 1, "", 28.69),
    (11900, 1000, 1, "", 18.93),
    (11400, 1000, 1, "", 12.27),
    (1000, 0, 0, "", 7.36),
    (18710, 1000, 1, "", 4.85),
    (8200, 1000, 1, "", 3.79),
    (16400, 1000, 1, "", 3.31),
    (9810, 1000, 1, "", 1.97),
    (15200, 1000, 1, "", 1.87),
    (11200, 1000, 1, "", 1.81),
    (14200, 1000, 1, "", 1.76),
    (12000, 0, 0, "", 1.65),
    (14900, 1000, 1, "", 1.39),
    (60200, 1000, 4, "", 1.23),
    (64200, 1000, 8, "", 1.07),
    (32200, 1000, 4, "", 1.01),
    (17400, 1000, 2, "", 0.91),
    (30200, 1000, 2, "", 0.69),
    (16000, 1000, 1, "", 0.64),
    (15000, 1000, 1, "", 0.59),
    (64000, 1000, 8, "", 0.53),
    (15000, 0, 0, "", 0.53),
    (11910, 1000, 1, "", 0.53),
    (120200, 1000, 8, "", 0.48),
    (11300, 1000, 1, "", 0.37),
    (30000, 1000, 2, "", 0.32),
    (9800, 1000, 1, "", 0.32),
    (8000, 1000, 1, "", 0.32),
    (2000, 1000, 1, "", 0.27),
    (2000, 80, 1, "", 0.27),
    (1000, 1000, 1, "", 0.27),
)

UPSTREAM_DELTA = 0.01  # assert.InDelta(t, expected, actual, 0.01) in frag_test.go


def classes(rows: tuple[tuple[int, int, int, str, float], ...]) -> list[PodClass]:
    return [
        PodClass(
            cpu_milli=cpu,
            gpu_milli_per_gpu=milli,
            num_gpu=count,
            allowed_models=frozenset({model}) if model else None,
            popularity=percent / 100,
        )
        for cpu, milli, count, model, percent in rows
    ]


def node(name: str, cpu_left: int, gpus_left: tuple[int, ...], model: str) -> GpuNode:
    # Upstream nodes carry no memory; the measure only looks at memory when a class requests it.
    return GpuNode(name, "g", model, gpus_left, cpu_left, 1 << 30)


USED_1080 = node("4x1080_used", 1000, (200, 1000, 1000, 500), "1080")


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (USED_1080, 2566.62),
        (node("4x1080_full", 1000, (1000,) * 4, "1080"), 3802.40),
        (node("8x1080_full", 1000, (1000,) * 8, "1080"), 7604.80),
    ],
    ids=["4x1080_used", "4x1080_full", "8x1080_full"],
)
def test_node_gpu_share_frag_amount(state: GpuNode, expected: float) -> None:
    """TestNodeGpuShareFragAmount and TestNodeGpuShareFragAmountScore (the same three nodes and values)."""
    assert node_fragmentation_milli(state, classes(TYPICAL_PODS)) == pytest.approx(expected, abs=UPSTREAM_DELTA)


def test_node_gpu_share_frag_amount_lack_cpu() -> None:
    """The last case of both tests: one class (6 cores, 0.465 GPU, 9.33 %) on a node with 1 core left."""
    single = classes(TYPICAL_PODS[:1])
    state = node("4x1080_used_lack_CPU", 1000, (200, 1000, 1000, 500), "1080")
    assert not class_fits(state, single[0])  # upstream: GetNodePodFrag(...) == Q4LackCpu
    assert state.free_gpu_milli == 2700  # upstream: GetGpuMilliLeftTotal(nodeRes) == 2700
    assert node_fragmentation_milli(state, single) == pytest.approx(251.91, abs=UPSTREAM_DELTA)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (node("8xP100_empty", 64000, (1000,) * 8, "P100"), 887.20),
        (node("8xP100_halved", 32000, (1000,) * 4 + (0,) * 4, "P100"), 554.4),
        (node("8xP100_nocpu", 0, (1000,) * 4 + (0,) * 4, "P100"), 4000),
    ],
    ids=["8xP100_empty", "8xP100_halved", "8xP100_nocpu"],
)
def test_node_gpu_share_frag_amount_with_non_gpu(state: GpuNode, expected: float) -> None:
    """TestNodeGpuShareFragAmountWithNonGpu: classes that request no GPU see all of the free GPU share as
    fragment (the rule this project got wrong before: it counted 0 for them when their CPU fitted)."""
    measured = node_fragmentation_milli(state, classes(TYPICAL_PODS_WITH_NON_GPU))
    assert measured == pytest.approx(expected, abs=UPSTREAM_DELTA)


@pytest.mark.parametrize(
    ("state", "pod", "expected"),
    [
        (USED_1080, (100, 1000, 2, "1080"), 700),
        (node("4x1080_full", 1000, (1000,) * 4, "1080"), (100, 1000, 2, "1080"), 0),
        (node("8x1080_full", 1000, (1000,) * 8, "1080"), (100, 1000, 2, "1080"), 0),
        (USED_1080, (100, 200, 2, "1080"), 0),
    ],
    ids=["used-whole", "4-full", "8-full", "used-share"],
)
def test_get_gpu_frag_milli_by_node_res_and_pod_res(
    state: GpuNode, pod: tuple[int, int, int, str], expected: int
) -> None:
    """TestGetGpuFragMilliByNodeResAndPodRes: the share of the GPUs too small for a class that fits."""
    cpu, milli, count, model = pod
    pod_class = PodClass(cpu_milli=cpu, gpu_milli_per_gpu=milli, num_gpu=count, allowed_models=frozenset({model}))
    assert class_fits(state, pod_class)
    assert class_fragmentation_milli(state, pod_class) == expected
