"""The demo's partitioned and shared GPUs as import lines: DCGM and kube-state-metrics series of the nodes, devices and
pods of scenarios/demo/shared_gpus_layout.py (their truth: shared_gpus_truth.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
from gpu_reclaim.scenarios.demo.shared_gpus_layout import (
    DEVICES,
    L4_FB_MIB,
    L4_MODEL,
    MIG_MODEL,
    NAMESPACES,
    NODES,
    PODS,
    Device,
    FloatArray,
    activity,
    gpu_uuid,
    is_shared_gpu_series,
)
from gpu_reclaim.scenarios.demo.shared_gpus_truth import add_shared_gpu_truth
from gpu_reclaim.scenarios.demo.signals import profiling_metrics

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.scenario import DemoScenario

__all__ = ["add_shared_gpu_truth", "is_shared_gpu_series", "shared_gpu_series"]


# -- series --------------------------------------------------------------------------------------------------


def _lines(
    scenario: DemoScenario, labels: dict[str, str], values: FloatArray, first: int, offset_s: int
) -> Iterator[tuple[bytes, bytes, int]]:
    """Import lines of `values` (steps first, first + 1, ...), at most one day of points each."""
    label_bytes = json.dumps(labels, separators=(",", ":")).encode()
    per_day = scenario.steps_per_day
    base_ms = int(scenario.start.timestamp() * 1000) + offset_s * 1000
    step_ms = scenario.step_seconds * 1000
    a, b = first, first + len(values)
    while a < b:
        end = min(b, (a // per_day + 1) * per_day)
        stamps = ",".join(str(base_ms + step * step_ms) for step in range(a, end)).encode()
        text = ",".join(repr(float(v)) for v in values[a - first : end - first]).encode()
        line = b'{"metric":' + label_bytes + b',"values":[' + text + b'],"timestamps":[' + stamps + b"]}"
        yield line, label_bytes, end - a
        a = end


def _device_series(scenario: DemoScenario, device: Device) -> Iterator[tuple[bytes, bytes, int]]:
    act = activity(scenario, device)
    offset = scenario.dcgm_offset_seconds
    base = {"Hostname": device.node, "gpu": str(device.gpu), "UUID": gpu_uuid(device.node, device.gpu),
            "device": f"nvidia{device.gpu}", "DCGM_FI_DRIVER_VERSION": "550.90.07"}  # fmt: skip
    if device.instance is not None:
        base.update(modelName=MIG_MODEL, GPU_I_ID=device.instance, GPU_I_PROFILE=str(device.profile))
        g = int(str(device.profile).split("g.")[0])
        fb_total = 10240 * g if g < 7 else 81920
    else:
        base["modelName"] = L4_MODEL
        fb_total = L4_FB_MIB
    fb_used = np.rint(np.where(act > 0, 0.08 if device.behaviour == "fits_1g" else 0.6, 0.05) * fb_total)
    metrics = profiling_metrics(act, fb_used, fb_total)
    if device.instance is None:  # GPU_UTIL and power exist for a whole GPU, not for a MIG instance
        metrics["DCGM_FI_DEV_GPU_UTIL"] = np.round(np.minimum(act * 105.0, np.float64(100.0)), 1).astype(np.float64)
        metrics["DCGM_FI_DEV_POWER_USAGE"] = np.round(16.0 + 56.0 * act, 1)
    copies: list[tuple[dict[str, str], int]]
    if not device.holders:
        copies = [({}, 0)]
    elif device.node == "shared-l4-ts-0":  # KUBERNETES_VIRTUAL_GPUS: one copy per holding pod, from its start
        copies = [
            ({"vgpu": str(k), "namespace": p.namespace, "pod": p.name, "container": "main"}, p.first_step(scenario))
            for k, p in enumerate(device.holders)
        ]
    else:  # one holder named per GPU (for time-slicing: the first pod)
        pod = device.holders[0]
        copies = [({"namespace": pod.namespace, "pod": pod.name, "container": "main"}, pod.first_step(scenario))]
    for extra, start in copies:
        for metric, values in metrics.items():
            yield from _lines(scenario, {"__name__": metric, **base, **extra}, values[start:], start, offset)


def _constant(scenario: DemoScenario, labels: dict[str, str], value: float, a: int = 0) -> Iterator[Any]:
    values = np.full(scenario.n_steps - a, value)
    yield from _lines(scenario, labels, values, a, scenario.ksm_offset_seconds)


def shared_gpu_series(scenario: DemoScenario) -> Iterator[tuple[bytes, bytes, int]]:
    """(import line, its labels as JSON, samples) of every shared-GPU series: DCGM and kube-state-metrics."""
    for device in DEVICES:
        yield from _device_series(scenario, device)
    for node, group, product, labels, allocatable in NODES:
        node_labels = {"__name__": "kube_node_labels", "node": node, "label_machine_group": group,
                       "label_nvidia_com_gpu_product": product, **labels}  # fmt: skip
        yield from _constant(scenario, node_labels, 1.0)
        capacity: dict[str, float] = {**allocatable, "cpu": 48.0, "memory": 384.0 * 1024**3}
        for resource, value in capacity.items():
            alloc = {"__name__": "kube_node_status_allocatable", "node": node, "resource": resource}
            yield from _constant(scenario, alloc, float(value))
    for namespace, workspace, project in NAMESPACES:
        ns = {"__name__": "kube_namespace_labels", "namespace": namespace, "label_workspace": workspace,
              "label_project": project}  # fmt: skip
        yield from _constant(scenario, ns, 1.0)
    for pod in PODS:
        start = pod.first_step(scenario)
        ident = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid}
        yield from _constant(scenario, {"__name__": "kube_pod_status_phase", **ident, "phase": "Running"}, 1, start)
        for resource, value in ((pod.resource, float(pod.devices)), ("cpu", 4.0), ("memory", 16.0 * 1024**3)):
            request = {"__name__": "kube_pod_container_resource_requests", **ident, "container": "main",
                       "node": pod.node, "resource": resource}  # fmt: skip
            yield from _constant(scenario, request, value, start)
        owner = {"owner_kind": pod.kind, "owner_name": pod.owner, "owner_is_controller": "true"}
        yield from _constant(scenario, {"__name__": "kube_pod_owner", **ident, **owner}, 1, start)
        provisioning, category, purpose = pod.classes
        pod_labels = {"__name__": "kube_pod_labels", **ident, "label_provisioning_type": provisioning,
                      "label_category": category, "label_purpose": purpose}  # fmt: skip
        yield from _constant(scenario, pod_labels, 1, start)
