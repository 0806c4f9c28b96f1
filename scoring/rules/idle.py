"""Rules on continuous idle runs (gaps and islands over steps, sql/rules_idle_runs.sql)."""

from __future__ import annotations

from typing import Any, ClassVar

from gpu_reclaim.core.rule_settings import IdleAllocationSettings, IdleHeldMemorySettings
from gpu_reclaim.scoring.changes import release_command
from gpu_reclaim.scoring.findings import Finding, rfc3339
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs, hours, rows_by_workload
from gpu_reclaim.scoring.rules.mig import device_share, devices_share


def _trailing(inputs: RuleInputs, workload: dict[str, Any], runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The runs still going at the window's end: none when the workload has ended (its GPUs were given back)."""
    return [] if inputs.ended_at(workload) is not None else [run for run in runs if run["trailing"]]


def _release(workload: dict[str, Any], trailing: list[dict[str, Any]]) -> str:
    pods = sorted({run["pod"] for run in trailing})
    return release_command(workload["namespace"], workload["workload"], int(workload["last_replicas"]), pods)


def _run_evidence(runs: list[dict[str, Any]], threshold: float, trailing: list[dict[str, Any]]) -> dict[str, Any]:
    longest = max(runs, key=lambda run: run["run_hours"])
    return {
        "threshold_hours": threshold,
        "idle_runs": len(runs),
        "longest_idle_hours": round(longest["run_hours"], 3),
        "longest_idle_start": rfc3339(longest["run_start"]),
        "longest_idle_end": rfc3339(longest["run_end"]),
        "gpus_idle_at_window_end": devices_share(trailing),
        "idle_since": rfc3339(min(run["run_start"] for run in trailing)) if trailing else None,
    }


def _idle_finding(
    rule: RuleBase[Any],
    inputs: RuleInputs,
    workload: dict[str, Any],
    runs: list[dict[str, Any]],
    *,
    recoverable: float,
    evidence: dict[str, Any],
    action: str,
    prevention: str,
    summary_tail: str,
) -> Finding:
    """A finding about `runs` of one workload: reclaimable now are the GPUs of its still-trailing runs."""
    trailing = _trailing(inputs, workload, runs)
    idle_now = devices_share(trailing)
    return rule.finding(
        inputs,
        workload,
        gpus_reclaimable=idle_now,
        wasting_now=idle_now > 0,
        recoverable_gpu_hours_in_window=recoverable,
        evidence=evidence,
        action=action,
        change=_release(workload, trailing),
        prevention=prevention,
        summary=f"{workload['workload']} in {workload['namespace']}: {round(devices_share(runs), 2):g} GPU(s) idle "
        f"for up to {hours(evidence['longest_idle_hours'])}{summary_tail}",
        pods=sorted({run["pod"] for run in runs}),
        nodes=sorted({run["node"] for run in runs}),
    )


class IdleAllocation(RuleBase[IdleAllocationSettings]):
    """GPUs idle (activity < activity_max) continuously for at least their class's threshold.

    Late idle (busy first, idle at the end) is found because runs are islands of consecutive idle steps,
    not window averages. Serving (never_categories) is never judged. Recoverable hours are the idle
    hours beyond the threshold: what an idle timeout of that length would have given back. Reclaim now: the GPUs
    whose long idle run reaches the window's end of a workload still running; otherwise a waste report.
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
            beyond = sum((run["run_hours"] - threshold) * device_share(run) for run in long_runs)
            gpus = devices_share(long_runs)
            trailing = _trailing(inputs, workload, long_runs)
            idle_now = devices_share(trailing)
            evidence = _run_evidence(long_runs, threshold, trailing)
            findings.append(
                _idle_finding(
                    self,
                    inputs,
                    workload,
                    long_runs,
                    recoverable=beyond,
                    evidence=evidence,
                    action=f"Release the {round(idle_now, 2):g} idle GPU(s) of {workload['workload']}: stop or "
                    "scale it down, and checkpoint before idling.",
                    prevention=f"Next run of {workload['workload']}: checkpoint and exit when the work is done, "
                    f"or set an idle timeout of {hours(threshold)}; it held {round(gpus, 2):g} GPU(s) idle for up to "
                    f"{hours(evidence['longest_idle_hours'])}.",
                    summary_tail=f" (limit {hours(threshold)} for {workload['category']}/{workload['purpose']}).",
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
            trailing = _trailing(inputs, workload, runs)
            idle_now = devices_share(trailing)
            evidence = {
                **_run_evidence(runs, threshold, trailing),
                "memory_fraction_min": self.settings.fraction_min,
                "highest_run_mean_memory_fraction": round(max(run["mean_memory_fraction"] or 0.0 for run in runs), 3),
            }
            findings.append(
                _idle_finding(
                    self,
                    inputs,
                    workload,
                    runs,
                    recoverable=idle_hours,
                    evidence=evidence,
                    action=f"Free the memory held on {round(idle_now, 2):g} idle GPU(s) of {workload['workload']} "
                    "(end the idle session or unload the model) so the GPUs can be reused.",
                    prevention=f"Next time, unload the model or end the session of {workload['workload']} after "
                    f"{hours(threshold)} idle (an idle timeout); it held memory on {round(gpus, 2):g} idle GPU(s).",
                    summary_tail=f" while holding ≥{self.settings.fraction_min:.0%} of GPU memory.",
                )
            )
        return findings
