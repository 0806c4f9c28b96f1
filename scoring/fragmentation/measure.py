"""The measure (Weng et al., ATC'23): typical pod classes, f(n, m), F_n, the fragmentation ratio, stranded
GPUs, and the per-node, per-Machine-Group and cluster scores."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gpu_reclaim.scoring.fragmentation.model import (
    CLUSTER_SCOPE,
    PLACEMENT_SIZES,
    WHOLE_GPU_MILLI,
    GpuNode,
    PodClass,
    PodRequest,
    model_allowed,
)


def _class_key(pod: PodRequest, include_memory: bool) -> tuple[int, int, int, tuple[str, ...] | None, int | None]:
    models = tuple(sorted(pod.allowed_models)) if pod.allowed_models is not None else None
    return (pod.num_gpu, pod.milli_per_gpu, pod.cpu_milli, models, pod.memory_mib if include_memory else None)


def typical_pod_classes(
    pods: Iterable[PodRequest], coverage: float = 0.95, *, include_memory: bool = False
) -> list[PodClass]:
    """Request classes seen in ``pods``, most frequent first, kept until they cover ``coverage`` of the pods.

    A class is (CPU, per-GPU share, GPU count, allowed models), plus memory when ``include_memory``. CPU-only
    pods form classes too. Popularity is renormalised over the kept classes to sum to 1. Ties in frequency
    are broken by (GPU count, share, CPU, models) ascending so that the result is deterministic.
    """
    if not 0 < coverage <= 1:
        raise ValueError(f"coverage must be in (0, 1], got {coverage}")
    counts = Counter(_class_key(pod, include_memory) for pod in pods)
    total = sum(counts.values())
    if total == 0:
        return []

    def order(
        item: tuple[tuple[int, int, int, tuple[str, ...] | None, int | None], int],
    ) -> tuple[object, ...]:
        (num_gpu, milli, cpu, models, memory), count = item
        return (-count, num_gpu, milli, cpu, models is not None, models or (), memory or 0)

    kept: list[tuple[tuple[int, int, int, tuple[str, ...] | None, int | None], int]] = []
    covered = 0
    for item in sorted(counts.items(), key=order):
        kept.append(item)
        covered += item[1]
        if covered >= coverage * total - 1e-9:
            break
    return [
        PodClass(
            cpu_milli=cpu,
            gpu_milli_per_gpu=milli,
            num_gpu=num_gpu,
            allowed_models=frozenset(models) if models is not None else None,
            popularity=count / covered,
            memory_mib=memory,
            pods=count,
        )
        for (num_gpu, milli, cpu, models, memory), count in kept
    ]


# -- the measure -----------------------------------------------------------------------------------


def class_fits(node: GpuNode, pod_class: PodClass) -> bool:
    """Whether one pod of ``pod_class`` can be placed on ``node`` now."""
    if pod_class.cpu_milli > node.cpu_free_milli:
        return False
    if pod_class.memory_mib is not None and pod_class.memory_mib > node.memory_free_mib:
        return False
    if pod_class.num_gpu == 0:
        return True
    if not model_allowed(node.gpu_model, pod_class.allowed_models):
        return False
    return sum(1 for r in node.gpu_free_milli if r >= pod_class.gpu_milli_per_gpu) >= pod_class.num_gpu


def class_fragmentation_milli(node: GpuNode, pod_class: PodClass) -> int:
    """f(n, m): the free GPU share of ``node`` that ``pod_class`` cannot use, in milli-GPUs.

    As published (Weng et al., ATC'23, and the authors' simulator): a class that requests no GPU uses none of
    the free GPU share, so all of it is fragment to that class, whether or not the class fits the node's CPU.
    """
    if pod_class.num_gpu == 0 or not class_fits(node, pod_class):
        return node.free_gpu_milli
    return sum(r for r in node.gpu_free_milli if r < pod_class.gpu_milli_per_gpu)


def node_fragmentation_milli(node: GpuNode, classes: Sequence[PodClass]) -> float:
    """F_n = Σ_m p_m · f(n, m), in milli-GPUs; never above R_n (Σ p_m = 1 may add up a rounding over 1)."""
    return min(float(node.free_gpu_milli), sum(c.popularity * class_fragmentation_milli(node, c) for c in classes))


def fragmentation_ratio(nodes: Iterable[GpuNode], classes: Sequence[PodClass]) -> float:
    """100 · Σ F_n / Σ R_n percent; 0 when no GPU share is free."""
    fragmented = free = 0.0
    for node in nodes:
        fragmented += node_fragmentation_milli(node, classes)
        free += node.free_gpu_milli
    return 100.0 * fragmented / free if free > 0 else 0.0


def placeable_pods(nodes: Iterable[GpuNode], gpus_per_pod: int) -> int:
    """How many ``gpus_per_pod``-GPU pods still fit on free whole GPUs (first fit, GPU only).

    Within a node whole GPUs are interchangeable, so first fit places ``free_whole_gpus // gpus_per_pod``.
    """
    if gpus_per_pod <= 0:
        raise ValueError("gpus_per_pod must be positive")
    return sum(n.free_whole_gpus // gpus_per_pod for n in nodes)


def is_stranded(node: GpuNode, classes: Sequence[PodClass]) -> bool:
    """Free GPU share that no typical GPU class allowed on this model can use, for lack of CPU or memory.

    A node with nothing free, or whose model no typical GPU class accepts, is not stranded (the latter is a
    model mismatch, not a CPU/memory shortage).
    """
    if node.free_gpu_milli == 0:
        return False
    gpu_classes = [c for c in classes if c.num_gpu > 0 and model_allowed(node.gpu_model, c.allowed_models)]
    if not gpu_classes:
        return False
    return all(
        c.cpu_milli > node.cpu_free_milli or (c.memory_mib is not None and c.memory_mib > node.memory_free_mib)
        for c in gpu_classes
    )


@dataclass(frozen=True)
class NodeFragmentation:
    node: str
    machine_group: str
    gpu_model: str
    gpus: int
    free_whole_gpus: int
    free_gpu_milli: int
    cpu_free_milli: int
    memory_free_mib: int
    stranded_gpus: int
    stranded_gpu_milli: int
    fragmentation_milli: float
    fully_free: bool

    @property
    def fragmentation_ratio(self) -> float:
        return 100.0 * self.fragmentation_milli / self.free_gpu_milli if self.free_gpu_milli else 0.0


@dataclass(frozen=True)
class FragmentationSummary:
    """One Machine Group (``scope`` = its name) or the whole cluster (``scope`` = ``"cluster"``)."""

    scope: str
    gpu_model: str
    nodes: int
    gpus: int
    free_whole_gpus: int
    free_gpu_milli: int
    fully_free_nodes: int
    stranded_gpus: int
    placeable: dict[int, int]
    fragmentation_milli: float

    @property
    def fragmentation_gpus(self) -> float:
        return self.fragmentation_milli / WHOLE_GPU_MILLI

    @property
    def fragmentation_ratio(self) -> float:
        return 100.0 * self.fragmentation_milli / self.free_gpu_milli if self.free_gpu_milli else 0.0


def score_node(node: GpuNode, classes: Sequence[PodClass]) -> NodeFragmentation:
    stranded = is_stranded(node, classes)
    return NodeFragmentation(
        node=node.name,
        machine_group=node.machine_group,
        gpu_model=node.gpu_model,
        gpus=node.gpus,
        free_whole_gpus=node.free_whole_gpus,
        free_gpu_milli=node.free_gpu_milli,
        cpu_free_milli=node.cpu_free_milli,
        memory_free_mib=node.memory_free_mib,
        stranded_gpus=node.free_whole_gpus if stranded else 0,
        stranded_gpu_milli=node.free_gpu_milli if stranded else 0,
        fragmentation_milli=node_fragmentation_milli(node, classes),
        fully_free=node.fully_free,
    )


def score_nodes(nodes: Iterable[GpuNode], classes: Sequence[PodClass]) -> list[NodeFragmentation]:
    return [score_node(node, classes) for node in nodes]


def summarize(
    scores: Sequence[NodeFragmentation], scope: str, sizes: Sequence[int] = PLACEMENT_SIZES
) -> FragmentationSummary:
    models = sorted({s.gpu_model for s in scores})
    return FragmentationSummary(
        scope=scope,
        gpu_model=models[0] if len(models) == 1 else ("mixed" if models else ""),
        nodes=len(scores),
        gpus=sum(s.gpus for s in scores),
        free_whole_gpus=sum(s.free_whole_gpus for s in scores),
        free_gpu_milli=sum(s.free_gpu_milli for s in scores),
        fully_free_nodes=sum(1 for s in scores if s.fully_free),
        stranded_gpus=sum(s.stranded_gpus for s in scores),
        placeable={k: sum(s.free_whole_gpus // k for s in scores) for k in sizes},
        fragmentation_milli=sum(s.fragmentation_milli for s in scores),
    )


def machine_group_summaries(
    scores: Iterable[NodeFragmentation], sizes: Sequence[int] = PLACEMENT_SIZES
) -> list[FragmentationSummary]:
    """One summary per Machine Group, sorted by group name."""
    groups: dict[str, list[NodeFragmentation]] = defaultdict(list)
    for score in scores:
        groups[score.machine_group].append(score)
    return [summarize(groups[name], name, sizes) for name in sorted(groups)]


def cluster_summary(
    scores: Sequence[NodeFragmentation], sizes: Sequence[int] = PLACEMENT_SIZES
) -> FragmentationSummary:
    return summarize(scores, CLUSTER_SCOPE, sizes)
