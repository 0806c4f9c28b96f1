"""The demo-cluster simulator, continued from test_demo_cluster.py: the shape of the series it writes (step grid,
classes, label variants, phases, pending pods, GPU requests), and each planted behaviour as those series show it
(over-requested, fake-busy, serving nights, idle holders, reused names, scrape-target labels, the wedged collective,
the memory-bound job)."""

from __future__ import annotations

import itertools
from collections import defaultdict

import pytest
from gpu_reclaim.scenarios.demo import DemoScenario, build_cluster, existing_gpu_requests, running_gpu_requests

from tests.unit.test_demo_cluster import PROF, START, Series, Week, _by_name, _holder, _host, _parse
from tests.unit.test_demo_cluster import week as week  # the module-scoped demo week, built once for this module too

# -- series shape ----------------------------------------------------------------------------------------------


def test_lines_hold_at_most_one_day_on_the_step_grid(week: Week) -> None:
    cluster, series, _ = week
    sc = cluster.scenario
    start_s = int(sc.start.timestamp())
    for labels, values, timestamps in series:
        assert len(values) == len(timestamps) <= sc.steps_per_day
        offsets = {(ts // 1000 - start_s) % sc.step_seconds for ts in timestamps}
        assert offsets <= {sc.dcgm_offset_seconds, sc.ksm_offset_seconds}
        assert max(offsets) < sc.step_seconds / 4
        days = {(ts // 1000 - start_s) // 86400 for ts in timestamps}
        assert len(days) == 1 and 0 <= days.pop() < sc.days
        assert all(b - a == sc.step_seconds * 1000 for a, b in itertools.pairwise(timestamps))
        assert "" not in labels.values()


def test_every_class_appears_on_pod_labels(week: Week) -> None:
    _, series, _ = week
    labels = [s[0] for s in _by_name(series, "kube_pod_labels")]
    assert {x.get("label_provisioning_type") for x in labels} >= {"reserved", "on-demand", "spot"}
    assert {x.get("label_category") for x in labels} >= {"serving", "training", "data", "interactive"}
    assert {x.get("label_purpose") for x in labels} >= {"service", "qa", "produce", "test"}
    assert any(x.get("label_reclaim_exempt") == "true" for x in labels)
    assert any("label_category" not in x for x in labels)  # an unlabelled bare pod
    namespaces = _by_name(series, "kube_namespace_labels")
    assert any("label_workspace" not in s[0] for s in namespaces)


def test_label_variants_per_machine_group(week: Week) -> None:
    cluster, series, _ = week
    group_of = {node.name: node.group.name for node in cluster.nodes}
    seen: dict[str, set[str]] = defaultdict(set)
    for labels, _, _ in series:
        if labels["__name__"].startswith("DCGM_"):
            group = group_of[_host(labels)]
            seen[group].add(labels["__name__"])
            seen[group].update(key for key in labels if key in {"Hostname", "hostname", "pod", "exported_pod"})
    assert "hostname" in seen["a100-sxm"] and "Hostname" not in seen["a100-sxm"]
    assert "Hostname" in seen["h100-sxm"] and "pod" in seen["h100-sxm"]
    assert "exported_pod" in seen["v100-pcie"] and "pod" not in seen["v100-pcie"]
    assert not any(name in seen["v100-pcie"] for name in PROF)
    assert all(name in seen["h100-sxm"] and name in seen["a100-sxm"] for name in PROF)


def test_phases_are_one_hot_while_a_pod_exists(week: Week) -> None:
    cluster, series, _ = week
    per_uid: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    phases: dict[str, set[str]] = defaultdict(set)
    for labels, values, timestamps in _by_name(series, "kube_pod_status_phase"):
        phases[labels["uid"]].add(labels["phase"])
        for value, ts in zip(values, timestamps, strict=True):
            per_uid[labels["uid"]][ts].append(value)
    assert set(per_uid) == {pod.uid for pod in cluster.pods}
    for uid, steps in per_uid.items():
        assert phases[uid] == {"Pending", "Running", "Succeeded", "Failed", "Unknown"}
        assert all(len(v) == 5 and sum(v) == 1 for v in steps.values()), uid


def test_pending_pods_have_no_node_and_no_dcgm(week: Week) -> None:
    cluster, series, _ = week
    pending = {pod.uid: pod for pod in cluster.pods if pod.run_start == pod.run_end}
    assert sum(pod.gpus for pod in pending.values()) >= 8
    requests = [s[0] for s in _by_name(series, "kube_pod_container_resource_requests")]
    assert all("node" not in labels for labels in requests if labels["uid"] in pending)
    assert all("node" in labels for labels in requests if labels["uid"] not in pending)
    names = {(pod.namespace, pod.name) for pod in pending.values()}
    assert not any(_holder(s[0]) in names for s in series if s[0]["__name__"].startswith("DCGM_"))


def test_gpu_requests_at_a_step(week: Week) -> None:
    cluster, series, _ = week
    sc = cluster.scenario
    step = (2 * 86400 + 15 * 3600) // sc.step_seconds  # Wednesday 15:00: a Pending job exists
    ts = int(sc.start.timestamp()) * 1000 + step * sc.step_seconds * 1000 + sc.ksm_offset_seconds * 1000
    total = 0.0
    for labels, values, timestamps in _by_name(series, "kube_pod_container_resource_requests"):
        if labels["resource"] == "nvidia_com_gpu" and ts in timestamps:
            total += values[timestamps.index(ts)]
    assert total == existing_gpu_requests(cluster, step) > running_gpu_requests(cluster, step)


# -- behaviours -------------------------------------------------------------------------------------------------


def _gr_by_gpu(series: list[Series], pod_prefix: str, metric: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = defaultdict(list)
    for labels, values, _ in _by_name(series, metric):
        holder = _holder(labels)
        if holder and holder[1].startswith(pod_prefix):
            out[labels["UUID"]].extend(values)
    return out


def test_over_requested_pod_never_touches_six_gpus(week: Week) -> None:
    _, series, truth = week
    per_gpu = _gr_by_gpu(series, "recsys-train-wide-", "DCGM_FI_PROF_GR_ENGINE_ACTIVE")
    assert len(per_gpu) == 8
    assert sum(1 for values in per_gpu.values() if max(values) == 0.0) == 6
    assert sum(1 for values in per_gpu.values() if min(values) > 0.1) == 2
    finding = next(f for f in truth["findings"] if f["rule"] == "over_requested")
    assert finding["gpus_reclaimable"] == 6 and finding["workload"] == "Job/recsys-train-wide"


def test_fake_busy_looks_busy_but_does_no_work(week: Week) -> None:
    cluster, series, _ = week
    name = "eval-keepalive-"
    assert min(v for vs in _gr_by_gpu(series, name, "DCGM_FI_DEV_GPU_UTIL").values() for v in vs) >= 99
    assert min(v for vs in _gr_by_gpu(series, name, "DCGM_FI_PROF_GR_ENGINE_ACTIVE").values() for v in vs) >= 0.97
    assert max(v for vs in _gr_by_gpu(series, name, "DCGM_FI_PROF_SM_ACTIVE").values() for v in vs) <= 0.012
    assert max(v for vs in _gr_by_gpu(series, name, "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE").values() for v in vs) == 0
    assert max(v for vs in _gr_by_gpu(series, name, "DCGM_FI_PROF_DRAM_ACTIVE").values() for v in vs) <= 0.001
    group = next(g for g in cluster.groups if g.name == "a100-sxm")
    power = [v for vs in _gr_by_gpu(series, name, "DCGM_FI_DEV_POWER_USAGE").values() for v in vs]
    assert max(power) < group.idle_watts + 0.06 * (group.max_watts - group.idle_watts)


def test_serving_nights_are_quiet_but_not_idle(week: Week) -> None:
    _, series, _ = week
    for prefix in ("chat-llm-", "search-ranker-"):
        values = [v for vs in _gr_by_gpu(series, prefix, "DCGM_FI_PROF_GR_ENGINE_ACTIVE").values() for v in vs]
        assert min(values) >= 0.05 and max(values) > 0.4
    util = [v for vs in _gr_by_gpu(series, "recsys-embed-", "DCGM_FI_DEV_GPU_UTIL").values() for v in vs]
    assert min(util) >= 5.0 and max(util) > 40


def test_idle_holders_hold_memory_or_not(week: Week) -> None:
    cluster, series, _ = week
    total = next(g for g in cluster.groups if g.name == "h100-sxm").fb_total_mib
    used = [v for vs in _gr_by_gpu(series, "kv-cache-warm-", "DCGM_FI_DEV_FB_USED").values() for v in vs]
    active = [v for vs in _gr_by_gpu(series, "kv-cache-warm-", "DCGM_FI_PROF_GR_ENGINE_ACTIVE").values() for v in vs]
    assert min(used) > 0.8 * total and max(active) == 0.0


def test_a_reused_pod_name_has_two_uids(week: Week) -> None:
    cluster, series, truth = week
    uids = {s[0]["uid"] for s in _by_name(series, "kube_pod_status_phase") if s[0]["pod"] == "debug-shell"}
    assert len(uids) == 2
    lives = sorted((p.exist_start, p.exist_end) for p in cluster.pods if p.name == "debug-shell")
    assert lives[0][1] <= lives[1][0]
    assert len([p for p in truth["pods"] if p["pod"] == "debug-shell"]) == 2


def test_scrape_target_labels_keep_the_holder_in_exported_labels() -> None:
    cluster = build_cluster(DemoScenario(start=START, days=1, step_seconds=900, scrape_target_labels=True))
    v100 = [s[0] for s in _parse(cluster) if s[0]["__name__"] == "DCGM_FI_DEV_GPU_UTIL" and "gpu" in s[0]]
    v100 = [labels for labels in v100 if labels["modelName"].startswith("Tesla V100")]
    assert all(labels["namespace"] == "gpu-operator" for labels in v100)
    assert any(labels.get("exported_namespace") == "recsys" for labels in v100)


def test_the_wedged_collective_spins_seven_gpus_and_leaves_the_culprit_idle(week: Week) -> None:
    cluster, series, truth = week
    [finding] = [f for f in truth["findings"] if f["rule"] == "wedged_collective"]
    assert finding["workload"] == "PyTorchJob/vision-ddp-pretrain" and finding["gang_gpus"] == 8
    culprit = finding["odd_gpu_out"]["gpu_uuid"]
    start_ms = int(cluster.scenario.start.timestamp() * 1000)
    wedge = (start_ms + 26 * 3_600_000, start_ms + 29 * 3_600_000)

    def in_wedge(metric: str) -> dict[str, list[float]]:
        out: dict[str, list[float]] = defaultdict(list)
        for labels, values, timestamps in _by_name(series, metric):
            holder = _holder(labels)
            if holder and holder[1].startswith("vision-ddp-pretrain-"):
                out[labels["UUID"]] += [v for v, t in zip(values, timestamps, strict=True) if wedge[0] <= t < wedge[1]]
        return out

    activity, sm, power = (in_wedge(m) for m in ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE",
                                                 "DCGM_FI_DEV_POWER_USAGE"))  # fmt: skip
    steps = 3 * 3600 // cluster.scenario.step_seconds
    assert len(activity) == 8 and all(len(values) == steps for values in activity.values())
    spinning = [uuid for uuid in activity if uuid != culprit]
    assert len(spinning) == 7
    assert all(min(activity[uuid]) >= 0.98 and 0.1 <= min(sm[uuid]) <= max(sm[uuid]) <= 0.3 for uuid in spinning)
    assert all(max(power[uuid]) < 80.0 for uuid in spinning)  # ~70 W on an A100, as NVIDIA/nccl#968 reports
    assert max(activity[culprit]) == 0.0
    vision = next(p for p in truth["projects"] if p["namespace"] == "vision")
    assert vision["busy_looking_idle_gpu_hours"] == pytest.approx(7 * 3.0)


def test_the_memory_bound_job_is_healthy(week: Week) -> None:
    _, series, truth = week
    assert ("vision", "Job/vision-memory-bound") in {(h["namespace"], h["workload"]) for h in truth["healthy"]}
    dram = _gr_by_gpu(series, "vision-memory-bound-", "DCGM_FI_PROF_DRAM_ACTIVE")
    assert len(dram) == 2 and min(min(values) for values in dram.values()) >= 0.5
