"""The Alibaba trace replay: hand-worked placements on a tiny trace, and the real trace vendored with the package."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest
from gpu_reclaim.scenarios.alibaba_replay import (
    DEFAULT_DATA_DIR,
    NODE_FILE,
    POD_FILE,
    ReplayPlacement,
    load_pods,
    replay,
)
from gpu_reclaim.scenarios.alibaba_series import iter_replay_import_lines, pod_uid
from gpu_reclaim.scoring.fragmentation import NodeCapacity, PodRequest

NODES = """sn,cpu_milli,memory_mib,gpu,model
n0,8000,16384,2,A
n1,8000,16384,1,B
"""
# name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
PODS = """name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,deletion_time,scheduled_time
p3,1000,1024,1,500,,BE,Running,3,9,3
p0,1000,1024,1,600,,LS,Running,0,9,0
p1,1000,1024,1,300,B,LS,Running,1,9,1
p2,1000,1024,1,1000,,BE,Running,2,9,2
p4,1000,1024,0,0,,BE,Running,4,9,4
"""


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    (tmp_path / NODE_FILE).write_text(NODES, encoding="utf-8")
    (tmp_path / POD_FILE).write_text(PODS, encoding="utf-8")
    return tmp_path


def where(placement: ReplayPlacement) -> dict[str, tuple[str | None, tuple[int, ...] | None]]:
    return {p.name: (p.node, p.gpu_indexes) for p in placement.placed}


def test_first_fit_on_a_tiny_trace(tiny: Path) -> None:
    placement = replay(tiny, policy="first_fit", target_share=0.5)
    # 3 GPUs, target 1500 milli. p0 (0.6) -> n0 GPU 0; p1 (0.3, model B only) -> n1 GPU 0; p2 (whole) -> n0
    # GPU 1. Requested 600 + 300 + 1000 = 1900 >= 1500: p3 never arrives.
    assert where(placement) == {"p0": ("n0", (0,)), "p1": ("n1", (0,)), "p2": ("n0", (1,))}
    assert placement.requested_gpu_milli == 1900 and placement.reached
    assert placement.unplaced == ()
    assert [n.gpu_free_milli for n in placement.node_states()] == [(400, 0), (700,)]


def test_best_fit_on_a_tiny_trace(tiny: Path) -> None:
    placement = replay(tiny, policy="best_fit", target_share=0.5)
    # p0 (0.6): n0 would keep 1400 free, n1 400 -> n1. p1 (0.3, B) -> n1 (100 left). p2 whole -> n0 GPU 0.
    assert where(placement) == {"p0": ("n1", (0,)), "p1": ("n1", (0,)), "p2": ("n0", (0,))}
    assert [n.gpu_free_milli for n in placement.node_states()] == [(0, 1000), (100,)]


def test_target_not_reached_and_cpu_only_pods(tiny: Path) -> None:
    placement = replay(tiny, policy="first_fit", target_share=1.0)
    # p3 (0.5) fits only on n1 (700 free); p4 is CPU-only and goes to the first node. 2400 of 3000 requested.
    assert where(placement)["p3"] == ("n1", (0,))
    assert where(placement)["p4"] == ("n0", ())
    assert placement.requested_gpu_milli == 2400 and not placement.reached
    assert placement.requested_share == pytest.approx(0.8)


def test_model_constraint_can_leave_a_pod_unplaced(tmp_path: Path) -> None:
    (tmp_path / NODE_FILE).write_text(NODES, encoding="utf-8")
    (tmp_path / POD_FILE).write_text(
        PODS.splitlines()[0] + "\nq0,1000,1024,1,1000,B,LS,Running,0,9,0\nq1,1000,1024,1,500,B,LS,Running,1,9,1\n",
        encoding="utf-8",
    )
    placement = replay(tmp_path, policy="best_fit", target_share=1.0)
    # q0 takes n1's only GPU; q1 may only use model B and n0 (model A) has room: unplaced, still requested.
    assert where(placement) == {"q0": ("n1", (0,))}
    assert [p.name for p in placement.unplaced] == ["q1"]
    assert placement.requested_gpu_milli == 1500


def test_bad_arguments(tiny: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="policy"):
        replay(tiny, policy="worst_fit")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="target_share"):
        replay(tiny, target_share=1.5)
    with pytest.raises(FileNotFoundError, match="missing"):
        replay(tmp_path / "nowhere")


def test_import_lines() -> None:
    placement = ReplayPlacement(
        policy="first_fit",
        target_share=0.9,
        nodes=(NodeCapacity("n0", "A", "A", 2, 8000, 1024),),
        placed=(
            PodRequest("whole", cpu_milli=1500, memory_mib=512, num_gpu=2, node="n0", gpu_indexes=(0, 1)),
            PodRequest("half", cpu_milli=500, num_gpu=1, gpu_milli=500, node="n0", gpu_indexes=(1,)),
        ),
        unplaced=(PodRequest("left-out", num_gpu=1),),
        qos={"whole": "LS", "half": "BE"},
        requested_gpu_milli=3500,
        reached=True,
    )
    at = datetime(2026, 1, 5, tzinfo=UTC)
    lines = [json.loads(line) for line in iter_replay_import_lines(placement, at, steps=3, step_seconds=60)]
    start = int(at.timestamp() * 1000)
    assert all(line["timestamps"] == [start, start + 60_000, start + 120_000] for line in lines)
    series: dict[str, list[dict[str, str]]] = defaultdict(list)
    values: dict[tuple[str, ...], float] = {}
    for line in lines:
        metric = line["metric"]
        series[metric["__name__"]].append(metric)
        key = (metric["__name__"], metric.get("pod", metric.get("node", "")), metric.get("resource", ""))
        values[key] = line["values"][0]
    assert values[("kube_node_status_allocatable", "n0", "nvidia_com_gpu")] == 2
    assert values[("kube_node_status_allocatable", "n0", "cpu")] == 8
    assert values[("kube_node_status_allocatable", "n0", "memory")] == 1024 * 2**20
    assert series["kube_node_labels"] == [
        {
            "__name__": "kube_node_labels",
            "job": "kube-state-metrics",
            "node": "n0",
            "label_machine_group": "A",
            "label_nvidia_com_gpu_product": "A",
        }
    ]
    assert values[("kube_pod_container_resource_requests", "whole", "nvidia_com_gpu")] == 2
    assert values[("kube_pod_container_resource_requests", "whole", "cpu")] == 1.5
    assert values[("kube_pod_container_resource_requests", "half", "alibabacloud_com_gpu_milli")] == 500
    assert ("kube_pod_container_resource_requests", "half", "nvidia_com_gpu") not in values
    annotations = series["kube_pod_annotations"]
    assert len(annotations) == 1 and annotations[0]["annotation_alibabacloud_com_gpu_index"] == "1"
    assert annotations[0]["uid"] == pod_uid("half")
    running = [m for m in series["kube_pod_status_phase"] if m["phase"] == "Running"]
    assert {m["pod"] for m in running} == {"whole", "half"}
    phases = {(m["pod"], m["phase"]) for m in series["kube_pod_status_phase"]}
    assert len(phases) == 10  # five phases per pod; only Running is 1
    assert values[("kube_pod_status_phase", "half", "")] in (0.0, 1.0)
    owners = {m["pod"]: (m["owner_kind"], m["owner_name"]) for m in series["kube_pod_owner"]}
    assert owners == {"whole": ("ReplicaSet", "whole-rs"), "half": ("Job", "half-job")}
    namespaces = {m["namespace"] for m in series["kube_namespace_labels"]}
    assert {m["namespace"] for m in series["kube_pod_owner"]} <= namespaces
    assert all("label_workspace" in m and "label_project" in m for m in series["kube_namespace_labels"])
    assert not any(m.get("pod") == "left-out" for metrics in series.values() for m in metrics)


def _check_placement(placement: ReplayPlacement, pod_file: str = POD_FILE) -> None:
    caps = {n.name: n for n in placement.nodes}
    gpu_use: dict[tuple[str, int], int] = defaultdict(int)
    cpu_use: dict[str, int] = defaultdict(int)
    memory_use: dict[str, int] = defaultdict(int)
    for pod in placement.placed:
        assert pod.node is not None and pod.gpu_indexes is not None
        node = caps[pod.node]
        if pod.allowed_models is not None and pod.num_gpu > 0:
            assert node.gpu_model in pod.allowed_models, pod
        assert len(set(pod.gpu_indexes)) == pod.num_gpu
        for index in pod.gpu_indexes:
            gpu_use[(pod.node, index)] += pod.gpu_milli
        cpu_use[pod.node] += pod.cpu_milli
        memory_use[pod.node] += pod.memory_mib
    assert all(used <= 1000 for used in gpu_use.values())
    assert all(cpu_use[n] <= caps[n].cpu_milli and memory_use[n] <= caps[n].memory_mib for n in cpu_use)
    total = placement.total_gpu_milli
    assert placement.reached
    assert placement.requested_gpu_milli >= placement.target_share * total
    # The arrivals are a prefix of the trace in creation order, and the last one crossed the target.
    arrived = {p.name for p in [*placement.placed, *placement.unplaced]}
    order = [t.request for t in load_pods(DEFAULT_DATA_DIR / pod_file)]
    assert arrived == {p.name for p in order[: len(arrived)]}
    last = order[len(arrived) - 1]
    assert placement.requested_gpu_milli - last.total_gpu_milli < placement.target_share * total


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["first_fit", "best_fit"])
def test_trace_reaches_the_target_share(policy: str) -> None:
    placement = replay(policy=policy)  # type: ignore[arg-type]
    assert len(placement.nodes) == 1213 and placement.total_gpu_milli == 6212 * 1000
    assert placement.requested_share >= 0.9
    _check_placement(placement)


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["first_fit", "best_fit"])
def test_trace_respects_model_constraints(policy: str) -> None:
    placement = replay(policy=policy, pod_file="openb_pod_list_gpuspec33.csv")  # type: ignore[arg-type]
    assert any(p.allowed_models is not None for p in placement.placed)
    _check_placement(placement, "openb_pod_list_gpuspec33.csv")


def test_trace_ships_with_the_package_with_its_licence() -> None:
    import gpu_reclaim.scenarios

    package_dir = Path(gpu_reclaim.scenarios.__file__).resolve().parent
    assert DEFAULT_DATA_DIR.resolve().is_relative_to(package_dir)
    for name in (NODE_FILE, POD_FILE, "openb_pod_list_gpuspec33.csv"):
        assert (DEFAULT_DATA_DIR / name).stat().st_size > 40_000, name
    licence = (DEFAULT_DATA_DIR / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC BY 4.0" in licence and "Weng" in licence
