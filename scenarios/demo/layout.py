"""The base layout (Machine Groups, namespaces, one row per workload) and `build_cluster`, which lays it out."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gpu_reclaim.scenarios.demo import hangs as demo_hangs
from gpu_reclaim.scenarios.demo.model import (
    DemoCluster,
    MachineGroup,
    Namespace,
    Node,
    Pod,
    Workload,
    name_suffix,
    stable_uuid,
)
from gpu_reclaim.scenarios.demo.scenario import GIB, PENDING_PRELUDE_STEPS, SUCCEEDED_TAIL_STEPS, DemoScenario

# One row a Machine Group, in MachineGroup's field order: name, node label gpu_product, DCGM modelName, base nodes,
# framebuffer MiB, idle and max watts, DCGM_FI_PROF_* emitted, host label, pod-label prefix, CPU cores, memory GiB.
# fmt: off
_GROUP_ROWS: tuple[tuple[str, str, str, int, int, float, float, bool, str, str, int, int], ...] = (
    ("h100-sxm", "NVIDIA-H100-80GB-HBM3", "NVIDIA H100 80GB HBM3",
     8, 81559, 72.0, 700.0, True, "Hostname", "", 224, 2048),
    ("a100-sxm", "NVIDIA-A100-SXM4-80GB", "NVIDIA A100-SXM4-80GB",
     6, 81920, 58.0, 400.0, True, "hostname", "", 128, 1024),
    ("v100-pcie", "Tesla-V100-PCIE-32GB", "Tesla V100-PCIE-32GB",
     5, 32768, 26.0, 250.0, False, "Hostname", "exported_", 64, 512),
)
# fmt: on
GROUPS = tuple(MachineGroup(*row[:-1], memory_bytes=row[-1] * GIB) for row in _GROUP_ROWS)

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
        return [f"{name}-{i}-{name_suffix(str(seed), name, str(i))}" for i in range(spec.replicas)]
    return [f"{name}-{name_suffix(str(seed), name, str(i))}" for i in range(spec.replicas)]


_Busy = dict[tuple[str, int], list[tuple[int, int]]]


def _place(pod: Pod, preferred: int, copy_nodes: list[Node], busy: _Busy) -> Node:
    """Put `pod` on the first node from `preferred` on (cycling) with enough GPUs free for its whole run."""
    base_count = len(copy_nodes)
    for node in (copy_nodes[(preferred + k) % base_count] for k in range(base_count)):
        free = [
            i
            for i in range(node.gpus)
            if all(e <= pod.run_start or s >= pod.run_end for s, e in busy.get((node.name, i), []))
        ]
        if len(free) >= pod.gpus:
            pod.node = node
            pod.gpu_indexes = tuple(free[: pod.gpus])
            break
    if pod.node is None:
        raise RuntimeError(f"demo layout does not fit: {pod.namespace}/{pod.name}")
    for i in pod.gpu_indexes:
        busy.setdefault((pod.node.name, i), []).append((pod.run_start, pod.run_end))
    return pod.node


def _pending_pod(wl: Workload, spec: _Spec, pod_name: str, uid: str, run_start: int, run_end: int) -> Pod:
    """A pod that waits from `run_start` and never runs: its run is the empty span at `run_end`."""
    return Pod(
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


def build_cluster(scenario: DemoScenario) -> DemoCluster:
    """Nodes, namespaces, workloads and pods with their timelines and GPU indexes (pure, no I/O)."""
    n = scenario.n_steps
    step_h = scenario.step_seconds / 3600

    def to_step(hours: float) -> int:
        return min(n, max(0, round(hours / step_h)))

    nodes_by_group = {
        group.name: [Node(f"{group.name}-{i:03d}", group) for i in range(group.base_nodes * scenario.scale)]
        for group in GROUPS
    }
    nodes = [node for members in nodes_by_group.values() for node in members]

    busy: _Busy = {}
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
            wl = replace(spec.workload, name=spec.workload.name + suffix)
            if wl not in workloads:
                workloads.append(wl)
            params = dict(spec.params)
            group_nodes = nodes_by_group[spec.group]
            base_count = len(group_nodes) // scenario.scale
            copy_nodes = group_nodes[copy * base_count : (copy + 1) * base_count]
            for replica, pod_name in enumerate(_pod_names(spec, suffix, scenario.seed)):
                life = str(int(params.get("life", 1.0)))
                uid = str(stable_uuid(str(scenario.seed), wl.namespace, pod_name, life))
                if spec.pending:
                    pods.append(_pending_pod(wl, spec, pod_name, uid, run_start, run_end))
                    continue
                exist_start = run_start if run_start == 0 else max(0, run_start - PENDING_PRELUDE_STEPS)
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
                node = _place(pod, spec.nodes[replica % len(spec.nodes)] % base_count, copy_nodes, busy)
                for i in pod.gpu_indexes:
                    holders.setdefault((node.name, i), []).append(pod)
                pods.append(pod)
    for held in holders.values():
        held.sort(key=lambda p: p.run_start)
    return DemoCluster(scenario, list(GROUPS), nodes, list(NAMESPACES), workloads, pods, holders)
