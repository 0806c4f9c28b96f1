"""Hand-worked cases of the fragmentation measure (Weng et al., ATC'23) and the per-node/group figures.

Every expected number is worked out by hand in the comments, never by calling the function under test twice.
"""

from __future__ import annotations

import pytest
from gpu_reclaim.scoring.fragmentation import measure
from gpu_reclaim.scoring.fragmentation.demand import pending_demand
from gpu_reclaim.scoring.fragmentation.model import GpuNode, PodClass, PodRequest

BIG = 1 << 30


def fragmentation_gpus(nodes: list[GpuNode], classes: list[PodClass]) -> float:
    """Σ F_n / 1000 as the cluster summary reports it."""
    return measure.cluster_summary(measure.score_nodes(nodes, classes)).fragmentation_gpus


def node(free: tuple[int, ...], cpu: int = BIG, memory: int = BIG, model: str = "T4", group: str = "g") -> GpuNode:
    return GpuNode("n", group, model, free, cpu, memory)


def gpu_class(milli: int, k: int = 1, p: float = 1.0, cpu: int = 0, models: frozenset[str] | None = None) -> PodClass:
    return PodClass(cpu_milli=cpu, gpu_milli_per_gpu=milli, num_gpu=k, allowed_models=models, popularity=p)


# -- the measure --------------------------------------------------------------------------------------------


def test_fractional_gpus() -> None:
    n = node((500, 1000))
    classes = [gpu_class(1000, p=0.5), gpu_class(600, p=0.25), gpu_class(250, p=0.25)]
    # whole GPU: fits on GPU 1, GPU 0 (500 < 1000) is lost -> 500
    # 0.6 GPU: fits on GPU 1, GPU 0 (500 < 600) is lost -> 500
    # 0.25 GPU: fits, no GPU has less than 250 free -> 0
    assert [measure.class_fragmentation_milli(n, c) for c in classes] == [500, 500, 0]
    # F = 0.5*500 + 0.25*500 + 0.25*0 = 375 of R = 1500 free
    assert measure.node_fragmentation_milli(n, classes) == pytest.approx(375.0)
    assert fragmentation_gpus([n], classes) == pytest.approx(0.375)
    assert measure.fragmentation_ratio([n], classes) == pytest.approx(25.0)


def test_model_constraint() -> None:
    n = node((1000, 1000), model="T4")
    v100_only = gpu_class(1000, p=0.5, models=frozenset({"V100M16", "V100M32"}))
    any_two = gpu_class(1000, k=2, p=0.5)
    assert not measure.class_fits(n, v100_only)
    assert measure.class_fits(n, any_two)
    # V100-only class cannot use the T4 node at all -> R = 2000; the 2-GPU class fits -> 0. F = 1000.
    assert measure.node_fragmentation_milli(n, [v100_only, any_two]) == pytest.approx(1000.0)
    assert measure.fragmentation_ratio([n], [v100_only, any_two]) == pytest.approx(50.0)
    assert fragmentation_gpus([n], [v100_only, any_two]) == pytest.approx(1.0)


def test_cpu_exhausted() -> None:
    n = node((1000, 300), cpu=0)
    classes = [gpu_class(1000, cpu=1000, p=0.5), gpu_class(200, cpu=500, p=0.5)]
    # No CPU left: neither class fits, every free share (1300) is fragmented for both.
    assert measure.node_fragmentation_milli(n, classes) == pytest.approx(1300.0)
    assert measure.fragmentation_ratio([n], classes) == pytest.approx(100.0)
    scored = measure.score_node(n, classes)
    assert scored.stranded_gpus == 1  # the whole free GPU
    assert scored.stranded_gpu_milli == 1300


def test_cpu_only_classes() -> None:
    n = node((700,), cpu=2000)
    big_cpu = PodClass(cpu_milli=4000, gpu_milli_per_gpu=0, num_gpu=0, popularity=0.5)
    small_cpu = PodClass(cpu_milli=1000, gpu_milli_per_gpu=0, num_gpu=0, popularity=0.5)
    # As published: a class that requests no GPU uses none of the free GPU share, so all 700 is fragment to it,
    # whether its CPU fits (1 core in 2) or not (4 cores in 2).
    assert not measure.class_fits(n, big_cpu) and measure.class_fits(n, small_cpu)
    assert measure.class_fragmentation_milli(n, big_cpu) == 700
    assert measure.class_fragmentation_milli(n, small_cpu) == 700
    assert measure.node_fragmentation_milli(n, [big_cpu, small_cpu]) == pytest.approx(700.0)
    assert measure.fragmentation_ratio([n], [big_cpu, small_cpu]) == pytest.approx(100.0)
    # With a GPU class beside it: 0.5 GPU fits on the 700 free -> 0 for it; F = 0.5*700 + 0.5*0 = 350.
    half = gpu_class(500, p=0.5)
    assert measure.node_fragmentation_milli(n, [small_cpu, half]) == pytest.approx(350.0)
    # A fully free node is still fragment to a CPU-only class: F = 0.25*2000 = 500 of R = 2000.
    empty = node((1000, 1000))
    mix = [PodClass(1000, 0, 0, popularity=0.25), gpu_class(1000, p=0.75)]
    assert measure.fragmentation_ratio([empty], mix) == pytest.approx(25.0)
    # CPU-only classes never make GPUs stranded (there is no GPU class to judge with).
    assert not measure.is_stranded(n, [big_cpu, small_cpu])


def test_empty_node() -> None:
    n = node((1000, 1000, 1000, 1000))
    classes = [gpu_class(1000, p=0.6), gpu_class(500, p=0.4)]
    assert measure.node_fragmentation_milli(n, classes) == 0.0
    assert measure.fragmentation_ratio([n], classes) == 0.0
    scored = measure.score_node(n, classes)
    assert scored.fully_free and scored.free_whole_gpus == 4 and scored.free_gpu_milli == 4000
    assert [measure.placeable_pods([n], k) for k in (1, 2, 4, 8)] == [4, 2, 1, 0]


def test_full_node() -> None:
    n = node((0, 0))
    classes = [gpu_class(1000, p=0.5), PodClass(1000, 0, 0, popularity=0.5)]
    # Nothing free: R = 0, F = 0, and the ratio is 0 rather than a division by zero.
    assert measure.node_fragmentation_milli(n, classes) == 0.0
    assert measure.fragmentation_ratio([n], classes) == 0.0
    assert not measure.score_node(n, classes).fully_free
    assert not measure.is_stranded(n, classes)


def test_cluster_ratio_sums_before_dividing() -> None:
    a = node((500, 1000))  # F = 500 for the whole-GPU class, R = 1500
    b = node((0, 0))  # F = 0, R = 0
    c = node((1000, 1000))  # F = 0, R = 2000
    classes = [gpu_class(1000)]
    assert measure.fragmentation_ratio([a, b, c], classes) == pytest.approx(100 * 500 / 3500)
    assert fragmentation_gpus([a, b, c], classes) == pytest.approx(0.5)


def test_memory_counts_only_when_the_class_has_it() -> None:
    n = node((1000,), memory=512)
    without = gpu_class(1000)
    with_memory = PodClass(0, 1000, 1, memory_mib=1024)
    assert measure.class_fits(n, without)
    assert not measure.class_fits(n, with_memory)
    assert measure.is_stranded(n, [with_memory])


# -- typical pods ------------------------------------------------------------------------------------------------


def test_typical_pod_classes_cover_95_percent() -> None:
    whole = PodRequest("w", cpu_milli=8000, num_gpu=1)
    shared = PodRequest("s", cpu_milli=4000, num_gpu=1, gpu_milli=500)
    cpu_only = PodRequest("c", cpu_milli=2000)
    rare = PodRequest("r", cpu_milli=8000, num_gpu=8, allowed_models=frozenset({"G3"}))
    pods = [whole] * 10 + [shared] * 6 + [cpu_only] * 3 + [rare]
    classes = measure.typical_pod_classes(pods)
    # 20 pods, 95% = 19: 10 + 6 + 3 = 19 reached with three classes; the 8-GPU class is dropped.
    assert [(c.num_gpu, c.gpu_milli_per_gpu, c.cpu_milli, c.pods) for c in classes] == [
        (1, 1000, 8000, 10),
        (1, 500, 4000, 6),
        (0, 0, 2000, 3),
    ]
    assert [c.popularity for c in classes] == pytest.approx([10 / 19, 6 / 19, 3 / 19])
    assert measure.typical_pod_classes(pods, coverage=1.0)[-1].allowed_models == frozenset({"G3"})
    assert measure.typical_pod_classes([]) == []


def test_typical_pod_classes_split_by_model_constraint() -> None:
    t4 = PodRequest("a", num_gpu=1, allowed_models=frozenset({"T4"}))
    anywhere = PodRequest("b", num_gpu=1)
    classes = measure.typical_pod_classes([t4, t4, anywhere], coverage=1.0)
    assert [(c.allowed_models, c.pods) for c in classes] == [(frozenset({"T4"}), 2), (None, 1)]


# -- per node, Machine Group and cluster -------------------------------------------------------------------------


def test_placement_counts() -> None:
    nodes = [
        node((1000,) * 8),  # 8 free
        node((1000,) * 5 + (0,) * 3),  # 5 free
        node((1000,) * 3 + (0,) * 5),  # 3 free
        node((1000, 500, 0, 0)),  # 1 whole free, one half GPU
    ]
    # 1 GPU: 8+5+3+1 = 17; 2: 4+2+1+0 = 7; 4: 2+1+0+0 = 3; 8: 1
    assert [measure.placeable_pods(nodes, k) for k in (1, 2, 4, 8)] == [17, 7, 3, 1]
    summary = measure.cluster_summary(measure.score_nodes(nodes, [gpu_class(1000)]))
    assert summary.placeable == {1: 17, 2: 7, 4: 3, 8: 1}
    assert summary.free_whole_gpus == 17
    assert summary.free_gpu_milli == 17500
    assert summary.fully_free_nodes == 1


def test_stranded_gpus() -> None:
    classes = [gpu_class(1000, cpu=1000, p=0.5), gpu_class(500, cpu=2000, p=0.5)]
    starved = node((1000, 1000), cpu=500)  # no class has its CPU: both free GPUs stranded
    fed = node((1000, 1000), cpu=4000)
    wrong_model = node((1000, 1000), cpu=500, model="P100")
    t4_classes = [gpu_class(1000, cpu=1000, models=frozenset({"T4"}))]
    one_class_fits = node((1000, 0), cpu=1500)  # the 1-core class fits: not stranded
    assert measure.score_node(starved, classes).stranded_gpus == 2
    assert measure.score_node(fed, classes).stranded_gpus == 0
    assert measure.score_node(one_class_fits, classes).stranded_gpus == 0
    # A model no typical class accepts is a mismatch, not a CPU shortage.
    assert measure.score_node(wrong_model, t4_classes).stranded_gpus == 0


def test_machine_group_summaries() -> None:
    nodes = [
        GpuNode("a1", "A", "T4", (1000, 1000), BIG, BIG),
        GpuNode("a2", "A", "T4", (500, 0), BIG, BIG),
        GpuNode("b1", "B", "G2", (0,) * 8, BIG, BIG),
    ]
    classes = [gpu_class(1000)]
    groups = {s.scope: s for s in measure.machine_group_summaries(measure.score_nodes(nodes, classes))}
    assert groups["A"].nodes == 2 and groups["A"].gpus == 4
    assert groups["A"].free_whole_gpus == 2 and groups["A"].fully_free_nodes == 1
    # a2: the whole-GPU class does not fit -> R = 500 fragmented; a1: 0. Ratio 500 / 2500.
    assert groups["A"].fragmentation_gpus == pytest.approx(0.5)
    assert groups["A"].fragmentation_ratio == pytest.approx(20.0)
    assert groups["B"].free_gpu_milli == 0 and groups["B"].fragmentation_ratio == 0.0
    assert groups["B"].gpu_model == "G2"
    cluster = measure.cluster_summary(measure.score_nodes(nodes, classes))
    assert cluster.gpu_model == "mixed" and cluster.gpus == 12


def test_pending_demand() -> None:
    nodes = [
        GpuNode("n1", "g", "T4", (1000, 1000, 0, 0), BIG, BIG),
        GpuNode("n2", "g", "T4", (0, 0, 1000, 1000), BIG, BIG),
    ]
    pending = {
        "g": [
            PodRequest("four", num_gpu=4),  # W = 4, S = 4: blocked only by fragmentation
            PodRequest("two", num_gpu=2),  # fits now
            PodRequest("eight", num_gpu=8),  # larger than any node of the group
            PodRequest("half", num_gpu=1, gpu_milli=500),
            PodRequest("cpu-hungry", cpu_milli=BIG + 1, num_gpu=1),
        ],
        "empty": [PodRequest("one", num_gpu=1)],
    }
    fits = {f.pod: (f.fits_now, f.fits_if_consolidated) for f in pending_demand(pending, nodes)}
    assert fits == {
        "four": (False, True),
        "two": (True, True),
        "eight": (False, False),
        "half": (True, True),
        "cpu-hungry": (False, True),  # consolidation re-packs GPUs only
        "one": (False, False),
    }
    blocked = [f.pod for f in pending_demand(pending, nodes) if f.blocked_by_fragmentation]
    assert blocked == ["four", "cpu-hungry"]
