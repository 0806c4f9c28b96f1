"""The demo's quota truth: each namespace quota's peak and reclaimability, and the quota_reclaim findings."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from gpu_reclaim.scenarios.demo.model import DemoCluster
from gpu_reclaim.scenarios.demo.series import quota_hard, quota_used


def quota_truth(cluster: DemoCluster, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every namespace quota's figures; a reclaimable one also adds its quota_reclaim finding to `findings`."""
    sc = cluster.scenario
    quotas: list[dict[str, Any]] = []
    for ns in cluster.namespaces:
        hard = quota_hard(cluster, ns)
        if hard is None:
            continue
        used = quota_used(cluster, ns.name)
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
    return quotas
