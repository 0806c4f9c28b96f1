"""The data model of a fragmentation snapshot: what a node offers, what a pod asks, a node's free state, and
the typical pod classes the measure is taken against. GPU capacity is in milli-GPUs (1000 = one GPU)."""

from __future__ import annotations

from dataclasses import dataclass

WHOLE_GPU_MILLI = 1000
PLACEMENT_SIZES: tuple[int, ...] = (1, 2, 4, 8)
CLUSTER_SCOPE = "cluster"
UNPLACED = "unplaced"  # the Machine Group of Pending pods bound to no node


@dataclass(frozen=True)
class NodeCapacity:
    """What a node offers when empty (allocatable)."""

    name: str
    machine_group: str
    gpu_model: str
    gpus: int
    cpu_milli: int
    memory_mib: int
    # per GPU index, the sorted profiles of its MIG instances (its layout); () for a whole GPU or an unknown layout
    mig_layouts: tuple[tuple[str, ...], ...] = ()

    def mig_layout(self, index: int) -> tuple[str, ...]:
        """The layout of GPU ``index`` (() when it is a whole GPU or not known)."""
        return self.mig_layouts[index] if 0 <= index < len(self.mig_layouts) else ()


@dataclass(frozen=True)
class PodRequest:
    """A pod's request and, when placed, where it sits.

    ``gpu_milli`` is per GPU (1000 = whole GPU); a share below 1000 is only allowed with ``num_gpu == 1``.
    ``gpu_indexes`` are the GPUs it holds when known (DCGM pod labels, or the GPU-share annotation).
    ``workload`` (``owner_kind/owner_name``) and ``serving`` drive the replica-spread rule of the
    defragmentation plan; ``exempt`` pods never move.
    ``mig_profiles`` is None for a pod that asks for no MIG instance; for a MIG pod, the sorted profiles of the
    instances it holds, all on its one GPU ``gpu_indexes`` whose layout is ``mig_layout`` (``()`` when DCGM does
    not say: such a pod never moves). A MIG pod moves only to free instances of its profiles on a GPU of the same
    layout and model; no other pod lands on a MIG GPU.
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
    mig_profiles: tuple[str, ...] | None = None
    mig_layout: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.num_gpu < 0 or self.cpu_milli < 0 or self.memory_mib < 0:
            raise ValueError(f"pod {self.name}: negative request")
        if self.num_gpu > 0 and not 0 < self.gpu_milli <= WHOLE_GPU_MILLI:
            raise ValueError(f"pod {self.name}: gpu_milli must be in 1..1000, got {self.gpu_milli}")
        if self.num_gpu > 1 and self.gpu_milli != WHOLE_GPU_MILLI:
            raise ValueError(f"pod {self.name}: a share below one GPU needs num_gpu == 1")

    @property
    def movable(self) -> bool:
        """Not exempt, and a MIG pod only when its instances and its GPU's layout are known (one GPU)."""
        if self.exempt:
            return False
        if self.mig_profiles is None:
            return True
        return bool(self.mig_profiles) and bool(self.mig_layout) and len(self.gpu_indexes or ()) == 1

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


def model_allowed(gpu_model: str, allowed_models: frozenset[str] | None) -> bool:
    return allowed_models is None or gpu_model in allowed_models
