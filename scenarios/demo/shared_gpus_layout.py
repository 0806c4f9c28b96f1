"""The demo's partitioned and shared GPUs: their nodes, devices, pods and activity (README "MIG and time-sliced GPUs";
scenarios/demo/shared_gpus.py writes their series, shared_gpus_truth.py their ground truth).

- Machine Group `a100-mig` (MIG, mixed strategy), node `shared-a100-mig-0`, two A100s: GPU 0 cut into 3g.40gb
  (serving), 2g.20gb (a data job), 1g.10gb (a notebook that stays idle: idle_allocation per instance) and a free
  1g.10gb; GPU 1 one 7g.80gb held by a serving pod whose use always fits a 1g instance. Node `shared-a100-mig-1`,
  one A100 cut into seven 1g.10gb: a Job asks for four, two of which never work (over_requested), three are free.
- Machine Group `l4-shared` (time-slicing, 4 replicas per GPU), one L4 per node: `shared-l4-ts-0` with
  KUBERNETES_VIRTUAL_GPUS copies (`vgpu` label; resource nvidia_com_gpu), held by three notebooks that share its
  idle hours (idle_allocation per replica); `shared-l4-ts-1` without them (resource nvidia_com_gpu_shared), four
  inference pods of which dcgm-exporter names only the first.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
from gpu_reclaim.scenarios.demo.model import NamedWorkload, hashed_uuid

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.scenario import DemoScenario

FloatArray = npt.NDArray[np.float64]
IDLE = 0.01
LOW_USE = 0.10
SLICES = 7  # A100
REPLICAS = 4
MIG_NODE = "shared-a100-mig-0"
SWEEP_NODE = "shared-a100-mig-1"
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
class SharedPod(NamedWorkload):
    namespace: str
    name: str
    kind: str
    owner: str
    classes: tuple[str, str, str]  # provisioning type, category, purpose
    node: str
    resource: str  # the GPU resource it requests (one device)
    share: float  # GPUs per device: g / 7 or 1 / 4
    start_hours: float = 0.0  # Running from this many hours after the window start
    devices: int = 1  # how many of `resource` it requests (each `share` of a GPU)

    def first_step(self, scenario: DemoScenario) -> int:
        return min(round(self.start_hours * 3600 / scenario.step_seconds), scenario.n_steps)

    @property
    def uid(self) -> str:
        return hashed_uuid(f"shared/{self.namespace}/{self.name}")


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
# a Job asking for four 1g.10gb instances of which two never work (over_requested: 2/7 of a GPU back)
SWEEP_4X1G = SharedPod("mig-lab", "mig-sweep-0", "Job", "mig-sweep", ("on-demand", "training", "produce"), SWEEP_NODE,
                       "nvidia_com_mig_1g_10gb", 1 / SLICES, devices=4)  # fmt: skip
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
    # SWEEP_NODE's A100 cut into seven 1g.10gb: four held by the sweep (two of them never active), three free
    *(Device(SWEEP_NODE, 0, str(i), "1g.10gb", (SWEEP_4X1G,), "data" if i < 9 else "idle") for i in range(7, 11)),
    *(Device(SWEEP_NODE, 0, str(i), "1g.10gb", (), "idle") for i in range(11, 14)),
    Device("shared-l4-ts-0", 0, None, None, TS_NOTEBOOKS, "notebook"),
    Device("shared-l4-ts-1", 0, None, None, TS_INFERENCE, "serving"),
)
PODS = (SERVE_3G, ETL_2G, IDLE_1G, BIG_7G, SWEEP_4X1G, *TS_NOTEBOOKS, *TS_INFERENCE)
NODES: tuple[tuple[str, str, str, dict[str, str], dict[str, int]], ...] = (
    (MIG_NODE, "a100-mig", MIG_PRODUCT, {"label_nvidia_com_mig_strategy": "mixed"},
     {"nvidia_com_gpu": 0, "nvidia_com_mig_3g_40gb": 1, "nvidia_com_mig_2g_20gb": 1, "nvidia_com_mig_1g_10gb": 2,
      "nvidia_com_mig_7g_80gb": 1}),
    (SWEEP_NODE, "a100-mig", MIG_PRODUCT, {"label_nvidia_com_mig_strategy": "mixed"},
     {"nvidia_com_gpu": 0, "nvidia_com_mig_1g_10gb": 7}),
    ("shared-l4-ts-0", "l4-shared", L4_PRODUCT,
     {"label_nvidia_com_gpu_replicas": str(REPLICAS), "label_nvidia_com_gpu_sharing_strategy": "time-slicing"},
     {"nvidia_com_gpu": REPLICAS}),
    ("shared-l4-ts-1", "l4-shared", L4_PRODUCT,
     {"label_nvidia_com_gpu_replicas": str(REPLICAS), "label_nvidia_com_gpu_sharing_strategy": "time-slicing"},
     {"nvidia_com_gpu_shared": REPLICAS}),
)  # fmt: skip
# planted findings: the idle 1g instance, the time-sliced notebooks idle outside their working hours, and the 7g
# instance whose use fits a 1g (6/7 of a GPU back), the sweep's two never-active 1g instances (2/7)
FINDINGS = (
    ("idle_allocation", IDLE_1G, IDLE_1G.share),
    ("idle_allocation", TS_NOTEBOOKS[0], len(TS_NOTEBOOKS) / REPLICAS),
    ("downsize_profile", BIG_7G, 1 - 1 / SLICES),
    ("over_requested", SWEEP_4X1G, 2 / SLICES),
)


def is_shared_gpu_series(labels: dict[str, str]) -> bool:
    """Whether a series (its labels) is one of this module's."""
    node = labels.get("node") or labels.get("Hostname") or ""
    return node.startswith("shared-") or labels.get("namespace") in {ns for ns, _, _ in NAMESPACES}


def gpu_uuid(node: str, gpu: int) -> str:
    return "GPU-" + hashed_uuid(f"shared-gpu/{node}/{gpu}")


def activity(scenario: DemoScenario, device: Device) -> FloatArray:
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


def holding(scenario: DemoScenario, device: Device) -> npt.NDArray[np.int64]:
    """How many of the device's pods hold it at each step."""
    held = np.zeros(scenario.n_steps, dtype=np.int64)
    for pod in device.holders:
        held[pod.first_step(scenario) :] += 1
    return held
