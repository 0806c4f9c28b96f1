"""The ground truth of the demo's partitioned and shared GPUs (scenarios/demo/shared_gpus_layout.py), by the
definitions, from the values written: allocated = share x time; used = the instance's activity x its share, or on a
time-sliced GPU its activity split evenly among the pods holding it at that step, capped at a replica; idle = the
device's activity below the idle threshold, x the share."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
from gpu_reclaim.core.usage_figures import USAGE_FIGURES
from gpu_reclaim.scenarios.demo.shared_gpus_layout import (
    BIG_7G,
    DEVICES,
    ETL_2G,
    FINDINGS,
    IDLE,
    IDLE_1G,
    LOW_USE,
    MIG_NODE,
    NAMESPACES,
    NODES,
    PODS,
    SERVE_3G,
    SWEEP_4X1G,
    SWEEP_NODE,
    TS_INFERENCE,
    TS_NOTEBOOKS,
    FloatArray,
    activity,
    holding,
)

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.scenario import DemoScenario


def _pod_steps(scenario: DemoScenario) -> dict[str, FloatArray]:
    """Per pod uid, per step: allocated, used, idle, low-use GPUs (rows), by the definitions."""
    out: dict[str, FloatArray] = {}
    for device in DEVICES:
        act = activity(scenario, device)
        holders = holding(scenario, device)
        for pod in device.holders:
            steps = np.zeros((4, scenario.n_steps))
            held = np.arange(scenario.n_steps) >= pod.first_step(scenario)
            # time-sliced: the GPU's activity split evenly among its holders, capped at a replica
            split = np.minimum(act / np.maximum(holders, 1), pod.share)
            used = split if device.instance is None else act * pod.share
            steps[0] = np.where(held, pod.share, 0.0)
            steps[1] = np.where(held, used, 0.0)
            steps[2] = np.where(held & (act < IDLE), pod.share, 0.0)
            steps[3] = np.where(held & (act < LOW_USE), pod.share, 0.0)
            out[pod.uid] = out[pod.uid] + steps if pod.uid in out else steps  # a pod of several devices: their sum
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
                # tickets round to 3 decimals: what an over_requested ticket says (checked exactly end to end)
                "gpus_reclaimable": round(share, 3) if rule == "over_requested" else None,
                "gpu_share_reclaimable": round(share, 6),
            }
        )
    cases: dict[str, list[str]] = {
        "mig_instance_3g": [SERVE_3G.uid],
        "mig_instance_2g": [ETL_2G.uid],
        "mig_instance_idle_1g": [IDLE_1G.uid],
        "mig_instance_7g_fits_1g": [BIG_7G.uid],
        "mig_over_request_4x1g": [SWEEP_4X1G.uid],
        "time_sliced_vgpu": [p.uid for p in TS_NOTEBOOKS],
        "time_sliced_without_vgpu": [p.uid for p in TS_INFERENCE],
    }
    truth["shared_gpus"] = {
        "cases": {
            case: {"uids": uids, **_hours(np.sum([steps[u] for u in uids], axis=0), scenario.step_seconds)}
            for case, uids in cases.items()
        },
        "nodes": {node: {"machine_group": group} for node, group, *_ in NODES},
        "capacity_gpus": {MIG_NODE: 2.0, SWEEP_NODE: 1.0, "shared-l4-ts-0": 1.0, "shared-l4-ts-1": 1.0},
    }
    for pod in PODS:
        truth["pods"].append(
            {
                "namespace": pod.namespace,
                "pod": pod.name,
                "uid": pod.uid,
                "workload": pod.workload,
                "node": pod.node,
                "gpus_requested": pod.share * pod.devices,
                "gpu_resource": pod.resource,
                "pending": False,
                **_hours(steps[pod.uid], scenario.step_seconds),
            }
        )
