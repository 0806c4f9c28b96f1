"""Placement: charge pods on nodes (known GPU indexes first, then whole GPUs, then shared GPUs best fit), and the
mutable node state the defragmentation planner moves pods with."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from gpu_reclaim.scoring.fragmentation.model import WHOLE_GPU_MILLI, GpuNode, NodeCapacity, PodRequest, model_allowed


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
    # per MIG GPU index, its instances no pod holds, by profile
    mig_free: dict[int, Counter[str]] = field(default_factory=dict)

    @classmethod
    def empty(cls, capacity: NodeCapacity) -> NodeSlot:
        slot = cls(capacity, [WHOLE_GPU_MILLI] * capacity.gpus, capacity.cpu_milli, capacity.memory_mib)
        slot.mig_free = {i: Counter(capacity.mig_layout(i)) for i in range(capacity.gpus) if capacity.mig_layout(i)}
        return slot

    def gpu_open(self, pod: PodRequest, index: int) -> bool:
        """Whether GPU ``index`` may take ``pod``: a MIG pod only free instances of its profiles on a GPU of its
        own layout; any other pod only a GPU that is not cut into MIG instances."""
        layout = self.capacity.mig_layout(index)
        if pod.mig_profiles is None or not layout:
            return pod.mig_profiles is None and not layout
        return layout == pod.mig_layout and not Counter(pod.mig_profiles) - self.mig_free.get(index, Counter())

    def fit(self, pod: PodRequest, *, best_fit: bool = True) -> tuple[int, ...] | None:
        """The GPUs ``pod`` would take here, or None when GPU, CPU, memory or model does not allow it."""
        if pod.cpu_milli > self.cpu or pod.memory_mib > self.memory:
            return None
        if pod.num_gpu > 0 and not model_allowed(self.capacity.gpu_model, pod.allowed_models):
            return None
        return choose_gpus(self._open_free(pod), pod.num_gpu, pod.milli_per_gpu, best_fit=best_fit)

    def _open_free(self, pod: PodRequest) -> list[int]:
        """The free share of each GPU as ``pod`` sees it: 0 where it may not go; a MIG pod fits wherever a free
        instance of its profiles is (the instances' rounded milli-shares may add up to a little over 1000)."""
        milli = pod.milli_per_gpu if pod.mig_profiles else 0
        return [max(r, milli) if self.gpu_open(pod, i) else 0 for i, r in enumerate(self.free)]

    def indexes_fit(self, pod: PodRequest, indexes: Sequence[int]) -> bool:
        if len(indexes) != pod.num_gpu or len(set(indexes)) != len(indexes):
            return False
        if pod.cpu_milli > self.cpu or pod.memory_mib > self.memory:
            return False
        if pod.num_gpu > 0 and not model_allowed(self.capacity.gpu_model, pod.allowed_models):
            return False
        free = self._open_free(pod)
        return all(0 <= i < len(free) and free[i] >= pod.milli_per_gpu for i in indexes)

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
        for i in indexes if pod.mig_profiles is not None else ():
            if i in self.mig_free:  # a MIG pod whose instances are not known leaves none known free there
                self.mig_free[i] = self.mig_free[i] - Counter(pod.mig_profiles) if pod.mig_profiles else Counter()

    def remove(self, pod: PodRequest) -> None:
        """Give back what ``pod`` holds, less any excess still held beyond capacity by the node's pods."""
        for i in self.pods[pod.name] if pod.mig_profiles else ():
            if i in self.mig_free:
                self.mig_free[i] = (self.mig_free[i] + Counter(pod.mig_profiles)) & Counter(self.capacity.mig_layout(i))
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
