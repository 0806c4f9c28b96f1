"""The demo's second cluster (README "Several clusters in one VictoriaMetrics"): every demo series carries the
external label `cluster`, `demo-west` for the main cluster and `demo-east` for this small one, and the demo's
config names it (`labels.cluster_label = "cluster"`).

demo-east: two H100 nodes (8 GPUs each) in a Machine Group named like the west one (`h100-sxm`: per cluster, never
merged), and namespace `vision`, the SAME name as a west namespace, in another Workspace (`vision-east`): a busy
8-GPU training Job (Job/vit-pretrain-east) and a notebook that stays idle the whole window
(StatefulSet/jupyter-east, 1 GPU: an idle_allocation finding, reclaim). The other 7 GPUs of east-h100-1 are free.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from gpu_reclaim.scenarios.demo.model import NamedWorkload, hashed_uuid
from gpu_reclaim.scenarios.demo.signals import profiling_metrics

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.scenario import DemoScenario

FloatArray = npt.NDArray[np.float64]
CLUSTER_LABEL = "cluster"
WEST = "demo-west"
EAST = "demo-east"
IDLE = 0.01
LOW_USE = 0.10
GROUP = "h100-sxm"
PRODUCT = "NVIDIA-H100-80GB-HBM3"
MODEL = "NVIDIA H100 80GB HBM3"
FB_MIB = 81559
NODES = ("east-h100-0", "east-h100-1")
GPUS_PER_NODE = 8
NAMESPACE, WORKSPACE, PROJECT = "vision", "vision-east", "vision"


@dataclass(frozen=True)
class EastPod(NamedWorkload):
    name: str
    kind: str
    owner: str
    category: str
    node: str
    gpus: tuple[int, ...]  # the GPU indexes it holds
    behaviour: str  # 'busy' or 'idle'

    @property
    def uid(self) -> str:
        return hashed_uuid(f"east/{NAMESPACE}/{self.name}")


TRAIN = EastPod("vit-pretrain-east-0", "Job", "vit-pretrain-east", "training", NODES[0], tuple(range(8)), "busy")
NOTEBOOK = EastPod("jupyter-east-0", "StatefulSet", "jupyter-east", "interactive", NODES[1], (0,), "idle")
PODS = (TRAIN, NOTEBOOK)


def tag_west(line: bytes, labels_json: bytes) -> tuple[bytes, bytes]:
    """A main-cluster import line and its label JSON with `cluster="demo-west"` added."""
    tag = b'{"' + CLUSTER_LABEL.encode() + b'":"' + WEST.encode() + b'",'
    return line.replace(b'{"metric":{', b'{"metric":' + tag, 1), tag + labels_json[1:]


def _uuid(node: str, gpu: int) -> str:
    return "GPU-" + hashed_uuid(f"east-gpu/{node}/{gpu}")


def _activity(scenario: DemoScenario, node: str, gpu: int, behaviour: str) -> FloatArray:
    """GR_ENGINE_ACTIVE as written (4 decimals, never on a threshold): busy ~0.6, idle and free GPUs 0."""
    n = scenario.n_steps
    if behaviour != "busy":
        return np.zeros(n)
    seed = int.from_bytes(hashlib.sha256(f"{scenario.seed}/east/{node}/{gpu}".encode()).digest()[:4])
    act = np.round(np.clip(0.6 + np.random.default_rng(seed).normal(0, 0.08, n), 0.2, 0.95), 4)
    for exact in (IDLE, LOW_USE):
        act = np.where(np.isclose(act, exact), act + 0.0001, act)
    return np.asarray(act, dtype=np.float64)


def _holder(node: str, gpu: int) -> EastPod | None:
    return next((pod for pod in PODS if pod.node == node and gpu in pod.gpus), None)


def _lines(scenario: DemoScenario, labels: dict[str, str], values: FloatArray, offset_s: int) -> Iterator[Any]:
    """Import lines of `values` over the window (one day of points each), with cluster="demo-east"."""
    label_bytes = json.dumps({CLUSTER_LABEL: EAST, **labels}, separators=(",", ":")).encode()
    per_day, step_ms = scenario.steps_per_day, scenario.step_seconds * 1000
    base_ms = int(scenario.start.timestamp() * 1000) + offset_s * 1000
    for a in range(0, scenario.n_steps, per_day):
        end = min(scenario.n_steps, a + per_day)
        stamps = ",".join(str(base_ms + step * step_ms) for step in range(a, end)).encode()
        text = ",".join(repr(float(v)) for v in values[a:end]).encode()
        yield (
            b'{"metric":' + label_bytes + b',"values":[' + text + b'],"timestamps":[' + stamps + b"]}",
            label_bytes,
            end - a,
        )


def _constant(scenario: DemoScenario, labels: dict[str, str], value: float) -> Iterator[Any]:
    yield from _lines(scenario, labels, np.full(scenario.n_steps, value), scenario.ksm_offset_seconds)


def east_series(scenario: DemoScenario) -> Iterator[tuple[bytes, bytes, int]]:
    """(import line, its labels as JSON, samples) of every demo-east series: DCGM and kube-state-metrics."""
    for node in NODES:
        for gpu in range(GPUS_PER_NODE):
            pod = _holder(node, gpu)
            act = _activity(scenario, node, gpu, pod.behaviour if pod else "free")
            base = {"Hostname": node, "gpu": str(gpu), "UUID": _uuid(node, gpu), "modelName": MODEL}
            if pod is not None:
                base.update(namespace=NAMESPACE, pod=pod.name, container="main")
            fb_used = np.rint(np.where(act > 0, 0.6, 0.01) * FB_MIB)
            metrics: dict[str, FloatArray] = {
                "DCGM_FI_DEV_GPU_UTIL": np.round(np.minimum(act * 105.0, 100.0), 1).astype(np.float64),
                **profiling_metrics(act, fb_used, FB_MIB),
                "DCGM_FI_DEV_POWER_USAGE": np.round(72.0 + 600.0 * act, 1),
            }
            for metric, values in metrics.items():
                yield from _lines(scenario, {"__name__": metric, **base}, values, scenario.dcgm_offset_seconds)
    for node in NODES:
        labels = {"__name__": "kube_node_labels", "node": node, "label_machine_group": GROUP,
                  "label_nvidia_com_gpu_product": PRODUCT}  # fmt: skip
        yield from _constant(scenario, labels, 1.0)
        for resource, value in (("nvidia_com_gpu", 8.0), ("cpu", 224.0), ("memory", 2.0 * 1024**4)):
            alloc = {"__name__": "kube_node_status_allocatable", "node": node, "resource": resource}
            yield from _constant(scenario, alloc, value)
    ns = {"__name__": "kube_namespace_labels", "namespace": NAMESPACE, "label_workspace": WORKSPACE,
          "label_project": PROJECT}  # fmt: skip
    yield from _constant(scenario, ns, 1.0)
    for pod in PODS:
        ident = {"namespace": NAMESPACE, "pod": pod.name, "uid": pod.uid}
        yield from _constant(scenario, {"__name__": "kube_pod_status_phase", **ident, "phase": "Running"}, 1.0)
        for resource, value in (("nvidia_com_gpu", float(len(pod.gpus))), ("cpu", 8.0), ("memory", 64.0 * 1024**3)):
            request = {"__name__": "kube_pod_container_resource_requests", **ident, "container": "main",
                       "node": pod.node, "resource": resource}  # fmt: skip
            yield from _constant(scenario, request, value)
        owner = {"owner_kind": pod.kind, "owner_name": pod.owner, "owner_is_controller": "true"}
        yield from _constant(scenario, {"__name__": "kube_pod_owner", **ident, **owner}, 1.0)
        pod_labels = {"__name__": "kube_pod_labels", **ident, "label_provisioning_type": "reserved",
                      "label_category": pod.category, "label_purpose": "research"}  # fmt: skip
        yield from _constant(scenario, pod_labels, 1.0)


def _hours(scenario: DemoScenario, a: int, b: int) -> dict[str, float]:
    """Allocated, used, idle and low-use GPU-hours of the east pods over steps [a, b)."""
    allocated = used = idle = low_use = 0.0
    for pod in PODS:
        for gpu in pod.gpus:
            act = _activity(scenario, pod.node, gpu, pod.behaviour)[a:b]
            allocated += len(act)
            used += float(act.sum())
            idle += float((act < IDLE).sum())
            low_use += float((act < LOW_USE).sum())
    hours = scenario.step_seconds / 3600
    return {
        "allocated_gpu_hours": round(allocated * hours, 6),
        "used_gpu_hours": round(used * hours, 6),
        "idle_gpu_hours": round(idle * hours, 6),
        "low_use_gpu_hours": round(low_use * hours, 6),
        "no_data_gpu_hours": 0.0,
        "busy_looking_idle_gpu_hours": 0.0,
    }


def add_east_truth(truth: dict[str, Any], scenario: DemoScenario) -> None:
    """Mark every main-cluster Project demo-west, and add demo-east's Project, days, Workspace, finding and
    capacity to `truth` (truth["clusters"])."""
    for key in ("projects", "projects_daily"):
        for entry in truth[key]:
            entry.setdefault("cluster", WEST)
    ident = {"cluster": EAST, "workspace": WORKSPACE, "project": PROJECT, "namespace": NAMESPACE}
    total = _hours(scenario, 0, scenario.n_steps)
    truth["projects"].append({**ident, **total})
    per_day = scenario.steps_per_day
    for d in range(scenario.days):
        day = (scenario.start + timedelta(days=d)).date().isoformat()
        truth["projects_daily"].append({**ident, "day": day, **_hours(scenario, d * per_day, (d + 1) * per_day)})
    truth["workspaces"] = sorted(
        [*truth["workspaces"], {"workspace": WORKSPACE, "projects": 1, **total}], key=lambda entry: entry["workspace"]
    )
    finding = {
        "rule": "idle_allocation",
        "kind": "reclaim",
        "cluster": EAST,
        "namespace": NAMESPACE,
        "workload": NOTEBOOK.workload,
        "pods": [NOTEBOOK.name],
        "gpus_reclaimable": len(NOTEBOOK.gpus),
    }
    truth["findings"].append(finding)
    truth["clusters"] = {
        "label": CLUSTER_LABEL,
        WEST: {"note": "every other series"},
        EAST: {
            "nodes": list(NODES),
            "machine_group": GROUP,
            "capacity_gpus": len(NODES) * GPUS_PER_NODE,
            "namespaces": [NAMESPACE],
            "finding": finding,
        },
    }
