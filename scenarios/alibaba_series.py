"""The kube-state-metrics series of an Alibaba trace replay (scenarios/alibaba_replay.py): a placement as
VictoriaMetrics import lines (CONTRACT.md), held constant, so that the whole pipeline can run on the trace."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from gpu_reclaim.core.config import Settings, load_config
from gpu_reclaim.core.victoria import series_json_line
from gpu_reclaim.scoring.fragmentation import PodRequest

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.alibaba_replay import ReplayPlacement

NAMESPACES: tuple[tuple[str, str, str], ...] = (
    # (namespace, workspace, project)
    ("openb-serving", "alibaba-online", "openb-serving"),
    ("openb-batch", "alibaba-offline", "openb-batch"),
    ("openb-research", "alibaba-offline", "openb-research"),
    ("openb-shared", "alibaba-online", "openb-shared"),
)
_UID_NAMESPACE = uuid.UUID("6b3c0f5e-5a1f-4d8e-9c3b-7f0d2a1e9b40")
_MIB = 1 << 20


def pod_uid(name: str) -> str:
    """A stable uid per trace pod name."""
    return str(uuid.uuid5(_UID_NAMESPACE, name))


def namespace_of(name: str) -> str:
    """Pods are spread over :data:`NAMESPACES` by a stable hash of their name."""
    return NAMESPACES[uuid.uuid5(_UID_NAMESPACE, "ns/" + name).int % len(NAMESPACES)][0]


def _owner(pod: PodRequest, qos: str) -> tuple[str, str]:
    """Latency-sensitive pods belong to a ReplicaSet, best-effort ones to a Job; one workload a pod."""
    return ("ReplicaSet", f"{pod.name}-rs") if qos in {"LS", "Guaranteed"} else ("Job", f"{pod.name}-job")


def iter_replay_import_lines(
    placement: ReplayPlacement,
    at: datetime,
    steps: int,
    step_seconds: int,
    *,
    settings: Settings | None = None,
) -> Iterator[bytes]:
    """VictoriaMetrics import lines of the placement's kube-state-metrics series, held constant.

    Samples are at ``at + i · step_seconds`` for ``i`` in ``0..steps-1``. Metric names and label keys come
    from ``settings`` (default config). Series: node allocatable (GPUs, cores, bytes) and labels (Machine
    Group and GPU product = the trace model); per placed pod its requests (whole GPUs as the GPU resource,
    shared ones as the GPU-milli resource, cores, bytes), the GPU-index annotation of shared pods, its phase
    (Running = 1, every other phase 0), its owner; and the labels of the namespaces the pods are spread over.
    Unplaced pods are not exported.
    """
    if steps < 1 or step_seconds < 1:
        raise ValueError("steps and step_seconds must be positive")
    cfg = settings or load_config(None)
    metrics, keys = cfg.metrics, cfg.labels
    start_ms = int(at.timestamp() * 1000)
    stamps = [start_ms + i * step_seconds * 1000 for i in range(steps)]
    job = {"job": "kube-state-metrics"}

    def line(name: str, labels: dict[str, str], value: float) -> bytes:
        return series_json_line({"__name__": name, **job, **labels}, [value] * steps, stamps)

    for node in placement.nodes:
        for resource, unit, value in (
            (keys.gpu_resource, "integer", float(node.gpus)),
            ("cpu", "core", node.cpu_milli / 1000),
            ("memory", "byte", float(node.memory_mib * _MIB)),
        ):
            labels = {"node": node.name, "resource": resource, "unit": unit}
            yield line(metrics.node_allocatable, labels, value)
        node_labels = {
            "node": node.name,
            keys.machine_group: node.machine_group,
            keys.gpu_product: node.gpu_model,
        }
        yield line(metrics.node_labels, node_labels, 1.0)

    for namespace, workspace, project in NAMESPACES:
        ns_labels = {"namespace": namespace, keys.workspace: workspace, keys.project: project}
        yield line(metrics.namespace_labels, ns_labels, 1.0)

    for pod in placement.placed:
        namespace = namespace_of(pod.name)
        ident = {"namespace": namespace, "pod": pod.name, "uid": pod_uid(pod.name)}
        container = {**ident, "container": "main", "node": pod.node or ""}
        requests: list[tuple[str, str, float]] = [
            ("cpu", "core", pod.cpu_milli / 1000),
            ("memory", "byte", float(pod.memory_mib * _MIB)),
        ]
        if pod.shared:
            requests.append((keys.gpu_milli_resource, "integer", float(pod.gpu_milli)))
        elif pod.num_gpu > 0:
            requests.append((keys.gpu_resource, "integer", float(pod.num_gpu)))
        for resource, unit, value in requests:
            yield line(metrics.pod_resource_requests, {**container, "resource": resource, "unit": unit}, value)
        if pod.shared and pod.gpu_indexes:
            annotation = keys.gpu_share_index_annotation
            yield line(metrics.pod_annotations, {**ident, annotation: str(pod.gpu_indexes[0])}, 1.0)
        for phase in ("Pending", "Running", "Succeeded", "Failed", "Unknown"):
            yield line(metrics.pod_status_phase, {**ident, "phase": phase}, 1.0 if phase == "Running" else 0.0)
        kind, owner = _owner(pod, placement.qos.get(pod.name, ""))
        owner_labels = {**ident, "owner_kind": kind, "owner_name": owner, "owner_is_controller": "true"}
        yield line(metrics.pod_owner, owner_labels, 1.0)
