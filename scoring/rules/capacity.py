"""Rules on reserved capacity: a Project's quota and a serving workload's replicas."""

from __future__ import annotations

import math
from typing import ClassVar

from gpu_reclaim.core.rule_settings import QuotaReclaimSettings, ServingOverprovisionedSettings
from gpu_reclaim.scoring.changes import quota_patch, scale_command
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs, workload_key


def ceil_clean(value: float) -> int:
    """ceil that ignores float noise (5 * 1.2 is 6, not 7)."""
    return math.ceil(value - 1e-9)


class QuotaReclaim(RuleBase[QuotaReclaimSettings]):
    """A Project's GPU quota (gpu_hard) above its demand: recommend percentile × headroom, never below the
    peak (KRR percentile strategy; Kubecost right-sizing never recommends below peak). Demand counts Running
    and Pending GPU requests (and the quota's own `used`): cutting a quota that Pending pods wait on would
    turn unmet demand into more unmet demand."""

    name: ClassVar[str] = "quota_reclaim"
    quota_resource: ClassVar[str] = "requests.nvidia.com/gpu"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        for quota in inputs.quotas.iter_rows(named=True):
            hard = float(quota["gpu_hard"])
            percentile = float(quota["percentile_gpus"])
            peak = float(quota["peak_gpus"])
            recommended = max(ceil_clean(percentile * self.settings.headroom), ceil_clean(peak))
            if hard <= recommended:
                continue
            reclaimable = hard - recommended
            observed = float(quota["observed_hours"])
            per_week = inputs.per_week(reclaimable * observed)  # severity only: a quota cut frees no held GPU
            pct = round(self.settings.percentile * 100)
            findings.append(
                Finding(
                    rule=self.name,
                    workspace=quota["workspace"],
                    project=quota["project"],
                    namespace=quota["namespace"],
                    cluster=str(quota.get("cluster") or ""),
                    workload=f"ResourceQuota/{quota['resourcequota']}",
                    gpus_allocated=hard,
                    gpus_reclaimable=reclaimable,
                    quota_headroom_gpu_hours=max(0.0, (hard - float(quota["mean_gpus"])) * observed),
                    severity=self.severity.level(per_week),
                    evidence={
                        "gpu_hard": hard,
                        f"p{pct}_demand_gpus": percentile,
                        "peak_demand_gpus": peak,
                        "mean_demand_gpus": round(float(quota["mean_gpus"]), 3),
                        "peak_running_gpus": float(quota["peak_running_gpus"]),
                        "headroom": self.settings.headroom,
                        "recommended_gpu_hard": recommended,
                        "observed_hours": round(observed, 3),
                    },
                    action=f"Lower the GPU quota of Project {quota['project']} from {hard:g} to {recommended}.",
                    change=quota_patch(quota["namespace"], quota["resourcequota"], self.quota_resource, recommended),
                    summary=f"Project {quota['project']} reserves {hard:g} GPUs but allocates at "
                    f"most {peak:g} "
                    f"(p{pct} {percentile:g}).",
                    window_start=inputs.window_start,
                    window_end=inputs.window_end,
                )
            )
        return findings


class ServingOverprovisioned(RuleBase[ServingOverprovisionedSettings]):
    """A serving workload whose p95 per-GPU activity is at most p95_activity_max: fewer replicas would
    carry its p95 load at target_activity. Never fewer than min_replicas (spread over 3 nodes
    for availability)."""

    name: ClassVar[str] = "serving_overprovisioned"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        workloads = inputs.workload_rows()
        for load in inputs.serving_load.iter_rows(named=True):
            key = workload_key(load)
            workload = workloads[key]
            if load["p95_activity"] is None or load["p95_activity"] > self.settings.p95_activity_max:
                continue
            replicas = int(workload["last_replicas"])
            gpus_per_replica = float(workload["last_gpus"]) / max(replicas, 1)
            needed_gpus = float(load["p95_busy_gpus"] or 0.0) / self.settings.target_activity
            needed = max(self.settings.min_replicas, ceil_clean(needed_gpus / gpus_per_replica))
            if needed >= replicas:
                continue
            reclaimable = (replicas - needed) * gpus_per_replica
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=reclaimable,
                    recoverable_gpu_hours_in_window=reclaimable * float(workload["running_hours"]),
                    evidence={
                        "p95_activity": round(float(load["p95_activity"]), 4),
                        "p95_activity_max": self.settings.p95_activity_max,
                        "p95_busy_gpus": round(float(load["p95_busy_gpus"] or 0.0), 3),
                        "replicas": replicas,
                        "gpus_per_replica": gpus_per_replica,
                        "recommended_replicas": needed,
                        "min_replicas": self.settings.min_replicas,
                    },
                    action=f"Scale {workload['workload']} from {replicas} to {needed} replicas.",
                    change=scale_command(workload["namespace"], workload["workload"], needed),
                    prevention=f"Next time, run {workload['workload']} with {needed} replicas (or autoscale on "
                    "GPU load).",
                    summary=f"{workload['workload']} in {workload['namespace']}: p95 GPU activity "
                    f"{load['p95_activity']:.0%} across {replicas} replicas.",
                )
            )
        return findings
