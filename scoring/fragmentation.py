"""GPU fragmentation of a cluster snapshot: pure, typed scoring functions (no I/O, no Dagster).

The measure follows Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation
Gradient Descent" (USENIX ATC'23). GPU capacity is counted in *milli-GPUs* (1000 = one whole GPU).

* A node ``n`` has, per GPU ``g``, a free share ``r_g`` in 0..1000; ``R_n = Σ r_g``.
* The workload is summarised as *typical pod classes* ``m`` (:func:`typical_pod_classes`): a request shape
  (CPU, per-GPU share ``d_m``, GPU count ``k_m``, allowed GPU models) and its popularity ``p_m`` (Σ p_m = 1).
* ``f(n, m)`` is the free GPU share of ``n`` that class ``m`` cannot use. If ``m`` fits on ``n``
  (``k_m`` GPUs each with ``r_g >= d_m``, enough free CPU, and memory when the class carries it, the node's
  model allowed) it is ``Σ_{g: r_g < d_m} r_g``; otherwise every free share is lost to ``m``:
  ``f(n, m) = R_n``. A CPU-only class (``d_m = 0``) that fits gives 0, one that does not fit (no CPU left)
  strands all of ``R_n``.
* ``F_n = Σ_m p_m · f(n, m)`` (milli-GPUs). The fragmentation *amount* of a set of nodes is ``Σ F_n / 1000``
  GPUs and its *ratio* is ``100 · Σ F_n / Σ R_n`` percent (0 when nothing is free).

Node free state is built from allocations by :func:`assign_pods`: whole-GPU pods take whole GPUs (their
known indexes, else the lowest fully free indexes); a shared pod (1 GPU, ``gpu_milli < 1000``) takes its
share on the GPU its annotation names, else on the GPU with the least free share that still holds it
(best fit).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

WHOLE_GPU_MILLI = 1000
PLACEMENT_SIZES: tuple[int, ...] = (1, 2, 4, 8)
CLUSTER_SCOPE = "cluster"


# -- data model ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NodeCapacity:
    """What a node offers when empty (allocatable)."""

    name: str
    machine_group: str
    gpu_model: str
    gpus: int
    cpu_milli: int
    memory_mib: int


@dataclass(frozen=True)
class PodRequest:
    """A pod's request and, when placed, where it sits.

    ``gpu_milli`` is per GPU (1000 = whole GPU); a share below 1000 is only allowed with ``num_gpu == 1``.
    ``gpu_indexes`` are the GPUs it holds when known (DCGM pod labels, or the GPU-share annotation).
    ``workload`` (``owner_kind/owner_name``) and ``serving`` drive the replica-spread rule of the
    defragmentation plan; ``exempt`` pods never move.
    """

    name: str
    cpu_milli: int = 0
    memory_mib: int = 0
    num_gpu: int = 0
    gpu_milli: int = WHOLE_GPU_MILLI
    allowed_models: frozenset[str] | None = None
    node: str | None = None
    gpu_indexes: tuple[int, ...] | None = None
    workload: str | None = None
    serving: bool = False
    exempt: bool = False

    def __post_init__(self) -> None:
        if self.num_gpu < 0 or self.cpu_milli < 0 or self.memory_mib < 0:
            raise ValueError(f"pod {self.name}: negative request")
        if self.num_gpu > 0 and not 0 < self.gpu_milli <= WHOLE_GPU_MILLI:
            raise ValueError(f"pod {self.name}: gpu_milli must be in 1..1000, got {self.gpu_milli}")
        if self.num_gpu > 1 and self.gpu_milli != WHOLE_GPU_MILLI:
            raise ValueError(f"pod {self.name}: a share below one GPU needs num_gpu == 1")

    @property
    def milli_per_gpu(self) -> int:
        """Per-GPU share, 0 for a CPU-only pod."""
        return self.gpu_milli if self.num_gpu > 0 else 0

    @property
    def shared(self) -> bool:
        return self.num_gpu == 1 and self.gpu_milli < WHOLE_GPU_MILLI

    @property
    def total_gpu_milli(self) -> int:
        return self.num_gpu * self.milli_per_gpu


@dataclass(frozen=True)
class GpuNode:
    """A node's free capacity in one snapshot."""

    name: str
    machine_group: str
    gpu_model: str
    gpu_free_milli: tuple[int, ...]
    cpu_free_milli: int
    memory_free_mib: int

    @property
    def gpus(self) -> int:
        return len(self.gpu_free_milli)

    @property
    def free_whole_gpus(self) -> int:
        return sum(1 for r in self.gpu_free_milli if r >= WHOLE_GPU_MILLI)

    @property
    def free_gpu_milli(self) -> int:
        return sum(self.gpu_free_milli)

    @property
    def fully_free(self) -> bool:
        """Every GPU entirely free (a node without GPUs is never 'fully free')."""
        return self.gpus > 0 and self.free_whole_gpus == self.gpus


@dataclass(frozen=True)
class PodClass:
    """A typical request shape: CPU, per-GPU share d_m, GPU count k_m, allowed models; popularity p_m."""

    cpu_milli: int
    gpu_milli_per_gpu: int
    num_gpu: int
    allowed_models: frozenset[str] | None = None
    popularity: float = 1.0
    memory_mib: int | None = None
    pods: int = 0


# -- placement primitives --------------------------------------------------------------------------


def model_allowed(gpu_model: str, allowed_models: frozenset[str] | None) -> bool:
    return allowed_models is None or gpu_model in allowed_models


def choose_gpus(free: Sequence[int], num_gpu: int, milli: int, *, best_fit: bool = True) -> tuple[int, ...] | None:
    """GPU indexes for ``num_gpu`` GPUs of ``milli`` each, or None when they are not there.

    Best fit takes the GPUs with the least free share that still hold ``milli`` (ties: lowest index), so a
    whole-GPU request takes the lowest fully free indexes; first fit takes the lowest indexes that hold it.
    """
    if num_gpu <= 0:
        return ()
    candidates = [i for i, r in enumerate(free) if r >= milli]
    if len(candidates) < num_gpu:
        return None
    if best_fit:
        candidates.sort(key=lambda i: (free[i], i))
    return tuple(sorted(candidates[:num_gpu]))


@dataclass
class NodeSlot:
    """Mutable free state of one node while pods are placed or moved (internal to scoring and scenarios)."""

    capacity: NodeCapacity
    free: list[int]
    cpu: int
    memory: int
    pods: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # What overcommitted pods hold beyond capacity (per GPU index, CPU, memory): paid back first on removal.
    gpu_excess: dict[int, int] = field(default_factory=dict)
    cpu_excess: int = 0
    memory_excess: int = 0

    @classmethod
    def empty(cls, capacity: NodeCapacity) -> NodeSlot:
        return cls(capacity, [WHOLE_GPU_MILLI] * capacity.gpus, capacity.cpu_milli, capacity.memory_mib)

    def fit(self, pod: PodRequest, *, best_fit: bool = True) -> tuple[int, ...] | None:
        """The GPUs ``pod`` would take here, or None when GPU, CPU, memory or model does not allow it."""
        if pod.cpu_milli > self.cpu or pod.memory_mib > self.memory:
            return None
        if pod.num_gpu > 0 and not model_allowed(self.capacity.gpu_model, pod.allowed_models):
            return None
        return choose_gpus(self.free, pod.num_gpu, pod.milli_per_gpu, best_fit=best_fit)

    def indexes_fit(self, pod: PodRequest, indexes: Sequence[int]) -> bool:
        if len(indexes) != pod.num_gpu or len(set(indexes)) != len(indexes):
            return False
        if pod.cpu_milli > self.cpu or pod.memory_mib > self.memory:
            return False
        if pod.num_gpu > 0 and not model_allowed(self.capacity.gpu_model, pod.allowed_models):
            return False
        return all(0 <= i < len(self.free) and self.free[i] >= pod.milli_per_gpu for i in indexes)

    def place(self, pod: PodRequest, indexes: Sequence[int]) -> None:
        """Charge ``pod`` on ``indexes``; free capacity is clamped at 0 (an inconsistent snapshot is kept) and
        the excess is remembered, so that removing a pod later frees only what is really free."""
        for i in indexes:
            left = self.free[i] - pod.milli_per_gpu
            if left < 0:
                self.gpu_excess[i] = self.gpu_excess.get(i, 0) - left
            self.free[i] = max(0, left)
        self.cpu_excess += max(0, pod.cpu_milli - self.cpu)
        self.cpu = max(0, self.cpu - pod.cpu_milli)
        self.memory_excess += max(0, pod.memory_mib - self.memory)
        self.memory = max(0, self.memory - pod.memory_mib)
        self.pods[pod.name] = tuple(indexes)

    def remove(self, pod: PodRequest) -> None:
        """Give back what ``pod`` holds, less any excess still held beyond capacity by the node's pods."""
        for i in self.pods.pop(pod.name):
            paid = min(self.gpu_excess.get(i, 0), pod.milli_per_gpu)
            if paid:
                self.gpu_excess[i] -= paid
            self.free[i] = min(WHOLE_GPU_MILLI, self.free[i] + pod.milli_per_gpu - paid)
        paid = min(self.cpu_excess, pod.cpu_milli)
        self.cpu_excess -= paid
        self.cpu = min(self.capacity.cpu_milli, self.cpu + pod.cpu_milli - paid)
        paid = min(self.memory_excess, pod.memory_mib)
        self.memory_excess -= paid
        self.memory = min(self.capacity.memory_mib, self.memory + pod.memory_mib - paid)

    @property
    def used_gpu_milli(self) -> int:
        return self.capacity.gpus * WHOLE_GPU_MILLI - sum(self.free)

    def snapshot(self) -> GpuNode:
        return GpuNode(
            name=self.capacity.name,
            machine_group=self.capacity.machine_group,
            gpu_model=self.capacity.gpu_model,
            gpu_free_milli=tuple(self.free),
            cpu_free_milli=self.cpu,
            memory_free_mib=self.memory,
        )


@dataclass(frozen=True)
class Assignment:
    """Node free states after charging every placed pod, and the GPUs each pod holds."""

    nodes: dict[str, GpuNode]
    gpu_indexes: dict[str, tuple[int, ...]]
    unplaced: tuple[str, ...]
    overcommitted: tuple[str, ...]


def assign_slots(
    capacities: Iterable[NodeCapacity], pods: Iterable[PodRequest]
) -> tuple[dict[str, NodeSlot], list[str], list[str]]:
    """Charge pods on their nodes; returns (slots by node, pods without a known node, overcommitted pods).

    Order: pods whose GPU indexes are known first (an index list that does not name ``num_gpu`` distinct
    GPUs of the node counts as unknown), then whole-GPU pods (lowest fully free indexes), then shared pods
    without an index (best fit). A pod that does not fit the capacity its node reports is still
    charged (on its known indexes, else the GPUs with the most free share) and listed as overcommitted.
    """
    slots = {c.name: NodeSlot.empty(c) for c in capacities}
    unplaced: list[str] = []
    overcommitted: list[str] = []
    known: list[PodRequest] = []
    whole: list[PodRequest] = []
    shared: list[PodRequest] = []
    for pod in pods:
        slot = slots.get(pod.node) if pod.node is not None else None
        if slot is None:
            unplaced.append(pod.name)
        elif (
            pod.gpu_indexes is not None
            and len(set(pod.gpu_indexes)) == pod.num_gpu
            and all(0 <= i < slot.capacity.gpus for i in pod.gpu_indexes)
        ):
            known.append(pod)
        elif pod.shared:
            shared.append(pod)
        else:
            whole.append(pod)
    ordered = [(pod, True) for pod in known] + [(pod, False) for pod in [*whole, *shared]]
    for pod, index_known in ordered:
        slot = slots[pod.node or ""]
        indexes: Sequence[int] | None
        if index_known and pod.gpu_indexes is not None:
            indexes = pod.gpu_indexes
            fits = all(slot.free[i] >= pod.milli_per_gpu for i in indexes)
            fits = fits and pod.cpu_milli <= slot.cpu and pod.memory_mib <= slot.memory
        else:
            # The node reported the pod: charge it regardless of its model constraint.
            indexes = choose_gpus(slot.free, pod.num_gpu, pod.milli_per_gpu)
            fits = indexes is not None and pod.cpu_milli <= slot.cpu and pod.memory_mib <= slot.memory
            if indexes is None:
                by_free = sorted(range(len(slot.free)), key=lambda i: (-slot.free[i], i))
                indexes = tuple(sorted(by_free[: pod.num_gpu]))
        if not fits:
            overcommitted.append(pod.name)
        slot.place(pod, indexes)
    return slots, unplaced, overcommitted


def assign_pods(capacities: Iterable[NodeCapacity], pods: Iterable[PodRequest]) -> Assignment:
    """Build every node's free state from the pods placed on it (see :func:`assign_slots`)."""
    slots, unplaced, overcommitted = assign_slots(capacities, pods)
    indexes = {pod: held for slot in slots.values() for pod, held in slot.pods.items()}
    return Assignment(
        nodes={name: slot.snapshot() for name, slot in slots.items()},
        gpu_indexes=indexes,
        unplaced=tuple(unplaced),
        overcommitted=tuple(overcommitted),
    )


def node_states(capacities: Iterable[NodeCapacity], pods: Iterable[PodRequest]) -> list[GpuNode]:
    """Free state of every node, in the order of ``capacities``."""
    return list(assign_pods(capacities, pods).nodes.values())


# -- typical pods ----------------------------------------------------------------------------------


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
    """f(n, m): the free GPU share of ``node`` that ``pod_class`` cannot use, in milli-GPUs."""
    if not class_fits(node, pod_class):
        return node.free_gpu_milli
    return sum(r for r in node.gpu_free_milli if r < pod_class.gpu_milli_per_gpu)


def node_fragmentation_milli(node: GpuNode, classes: Sequence[PodClass]) -> float:
    """F_n = Σ_m p_m · f(n, m), in milli-GPUs."""
    return sum(c.popularity * class_fragmentation_milli(node, c) for c in classes)


def fragmentation_amount_gpus(nodes: Iterable[GpuNode], classes: Sequence[PodClass]) -> float:
    """Σ F_n / 1000: fragmented GPUs."""
    return sum(node_fragmentation_milli(n, classes) for n in nodes) / WHOLE_GPU_MILLI


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


# -- reports ---------------------------------------------------------------------------------------


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


# -- pending demand --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PendingFit:
    pod: str
    machine_group: str
    num_gpu: int
    gpu_milli: int
    fits_now: bool
    fits_if_consolidated: bool

    @property
    def blocked_by_fragmentation(self) -> bool:
        """Enough GPUs are free in the group, only not together."""
        return self.fits_if_consolidated and not self.fits_now


def pending_demand(pending: Mapping[str, Sequence[PodRequest]], nodes: Iterable[GpuNode]) -> list[PendingFit]:
    """For each pending pod (by Machine Group): would it fit now, and if the group's free GPUs were packed?

    Each pod is judged on its own against the current free state. *Now* means one node of the group has the
    GPUs (and CPU, memory, model) it asks for. *Consolidated* packs the group's free whole GPUs ``W`` into
    nodes of the group's size ``S`` (its largest node): a whole-GPU pod of ``k`` GPUs fits when
    ``k <= min(W, S)``,
    a shared pod when ``W >= 1``; CPU and memory are not re-packed (GPU-only), and a pod that fits now also
    fits consolidated.
    """
    by_group: dict[str, list[GpuNode]] = defaultdict(list)
    for node in nodes:
        by_group[node.machine_group].append(node)
    out: list[PendingFit] = []
    for group in sorted(pending):
        members = by_group.get(group, [])
        free_whole = sum(n.free_whole_gpus for n in members)
        size = max((n.gpus for n in members), default=0)
        for pod in pending[group]:
            now = any(
                pod.cpu_milli <= n.cpu_free_milli
                and pod.memory_mib <= n.memory_free_mib
                and (pod.num_gpu == 0 or model_allowed(n.gpu_model, pod.allowed_models))
                and choose_gpus(n.gpu_free_milli, pod.num_gpu, pod.milli_per_gpu) is not None
                for n in members
            )
            packed = free_whole >= 1 if pod.shared else pod.num_gpu <= min(free_whole, size)
            out.append(
                PendingFit(
                    pod=pod.name,
                    machine_group=group,
                    num_gpu=pod.num_gpu,
                    gpu_milli=pod.milli_per_gpu,
                    fits_now=now,
                    fits_if_consolidated=now or packed,
                )
            )
    return out


# -- from and to the DuckDB tables --------------------------------------------------------------------------

_MIB = 1 << 20


def capacities_from_rows(nodes: Iterable[Mapping[str, Any]]) -> list[NodeCapacity]:
    """``NodeCapacity`` from rows of the ``nodes`` table (one day); nodes without GPUs are kept (0 GPUs)."""
    return [
        NodeCapacity(
            name=str(row["node"]),
            machine_group=str(row["machine_group"]),
            gpu_model=str(row["gpu_model"]),
            gpus=round(float(row["gpu_allocatable"] or 0)),
            cpu_milli=round(float(row["cpu_cores_allocatable"] or 0) * 1000),
            memory_mib=int(float(row["memory_bytes_allocatable"] or 0) // _MIB),
        )
        for row in nodes
    ]


def pods_from_rows(
    pod_steps: Iterable[Mapping[str, Any]],
    pods: Iterable[Mapping[str, Any]] = (),
    *,
    serving_categories: Collection[str] = ("serving",),
) -> list[PodRequest]:
    """``PodRequest`` from rows of ``pod_steps`` (one ``ts``) joined by ``uid`` to rows of ``pods``.

    The pod name is ``namespace/pod``. Only Running pods keep their node; other phases (Pending) get
    ``node=None``, which is what :func:`pending_demand` takes. Shared pods (``gpu_milli_requested > 0``
    and no whole GPU) get one GPU of that share and the index of their annotation (``gpu_share_index``);
    the workload is ``owner_kind/owner_name`` and ``serving`` follows the pod's category.
    """
    meta = {str(row["uid"]): row for row in pods}
    out: list[PodRequest] = []
    for row in pod_steps:
        info = meta.get(str(row["uid"]), {})
        milli = float(row["gpu_milli_requested"] or 0)
        whole = round(float(row["gpus_requested"] or 0) - milli / WHOLE_GPU_MILLI)
        shared = milli > 0 and whole == 0
        index = info.get("gpu_share_index")
        indexes = (int(index),) if shared and index is not None and str(index).strip().isdigit() else None
        owner = f"{info['owner_kind']}/{info['owner_name']}" if info.get("owner_kind") else None
        out.append(
            PodRequest(
                name=f"{row['namespace']}/{row['pod']}",
                cpu_milli=round(float(row["cpu_cores_requested"] or 0) * 1000),
                memory_mib=-int(-float(row["memory_bytes_requested"] or 0) // _MIB),
                num_gpu=1 if shared else max(whole, 0),
                gpu_milli=min(WHOLE_GPU_MILLI, max(1, round(milli))) if shared else WHOLE_GPU_MILLI,
                node=str(row["node"]) if row["phase"] == "Running" and row["node"] else None,
                gpu_indexes=indexes,
                workload=owner,
                serving=str(info.get("category", "")) in serving_categories,
                exempt=bool(info.get("reclaim_exempt", False)),
            )
        )
    return out


def node_fragmentation_rows(
    scores: Iterable[NodeFragmentation], day: date, snapshot_ts: datetime
) -> list[dict[str, Any]]:
    """Rows of ``node_fragmentation`` (sql/migrations/0001_baseline_v0_1_0.sql)."""
    return [
        {
            "day": day,
            "snapshot_ts": snapshot_ts,
            "node": s.node,
            "machine_group": s.machine_group,
            "gpu_model": s.gpu_model,
            "gpus": s.gpus,
            "free_whole_gpus": s.free_whole_gpus,
            "free_gpu_share": s.free_gpu_milli / WHOLE_GPU_MILLI,
            "cpu_free_cores": s.cpu_free_milli / 1000,
            "memory_free_bytes": float(s.memory_free_mib * _MIB),
            "fully_free": s.fully_free,
            "stranded_gpus": s.stranded_gpus,
            "stranded_gpu_share": s.stranded_gpu_milli / WHOLE_GPU_MILLI,
            "fragmentation_gpus": s.fragmentation_milli / WHOLE_GPU_MILLI,
            "fragmentation_ratio": s.fragmentation_ratio,
        }
        for s in scores
    ]


def summary_row(summary: FragmentationSummary, day: date, snapshot_ts: datetime) -> dict[str, Any]:
    """A row of ``machine_group_fragmentation``, or of ``cluster_fragmentation`` once ``machine_group``
    is dropped (the cluster summary's scope is ``"cluster"``)."""
    row: dict[str, Any] = {
        "day": day,
        "snapshot_ts": snapshot_ts,
        "machine_group": summary.scope,
        "gpu_model": summary.gpu_model,
        "nodes": summary.nodes,
        "gpus": summary.gpus,
        "free_whole_gpus": summary.free_whole_gpus,
        "free_gpu_share": summary.free_gpu_milli / WHOLE_GPU_MILLI,
        "fully_free_nodes": summary.fully_free_nodes,
        "stranded_gpus": summary.stranded_gpus,
    }
    for size in PLACEMENT_SIZES:
        row[f"placeable_{size}gpu"] = summary.placeable.get(size, 0)
    row["fragmentation_gpus"] = summary.fragmentation_gpus
    row["fragmentation_ratio"] = summary.fragmentation_ratio
    return row


def typical_pod_class_rows(classes: Sequence[PodClass], day: date, snapshot_ts: datetime) -> list[dict[str, Any]]:
    """Rows of ``typical_pod_classes``."""
    return [
        {
            "day": day,
            "snapshot_ts": snapshot_ts,
            "class_rank": rank,
            "num_gpu": c.num_gpu,
            "gpu_share_per_gpu": c.gpu_milli_per_gpu / WHOLE_GPU_MILLI,
            "cpu_cores": c.cpu_milli / 1000,
            "memory_mib": c.memory_mib,
            "allowed_models": "|".join(sorted(c.allowed_models)) if c.allowed_models is not None else None,
            "pods": c.pods,
            "popularity": c.popularity,
        }
        for rank, c in enumerate(classes, 1)
    ]
