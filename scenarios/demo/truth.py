"""The ground truth the pipeline must reproduce, computed from the very (rounded) values written."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import numpy.typing as npt
from gpu_reclaim.core.usage_figures import USAGE_FIGURES
from gpu_reclaim.scenarios.demo import hangs as demo_hangs
from gpu_reclaim.scenarios.demo import owners as demo_owners
from gpu_reclaim.scenarios.demo.east import add_east_truth
from gpu_reclaim.scenarios.demo.model import DemoCluster, Pod
from gpu_reclaim.scenarios.demo.quota_truth import quota_truth
from gpu_reclaim.scenarios.demo.scenario import IDLE_THRESHOLD, LOW_USE_THRESHOLD, DemoScenario
from gpu_reclaim.scenarios.demo.shared_gpus import add_shared_gpu_truth
from gpu_reclaim.scenarios.demo.signals import gpu_values


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
            values = gpu_values(cluster, node, index)
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
    return {name: round(value, 6) for name, value in zip(USAGE_FIGURES, hours, strict=True)}


def _usage_truth(
    cluster: DemoCluster, pods: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Projects over the window and per day, and Workspaces, from the pods' per-day sums."""
    sc = cluster.scenario
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
    return projects, projects_daily, workspaces


def _workload_findings(
    cluster: DemoCluster, pods: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The planted finding of every workload that expects one, and the healthy workloads with the reason why."""
    sc = cluster.scenario
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
    return findings, healthy


def _pod_rows(sc: DemoScenario, pods: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per pod: where it ran, its request, its window figures and per-GPU detail."""
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
    return pod_rows


def ground_truth(cluster: DemoCluster) -> dict[str, Any]:
    """The figures and findings the pipeline must reproduce (JSON-serialisable)."""
    sc = cluster.scenario
    pods = _pod_truth(cluster)
    projects, projects_daily, workspaces = _usage_truth(cluster, pods)
    findings, healthy = _workload_findings(cluster, pods)
    demo_hangs.annotate_findings(cluster, findings)
    quotas = quota_truth(cluster, findings)
    pod_rows = _pod_rows(sc, pods)
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
    add_shared_gpu_truth(truth, sc)  # MIG and time-sliced GPUs (scenarios/demo/shared_gpus.py)
    add_east_truth(truth, sc)  # the second cluster, demo-east (scenarios/demo/east.py)
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
