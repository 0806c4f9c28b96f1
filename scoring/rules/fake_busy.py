"""fake_busy: GPUs busy-looking but idle (sql/create_macros.sql `busy_looking_idle`): activity high while tensor and
DRAM activity stay near zero, SM activity under a spinning kernel's ceiling, and power near the model's idle."""

from __future__ import annotations

from typing import Any, ClassVar

from gpu_reclaim.core.rule_settings import FakeBusySettings
from gpu_reclaim.scoring.changes import release_command
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs
from gpu_reclaim.scoring.rules.efficiency import gpus_by_workload


class FakeBusy(RuleBase[FakeBusySettings]):
    """≥ min_hours of busy-looking idle steps on a GPU: activity (GR_ENGINE_ACTIVE, else GPU_UTIL) ≥ activity_min
    while tensor and DRAM activity stay < profiling_max, SM activity ≤ sm_active_max, and power < idle +
    power_headroom × (max − idle) of the GPU's model (core/gpu_power.py): a busy loop, or a rank spinning in a
    wedged collective. Without profiling metrics or power on the busy-looking steps, the rule returns an
    `insufficient_data` record (never a finding, never a ticket) instead of assuming zeros.
    """

    name: ClassVar[str] = "fake_busy"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        minimum = self.settings.min_hours
        gpus = gpus_by_workload(inputs)
        for key, workload in sorted(inputs.workload_rows().items()):
            busy_looking = [gpu for gpu in gpus.get(key, []) if gpu["high_util_hours"] >= minimum - 1e-9]
            if not busy_looking:
                continue
            fake = [gpu for gpu in busy_looking if gpu["fake_busy_hours"] >= minimum - 1e-9]
            unprofiled = [gpu for gpu in busy_looking if gpu["high_util_profiled_hours"] < minimum - 1e-9]
            if not fake and unprofiled:
                findings.append(
                    self.finding(
                        inputs,
                        workload,
                        gpus_reclaimable=0.0,
                        recoverable_gpu_hours_in_window=0.0,
                        evidence={
                            "gpus_high_util_without_profiling": len(unprofiled),
                            "high_util_hours": round(sum(gpu["high_util_hours"] for gpu in unprofiled), 3),
                            "missing": "DCGM_FI_PROF_SM_ACTIVE/PIPE_TENSOR_ACTIVE/DRAM_ACTIVE or power",
                        },
                        action="Enable DCGM profiling metrics on these GPUs so real work can be told from "
                        "busy-looking idling.",
                        prevention="Enable DCGM profiling metrics on these GPUs so real work can be told from "
                        "busy-looking idling.",
                        summary=f"{workload['workload']} in {workload['namespace']}: insufficient "
                        f"data to judge "
                        "fake-busy (no profiling metrics).",
                        pods=sorted({gpu["pod"] for gpu in unprofiled}),
                        nodes=sorted({gpu["node"] for gpu in unprofiled}),
                    ).model_copy(update={"insufficient_data": True, "severity": "none"})
                )
                continue
            if not fake:
                continue
            fake_hours = sum(gpu["fake_busy_hours"] for gpu in fake)
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=len(fake),
                    recoverable_gpu_hours_in_window=fake_hours,
                    evidence={
                        "fake_busy_gpu_hours": round(fake_hours, 3),
                        "mean_gpu_util": round(max(gpu["mean_gpu_util"] or 0.0 for gpu in fake), 1),
                        "max_mean_activity": round(max(gpu["mean_activity"] or 0.0 for gpu in fake), 4),
                        "max_mean_sm_active": round(max(gpu["mean_sm_active"] or 0.0 for gpu in fake), 4),
                        "max_mean_tensor_active": round(max(gpu["mean_tensor_active"] or 0.0 for gpu in fake), 4),
                        "max_mean_dram_active": round(max(gpu["mean_dram_active"] or 0.0 for gpu in fake), 4),
                        "mean_power_w": [gpu["mean_power_w"] for gpu in fake],
                        "fake_busy_mean_power_w": [_round(gpu["fake_busy_mean_power_w"]) for gpu in fake],
                        "power_limit_w": [_power_limit(gpu, self.settings.power_headroom) for gpu in fake],
                        "power_source": sorted({str(gpu["power_source"]) for gpu in fake}),
                        "activity_min": self.settings.activity_min,
                        "profiling_max": self.settings.profiling_max,
                        "sm_active_max": self.settings.sm_active_max,
                    },
                    action=f"Ask the owners of {workload['workload']} what runs on its GPUs; reclaim the "
                    f"{len(fake)} GPU(s) if the work is not real.",
                    change=release_command(
                        workload["namespace"],
                        workload["workload"],
                        int(workload["last_replicas"]),
                        sorted({gpu["pod"] for gpu in fake}),
                    ),
                    prevention=f"Next time, end {workload['workload']} instead of keeping its GPUs busy-looking: "
                    "no keep-alive kernels on idle GPUs.",
                    summary=f"{workload['workload']} in {workload['namespace']}: {len(fake)} GPU(s) "
                    f"look busy but idle (high activity, near-zero tensor and memory activity, near-idle power) "
                    f"for {fake_hours:.1f} GPU-hours.",
                    pods=sorted({gpu["pod"] for gpu in fake}),
                    nodes=sorted({gpu["node"] for gpu in fake}),
                )
            )
        return findings


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _power_limit(gpu: dict[str, Any], headroom: float) -> float | None:
    """The power below which a step of this GPU is near idle: idle + headroom × (max − idle)."""
    idle, peak = gpu["idle_power_w"], gpu["max_power_w"]
    return None if idle is None or peak is None else round(idle + headroom * (peak - idle), 1)
