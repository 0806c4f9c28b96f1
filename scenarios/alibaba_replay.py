"""Replay the public Alibaba GPU trace (cluster-trace-gpu-v2023, "openb") into a cluster snapshot.

The nodes come from ``openb_node_list_gpu_node.csv`` (1,213 GPU nodes, 6,212 GPUs) and the pods from
``openb_pod_list_default.csv`` (or a variant of the same columns). Every pod is an arrival; none leaves.

Replay and placement policy
---------------------------
* Pods arrive in ``creation_time`` order (ties: file order). Each arrival adds its GPU request
  (``num_gpu · gpu_milli``) to the *requested* total whether or not it is placed; the replay stops before
  the first arrival once ``requested >= target_share · cluster GPUs`` (default 90%), as in Weng et al.
  (USENIX ATC'23), where the arrived workload is measured against cluster capacity. When the trace runs out
  first, ``reached`` is False.
* A pod can go on a node when the node's model is in the pod's ``gpu_spec`` (``A|B``; empty = any model),
  the node has the pod's CPU and memory free, and ``num_gpu`` GPUs each with at least ``gpu_milli`` free
  (a whole-GPU pod needs wholly free GPUs; a shared pod, ``gpu_milli < 1000``, takes part of one GPU).
  CPU-only pods (``num_gpu = 0``) are placed on GPU nodes too (the node list has only GPU nodes).
* ``first_fit``: the first node in file order that can host the pod; on it, the lowest GPU indexes that
  hold the request.
* ``best_fit``: the node left with the least free GPU share after placing the pod (ties: least free CPU,
  then file order); on it, the GPUs with the least free share that hold the request (ties: lowest index).
  For a CPU-only pod the GPU share is unchanged, so the least free CPU decides.
* A pod that fits nowhere is *unplaced* (the scheduler would keep it Pending) and the replay goes on.

:func:`scenarios.alibaba_series.iter_replay_import_lines` turns a placement into kube-state-metrics series
(CONTRACT.md) as VictoriaMetrics import lines, so that the whole pipeline can run on the trace.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Literal

from gpu_reclaim.scoring.fragmentation import WHOLE_GPU_MILLI, GpuNode, NodeCapacity, NodeSlot, PodRequest

# The trace files ship with the package (CC BY 4.0; licence and attribution in data/alibaba-gpu-v2023/LICENSE.md).
DEFAULT_DATA_DIR = Path(str(resources.files("gpu_reclaim.scenarios.data") / "alibaba-gpu-v2023"))
NODE_FILE = "openb_node_list_gpu_node.csv"
POD_FILE = "openb_pod_list_default.csv"
DEFAULT_TARGET_SHARE = 0.90

Policy = Literal["first_fit", "best_fit"]


@dataclass(frozen=True)
class TracePod:
    """One row of a pod list, as a request (``request.node`` stays None) plus trace fields."""

    request: PodRequest
    qos: str
    creation_time: int


@dataclass(frozen=True)
class ReplayPlacement:
    """The outcome of a replay: placed pods carry ``node`` and ``gpu_indexes``."""

    policy: str
    target_share: float
    nodes: tuple[NodeCapacity, ...]
    placed: tuple[PodRequest, ...]
    unplaced: tuple[PodRequest, ...]
    qos: dict[str, str]
    requested_gpu_milli: int
    reached: bool

    @property
    def total_gpu_milli(self) -> int:
        return sum(n.gpus for n in self.nodes) * WHOLE_GPU_MILLI

    @property
    def requested_share(self) -> float:
        return self.requested_gpu_milli / self.total_gpu_milli if self.total_gpu_milli else 0.0

    @property
    def allocated_share(self) -> float:
        allocated = sum(p.total_gpu_milli for p in self.placed)
        return allocated / self.total_gpu_milli if self.total_gpu_milli else 0.0

    def node_states(self) -> list[GpuNode]:
        """Free state of every node (file order) after the replay."""
        slots = {n.name: NodeSlot.empty(n) for n in self.nodes}
        for pod in self.placed:
            if pod.node is not None:
                slots[pod.node].place(pod, pod.gpu_indexes or ())
        return [slot.snapshot() for slot in slots.values()]


def _allowed(spec: str) -> frozenset[str] | None:
    models = frozenset(part.strip() for part in spec.split("|") if part.strip())
    return models or None


def load_nodes(path: Path) -> list[NodeCapacity]:
    """GPU nodes of the trace; the Machine Group is the GPU model (one Machine Profile per model)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            NodeCapacity(
                name=row["sn"],
                machine_group=row["model"],
                gpu_model=row["model"],
                gpus=int(row["gpu"]),
                cpu_milli=int(row["cpu_milli"]),
                memory_mib=int(row["memory_mib"]),
            )
            for row in csv.DictReader(handle)
        ]


def load_pods(path: Path) -> list[TracePod]:
    """Pods of a trace pod list in arrival order (``creation_time``, then file order)."""
    rows: list[TracePod] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            num_gpu = int(row["num_gpu"])
            request = PodRequest(
                name=row["name"],
                cpu_milli=int(row["cpu_milli"]),
                memory_mib=int(row["memory_mib"]),
                num_gpu=num_gpu,
                gpu_milli=int(row["gpu_milli"]) if num_gpu > 0 else WHOLE_GPU_MILLI,
                allowed_models=_allowed(row.get("gpu_spec") or ""),
            )
            rows.append(TracePod(request, row.get("qos") or "", int(row.get("creation_time") or 0)))
    order = sorted(range(len(rows)), key=lambda i: (rows[i].creation_time, i))
    return [rows[i] for i in order]


def _choose(slots: Sequence[NodeSlot], pod: PodRequest, policy: Policy) -> tuple[NodeSlot, tuple[int, ...]] | None:
    if policy == "first_fit":
        for slot in slots:
            indexes = slot.fit(pod, best_fit=False)
            if indexes is not None:
                return slot, indexes
        return None
    # Best fit: rank by what would be left, then check the real fit in that order.
    need = pod.total_gpu_milli
    ranked: list[tuple[int, int, int]] = []
    for position, slot in enumerate(slots):
        if pod.cpu_milli <= slot.cpu and pod.memory_mib <= slot.memory:
            left = sum(slot.free) - need
            if left >= 0:
                ranked.append((left, slot.cpu - pod.cpu_milli, position))
    ranked.sort()
    for _, _, position in ranked:
        indexes = slots[position].fit(pod, best_fit=True)
        if indexes is not None:
            return slots[position], indexes
    return None


def replay(
    data_dir: Path = DEFAULT_DATA_DIR,
    *,
    policy: Policy = "best_fit",
    target_share: float = DEFAULT_TARGET_SHARE,
    pod_file: str = POD_FILE,
    node_file: str = NODE_FILE,
) -> ReplayPlacement:
    """Place the trace's pods by ``policy`` until ``target_share`` of the cluster's GPUs is requested."""
    if policy not in ("first_fit", "best_fit"):
        raise ValueError(f"unknown placement policy {policy!r} (first_fit or best_fit)")
    if not 0 < target_share <= 1:
        raise ValueError(f"target_share must be in (0, 1], got {target_share}")
    for name in (node_file, pod_file):
        if not (data_dir / name).is_file():
            raise FileNotFoundError(f"{data_dir / name}: the Alibaba trace file is missing")
    nodes = load_nodes(data_dir / node_file)
    slots = [NodeSlot.empty(n) for n in nodes]
    target = target_share * sum(n.gpus for n in nodes) * WHOLE_GPU_MILLI
    requested = 0
    placed: list[PodRequest] = []
    unplaced: list[PodRequest] = []
    qos: dict[str, str] = {}
    for trace_pod in load_pods(data_dir / pod_file):
        if requested >= target:
            break
        pod = trace_pod.request
        qos[pod.name] = trace_pod.qos
        requested += pod.total_gpu_milli
        allowed = pod.allowed_models
        # A model-constrained pod only scans the nodes it may use (file order kept).
        candidates = (
            slots if allowed is None or pod.num_gpu == 0 else [s for s in slots if s.capacity.gpu_model in allowed]
        )
        choice = _choose(candidates, pod, policy)
        if choice is None:
            unplaced.append(pod)
            continue
        slot, indexes = choice
        slot.place(pod, indexes)
        placed.append(replace(pod, node=slot.capacity.name, gpu_indexes=indexes))
    return ReplayPlacement(
        policy=policy,
        target_share=target_share,
        nodes=tuple(nodes),
        placed=tuple(placed),
        unplaced=tuple(unplaced),
        qos=qos,
        requested_gpu_milli=requested,
        reached=requested >= target,
    )
