"""Rules on window figures per GPU (sql/rules_gpu_stats.sql): low efficiency, over-request, downsizing."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any, ClassVar

from gpu_reclaim.core.rule_settings import (
    DownsizeProfileSettings,
    LowEfficiencySettings,
    OverRequestedSettings,
)
from gpu_reclaim.scoring.changes import downsize_yaml, mig_request_yaml, request_yaml, scale_command
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs, rows_by_workload
from gpu_reclaim.scoring.rules.mig import MigResize, mig_resize
from gpu_reclaim.scoring.rules.over_request import DEVICE_NOUNS, PodOverRequest, judge_pod, smaller_request

GIB = 1024.0


def gpus_by_workload(inputs: RuleInputs) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    return rows_by_workload(inputs.gpu_stats)


def per_pod_gpus(workload: dict[str, Any]) -> int:
    """GPUs per pod at the workload's last step (at least 1)."""
    return max(1, round(float(workload["last_gpus"]) / max(int(workload["last_replicas"]), 1)))


def fewer_gpus_change(workload: dict[str, Any], needed: int) -> str:
    """Run on `needed` GPUs: fewer replicas when the workload has several pods and scales, else a smaller request
    per pod."""
    replicas = max(int(workload["last_replicas"]), 1)
    per_pod = float(workload["last_gpus"]) / replicas
    if replicas > 1 and per_pod > 0:
        scaled = scale_command(workload["namespace"], workload["workload"], math.ceil(needed / per_pod - 1e-9))
        if scaled is not None:
            return scaled
    return request_yaml(workload["workload"], max(1, math.ceil(needed / replicas - 1e-9)))


class LowEfficiency(RuleBase[LowEfficiencySettings]):
    """Mean activity ≤ mean_activity_max over the window, with more than
    min_allocated_gpu_hours allocated (Job Defense Shield's low-GPU-efficiency alert).

    Recoverable: allocated GPU-hours minus what the same work needs at target_activity.
    """

    name: ClassVar[str] = "low_efficiency"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        gpus = gpus_by_workload(inputs)
        for key, workload in sorted(inputs.workload_rows().items()):
            allocated = workload["allocated_gpu_hours"]
            if workload["category"] in self.settings.never_categories:
                continue
            if allocated <= self.settings.min_allocated_gpu_hours or not gpus.get(key):
                continue
            used = sum(gpu["used_gpu_hours"] or 0.0 for gpu in gpus[key])
            measured = sum(gpu["activity_hours"] for gpu in gpus[key])
            if measured <= 0:
                continue
            mean = used / measured
            if mean > self.settings.mean_activity_max:
                continue
            target = self.settings.target_activity
            needed = max(1, math.ceil(workload["gpus_allocated"] * mean / target - 1e-9))
            reclaimable = max(0.0, float(workload["gpus_allocated"]) - needed)
            recoverable = max(0.0, allocated - used / target)
            figures = {"allocated_gpu_hours": allocated, "used_gpu_hours": used, "measured_gpu_hours": measured}
            evidence = {
                "mean_activity": round(mean, 4),
                "mean_activity_max": self.settings.mean_activity_max,
                **{name: round(value, 3) for name, value in figures.items()},
                "target_activity": target,
                "gpus_needed_at_target": needed,
            }
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=reclaimable,
                    recoverable_gpu_hours_in_window=recoverable,
                    evidence=evidence,
                    action=f"Run {workload['workload']} on {needed} GPU(s) instead of "
                    f"{workload['gpus_allocated']:g}, or batch more work per GPU.",
                    change=fewer_gpus_change(workload, needed),
                    prevention=f"Next run of {workload['workload']}: request {needed} GPU(s) instead of "
                    f"{workload['gpus_allocated']:g}, or batch more work per GPU (mean activity {mean:.0%}).",
                    prevention_change=fewer_gpus_change(workload, needed) if reclaimable > 0 else None,
                    summary=f"{workload['workload']} in {workload['namespace']}: mean GPU activity "
                    f"{mean:.0%} "
                    f"over {allocated:.0f} allocated GPU-hours.",
                )
            )
        return findings


class OverRequested(RuleBase[OverRequestedSettings]):
    """A pod of ≥ min_gpus devices (GPUs, MIG instances or replicas) of which some never show activity in the
    window (scoring/rules/over_request.py).

    gpus_reclaimable is the GPU share of the never-active devices (a 1g of an A100: 1/7); requested devices with no
    DCGM series are reported as no data, never as reclaimable. A pod none of whose devices worked is left to
    idle_allocation.
    """

    name: ClassVar[str] = "over_requested"

    def _judged(self, rows: list[dict[str, Any]]) -> list[PodOverRequest]:
        by_pod: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_pod[row["uid"]].append(row)
        settings = self.settings
        judged = (
            judge_pod(pod, settings.min_gpus, settings.min_hours, settings.max_activity) for pod in by_pod.values()
        )
        return [pod for pod in judged if pod is not None]

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        gpus = gpus_by_workload(inputs)
        for key, workload in sorted(inputs.workload_rows().items()):
            judged = self._judged(gpus.get(key, []))
            if not judged:
                continue
            name = workload["workload"]
            never_active = round(sum(pod.idle_share for pod in judged), 6)
            largest = max(judged, key=lambda pod: (pod.gpus_requested, pod.active_devices, pod.pod))
            asked, idle_devices = largest.devices_requested, sum(pod.idle_devices for pod in judged)
            what, change = smaller_request(name, largest, workload["gpu_model"])
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=never_active,
                    recoverable_gpu_hours_in_window=sum(pod.idle_gpu_hours for pod in judged),
                    evidence={
                        "pods_judged": len(judged),
                        "gpus_never_active": never_active,
                        "devices_never_active": idle_devices,
                        "device_kind": largest.kind,
                        "gpus_no_data": round(sum(pod.no_data_share for pod in judged), 6),
                        "largest_pod_gpus_requested": round(largest.gpus_requested, 6),
                        "largest_pod_devices_requested": largest.devices_requested,
                        "largest_pod_gpus_active": round(largest.active_share, 6),
                        "largest_pod_devices_active": largest.active_devices,
                        "max_activity_threshold": self.settings.max_activity,
                    },
                    action=f"Request {what} per pod instead of {asked} for {name}.",
                    change=change,
                    prevention=f"Next run of {name}: request {what} per pod instead of {asked}.",
                    prevention_change=change,
                    summary=f"{name} in {workload['namespace']}: {idle_devices} requested "
                    f"{DEVICE_NOUNS[largest.kind]} ({never_active:.3g} GPU) never showed any activity in the window.",
                    pods=sorted(pod.pod for pod in judged),
                    nodes=sorted({node for pod in judged for node in pod.idle_nodes}),
                )
            )
        return findings


class DownsizeProfile(RuleBase[DownsizeProfileSettings]):
    """All GPUs of a workload are 80 GB-class, yet peak memory stays under peak_memory_gib_max and
    tensor activity under tensor_active_max: a smaller GPU or MIG profile would do."""

    name: ClassVar[str] = "downsize_profile"

    def _fits_smaller(self, gpu: dict[str, Any]) -> bool:
        large = (gpu["fb_total_mib"] or 0.0) >= self.settings.gpu_memory_gib_min * GIB or "80GB" in (
            (gpu["gpu_model"] or "").upper().replace(" ", "")
        )
        return (
            large
            and gpu["peak_fb_used_mib"] is not None
            and gpu["peak_fb_used_mib"] < self.settings.peak_memory_gib_max * GIB
            and gpu["mean_tensor_active"] is not None
            and gpu["mean_tensor_active"] < self.settings.tensor_active_max
        )

    def _mig_finding(self, inputs: RuleInputs, workload: dict[str, Any], resizes: list[MigResize]) -> Finding:
        """Every device of the workload fits a smaller MIG profile: the GPU share it gives back, with the hours."""
        saved = round(sum(resize.share_saved for resize in resizes), 6)
        recoverable = sum(resize.observed_hours * resize.share_saved for resize in resizes)
        largest = max(resizes, key=lambda resize: (resize.from_share, resize.to_slices))
        source = largest.source
        target = f"{largest.to_slices}g"
        return self.finding(
            inputs,
            workload,
            gpus_reclaimable=saved,
            recoverable_gpu_hours_in_window=recoverable,
            evidence={
                "mig_from": source,
                "mig_to_slices": largest.to_slices,
                "compute_slices": largest.compute_slices,
                "peak_gpu_share": round(max(resize.peak_share for resize in resizes), 4),
                "gpu_share_saved": saved,
                "devices": len(resizes),
                "mig_headroom": self.settings.mig_headroom,
            },
            action=f"Request a {target} MIG instance instead of {source} for {workload['workload']} "
            f"({largest.to_slices}/{largest.compute_slices} of a GPU holds its peak with headroom).",
            change=mig_request_yaml(workload["workload"], largest.to_slices),
            prevention=f"Next run of {workload['workload']}: request a {target} MIG instance instead of {source}.",
            prevention_change=mig_request_yaml(workload["workload"], largest.to_slices),
            summary=f"{workload['workload']} in {workload['namespace']} never uses more than "
            f"{max(resize.peak_share for resize in resizes):.0%} of a GPU: {target} instead of {source} gives back "
            f"{saved:g} GPU.",
            pods=sorted({resize.pod for resize in resizes}),
            nodes=sorted({resize.node for resize in resizes}),
            machine_group=workload["machine_group"],
        )

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        gpus = gpus_by_workload(inputs)
        for key, workload in sorted(inputs.workload_rows().items()):
            judged = gpus.get(key, [])
            observed = sum(gpu["observed_hours"] for gpu in judged)
            if not judged or observed < self.settings.min_hours:
                continue
            resizes = [
                mig_resize(gpu, self.settings.mig_headroom, self.settings.whole_gpu_max_slices) for gpu in judged
            ]
            if all(resize is not None for resize in resizes):
                findings.append(self._mig_finding(inputs, workload, [r for r in resizes if r is not None]))
                continue
            if not all(self._fits_smaller(gpu) for gpu in judged):
                continue
            peak_gib = max(gpu["peak_fb_used_mib"] for gpu in judged) / GIB
            tensor = max(gpu["mean_tensor_active"] for gpu in judged)
            count = len({(gpu["uid"], gpu["gpu_uuid"]) for gpu in judged})
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=count,
                    recoverable_gpu_hours_in_window=observed,
                    evidence={
                        "peak_memory_gib": round(peak_gib, 2),
                        "peak_memory_gib_max": self.settings.peak_memory_gib_max,
                        "max_mean_tensor_active": round(tensor, 4),
                        "tensor_active_max": self.settings.tensor_active_max,
                        "gpu_memory_gib": round(max(gpu["fb_total_mib"] or 0.0 for gpu in judged) / GIB, 1),
                        "observed_gpu_hours": round(observed, 3),
                    },
                    action=f"Move {workload['workload']} to a smaller GPU or MIG profile; it peaks at "
                    f"{peak_gib:.1f} GiB of memory.",
                    change=downsize_yaml(workload["workload"], per_pod_gpus(workload), peak_gib),
                    prevention=f"Next run of {workload['workload']}: request a smaller GPU or MIG profile; it "
                    f"peaked at {peak_gib:.1f} GiB of memory.",
                    prevention_change=downsize_yaml(workload["workload"], per_pod_gpus(workload), peak_gib),
                    summary=f"{workload['workload']} in {workload['namespace']} holds {count} 80 "
                    f"GB-class GPU(s) "
                    f"but peaks at {peak_gib:.1f} GiB with tensor activity {tensor:.0%}.",
                    machine_group=workload["machine_group"],
                )
            )
        return findings
