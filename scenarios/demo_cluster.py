"""A deterministic (seeded) simulated GPU cluster for the demo, the tests and the benchmark.

`build_cluster` lays out Machine Groups, nodes, namespaces (Projects in Workspaces), workloads and pods with
their timelines (pure, no I/O). `iter_import_lines` turns that into VictoriaMetrics `/api/v1/import` JSON
lines shaped as dcgm-exporter and kube-state-metrics produce them (CONTRACT.md), made per series with numpy.
`ground_truth` gives the figures the pipeline must reproduce, computed from the very (rounded) values written.
`load_demo` imports a scenario into a server and writes the truth JSON next to it.

Timing conventions (what the pipeline must know):
- Steps are `start + i * step_seconds`. DCGM samples are stamped `step_seconds // 20` seconds after the step,
  kube-state-metrics samples `step_seconds // 8` seconds after it (both < step/4): bucket with floor(ts/step).
- A pod is Running on the steps [run_start, run_end); its GPUs' DCGM series name it on exactly those steps
  (except during its "no data" gap, where its GPUs have no DCGM sample at all).
- Pods that start inside the window are Pending (node already bound) for 2 steps first; Job pods stay
  `Succeeded` for 5 steps after they end. Pending and Succeeded steps are not allocation.
- Ratios are rounded to 4 decimals, GPU_UTIL and power to 1, framebuffer to whole MiB. Generated activity
  never sits exactly on the 0.01 / 0.10 thresholds (GR_ENGINE_ACTIVE) or 1.0 / 10.0 (GPU_UTIL without
  profiling metrics), so `<` comparisons cannot flip on how a threshold is spelled.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import time
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.scenarios import demo_hangs, demo_owners
from gpu_reclaim.scenarios.demo_shared_gpus import add_shared_gpu_truth, shared_gpu_series

try:
    import numpy as np
    import numpy.typing as npt
except ModuleNotFoundError as error:  # numpy comes with the `demo` extra only
    raise ModuleNotFoundError("the demo needs numpy: pip install 'gpu-reclaim[demo]'") from error

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
_PENDING, _RUNNING, _SUCCEEDED = 0, 1, 2
PENDING_PRELUDE_STEPS = 2
SUCCEEDED_TAIL_STEPS = 5
IDLE_THRESHOLD = 0.01
LOW_USE_THRESHOLD = 0.10
GIB = 1024**3

DCGM_METRICS = (
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    "DCGM_FI_PROF_SM_ACTIVE",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    "DCGM_FI_PROF_DRAM_ACTIVE",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_POWER_USAGE",
)
_PCI_BUSES = (0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB)


# -- scenario ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoScenario:
    start: datetime  # UTC midnight of the first day (a Monday by default, see default_demo_start)
    days: int = 7
    step_seconds: int = 60
    seed: int = 7
    scale: int = 1  # multiplies the node count of every Machine Group, and the workloads with it
    # When True, the exported_* group also carries the exporter pod's own namespace/pod/container labels, as a
    # real Prometheus scrape without honor_labels does (the pipeline must then prefer exported_*).
    scrape_target_labels: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() != timedelta(0):
            raise ValueError("DemoScenario.start must be timezone-aware UTC")
        if (self.start.hour, self.start.minute, self.start.second, self.start.microsecond) != (0, 0, 0, 0):
            raise ValueError("DemoScenario.start must be a UTC midnight")
        if self.days < 1:
            raise ValueError("DemoScenario.days must be >= 1")
        if self.step_seconds < 1 or 86400 % self.step_seconds:
            raise ValueError("DemoScenario.step_seconds must divide a day")
        if self.scale < 1:
            raise ValueError("DemoScenario.scale must be >= 1")

    @property
    def steps_per_day(self) -> int:
        return 86400 // self.step_seconds

    @property
    def n_steps(self) -> int:
        return self.days * self.steps_per_day

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def dcgm_offset_seconds(self) -> int:
        return self.step_seconds // 20

    @property
    def ksm_offset_seconds(self) -> int:
        return self.step_seconds // 8


def default_demo_start(today: date) -> datetime:
    """Monday 00:00 UTC of the last complete Monday-Sunday week before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    monday = this_monday - timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)


# -- cluster model -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MachineGroup:
    name: str
    gpu_product: str  # node label label_nvidia_com_gpu_product
    model_name: str  # DCGM modelName
    base_nodes: int
    fb_total_mib: int
    idle_watts: float
    max_watts: float
    has_prof: bool  # emits DCGM_FI_PROF_*
    host_label: str  # "Hostname" or "hostname"
    pod_label_prefix: str  # "" or "exported_"
    cpu_cores: int
    memory_bytes: int


@dataclass(frozen=True)
class Node:
    name: str
    group: MachineGroup
    gpus: int = 8

    def gpu_uuid(self, index: int) -> str:
        return "GPU-" + str(_stable_uuid("gpu", self.name, str(index)))


@dataclass(frozen=True)
class Namespace:
    name: str
    workspace: str | None
    project: str | None
    quota_hard: int | None  # None: no ResourceQuota; 0: "tight" (hard = peak used)

    @property
    def workspace_or_unassigned(self) -> str:
        return self.workspace or "unassigned"

    @property
    def project_or_namespace(self) -> str:
        return self.project or self.name


@dataclass(frozen=True)
class Workload:
    namespace: str
    kind: str | None  # Job, ReplicaSet, StatefulSet; None = bare pod (no kube_pod_owner series)
    name: str
    behaviour: str
    provisioning_type: str | None
    category: str | None
    purpose: str | None
    container: str
    exempt: bool = False
    expect: str | None = None  # finding rule expected, or None for healthy/neutral
    why: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind or 'Pod'}/{self.name}"


@dataclass
class Pod:
    namespace: str
    name: str
    uid: str
    workload: Workload
    gpus: int
    cpu_cores: float
    memory_bytes: int
    exist_start: int
    run_start: int
    run_end: int
    exist_end: int
    node: Node | None = None
    gpu_indexes: tuple[int, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    no_data: tuple[int, int] | None = None  # steps [a, b) with no DCGM sample on its GPUs
    sidecar: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}/{self.uid}"

    def phase_codes(self) -> npt.NDArray[np.int8]:
        codes = np.full(self.exist_end - self.exist_start, _PENDING, dtype=np.int8)
        codes[self.run_start - self.exist_start : self.run_end - self.exist_start] = _RUNNING
        codes[self.run_end - self.exist_start :] = _SUCCEEDED
        if self.run_start == self.run_end:  # never ran: Pending throughout
            codes[:] = _PENDING
        return codes


@dataclass
class DemoCluster:
    scenario: DemoScenario
    groups: list[MachineGroup]
    nodes: list[Node]
    namespaces: list[Namespace]
    workloads: list[Workload]
    pods: list[Pod]
    holders: dict[tuple[str, int], list[Pod]]  # (node, gpu index) -> pods holding it, by run_start

    def namespace(self, name: str) -> Namespace:
        return next(ns for ns in self.namespaces if ns.name == name)

    @property
    def total_gpus(self) -> int:
        return sum(node.gpus for node in self.nodes)


def _stable_uuid(*parts: str) -> uuid.UUID:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def _suffix(*parts: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")
    out = []
    for _ in range(5):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def _rng(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(parts).encode())])


GROUPS = (
    MachineGroup(
        name="h100-sxm",
        gpu_product="NVIDIA-H100-80GB-HBM3",
        model_name="NVIDIA H100 80GB HBM3",
        base_nodes=8,
        fb_total_mib=81559,
        idle_watts=72.0,
        max_watts=700.0,
        has_prof=True,
        host_label="Hostname",
        pod_label_prefix="",
        cpu_cores=224,
        memory_bytes=2048 * GIB,
    ),
    MachineGroup(
        name="a100-sxm",
        gpu_product="NVIDIA-A100-SXM4-80GB",
        model_name="NVIDIA A100-SXM4-80GB",
        base_nodes=6,
        fb_total_mib=81920,
        idle_watts=58.0,
        max_watts=400.0,
        has_prof=True,
        host_label="hostname",
        pod_label_prefix="",
        cpu_cores=128,
        memory_bytes=1024 * GIB,
    ),
    MachineGroup(
        name="v100-pcie",
        gpu_product="Tesla-V100-PCIE-32GB",
        model_name="Tesla V100-PCIE-32GB",
        base_nodes=5,
        fb_total_mib=32768,
        idle_watts=26.0,
        max_watts=250.0,
        has_prof=False,
        host_label="Hostname",
        pod_label_prefix="exported_",
        cpu_cores=64,
        memory_bytes=512 * GIB,
    ),
)

NAMESPACES = (
    Namespace("llm-pretrain", "research", "llm-pretrain", 0),
    Namespace("rl-lab", "research", "rl-lab", 0),
    Namespace("vision", "research", "vision", 0),
    Namespace("search-serving", "product", "search", 0),
    Namespace("chat-serving", "product", "chat", 0),
    Namespace("recsys", "product", "recsys", 0),
    Namespace("ds-etl", "data", "etl", 0),
    Namespace("labeling", "data", "labeling", 16),
    Namespace("nb-shared", "platform", "notebooks", 0),
    Namespace("eval-qa", "platform", "eval-qa", 24),
    Namespace("legacy-batch", None, None, None),
)


@dataclass(frozen=True)
class _Spec:
    """One workload of the base layout: where, how many, when (hours from the window start), behaviour."""

    workload: Workload
    group: str
    replicas: int
    gpus: int
    nodes: tuple[int, ...]  # preferred node ordinal per replica (cycled) within the copy of the group
    start_h: float
    end_h: float | None  # None: to the window's end
    params: tuple[tuple[str, float], ...] = ()
    pending: bool = False


# One row a workload: namespace, owner kind (None: bare pod), name, behaviour, "provisioning/category/purpose"
# ("" = no labels), container; Machine Group, preferred node per replica, (pods, GPUs each), start and end as
# (day, hour) from the window start (None: to its end), expected finding (or "" = none), why it is healthy.
_D = tuple[float, float]
_Row = tuple[str, str | None, str, str, str, str, str, tuple[int, ...], tuple[int, int], _D, _D | None, str, str]
# fmt: off
_LAYOUT: tuple[_Row, ...] = (
    ("llm-pretrain", "Job", "llm-pretrain-7b", "busy", "reserved/training/produce", "trainer",
     "h100-sxm", (0, 1), (2, 8), (0, 0), None, "", "busy training"),
    ("rl-lab", "Job", "rl-ppo-run42", "late_idle", "on-demand/training/test", "trainer",
     "h100-sxm", (2,), (1, 8), (0, 9), (3, 17), "late_idle", ""),
    ("recsys", "Job", "recsys-train-wide", "over_requested", "on-demand/training/produce", "trainer",
     "h100-sxm", (3,), (1, 8), (0, 6), None, "over_requested", ""),
    ("chat-serving", "ReplicaSet", "chat-llm-5d6b7c9f8", "serving", "reserved/serving/service", "server",
     "h100-sxm", (4, 5, 6, 4, 5, 6), (6, 2), (0, 0), None, "", "serving with a quiet but active night"),
    ("chat-serving", "StatefulSet", "kv-cache-warm", "held_memory", "on-demand/serving/qa", "cache",
     "h100-sxm", (4, 5), (2, 1), (0, 0), None, "idle_held_memory", ""),
    ("search-serving", "ReplicaSet", "search-standby-8f7e6d5c4", "idle", "reserved/serving/service", "server",
     "h100-sxm", (6, 7), (2, 1), (0, 0), None, "", "idle but exempt (label_reclaim_exempt=true)"),
    ("rl-lab", "Job", "rl-ppo-baseline", "busy", "spot/training/test", "trainer",
     "h100-sxm", (7,), (1, 4), (1, 10), (5, 22), "", "busy training"),
    ("llm-pretrain", "Job", "llm-pretrain-70b", "pending", "reserved/training/produce", "trainer",
     "h100-sxm", (0,), (4, 8), (2, 10), (4, 18), "", ""),
    ("recsys", "Job", "recsys-dlrm-train", "busy", "reserved/training/produce", "trainer",
     "a100-sxm", (0, 1), (2, 8), (0, 0), None, "", "busy training"),
    ("search-serving", "ReplicaSet", "search-ranker-7f9c8d6b5", "serving", "reserved/serving/service",
     "server", "a100-sxm", (2, 3, 4, 5), (4, 1), (0, 0), None, "", "serving with a quiet but active night"),
    ("nb-shared", "StatefulSet", "jupyter-alice", "notebook", "on-demand/interactive/test", "notebook",
     "a100-sxm", (2,), (1, 1), (0, 0), None, "idle_allocation", ""),
    ("vision", "Job", "vision-resnet-sweep", "busy", "on-demand/training/test", "trainer",
     "a100-sxm", (3,), (1, 4), (1, 10.5), (3, 16.75), "", "busy training"),
    ("vision", "Job", "vision-finetune-vit", "late_idle", "on-demand/training/test", "trainer",
     "a100-sxm", (4,), (1, 4), (2, 14), (4, 6), "late_idle", ""),
    ("eval-qa", "ReplicaSet", "eval-keepalive-6c8d9f7b5", "fake_busy", "on-demand/training/qa", "runner",
     "a100-sxm", (5,), (1, 2), (0, 0), None, "fake_busy", ""),
    ("labeling", "Job", "labeling-batch-0412", "data", "spot/data/qa", "worker",
     "a100-sxm", (2,), (1, 2), (3, 8), (3, 20), "", "data job"),
    ("vision", "Job", "vision-detector-train", "busy", "reserved/training/produce", "trainer",
     "a100-sxm", (5,), (1, 4), (0, 12), (5, 12), "", "busy training (its DCGM series are missing for 6 h)"),
    ("recsys", "ReplicaSet", "recsys-embed-4b5c6d7e8", "serving", "reserved/serving/service", "server",
     "v100-pcie", (0, 1, 2, 3), (4, 1), (0, 0), None, "", "serving with a quiet but active night"),
    ("nb-shared", None, "jupyter-bob", "notebook", "on-demand/interactive/test", "notebook",
     "v100-pcie", (0,), (1, 2), (0, 0), None, "idle_allocation", ""),
    ("rl-lab", "Job", "rl-sim-envs", "low", "spot/training/test", "sim",
     "v100-pcie", (2,), (1, 4), (0, 8), (6, 20), "low_efficiency", ""),
    ("legacy-batch", None, "debug-shell", "data", "", "shell",
     "v100-pcie", (3,), (1, 1), (1, 9), (1, 15), "", "busy bare pod (its name is reused by a second pod)"),
    ("legacy-batch", None, "debug-shell", "data", "", "shell",
     "v100-pcie", (3,), (1, 1), (3, 11), (4, 10), "", "busy bare pod (its name is reused by a second pod)"),
    ("ds-etl", "Job", "etl-backfill-2026q4", "data", "on-demand/data/produce", "worker",
     "v100-pcie", (4,), (1, 8), (1, 8), (4, 20), "", "data job"),
    ("legacy-batch", None, "legacy-render", "pending", "", "render",
     "v100-pcie", (0,), (1, 1), (5, 9), (5, 21), "", ""),
)
# fmt: on
_PARAMS: dict[str, tuple[tuple[str, float], ...]] = {
    "rl-ppo-run42": (("busy_hours", 20.0),),
    "vision-finetune-vit": (("busy_hours", 10.0),),
    "recsys-train-wide": (("active_gpus", 2.0),),
    "vision-detector-train": (("no_data_from_h", 26.0), ("no_data_to_h", 32.0)),  # day 1, 02:00-08:00
    **demo_hangs.PARAMS,
}


def _spec(row: _Row, params: tuple[tuple[str, float], ...] = ()) -> _Spec:
    namespace, kind, name, behaviour, classes, container, group, nodes, shape, start, end, expect, why = row
    parts: list[str | None] = list(classes.split("/")) if classes else [None, None, None]
    workload = Workload(
        namespace=namespace,
        kind=kind,
        name=name,
        behaviour=behaviour,
        provisioning_type=parts[0],
        category=parts[1],
        purpose=parts[2],
        container=container,
        exempt=behaviour == "idle",
        expect=expect or None,
        why=why,
    )
    return _Spec(
        workload=workload,
        group=group,
        replicas=shape[0],
        gpus=shape[1],
        nodes=nodes,
        start_h=start[0] * 24 + start[1],
        end_h=None if end is None else end[0] * 24 + end[1],
        params=params or _PARAMS.get(name, ()),
        pending=behaviour == "pending",
    )


def _base_specs(days: int) -> list[_Spec]:
    specs: list[_Spec] = []
    seen: set[str] = set()
    for row in (*_LAYOUT, *demo_hangs.LAYOUT):
        life = 2.0 if row[2] in seen else 1.0  # the second pod of a reused bare-pod name
        seen.add(row[2])
        specs.append(_spec(row, (("life", life),) if row[1] is None else ()))
    for day in range(days):  # a nightly data job, 01:00-05:30 every day
        nightly: _Row = ("ds-etl", "Job", f"etl-nightly-d{day}", "data", "spot/data/produce", "worker",
                     "v100-pcie", (1,), (1, 2), (day, 1), (day, 5.5), "", "data job")  # fmt: skip
        specs.append(_spec(nightly))
    return specs


def _pod_names(spec: _Spec, suffix: str, seed: int) -> list[str]:
    wl = spec.workload
    name = wl.name + suffix
    if wl.kind is None:
        return [name]
    if wl.kind == "StatefulSet":
        return [f"{name}-{i}" for i in range(spec.replicas)]
    if wl.kind == "Job" and spec.replicas > 1:
        return [f"{name}-{i}-{_suffix(str(seed), name, str(i))}" for i in range(spec.replicas)]
    return [f"{name}-{_suffix(str(seed), name, str(i))}" for i in range(spec.replicas)]


def build_cluster(scenario: DemoScenario) -> DemoCluster:
    """Nodes, namespaces, workloads and pods with their timelines and GPU indexes (pure, no I/O)."""
    n = scenario.n_steps
    step_h = scenario.step_seconds / 3600

    def to_step(hours: float) -> int:
        return min(n, max(0, round(hours / step_h)))

    nodes_by_group: dict[str, list[Node]] = {}
    nodes: list[Node] = []
    for group in GROUPS:
        members = [Node(f"{group.name}-{i:03d}", group) for i in range(group.base_nodes * scenario.scale)]
        nodes_by_group[group.name] = members
        nodes.extend(members)

    busy: dict[tuple[str, int], list[tuple[int, int]]] = {}
    holders: dict[tuple[str, int], list[Pod]] = {}
    pods: list[Pod] = []
    workloads: list[Workload] = []
    for copy in range(scenario.scale):
        suffix = f"-r{copy}" if copy else ""
        for spec in _base_specs(scenario.days):
            run_start = to_step(spec.start_h)
            run_end = n if spec.end_h is None else to_step(spec.end_h)
            if run_start >= n or run_end <= run_start:
                continue
            base = spec.workload
            wl = replace(base, name=base.name + suffix)
            if wl not in workloads:
                workloads.append(wl)
            params = dict(spec.params)
            group_nodes = nodes_by_group[spec.group]
            base_count = len(group_nodes) // scenario.scale
            copy_nodes = group_nodes[copy * base_count : (copy + 1) * base_count]
            for replica, pod_name in enumerate(_pod_names(spec, suffix, scenario.seed)):
                life = str(int(params.get("life", 1.0)))
                uid = str(_stable_uuid(str(scenario.seed), wl.namespace, pod_name, life))
                exist_start = run_start if run_start == 0 else max(0, run_start - PENDING_PRELUDE_STEPS)
                if spec.pending:
                    pod = Pod(
                        wl.namespace,
                        pod_name,
                        uid,
                        wl,
                        spec.gpus,
                        4.0 * spec.gpus,
                        32 * GIB * spec.gpus,
                        exist_start=run_start,
                        run_start=run_end,
                        run_end=run_end,
                        exist_end=run_end,
                    )
                    pods.append(pod)
                    continue
                tail = SUCCEEDED_TAIL_STEPS if wl.kind == "Job" and spec.end_h is not None else 0
                pod = Pod(
                    wl.namespace,
                    pod_name,
                    uid,
                    wl,
                    spec.gpus,
                    cpu_cores=float(min(12 * spec.gpus, copy_nodes[0].group.cpu_cores // 8 * spec.gpus)),
                    memory_bytes=64 * GIB * spec.gpus,
                    exist_start=exist_start,
                    run_start=run_start,
                    run_end=run_end,
                    exist_end=min(n, run_end + tail),
                    params=params,
                    sidecar=wl.behaviour == "serving",
                )
                if "no_data_from_h" in params:
                    a = max(run_start, to_step(params["no_data_from_h"]))
                    b = min(run_end, to_step(params["no_data_to_h"]))
                    if a < b:
                        pod.no_data = (a, b)
                preferred = spec.nodes[replica % len(spec.nodes)] % base_count
                order = [copy_nodes[(preferred + k) % base_count] for k in range(base_count)]
                for node in order:
                    free = [
                        i
                        for i in range(node.gpus)
                        if all(e <= run_start or s >= run_end for s, e in busy.get((node.name, i), []))
                    ]
                    if len(free) >= spec.gpus:
                        pod.node = node
                        pod.gpu_indexes = tuple(free[: spec.gpus])
                        break
                if pod.node is None:
                    raise RuntimeError(f"demo layout does not fit: {pod.namespace}/{pod.name}")
                for i in pod.gpu_indexes:
                    busy.setdefault((pod.node.name, i), []).append((run_start, run_end))
                    holders.setdefault((pod.node.name, i), []).append(pod)
                pods.append(pod)
    for held in holders.values():
        held.sort(key=lambda p: p.run_start)
    return DemoCluster(scenario, list(GROUPS), nodes, list(NAMESPACES), workloads, pods, holders)


# -- values --------------------------------------------------------------------------------------------------


def _round(values: FloatArray, decimals: int) -> FloatArray:
    scale = 10.0**decimals
    return np.rint(values * scale) / scale  # an integer / 10**k is the double nearest the decimal


def _avoid(values: FloatArray, exact: tuple[float, ...], bump: float) -> FloatArray:
    for threshold in exact:
        values = np.where(values == threshold, threshold + bump, values)
    return values


@dataclass
class _GpuValues:
    """Every DCGM metric of one GPU over the window (rounded), who holds it, and which steps have samples."""

    holder: npt.NDArray[np.int32]  # index into the GPU's holder list, -1 when free
    present: BoolArray
    metrics: dict[str, FloatArray]
    activity: FloatArray  # what the pipeline computes: GR_ENGINE_ACTIVE, or GPU_UTIL / 100 without it


def _hour_of_day(scenario: DemoScenario, steps: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    seconds = steps * scenario.step_seconds
    hours = (seconds % 86400) / 3600.0
    weekday = ((seconds // 86400) + scenario.start.weekday()) % 7
    return hours.astype(np.float64), weekday.astype(np.float64)


def _pod_activity(
    cluster: DemoCluster, pod: Pod, gpu_rank: int, steps: npt.NDArray[np.int64]
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Raw activity (0-1) of one GPU of a pod on `steps`, and overrides of the other metrics (fractions)."""
    sc = cluster.scenario
    rng = _rng(sc.seed, pod.uid, str(gpu_rank))
    m = len(steps)
    hours, weekday = _hour_of_day(sc, steps)
    behaviour = pod.workload.behaviour
    extra: dict[str, FloatArray] = {}
    if behaviour == "busy":
        act = np.clip(0.83 + rng.normal(0, 0.05, m), 0.35, 0.99)
        checkpoint = (steps * sc.step_seconds) % 7200 < 2 * sc.step_seconds
        act = np.where(checkpoint, 0.18 + rng.uniform(0, 0.05, m), act)
        extra["fb"] = np.clip(0.72 + rng.normal(0, 0.01, m), 0.6, 0.9)
    elif behaviour == "late_idle":
        busy_steps = round(pod.params["busy_hours"] * 3600 / sc.step_seconds)
        busy = steps < pod.run_start + busy_steps
        act = np.where(busy, np.clip(0.8 + rng.normal(0, 0.05, m), 0.35, 0.99), rng.uniform(0, 0.004, m))
        extra["fb"] = np.where(busy, 0.7, 0.01 + rng.uniform(0, 0.002, m))
    elif behaviour == "notebook":
        working = (weekday < 5) & (((hours >= 10) & (hours < 11.5)) | ((hours >= 14) & (hours < 15)))
        act = np.where(working, np.clip(0.35 + rng.normal(0, 0.08, m), 0.12, 0.9), 0.0)
        extra["fb"] = np.full(m, 0.22)
    elif behaviour == "serving":
        diurnal = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 4.0) / 24.0)  # 0 at 04:00, 1 at 16:00
        weekend = np.where(weekday >= 5, 0.5, 1.0)
        act = np.clip(0.09 + 0.55 * diurnal * weekend + rng.normal(0, 0.015, m), 0.06, 0.95)
        extra["fb"] = np.full(m, 0.55)
    elif behaviour == "data":
        act = np.clip(0.52 + rng.normal(0, 0.12, m), 0.15, 0.95)
        extra["fb"] = np.clip(0.4 + rng.normal(0, 0.02, m), 0.2, 0.6)
    elif behaviour == "over_requested":
        if gpu_rank < int(pod.params["active_gpus"]):
            act = np.clip(0.72 + rng.normal(0, 0.06, m), 0.3, 0.99)
            extra["fb"] = np.full(m, 0.65)
        else:
            act = np.zeros(m)
            extra["fb"] = np.full(m, 0.006)  # a CUDA context, nothing more
    elif behaviour == "fake_busy":
        act = 0.97 + rng.uniform(0, 0.025, m)
        extra["util"] = 99.0 + rng.uniform(0, 1.0, m)
        extra["sm"] = 0.008 + rng.uniform(0, 0.004, m)
        extra["tensor"] = np.zeros(m)
        extra["dram"] = rng.uniform(0, 0.0003, m)
        extra["power"] = rng.uniform(0.02, 0.05, m)
        extra["fb"] = np.full(m, 0.02)
    elif behaviour == "held_memory":
        act = np.zeros(m)
        extra["fb"] = np.clip(0.9 + rng.normal(0, 0.01, m), 0.85, 0.95)
    elif behaviour == "idle":
        act = np.zeros(m)
        extra["fb"] = np.full(m, 0.08)
    elif behaviour == "low":
        act = 0.03 + rng.uniform(0, 0.04, m)
        extra["fb"] = np.full(m, 0.15)
    elif behaviour in demo_hangs.BEHAVIOURS:
        act, extra = demo_hangs.activity(cluster, pod, gpu_rank, steps, rng)
    else:  # pragma: no cover - pending pods hold no GPU
        raise ValueError(f"no activity for behaviour {behaviour}")
    return act, extra


def _gpu_values(cluster: DemoCluster, node: Node, index: int) -> _GpuValues:
    sc = cluster.scenario
    group = node.group
    n = sc.n_steps
    rng = _rng(sc.seed, node.name, str(index), "free")
    holder = np.full(n, -1, dtype=np.int32)
    present = np.ones(n, dtype=bool)
    act = np.zeros(n)
    util = np.zeros(n)
    sm = np.zeros(n)
    tensor = np.zeros(n)
    dram = np.zeros(n)
    fb_frac = np.zeros(n)
    power_frac = rng.uniform(0.0, 0.02, n)
    for k, pod in enumerate(cluster.holders.get((node.name, index), [])):
        a, b = pod.run_start, pod.run_end
        steps = np.arange(a, b, dtype=np.int64)
        rank = pod.gpu_indexes.index(index)
        pod_act, extra = _pod_activity(cluster, pod, rank, steps)
        prng = _rng(sc.seed, pod.uid, str(rank), "aux")
        holder[a:b] = k
        act[a:b] = pod_act
        if "util" in extra:
            util[a:b] = extra["util"]
        else:
            noisy = np.clip(pod_act * 108.0 + prng.normal(0, 1.5, b - a), 0, 100)
            util[a:b] = np.where(pod_act > 0, noisy, 0.0)
        sm[a:b] = extra.get("sm", pod_act * 0.78)
        tensor[a:b] = extra.get("tensor", pod_act * 0.46)
        dram[a:b] = extra.get("dram", pod_act * 0.33)
        fb_frac[a:b] = extra["fb"]
        power_frac[a:b] = extra.get("power", np.clip(pod_act * 0.88 + prng.normal(0, 0.01, b - a), 0, 1))
        if pod.no_data is not None:
            present[pod.no_data[0] : pod.no_data[1]] = False
    metrics: dict[str, FloatArray] = {}
    if group.has_prof:
        gr = _avoid(_round(act, 4), (IDLE_THRESHOLD, LOW_USE_THRESHOLD), 0.0001)
        metrics["DCGM_FI_DEV_GPU_UTIL"] = _round(util, 1)
        metrics["DCGM_FI_PROF_GR_ENGINE_ACTIVE"] = gr
        metrics["DCGM_FI_PROF_SM_ACTIVE"] = _round(sm, 4)
        metrics["DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"] = _round(tensor, 4)
        metrics["DCGM_FI_PROF_DRAM_ACTIVE"] = _round(dram, 4)
        activity = gr
    else:
        util_pct = _avoid(_round(np.where(holder >= 0, act * 100.0, util), 1), (1.0, 10.0), 0.1)
        metrics["DCGM_FI_DEV_GPU_UTIL"] = util_pct
        activity = util_pct / 100.0
    fb_used = np.rint(fb_frac * group.fb_total_mib)
    metrics["DCGM_FI_DEV_FB_USED"] = fb_used
    metrics["DCGM_FI_DEV_FB_FREE"] = group.fb_total_mib - fb_used
    metrics["DCGM_FI_DEV_POWER_USAGE"] = _round(group.idle_watts + (group.max_watts - group.idle_watts) * power_frac, 1)
    return _GpuValues(holder, present, metrics, activity)


# -- import lines --------------------------------------------------------------------------------------------


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


def _iter_series(cluster: DemoCluster) -> Iterator[tuple[bytes, bytes, int]]:
    """(line, its label object as JSON, samples in the line)."""
    sc = cluster.scenario
    writer = _Writer(sc)
    yield from _dcgm_lines(cluster, writer)
    yield from _ksm_lines(cluster, writer)
    yield from shared_gpu_series(sc)  # MIG and time-sliced GPUs (scenarios/demo_shared_gpus.py)


def _dcgm_lines(cluster: DemoCluster, writer: _Writer) -> Iterator[tuple[bytes, bytes, int]]:
    sc = cluster.scenario
    offset = sc.dcgm_offset_seconds
    for node in cluster.nodes:
        group = node.group
        for index in range(node.gpus):
            values = _gpu_values(cluster, node, index)
            held = cluster.holders.get((node.name, index), [])
            base = {
                group.host_label: node.name,
                "gpu": str(index),
                "UUID": node.gpu_uuid(index),
                "modelName": group.model_name,
                "device": f"nvidia{index}",
                "pci_bus_id": f"00000000:{_PCI_BUSES[index % 8]:02X}:00.0",
                "DCGM_FI_DRIVER_VERSION": "550.90.07",
            }
            if group.pod_label_prefix:
                base["job"] = "dcgm-exporter"
                base["instance"] = f"{node.name}:9400"
                if sc.scrape_target_labels:
                    base["namespace"] = "gpu-operator"
                    base["pod"] = f"nvidia-dcgm-exporter-{_suffix(node.name)}"
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


def _quota_used(cluster: DemoCluster, namespace: str) -> npt.NDArray[np.int64]:
    used = np.zeros(cluster.scenario.n_steps, dtype=np.int64)
    for pod in cluster.pods:
        if pod.namespace == namespace:
            codes = pod.phase_codes()
            used[pod.exist_start : pod.exist_end] += np.where(codes != _SUCCEEDED, pod.gpus, 0)
    return used


def quota_hard(cluster: DemoCluster, namespace: Namespace) -> int | None:
    """A Project's GPU quota: its declared hard (times the scale), or its peak use when declared 0 (tight)."""
    if namespace.quota_hard is None:
        return None
    peak = int(_quota_used(cluster, namespace.name).max())
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
                _quota_used(cluster, ns.name),
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
    for line, _labels_json, _samples in _iter_series(cluster):
        yield line


# -- truth ---------------------------------------------------------------------------------------------------


_FIGURES = (
    "allocated_gpu_hours",
    "used_gpu_hours",
    "idle_gpu_hours",
    "low_use_gpu_hours",
    "no_data_gpu_hours",
    "busy_looking_idle_gpu_hours",
)


def _pod_truth(cluster: DemoCluster) -> dict[str, dict[str, Any]]:
    """Per pod uid: per-day sums in step units (see _COUNTS) and per-GPU detail, from the values written."""
    sc = cluster.scenario
    per_day = sc.steps_per_day
    out: dict[str, dict[str, Any]] = {}
    for pod in cluster.pods:
        days = np.zeros((sc.days, len(_COUNTS)))
        running = np.arange(pod.run_start, pod.run_end)
        np.add.at(days[:, 0], running // per_day, float(pod.gpus))
        out[pod.uid] = {"pod": pod, "days": days, "gpus": {}}
    for node in cluster.nodes:
        for index in range(node.gpus):
            held = cluster.holders.get((node.name, index), [])
            if not held:
                continue
            values = _gpu_values(cluster, node, index)
            for k, pod in enumerate(held):
                steps = np.flatnonzero((values.holder == k) & values.present)
                act = values.activity[steps]
                day_idx = steps // per_day
                days = out[pod.uid]["days"]
                busy_looking = demo_hangs.busy_looking_idle(values.metrics, node.group)[steps]
                np.add.at(days[:, 5], day_idx, busy_looking.astype(np.float64))
                np.add.at(days[:, 1], day_idx, np.where(busy_looking, 0.0, act))
                np.add.at(days[:, 2], day_idx, (act < IDLE_THRESHOLD).astype(np.float64))
                np.add.at(days[:, 3], day_idx, (act < LOW_USE_THRESHOLD).astype(np.float64))
                np.add.at(days[:, 4], day_idx, 1.0)
                out[pod.uid]["gpus"][node.gpu_uuid(index)] = {
                    "gpu_index": index,
                    "observed_steps": len(steps),
                    "active_steps": int(np.count_nonzero(act > 0)),
                    "max_activity": float(act.max()) if len(act) else None,
                    "mean_activity": round(float(act.mean()), 6) if len(act) else None,
                }
    return out


# Columns of the per-day arrays: GPU-steps allocated, sum of activity (busy-looking idle steps left out), idle
# GPU-steps, low-use GPU-steps, observed GPU-steps (a DCGM sample named the pod), busy-looking idle GPU-steps.
# Hours = steps * step_seconds / 3600.
_COUNTS = ("allocated", "used", "idle", "low_use", "observed", "busy_looking_idle")


def _figures(row: npt.NDArray[np.float64], step_seconds: int) -> dict[str, float]:
    step_h = step_seconds / 3600
    allocated, used, idle, low_use, observed, busy_looking = (float(v) for v in row)
    hours = (
        allocated * step_h,
        used * step_h,
        idle * step_h,
        low_use * step_h,
        (allocated - observed) * step_h,
        busy_looking * step_h,
    )
    return {name: round(value, 6) for name, value in zip(_FIGURES, hours, strict=True)}


def ground_truth(cluster: DemoCluster) -> dict[str, Any]:
    """The figures and findings the pipeline must reproduce (JSON-serialisable)."""
    sc = cluster.scenario
    pods = _pod_truth(cluster)
    ns_days: dict[str, npt.NDArray[np.float64]] = {}
    for entry in pods.values():
        pod: Pod = entry["pod"]
        if pod.run_end > pod.run_start:
            ns_days.setdefault(pod.namespace, np.zeros((sc.days, len(_COUNTS))))
            ns_days[pod.namespace] += entry["days"]
    projects: list[dict[str, Any]] = []
    projects_daily: list[dict[str, Any]] = []
    ws_totals: dict[str, npt.NDArray[np.float64]] = {}
    ws_projects: dict[str, int] = {}
    for ns in cluster.namespaces:
        if ns.name not in ns_days:
            continue
        ident = {
            "workspace": ns.workspace_or_unassigned,
            "project": ns.project_or_namespace,
            "namespace": ns.name,
        }
        days = ns_days[ns.name]
        projects.append({**ident, **_figures(days.sum(axis=0), sc.step_seconds)})
        for d in range(sc.days):
            if days[d, 0] > 0:
                day = (sc.start + timedelta(days=d)).date().isoformat()
                projects_daily.append({**ident, "day": day, **_figures(days[d], sc.step_seconds)})
        ws = ns.workspace_or_unassigned
        ws_totals[ws] = ws_totals.get(ws, np.zeros(len(_COUNTS))) + days.sum(axis=0)
        ws_projects[ws] = ws_projects.get(ws, 0) + 1
    workspaces = [
        {"workspace": ws, "projects": ws_projects[ws], **_figures(total, sc.step_seconds)}
        for ws, total in sorted(ws_totals.items())
    ]

    findings: list[dict[str, Any]] = []
    healthy: list[dict[str, Any]] = []
    for wl in cluster.workloads:
        members = [p for p in cluster.pods if p.workload == wl and p.run_end > p.run_start]
        if not members:
            continue
        common: dict[str, Any] = {
            "namespace": wl.namespace,
            "workload": wl.ref,
            "pods": [p.name for p in members],
        }
        if wl.expect is None:
            if wl.why:
                healthy.append({"namespace": wl.namespace, "workload": wl.ref, "why": wl.why})
            continue
        gpus = sum(p.gpus for p in members if p.run_end > p.run_start)
        if wl.expect == "over_requested":
            reclaimable: int | None = sum(
                sum(1 for g in pods[p.uid]["gpus"].values() if g["active_steps"] == 0) for p in members
            )
        elif wl.expect == "low_efficiency":
            reclaimable = None
        else:
            reclaimable = gpus
        rule = "idle_allocation" if wl.expect == "late_idle" else wl.expect
        # a workload that ended before the scenario's end is a waste report: nothing left to give back
        ended = all(p.run_end < sc.n_steps for p in members)
        kind = "waste_report" if ended else "reclaim"
        finding = {"rule": rule, **common, "kind": kind, "gpus_reclaimable": 0 if ended else reclaimable}
        if wl.expect == "late_idle":
            finding["late_idle"] = True
        findings.append(finding)
    demo_hangs.annotate_findings(cluster, findings)
    quotas: list[dict[str, Any]] = []
    for ns in cluster.namespaces:
        hard = quota_hard(cluster, ns)
        if hard is None:
            continue
        used = _quota_used(cluster, ns.name)
        peak = int(used.max())
        p95 = float(np.quantile(used, 0.95))
        running = np.zeros(sc.n_steps, dtype=np.int64)
        pending = np.zeros(sc.n_steps, dtype=np.int64)
        for pod in cluster.pods:
            if pod.namespace == ns.name:
                running[pod.run_start : pod.run_end] += pod.gpus
                if pod.run_start == pod.run_end:
                    pending[pod.exist_start : pod.exist_end] += pod.gpus
        quotas.append(
            {
                "namespace": ns.name,
                "resourcequota": "gpu-quota",
                "hard": hard,
                "peak_used": peak,  # kube_resourcequota type="used": Pending and Running pods' GPU requests
                "peak_running_gpus": int(running.max()),
                "peak_pending_gpus": int(pending.max()),
                "reclaimable": hard >= 2 * max(peak, 1) and hard - peak >= 4,
            }
        )
        if quotas[-1]["reclaimable"]:
            findings.append(
                {
                    "rule": "quota_reclaim",
                    "kind": "reclaim",
                    "namespace": ns.name,
                    "workload": "ResourceQuota/gpu-quota",
                    "pods": [],
                    # the rule's recommendation: p95 x 1.2 headroom (rounded up), never below the peak
                    "gpus_reclaimable": hard - max(math.ceil(round(p95 * 1.2, 9)), peak),
                    "quota_hard": hard,
                    "quota_peak_used": peak,
                }
            )

    pod_rows = []
    for entry in pods.values():
        pod = entry["pod"]
        pod_rows.append(
            {
                "namespace": pod.namespace,
                "pod": pod.name,
                "uid": pod.uid,
                "workload": pod.workload.ref,
                "behaviour": pod.workload.behaviour,
                "node": pod.node.name if pod.node else None,
                "gpu_indexes": list(pod.gpu_indexes),
                "gpus_requested": pod.gpus,
                "pending": pod.run_end == pod.run_start,
                "running_from": _ts(sc, pod.run_start) if pod.run_end > pod.run_start else None,
                "running_until": _ts(sc, pod.run_end) if pod.run_end > pod.run_start else None,
                "exempt": pod.workload.exempt,
                **_figures(entry["days"].sum(axis=0), sc.step_seconds),
                "gpus": entry["gpus"],
            }
        )
    truth = {
        "scenario": scenario_summary(cluster),
        "projects": projects,
        "projects_daily": projects_daily,
        "workspaces": workspaces,
        "findings": findings,
        "healthy": healthy,
        "quotas": quotas,
        "pods": pod_rows,
        "ended_workloads": _ended_workloads(cluster),
        **demo_owners.owners_truth(
            [
                {
                    **finding,
                    "workspace": cluster.namespace(finding["namespace"]).workspace_or_unassigned,
                    "project": cluster.namespace(finding["namespace"]).project_or_namespace,
                }
                for finding in findings
            ],
            sc.start.date() + timedelta(days=sc.days - 1),
        ),
    }
    add_shared_gpu_truth(truth, sc)  # MIG and time-sliced GPUs (scenarios/demo_shared_gpus.py)
    return truth


def _ended_workloads(cluster: DemoCluster) -> list[dict[str, Any]]:
    """Workloads that ran and whose every pod ended before the scenario's end: no reclaim-now ticket names them."""
    ended = []
    for wl in cluster.workloads:
        ran = [p for p in cluster.pods if p.workload == wl and p.run_end > p.run_start]
        if ran and all(p.run_end < cluster.scenario.n_steps for p in ran):
            ended_at = _ts(cluster.scenario, max(p.run_end for p in ran))
            ended.append({"namespace": wl.namespace, "workload": wl.ref, "ended_at": ended_at})
    return ended


def _ts(scenario: DemoScenario, step: int) -> str:
    moment = scenario.start + timedelta(seconds=step * scenario.step_seconds)
    return moment.isoformat().replace("+00:00", "Z")


def scenario_summary(cluster: DemoCluster) -> dict[str, Any]:
    sc = cluster.scenario
    return {
        "start": _ts(sc, 0),
        "end": _ts(sc, sc.n_steps),
        "days": sc.days,
        "step_seconds": sc.step_seconds,
        "seed": sc.seed,
        "scale": sc.scale,
        "dcgm_offset_seconds": sc.dcgm_offset_seconds,
        "ksm_offset_seconds": sc.ksm_offset_seconds,
        "nodes": len(cluster.nodes),
        "gpus": cluster.total_gpus,
        "pods": len(cluster.pods),
        "idle_activity_threshold": IDLE_THRESHOLD,
        "low_use_activity_threshold": LOW_USE_THRESHOLD,
        "machine_groups": [
            {
                "name": g.name,
                "gpu_model": g.gpu_product,
                "dcgm_model_name": g.model_name,
                "nodes": g.base_nodes * sc.scale,
                "profiling_metrics": g.has_prof,
                "host_label": g.host_label,
                "pod_label_prefix": g.pod_label_prefix,
                "fb_total_mib": g.fb_total_mib,
            }
            for g in cluster.groups
        ],
    }


# -- load ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadStats:
    series: int
    samples: int
    seconds: float


def load_demo(client: VictoriaMetricsClient, scenario: DemoScenario, truth_path: Path) -> LoadStats:
    """Import the scenario into `client`'s server and write its ground truth as JSON to `truth_path`."""
    began = time.perf_counter()
    cluster = build_cluster(scenario)
    series: set[bytes] = set()
    samples = 0

    def lines() -> Iterator[bytes]:
        nonlocal samples
        for line, labels_json, count in _iter_series(cluster):
            series.add(hashlib.blake2b(labels_json, digest_size=16).digest())
            samples += count
            yield line

    client.import_jsonl(lines())
    truth = ground_truth(cluster)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = truth_path.with_suffix(truth_path.suffix + ".tmp")
    tmp.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(truth_path)
    return LoadStats(series=len(series), samples=samples, seconds=time.perf_counter() - began)


def running_gpu_requests(cluster: DemoCluster, step: int) -> int:
    """GPUs requested by Running pods at `step` (for checks against kube_pod_container_resource_requests)."""
    return sum(p.gpus for p in cluster.pods if p.run_start <= step < p.run_end)


def existing_gpu_requests(cluster: DemoCluster, step: int) -> int:
    """GPUs requested by every pod that exists (any phase) at `step`."""
    return sum(p.gpus for p in cluster.pods if p.exist_start <= step < p.exist_end)


__all__ = [
    "DemoCluster",
    "DemoScenario",
    "LoadStats",
    "build_cluster",
    "default_demo_start",
    "existing_gpu_requests",
    "ground_truth",
    "iter_import_lines",
    "load_demo",
    "running_gpu_requests",
]
