"""Unmet demand: would each Pending GPU pod fit now, and would it if its Machine Group's free GPUs were packed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from gpu_reclaim.scoring.fragmentation.model import UNPLACED, GpuNode, NodeCapacity, PodRequest, model_allowed
from gpu_reclaim.scoring.fragmentation.placement import choose_gpus


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


@dataclass(frozen=True)
class PendingGroup:
    """Pending GPU pods of one Machine Group (or 'unplaced'): how many, their GPUs, and how many fit now / if the
    group's free GPUs were consolidated (the difference is demand blocked by fragmentation)."""

    machine_group: str
    pending_pods: int
    pending_gpus: float
    fit_now: int
    fit_if_consolidated: int
    blocked_by_fragmentation: int


def pending_by_group(
    pending: Sequence[PodRequest],
    pod_nodes: Mapping[str, str | None],
    capacities: Sequence[NodeCapacity],
    nodes: Iterable[GpuNode],
) -> list[PendingGroup]:
    """Per Machine Group, sorted by name: the Pending pods and whether they fit.

    A pod bound to a node (``pod_nodes``) is judged in its node's group; an unbound one against every group (it
    fits if any group could take it) and counted under ``UNPLACED``."""
    group_of_node = {capacity.name: capacity.machine_group for capacity in capacities}
    groups = sorted({capacity.machine_group for capacity in capacities})
    free_states = list(nodes)
    fits_by_group: dict[str, list[tuple[PodRequest, bool, bool]]] = defaultdict(list)
    for pod in pending:
        bound = group_of_node.get(pod_nodes.get(pod.name) or "")
        fits = pending_demand({group: [pod] for group in ([bound] if bound else groups)}, free_states)
        now = any(fit.fits_now for fit in fits)
        fits_by_group[bound or UNPLACED].append((pod, now, any(fit.fits_if_consolidated for fit in fits)))
    return [
        PendingGroup(
            machine_group=group,
            pending_pods=len(judged),
            pending_gpus=sum(pod.num_gpu * pod.milli_per_gpu / 1000 for pod, _, _ in judged),
            fit_now=sum(now for _, now, _ in judged),
            fit_if_consolidated=sum(packed for _, _, packed in judged),
            blocked_by_fragmentation=sum(packed and not now for _, now, packed in judged),
        )
        for group, judged in sorted(fits_by_group.items())
    ]
