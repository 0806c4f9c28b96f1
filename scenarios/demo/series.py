"""VictoriaMetrics `/api/v1/import` lines shaped as dcgm-exporter and kube-state-metrics write them."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from gpu_reclaim.scenarios.demo import owners as demo_owners
from gpu_reclaim.scenarios.demo.east import east_series, tag_west
from gpu_reclaim.scenarios.demo.model import DemoCluster, Namespace, Pod, name_suffix
from gpu_reclaim.scenarios.demo.scenario import PCI_BUSES, PHASE_SUCCEEDED, PHASES, BoolArray, DemoScenario, FloatArray
from gpu_reclaim.scenarios.demo.shared_gpus import shared_gpu_series
from gpu_reclaim.scenarios.demo.signals import gpu_values


class _Writer:
    """Formats import lines; caches the timestamp arrays, which many series share."""

    def __init__(self, scenario: DemoScenario) -> None:
        self.scenario = scenario
        self.base_ms = int(scenario.start.timestamp() * 1000)
        self._ts_cache: dict[tuple[int, int, int], bytes] = {}
        self._const_cache: dict[tuple[str, int], bytes] = {}

    def timestamps(self, offset_s: int, a: int, b: int) -> bytes:
        key = (offset_s, a, b)
        cached = self._ts_cache.get(key)
        if cached is None:
            step_ms = self.scenario.step_seconds * 1000
            ts = self.base_ms + offset_s * 1000 + np.arange(a, b, dtype=np.int64) * step_ms
            cached = ",".join(map(str, ts.tolist())).encode()
            if len(self._ts_cache) > 50_000:
                self._ts_cache.clear()
            self._ts_cache[key] = cached
        return cached

    def constant(self, value: str, count: int) -> bytes:
        key = (value, count)
        cached = self._const_cache.get(key)
        if cached is None:
            cached = ",".join([value] * count).encode()
            self._const_cache[key] = cached
        return cached

    def day_chunks(self, a: int, b: int) -> Iterator[tuple[int, int]]:
        per_day = self.scenario.steps_per_day
        while a < b:
            end = min(b, (a // per_day + 1) * per_day)
            yield a, end
            a = end


def _line(labels: bytes, values: bytes, timestamps: bytes) -> bytes:
    return b'{"metric":' + labels + b',"values":[' + values + b'],"timestamps":[' + timestamps + b"]}"


def _labels(labels: dict[str, str]) -> bytes:
    return json.dumps(labels, separators=(",", ":"), ensure_ascii=False).encode()


def _format_floats(values: FloatArray) -> bytes:
    return ",".join(map(repr, values.tolist())).encode()


def _runs(key: npt.NDArray[np.int32], present: BoolArray) -> Iterator[tuple[int, int, int]]:
    """Contiguous runs (a, b, key) of equal key where present."""
    marked = np.where(present, key, -2)
    edges = np.flatnonzero(np.diff(marked)) + 1
    bounds = np.concatenate(([0], edges, [len(marked)]))
    for a, b in itertools.pairwise(bounds):
        if marked[a] != -2:
            yield int(a), int(b), int(marked[a])


def iter_series(cluster: DemoCluster) -> Iterator[tuple[bytes, bytes, int]]:
    """(line, its label object as JSON, samples in the line)."""
    sc = cluster.scenario
    writer = _Writer(sc)
    # the main cluster (with its MIG and time-sliced GPUs, scenarios/demo/shared_gpus.py) is cluster="demo-west"
    west = itertools.chain(_dcgm_lines(cluster, writer), _ksm_lines(cluster, writer), shared_gpu_series(sc))
    for line, labels_json, samples in west:
        yield (*tag_west(line, labels_json), samples)
    yield from east_series(sc)  # the second cluster, demo-east


def _dcgm_lines(cluster: DemoCluster, writer: _Writer) -> Iterator[tuple[bytes, bytes, int]]:
    sc = cluster.scenario
    offset = sc.dcgm_offset_seconds
    for node in cluster.nodes:
        group = node.group
        for index in range(node.gpus):
            values = gpu_values(cluster, node, index)
            held = cluster.holders.get((node.name, index), [])
            base = {
                group.host_label: node.name,
                "gpu": str(index),
                "UUID": node.gpu_uuid(index),
                "modelName": group.model_name,
                "device": f"nvidia{index}",
                "pci_bus_id": f"00000000:{PCI_BUSES[index % 8]:02X}:00.0",
                "DCGM_FI_DRIVER_VERSION": "550.90.07",
            }
            if group.pod_label_prefix:
                base["job"] = "dcgm-exporter"
                base["instance"] = f"{node.name}:9400"
                if sc.scrape_target_labels:
                    base["namespace"] = "gpu-operator"
                    base["pod"] = f"nvidia-dcgm-exporter-{name_suffix(node.name)}"
                    base["container"] = "nvidia-dcgm-exporter"
            for a, b, k in _runs(values.holder, values.present):
                labels = dict(base)
                if k >= 0:
                    pod = held[k]
                    prefix = group.pod_label_prefix
                    labels[prefix + "namespace"] = pod.namespace
                    labels[prefix + "pod"] = pod.name
                    labels[prefix + "container"] = pod.workload.container
                for metric, series in values.metrics.items():
                    label_bytes = _labels({"__name__": metric, **labels})
                    for c0, c1 in writer.day_chunks(a, b):
                        line = _line(label_bytes, _format_floats(series[c0:c1]), writer.timestamps(offset, c0, c1))
                        yield line, label_bytes, c1 - c0


def _constant_series(
    writer: _Writer, labels: dict[str, str], a: int, b: int, value: str = "1"
) -> Iterator[tuple[bytes, bytes, int]]:
    label_bytes = _labels(labels)
    offset = writer.scenario.ksm_offset_seconds
    for c0, c1 in writer.day_chunks(a, b):
        line = _line(label_bytes, writer.constant(value, c1 - c0), writer.timestamps(offset, c0, c1))
        yield line, label_bytes, c1 - c0


def _array_series(
    writer: _Writer, labels: dict[str, str], a: int, values: npt.NDArray[Any]
) -> Iterator[tuple[bytes, bytes, int]]:
    label_bytes = _labels(labels)
    offset = writer.scenario.ksm_offset_seconds
    for c0, c1 in writer.day_chunks(a, a + len(values)):
        text = ",".join(map(str, values[c0 - a : c1 - a].tolist())).encode()
        yield _line(label_bytes, text, writer.timestamps(offset, c0, c1)), label_bytes, c1 - c0


def quota_used(cluster: DemoCluster, namespace: str) -> npt.NDArray[np.int64]:
    used = np.zeros(cluster.scenario.n_steps, dtype=np.int64)
    for pod in cluster.pods:
        if pod.namespace == namespace:
            codes = pod.phase_codes()
            used[pod.exist_start : pod.exist_end] += np.where(codes != PHASE_SUCCEEDED, pod.gpus, 0)
    return used


def quota_hard(cluster: DemoCluster, namespace: Namespace) -> int | None:
    """A Project's GPU quota: its declared hard (times the scale), or its peak use when declared 0 (tight)."""
    if namespace.quota_hard is None:
        return None
    peak = int(quota_used(cluster, namespace.name).max())
    return max(peak, namespace.quota_hard * cluster.scenario.scale)


def _ksm_lines(cluster: DemoCluster, writer: _Writer) -> Iterator[tuple[bytes, bytes, int]]:
    sc = cluster.scenario
    n = sc.n_steps
    for node in cluster.nodes:
        group = node.group
        yield from _constant_series(
            writer,
            {
                "__name__": "kube_node_labels",
                "node": node.name,
                "label_machine_group": group.name,
                "label_nvidia_com_gpu_product": group.gpu_product,
                "label_kubernetes_io_hostname": node.name,
            },
            0,
            n,
        )
        for resource, unit, value in (
            ("nvidia_com_gpu", "integer", str(node.gpus)),
            ("cpu", "core", str(group.cpu_cores)),
            ("memory", "byte", str(group.memory_bytes)),
        ):
            labels = {
                "__name__": "kube_node_status_allocatable",
                "node": node.name,
                "resource": resource,
                "unit": unit,
            }
            yield from _constant_series(writer, labels, 0, n, value)
    for ns in cluster.namespaces:
        labels = {"__name__": "kube_namespace_labels", "namespace": ns.name}
        if ns.workspace:
            labels["label_workspace"] = ns.workspace
        if ns.project:
            labels["label_project"] = ns.project
        labels.update(demo_owners.NAMESPACE_LABELS.get(ns.name, {}))
        yield from _constant_series(writer, labels, 0, n)
        hard = quota_hard(cluster, ns)
        if hard is not None:
            quota = {
                "namespace": ns.name,
                "resourcequota": "gpu-quota",
                "resource": "requests.nvidia.com/gpu",
            }
            yield from _constant_series(
                writer, {"__name__": "kube_resourcequota", **quota, "type": "hard"}, 0, n, str(hard)
            )
            yield from _array_series(
                writer,
                {"__name__": "kube_resourcequota", **quota, "type": "used"},
                0,
                quota_used(cluster, ns.name),
            )
    for pod in cluster.pods:
        yield from _pod_lines(pod, writer)


def _pod_lines(pod: Pod, writer: _Writer) -> Iterator[tuple[bytes, bytes, int]]:
    a, b = pod.exist_start, pod.exist_end
    ident = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
    wl = pod.workload
    containers: list[tuple[str, list[tuple[str, str, str]]]] = [
        (
            wl.container,
            [
                ("nvidia_com_gpu", "integer", str(pod.gpus)),
                ("cpu", "core", repr(pod.cpu_cores)),
                ("memory", "byte", str(pod.memory_bytes)),
            ],
        )
    ]
    if pod.sidecar:
        containers.append(("istio-proxy", [("cpu", "core", "0.5"), ("memory", "byte", str(256 * 1024**2))]))
    for container, requests in containers:
        for resource, unit, value in requests:
            labels = {"__name__": "kube_pod_container_resource_requests", **ident, "container": container}
            if pod.node is not None:
                labels["node"] = pod.node.name
            labels.update({"resource": resource, "unit": unit})
            yield from _constant_series(writer, labels, a, b, value)
    codes = pod.phase_codes()
    for code, phase in enumerate(PHASES):
        values = (codes == code).astype(np.int8)
        yield from _array_series(writer, {"__name__": "kube_pod_status_phase", **ident, "phase": phase}, a, values)
    if wl.kind is not None:
        owner = {"owner_kind": wl.kind, "owner_name": wl.name, "owner_is_controller": "true"}
        yield from _constant_series(writer, {"__name__": "kube_pod_owner", **ident, **owner}, a, b)
    pod_labels: dict[str, str] = {"__name__": "kube_pod_labels", **ident}
    for key, label_value in (
        ("label_provisioning_type", wl.provisioning_type),
        ("label_category", wl.category),
        ("label_purpose", wl.purpose),
    ):
        if label_value:
            pod_labels[key] = label_value
    if wl.exempt:
        pod_labels["label_reclaim_exempt"] = "true"
    pod_labels["label_app_kubernetes_io_name"] = wl.name
    pod_labels.update(demo_owners.pod_labels(pod.namespace, wl.ref))
    yield from _constant_series(writer, pod_labels, a, b)
    last_day = writer.scenario.start.date() + timedelta(days=writer.scenario.days - 1)
    annotations = demo_owners.pod_annotations(pod.namespace, wl.ref, last_day)
    if annotations:
        yield from _constant_series(writer, {"__name__": "kube_pod_annotations", **ident, **annotations}, a, b)


def iter_import_lines(cluster: DemoCluster) -> Iterator[bytes]:
    """VictoriaMetrics /api/v1/import JSON lines, at most one day of points each."""
    for line, _labels_json, _samples in iter_series(cluster):
        yield line
