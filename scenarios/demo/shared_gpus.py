"""The demo's partitioned and shared GPUs (README "MIG and time-sliced GPUs"): their series and their ground truth.

- Machine Group `a100-mig` (MIG, mixed strategy), node `shared-a100-mig-0`, two A100s: GPU 0 cut into 3g.40gb
  (serving), 2g.20gb (a data job), 1g.10gb (a notebook that stays idle: idle_allocation per instance) and a free
  1g.10gb; GPU 1 one 7g.80gb held by a serving pod whose use always fits a 1g instance.
- Machine Group `l4-shared` (time-slicing, 4 replicas per GPU), one L4 per node: `shared-l4-ts-0` with
  KUBERNETES_VIRTUAL_GPUS copies (`vgpu` label; resource nvidia_com_gpu), held by three notebooks that share its
  idle hours (idle_allocation per replica); `shared-l4-ts-1` without them (resource nvidia_com_gpu_shared), four
  inference pods of which dcgm-exporter names only the first.

The truth follows the definitions, from the values written: allocated = share x time; used = the instance's
activity x its share, or on a time-sliced GPU its activity split evenly among the pods holding it at that step,
capped at a replica; idle = the device's activity below the idle threshold, x the share.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from gpu_reclaim.core.usage_figures import USAGE_FIGURES

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.scenario import DemoScenario

FloatArray = npt.NDArray[np.float64]
IDLE = 0.01
LOW_USE = 0.10
SLICES = 7  # A100
REPLICAS = 4
MIG_NODE = "shared-a100-mig-0"
MIG_PRODUCT = "NVIDIA-A100-SXM4-80GB"
MIG_MODEL = "NVIDIA A100-SXM4-80GB"
L4_PRODUCT = "NVIDIA-L4"
L4_MODEL = "NVIDIA L4"
L4_FB_MIB = 23034
SERIES_METRICS = (
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    "DCGM_FI_PROF_SM_ACTIVE",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    "DCGM_FI_PROF_DRAM_ACTIVE",
)


@dataclass(frozen=True)
class SharedPod:
    namespace: str
    name: str
    kind: str
    owner: str
    classes: tuple[str, str, str]  # provisioning type, category, purpose
    node: str
    resource: str  # the GPU resource it requests (one device)
    share: float  # GPUs per device: g / 7 or 1 / 4
    start_hours: float = 0.0  # Running from this many hours after the window start

    def first_step(self, scenario: DemoScenario) -> int:
        return min(round(self.start_hours * 3600 / scenario.step_seconds), scenario.n_steps)

    @property
    def uid(self) -> str:
        return str(uuid.UUID(bytes=hashlib.sha256(f"shared/{self.namespace}/{self.name}".encode()).digest()[:16]))

    @property
    def workload(self) -> str:
        return f"{self.kind}/{self.owner}"


@dataclass(frozen=True)
class Device:
    """A MIG instance or a time-sliced GPU (with its holders), and its activity over the window."""

    node: str
    gpu: int
    instance: str | None
    profile: str | None
    holders: tuple[SharedPod, ...]
    behaviour: str


NAMESPACES = (("mig-lab", "research", "mig-lab"), ("shared-inference", "product", "shared-inference"))


def _mig(name: str, kind: str, owner: str, classes: tuple[str, str, str], profile: str) -> SharedPod:
    g = int(profile.split("g.")[0])
    resource = "nvidia_com_mig_" + profile.replace(".", "_")
    return SharedPod("mig-lab", name, kind, owner, classes, MIG_NODE, resource, g / SLICES)


SERVE_3G = _mig("mig-serve-7c9d8", "ReplicaSet", "mig-serve-7c9d8", ("reserved", "serving", "service"), "3g.40gb")
ETL_2G = _mig("mig-etl-nightly", "Job", "mig-etl-nightly", ("spot", "data", "produce"), "2g.20gb")
IDLE_1G = _mig("mig-notebook-0", "StatefulSet", "mig-notebook", ("on-demand", "interactive", "test"), "1g.10gb")
BIG_7G = _mig("mig-embed-5b6c7", "ReplicaSet", "mig-embed-5b6c7", ("reserved", "serving", "service"), "7g.80gb")
TS_NOTEBOOKS = tuple(
    SharedPod(
        "mig-lab", f"ts-notebook-{i}", "StatefulSet", "ts-notebook", ("on-demand", "interactive", "test"),
        "shared-l4-ts-0", "nvidia_com_gpu", 1 / REPLICAS, start_hours=0.0 if i < 2 else 12.0,
    )
    for i in range(3)
)  # fmt: skip
TS_INFERENCE = tuple(
    SharedPod(
        "shared-inference", f"ts-infer-6f7a8-{i}", "ReplicaSet", "ts-infer-6f7a8", ("reserved", "serving", "service"),
        "shared-l4-ts-1", "nvidia_com_gpu_shared", 1 / REPLICAS,
    )
    for i in range(4)
)  # fmt: skip
DEVICES = (
    Device(MIG_NODE, 0, "1", "3g.40gb", (SERVE_3G,), "serving"),
    Device(MIG_NODE, 0, "5", "2g.20gb", (ETL_2G,), "data"),
    Device(MIG_NODE, 0, "13", "1g.10gb", (IDLE_1G,), "idle"),
    Device(MIG_NODE, 0, "14", "1g.10gb", (), "idle"),  # a free instance
    Device(MIG_NODE, 1, "0", "7g.80gb", (BIG_7G,), "fits_1g"),
    Device("shared-l4-ts-0", 0, None, None, TS_NOTEBOOKS, "notebook"),
    Device("shared-l4-ts-1", 0, None, None, TS_INFERENCE, "serving"),
)
PODS = (SERVE_3G, ETL_2G, IDLE_1G, BIG_7G, *TS_NOTEBOOKS, *TS_INFERENCE)
NODES: tuple[tuple[str, str, str, dict[str, str], dict[str, int]], ...] = (
    (MIG_NODE, "a100-mig", MIG_PRODUCT, {"label_nvidia_com_mig_strategy": "mixed"},
     {"nvidia_com_gpu": 0, "nvidia_com_mig_3g_40gb": 1, "nvidia_com_mig_2g_20gb": 1, "nvidia_com_mig_1g_10gb": 2,
      "nvidia_com_mig_7g_80gb": 1}),
    ("shared-l4-ts-0", "l4-shared", L4_PRODUCT,
     {"label_nvidia_com_gpu_replicas": str(REPLICAS), "label_nvidia_com_gpu_sharing_strategy": "time-slicing"},
     {"nvidia_com_gpu": REPLICAS}),
    ("shared-l4-ts-1", "l4-shared", L4_PRODUCT,
     {"label_nvidia_com_gpu_replicas": str(REPLICAS), "label_nvidia_com_gpu_sharing_strategy": "time-slicing"},
     {"nvidia_com_gpu_shared": REPLICAS}),
)  # fmt: skip
# planted findings: the idle 1g instance, the time-sliced notebooks idle outside their working hours, and the 7g
# instance whose use fits a 1g (6/7 of a GPU back)
FINDINGS = (
    ("idle_allocation", IDLE_1G, IDLE_1G.share),
    ("idle_allocation", TS_NOTEBOOKS[0], len(TS_NOTEBOOKS) / REPLICAS),
    ("downsize_profile", BIG_7G, 1 - 1 / SLICES),
)


def is_shared_gpu_series(labels: dict[str, str]) -> bool:
    """Whether a series (its labels) is one of this module's."""
    node = labels.get("node") or labels.get("Hostname") or ""
    return node.startswith("shared-") or labels.get("namespace") in {ns for ns, _, _ in NAMESPACES}


def _uuid(node: str, gpu: int) -> str:
    return "GPU-" + str(uuid.UUID(bytes=hashlib.sha256(f"shared-gpu/{node}/{gpu}".encode()).digest()[:16]))


def _activity(scenario: DemoScenario, device: Device) -> FloatArray:
    """The device's activity (GR_ENGINE_ACTIVE, rounded as written, never on a threshold)."""
    n = scenario.n_steps
    seed = int.from_bytes(hashlib.sha256(f"{scenario.seed}/{device.node}/{device.instance}".encode()).digest()[:4])
    rng = np.random.default_rng(seed)
    seconds = np.arange(n) * scenario.step_seconds
    hours = (seconds % 86400) / 3600.0
    weekday = (seconds // 86400 + scenario.start.weekday()) % 7
    if device.behaviour == "serving":
        diurnal = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 4.0) / 24.0)
        act = np.clip(0.2 + 0.4 * diurnal + rng.normal(0, 0.02, n), 0.12, 0.9)
    elif device.behaviour == "data":
        act = np.clip(0.5 + rng.normal(0, 0.08, n), 0.2, 0.9)
    elif device.behaviour == "fits_1g":
        act = np.clip(0.08 + rng.normal(0, 0.01, n), 0.05, 0.11)  # a 7g used as much as a 1g holds
    elif device.behaviour == "notebook":
        working = (weekday < 5) & (hours >= 10) & (hours < 12)
        act = np.where(working, np.clip(0.7 + rng.normal(0, 0.08, n), 0.3, 0.95), 0.0)  # 2 holders: capped
    else:
        act = np.zeros(n)
    act = np.round(act, 4)
    for exact in (IDLE, LOW_USE):
        act = np.where(np.isclose(act, exact), act + 0.0001, act)
    return act


def _holding(scenario: DemoScenario, device: Device) -> npt.NDArray[np.int64]:
    """How many of the device's pods hold it at each step."""
    held = np.zeros(scenario.n_steps, dtype=np.int64)
    for pod in device.holders:
        held[pod.first_step(scenario) :] += 1
    return held


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
    act = _activity(scenario, device)
    offset = scenario.dcgm_offset_seconds
    base = {"Hostname": device.node, "gpu": str(device.gpu), "UUID": _uuid(device.node, device.gpu),
            "device": f"nvidia{device.gpu}", "DCGM_FI_DRIVER_VERSION": "550.90.07"}  # fmt: skip
    if device.instance is not None:
        base.update(modelName=MIG_MODEL, GPU_I_ID=device.instance, GPU_I_PROFILE=str(device.profile))
        g = int(str(device.profile).split("g.")[0])
        fb_total = 10240 * g if g < 7 else 81920
    else:
        base["modelName"] = L4_MODEL
        fb_total = L4_FB_MIB
    fb_used = np.rint(np.where(act > 0, 0.08 if device.behaviour == "fits_1g" else 0.6, 0.05) * fb_total)
    metrics: dict[str, FloatArray] = {
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE": act,
        "DCGM_FI_PROF_SM_ACTIVE": np.round(act * 0.8, 4),
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": np.round(act * 0.4, 4),
        "DCGM_FI_PROF_DRAM_ACTIVE": np.round(act * 0.3, 4),
        "DCGM_FI_DEV_FB_USED": fb_used,
        "DCGM_FI_DEV_FB_FREE": fb_total - fb_used,
    }
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
        for resource, value in ((pod.resource, 1.0), ("cpu", 4.0), ("memory", 16.0 * 1024**3)):
            request = {"__name__": "kube_pod_container_resource_requests", **ident, "container": "main",
                       "node": pod.node, "resource": resource}  # fmt: skip
            yield from _constant(scenario, request, value, start)
        owner = {"owner_kind": pod.kind, "owner_name": pod.owner, "owner_is_controller": "true"}
        yield from _constant(scenario, {"__name__": "kube_pod_owner", **ident, **owner}, 1, start)
        provisioning, category, purpose = pod.classes
        pod_labels = {"__name__": "kube_pod_labels", **ident, "label_provisioning_type": provisioning,
                      "label_category": category, "label_purpose": purpose}  # fmt: skip
        yield from _constant(scenario, pod_labels, 1, start)


# -- truth ---------------------------------------------------------------------------------------------------


def _pod_steps(scenario: DemoScenario) -> dict[str, FloatArray]:
    """Per pod uid, per step: allocated, used, idle, low-use GPUs (rows), by the definitions."""
    out: dict[str, FloatArray] = {}
    for device in DEVICES:
        act = _activity(scenario, device)
        holding = _holding(scenario, device)
        for pod in device.holders:
            steps = np.zeros((4, scenario.n_steps))
            held = np.arange(scenario.n_steps) >= pod.first_step(scenario)
            # time-sliced: the GPU's activity split evenly among its holders, capped at a replica
            split = np.minimum(act / np.maximum(holding, 1), pod.share)
            used = split if device.instance is None else act * pod.share
            steps[0] = np.where(held, pod.share, 0.0)
            steps[1] = np.where(held, used, 0.0)
            steps[2] = np.where(held & (act < IDLE), pod.share, 0.0)
            steps[3] = np.where(held & (act < LOW_USE), pod.share, 0.0)
            out[pod.uid] = steps
    return out


def _hours(steps: FloatArray, step_seconds: int) -> dict[str, float]:
    allocated, used, idle, low_use = (float(v) * step_seconds / 3600 for v in steps.sum(axis=1))
    figures = (allocated, used, idle, low_use, 0.0, 0.0)  # no shared GPU spins busy-looking idle
    return {name: round(value, 6) for name, value in zip(USAGE_FIGURES, figures, strict=True)}


def _add(entry: dict[str, Any], figures: dict[str, float]) -> None:
    for name, value in figures.items():
        entry[name] = round(entry.get(name, 0.0) + value, 6)


def add_shared_gpu_truth(truth: dict[str, Any], scenario: DemoScenario) -> None:
    """Add the shared GPUs' Projects, days, Workspace totals, pods, findings and per-case figures to `truth`."""
    steps = _pod_steps(scenario)
    per_day = scenario.steps_per_day
    workspaces = {entry["workspace"]: entry for entry in truth["workspaces"]}
    for namespace, workspace, project in NAMESPACES:
        mine = [steps[pod.uid] for pod in PODS if pod.namespace == namespace]
        total = np.sum(mine, axis=0)
        ident = {"workspace": workspace, "project": project, "namespace": namespace}
        truth["projects"].append({**ident, **_hours(total, scenario.step_seconds), "usage_estimated": True})
        for d in range(scenario.days):
            day = (scenario.start + timedelta(days=d)).date().isoformat()
            daily = _hours(total[:, d * per_day : (d + 1) * per_day], scenario.step_seconds)
            truth["projects_daily"].append({**ident, "day": day, **daily})
        entry = workspaces.setdefault(workspace, {"workspace": workspace, "projects": 0})
        entry["projects"] += 1
        _add(entry, _hours(total, scenario.step_seconds))
    truth["workspaces"] = sorted(workspaces.values(), key=lambda entry: entry["workspace"])
    for rule, pod, share in FINDINGS:
        members = [p.name for p in PODS if p.workload == pod.workload and p.namespace == pod.namespace]
        truth["findings"].append(
            {
                "rule": rule,
                "kind": "reclaim",  # every one still runs and wastes at the window's end
                "namespace": pod.namespace,
                "workload": pod.workload,
                "pods": members,
                "gpus_reclaimable": None,
                "gpu_share_reclaimable": round(share, 6),
            }
        )
    cases: dict[str, list[str]] = {
        "mig_instance_3g": [SERVE_3G.uid],
        "mig_instance_2g": [ETL_2G.uid],
        "mig_instance_idle_1g": [IDLE_1G.uid],
        "mig_instance_7g_fits_1g": [BIG_7G.uid],
        "time_sliced_vgpu": [p.uid for p in TS_NOTEBOOKS],
        "time_sliced_without_vgpu": [p.uid for p in TS_INFERENCE],
    }
    truth["shared_gpus"] = {
        "cases": {
            case: {"uids": uids, **_hours(np.sum([steps[u] for u in uids], axis=0), scenario.step_seconds)}
            for case, uids in cases.items()
        },
        "nodes": {node: {"machine_group": group} for node, group, *_ in NODES},
        "capacity_gpus": {MIG_NODE: 2.0, "shared-l4-ts-0": 1.0, "shared-l4-ts-1": 1.0},
    }
    for pod in PODS:
        truth["pods"].append(
            {
                "namespace": pod.namespace,
                "pod": pod.name,
                "uid": pod.uid,
                "workload": pod.workload,
                "node": pod.node,
                "gpus_requested": pod.share,
                "gpu_resource": pod.resource,
                "pending": False,
                **_hours(steps[pod.uid], scenario.step_seconds),
            }
        )
