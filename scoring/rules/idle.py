"""Rules on continuous idle runs (gaps and islands over steps, sql/rules_idle_runs.sql)."""

from __future__ import annotations

from typing import Any, ClassVar

from gpu_reclaim.core.rule_settings import IdleAllocationSettings, IdleHeldMemorySettings
from gpu_reclaim.scoring.findings import Finding, rfc3339
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs, hours, rows_by_workload
from gpu_reclaim.scoring.rules.mig import device_share, devices_share


def _run_evidence(runs: list[dict[str, Any]], threshold: float) -> dict[str, Any]:
    longest = max(runs, key=lambda run: run["run_hours"])
    trailing = [run for run in runs if run["trailing"]]
    return {
        "threshold_hours": threshold,
        "idle_runs": len(runs),
        "longest_idle_hours": round(longest["run_hours"], 3),
        "longest_idle_start": rfc3339(longest["run_start"]),
        "longest_idle_end": rfc3339(longest["run_end"]),
        "gpus_idle_at_window_end": devices_share(trailing),
        "idle_since": rfc3339(min(run["run_start"] for run in trailing)) if trailing else None,
    }


class IdleAllocation(RuleBase[IdleAllocationSettings]):
    """GPUs idle (activity < activity_max) continuously for at least their class's threshold.

    Late idle (busy first, idle at the end) is found because runs are islands of consecutive idle steps,
    not window averages. Serving (never_categories) is never judged. Recoverable hours are the idle
    hours beyond the threshold: what an idle timeout of that length would have given back.
    """

    name: ClassVar[str] = "idle_allocation"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        workloads = inputs.workload_rows()
        for key, runs in sorted(rows_by_workload(inputs.idle_runs).items()):
            workload = workloads[key]
            threshold = self.settings.hours_for(workload["category"], workload["purpose"])
            if threshold is None:
                continue
            long_runs = [run for run in runs if run["run_hours"] >= threshold - 1e-9]
            if not long_runs:
                continue
            # per MIG instance and per replica: hours and GPUs weighted by the share of the GPU each holds
            idle_hours = sum(run["run_hours"] * device_share(run) for run in long_runs)
            beyond = sum((run["run_hours"] - threshold) * device_share(run) for run in long_runs)
            gpus = devices_share(long_runs)
            evidence = _run_evidence(long_runs, threshold)
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=gpus,
                    idle_gpu_hours=idle_hours,
                    recoverable_gpu_hours_in_window=beyond,
                    evidence=evidence,
                    action=f"Release the {gpus:g} idle GPU(s) of {workload['workload']}: stop or "
                    f"scale it down, "
                    "and checkpoint before idling.",
                    summary=f"{workload['workload']} in {workload['namespace']}: {gpus:g} GPU(s) idle "
                    f"for up to "
                    f"{hours(evidence['longest_idle_hours'])} (limit {hours(threshold)} for "
                    f"{workload['category']}/{workload['purpose']}).",
                    pods=sorted({run["pod"] for run in long_runs}),
                    nodes=sorted({run["node"] for run in long_runs}),
                )
            )
        return findings


class IdleHeldMemory(RuleBase[IdleHeldMemorySettings]):
    """GPUs idle for at least min_hours while holding most of their memory.

    Held memory keeps the GPU from being shared or packed even when the pod does nothing.
    """

    name: ClassVar[str] = "idle_held_memory"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        workloads = inputs.workload_rows()
        threshold = self.settings.min_hours
        for key, runs in sorted(rows_by_workload(inputs.held_memory_runs).items()):
            workload = workloads[key]
            if workload["category"] in self.settings.never_categories:
                continue
            idle_hours = sum(run["run_hours"] * device_share(run) for run in runs)
            gpus = devices_share(runs)
            evidence = {
                **_run_evidence(runs, threshold),
                "memory_fraction_min": self.settings.fraction_min,
                "highest_run_mean_memory_fraction": round(max(run["mean_memory_fraction"] or 0.0 for run in runs), 3),
            }
            findings.append(
                self.finding(
                    inputs,
                    workload,
                    gpus_reclaimable=gpus,
                    idle_gpu_hours=idle_hours,
                    recoverable_gpu_hours_in_window=idle_hours,
                    evidence=evidence,
                    action=f"Free the memory held on {gpus:g} idle GPU(s) of {workload['workload']} "
                    "(end the idle session or unload the model) so the GPUs can be reused.",
                    summary=f"{workload['workload']} in {workload['namespace']}: {gpus:g} GPU(s) idle "
                    f"for up to "
                    f"{hours(evidence['longest_idle_hours'])} while holding "
                    f"≥{self.settings.fraction_min:.0%} of GPU memory.",
                    pods=sorted({run["pod"] for run in runs}),
                    nodes=sorted({run["node"] for run in runs}),
                )
            )
        return findings
