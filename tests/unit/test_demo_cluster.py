"""The demo-cluster simulator: determinism, coverage, series shape, and a truth that the data really implies."""

from __future__ import annotations

import hashlib
import itertools
import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from gpu_reclaim.scenarios.demo import (
    DemoCluster,
    DemoScenario,
    build_cluster,
    default_demo_start,
    ground_truth,
    iter_import_lines,
)
from gpu_reclaim.scenarios.demo.shared_gpus import is_shared_gpu_series

START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday
PROF = ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE")

Series = tuple[dict[str, str], list[float], list[int]]
Week = tuple[DemoCluster, list[Series], dict[str, Any]]


def _parse(cluster: DemoCluster) -> list[Series]:
    out: list[Series] = []
    for line in iter_import_lines(cluster):
        obj = json.loads(line)
        # MIG and time-slicing: tests/unit/test_demo_shared_gpus.py; the second cluster: the e2e truth test
        if not is_shared_gpu_series(obj["metric"]) and obj["metric"].get("cluster") != "demo-east":
            out.append((obj["metric"], obj["values"], obj["timestamps"]))
    return out


def _digest(scenario: DemoScenario) -> str:
    digest = hashlib.sha256()
    for line in iter_import_lines(build_cluster(scenario)):
        digest.update(line)
        digest.update(b"\n")
    return digest.hexdigest()


@pytest.fixture(scope="module")
def week() -> Week:
    """The default layout over a full week, at a 5-minute step to keep the test quick."""
    cluster = build_cluster(DemoScenario(start=START, step_seconds=300))
    return cluster, _parse(cluster), ground_truth(cluster)


def _host(labels: dict[str, str]) -> str:
    return labels.get("Hostname") or labels["hostname"]


def _holder(labels: dict[str, str]) -> tuple[str, str] | None:
    ns = labels.get("exported_namespace") or labels.get("namespace")
    pod = labels.get("exported_pod") or labels.get("pod")
    return (ns, pod) if ns and pod else None


def _by_name(series: list[Series], name: str) -> list[Series]:
    return [s for s in series if s[0]["__name__"] == name]


# -- scenario basics --------------------------------------------------------------------------------------------


def test_default_demo_start_is_the_monday_of_the_last_complete_week() -> None:
    assert default_demo_start(date(2026, 11, 30)) == datetime(2026, 11, 23, tzinfo=UTC)  # a Monday
    assert default_demo_start(date(2026, 11, 29)) == datetime(2026, 11, 16, tzinfo=UTC)  # a Sunday
    assert default_demo_start(date(2026, 11, 28)) == datetime(2026, 11, 16, tzinfo=UTC)
    assert default_demo_start(date(2026, 11, 28)).weekday() == 0


def test_scenario_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        DemoScenario(start=datetime(2026, 11, 16))  # naive
    with pytest.raises(ValueError):
        DemoScenario(start=datetime(2026, 11, 16, 3, tzinfo=UTC))
    with pytest.raises(ValueError):
        DemoScenario(start=START, step_seconds=7)


def test_same_seed_same_bytes_and_another_seed_differs() -> None:
    scenario = DemoScenario(start=START, days=1, step_seconds=300)
    assert _digest(scenario) == _digest(scenario)
    assert _digest(DemoScenario(start=START, days=1, step_seconds=300, seed=8)) != _digest(scenario)


def test_cluster_shape() -> None:
    cluster = build_cluster(DemoScenario(start=START))
    assert cluster.total_gpus == 152
    assert len({node.group.name for node in cluster.nodes}) >= 3
    labelled = [ns for ns in cluster.namespaces if ns.project]
    assert len({ns.workspace for ns in labelled}) >= 4
    assert len(labelled) >= 10
    assert any(ns.workspace is None for ns in cluster.namespaces)
    bigger = build_cluster(DemoScenario(start=START, scale=3))
    assert bigger.total_gpus == 3 * 152
    assert len(bigger.pods) == 3 * len(cluster.pods)
    assert len({(p.namespace, p.name, p.uid) for p in bigger.pods}) == len(bigger.pods)


def test_no_gpu_is_held_twice_at_once() -> None:
    cluster = build_cluster(DemoScenario(start=START, scale=2))
    for pods in cluster.holders.values():
        for before, after in itertools.pairwise(pods):
            assert before.run_end <= after.run_start


# -- truth (what the series imply: test_demo_series.py checks the series themselves) ----------------------------


def test_no_data_gap_and_exempt_and_late_idle_in_truth(week: Week) -> None:
    _cluster, _, truth = week
    pods = {p["pod"]: p for p in truth["pods"]}
    detector = next(p for name, p in pods.items() if name.startswith("vision-detector-train-"))
    assert detector["no_data_gpu_hours"] == pytest.approx(4 * 6)
    assert sum(p["no_data_gpu_hours"] for p in truth["pods"]) == pytest.approx(4 * 6)
    late = [f for f in truth["findings"] if f.get("late_idle")]
    assert {f["workload"] for f in late} == {"Job/rl-ppo-run42", "Job/vision-finetune-vit"}
    assert all(f["rule"] == "idle_allocation" for f in late)
    run42 = next(p for name, p in pods.items() if name.startswith("rl-ppo-run42-"))
    assert run42["idle_gpu_hours"] > 8 * 4
    flagged = {(f["namespace"], f["workload"]) for f in truth["findings"]}
    healthy = {(h["namespace"], h["workload"]) for h in truth["healthy"]}
    assert not flagged & healthy
    assert ("search-serving", "ReplicaSet/search-standby-8f7e6d5c4") in healthy
    assert {f["rule"] for f in truth["findings"]} == {
        "idle_allocation",
        "over_requested",
        "fake_busy",
        "idle_held_memory",
        "quota_reclaim",
        "low_efficiency",
        "wedged_collective",
        "downsize_profile",  # the MIG 7g whose use fits a 1g (scenarios/demo/shared_gpus.py)
    }
    quota = {f["namespace"]: f["gpus_reclaimable"] for f in truth["findings"] if f["rule"] == "quota_reclaim"}
    # hard − max(ceil(p95 × 1.2), peak): 16 − max(3, 2) and 24 − max(3, 2)
    assert quota == {"labeling": 13, "eval-qa": 21}


def test_truth_is_internally_consistent(week: Week) -> None:
    _, _, truth = week
    json.dumps(truth)  # serialisable
    figures = ("allocated_gpu_hours", "used_gpu_hours", "idle_gpu_hours", "low_use_gpu_hours", "no_data_gpu_hours")
    for row in truth["projects"] + truth["projects_daily"] + truth["workspaces"]:
        observed = row["allocated_gpu_hours"] - row["no_data_gpu_hours"]
        assert 0 <= row["no_data_gpu_hours"] <= row["allocated_gpu_hours"]
        assert 0 <= row["idle_gpu_hours"] <= row["low_use_gpu_hours"] <= observed + 1e-6
        assert 0 <= row["used_gpu_hours"] <= observed + 1e-6
    for project in truth["projects"]:
        key = (project["cluster"], project["namespace"])  # a Project is (cluster, namespace)
        daily = [d for d in truth["projects_daily"] if (d["cluster"], d["namespace"]) == key]
        for name in figures:
            assert sum(d[name] for d in daily) == pytest.approx(project[name], abs=1e-5)
    for workspace in truth["workspaces"]:
        members = [p for p in truth["projects"] if p["workspace"] == workspace["workspace"]]
        for name in figures:
            assert sum(p[name] for p in members) == pytest.approx(workspace[name], abs=1e-5)
    assert {p["workspace"] for p in truth["projects"]} >= {"unassigned"}


RECOUNTED = ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_DEV_GPU_UTIL", "DCGM_FI_PROF_SM_ACTIVE",
             "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE", "DCGM_FI_PROF_DRAM_ACTIVE", "DCGM_FI_DEV_POWER_USAGE")  # fmt: skip
# (idle W, max W) of the demo's models in the default gpu_power table: A100 SXM4 55/400, H100 70/700
POWER = {"NVIDIA A100-SXM4-80GB": (55.0, 400.0), "NVIDIA H100 80GB HBM3": (70.0, 700.0)}


def _busy_looking_idle(cell: dict[str, Any], activity: float) -> bool:
    """The fake-busy step (README Definitions), written out again: such steps are not used."""
    if "DCGM_FI_PROF_SM_ACTIVE" not in cell or cell["model"] not in POWER:
        return False
    idle, peak = POWER[cell["model"]]
    return bool(
        activity >= 0.8
        and cell["DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"] < 0.02
        and cell["DCGM_FI_PROF_DRAM_ACTIVE"] < 0.02
        and cell["DCGM_FI_PROF_SM_ACTIVE"] <= 0.35
        and cell["DCGM_FI_DEV_POWER_USAGE"] < idle + 0.15 * (peak - idle)
    )


def test_truth_matches_a_recount_from_the_lines(week: Week) -> None:
    """Recompute per-Project figures from the import lines alone, with the pipeline's definitions."""
    cluster, series, truth = week
    sc = cluster.scenario
    start_s = int(sc.start.timestamp())
    step_h = sc.step_seconds / 3600

    def bucket(ts: int) -> int:
        return (ts // 1000 - start_s) // sc.step_seconds

    running: dict[tuple[str, str, int], str] = {}
    requests: dict[tuple[str, str], float] = {}
    uid_ns: dict[str, str] = {}
    samples: dict[tuple[str, str, int], dict[str, Any]] = defaultdict(dict)
    ns_project: dict[str, tuple[str, str]] = {}
    for labels, values, timestamps in series:
        name = labels["__name__"]
        if name == "kube_pod_status_phase" and labels["phase"] == "Running":
            uid_ns[labels["uid"]] = labels["namespace"]
            for value, ts in zip(values, timestamps, strict=True):
                if value == 1:
                    running[(labels["namespace"], labels["pod"], bucket(ts))] = labels["uid"]
        elif name == "kube_pod_container_resource_requests" and labels["resource"] == "nvidia_com_gpu":
            requests[(labels["uid"], labels["container"])] = values[0]  # one line a day, same value
        elif name == "kube_namespace_labels":
            ns = labels["namespace"]
            ns_project[ns] = (labels.get("label_workspace", "unassigned"), labels.get("label_project", ns))
        elif name in RECOUNTED:
            holder = _holder(labels)
            if holder is None:
                continue
            for value, ts in zip(values, timestamps, strict=True):
                cell = samples[(_host(labels), labels["gpu"], bucket(ts))]
                cell[name] = value
                cell["holder"] = holder
                cell["model"] = labels["modelName"]
    gpus: dict[str, float] = defaultdict(float)
    for (uid, _container), value in requests.items():
        gpus[uid] += value
    figures: dict[str, list[float]] = defaultdict(lambda: [0.0] * 5)
    for (ns, _pod, _b), uid in running.items():
        figures[ns][0] += gpus[uid] * step_h
    for (_host_name, _gpu, b), cell in samples.items():
        holder_uid = running.get((*cell["holder"], b))
        if holder_uid is None:
            continue
        gr = cell.get("DCGM_FI_PROF_GR_ENGINE_ACTIVE")
        activity = gr if gr is not None else cell["DCGM_FI_DEV_GPU_UTIL"] / 100
        row = figures[uid_ns[holder_uid]]
        row[1] += 0.0 if _busy_looking_idle(cell, activity) else activity * step_h
        row[2] += step_h if activity < 0.01 else 0.0
        row[3] += step_h if activity < 0.10 else 0.0
        row[4] += step_h
    expected = {
        p["namespace"]: p for p in truth["projects"] if not is_shared_gpu_series(p) and p["cluster"] == "demo-west"
    }
    assert set(expected) == set(figures)
    for ns, row in figures.items():
        want = expected[ns]
        assert (want["workspace"], want["project"]) == ns_project[ns]
        assert row[0] == pytest.approx(want["allocated_gpu_hours"], abs=1e-5)
        assert row[1] == pytest.approx(want["used_gpu_hours"], abs=1e-5)
        assert row[2] == pytest.approx(want["idle_gpu_hours"], abs=1e-5)
        assert row[3] == pytest.approx(want["low_use_gpu_hours"], abs=1e-5)
        assert row[0] - row[4] == pytest.approx(want["no_data_gpu_hours"], abs=1e-5)
