"""wedged_collective: every GPU of a multi-GPU workload busy-looking idle in the same steps (a rank died or stalled
and the others spin in an NCCL kernel), with the odd GPU out named as the likely culprit."""

from __future__ import annotations

from typing import Any, ClassVar

from gpu_reclaim.core.rule_settings import WedgedCollectiveSettings
from gpu_reclaim.scoring.changes import restart_pods_command
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.rules.base import RuleBase, RuleInputs, rows_by_workload


class WedgedCollective(RuleBase[WedgedCollectiveSettings]):
    """A gang (the pods of one Job/PyTorchJob/MPIJob..., or one pod's GPUs) of which at least 2 GPUs, and all but
    at most max_odd_gpus, are busy-looking idle (sql/create_macros.sql) in the same steps for ≥ min_minutes.

    A run counts when an odd GPU out exists or the gang did real busy work before it in the window (a wedge is a
    change of state); GPUs that spin from their first step with no odd one out are a busy loop: fake_busy's.

    The odd GPUs out (in the run, busy-looking idle in under half of their steps) are the likely culprits: idle
    (mean activity < idle_activity_max: the rank that died or stalled) or in another state. Lost GPU-hours are
    every GPU-step of the gang in its wedged runs; they set the severity. `gpus_reclaimable` is the gang's GPUs
    when the last run lasts to the workload's last step (still wedged), else 0 (it was restarted or ended).
    """

    name: ClassVar[str] = "wedged_collective"

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        if inputs.wedged_gpus.is_empty():
            return []
        findings = []
        workloads = inputs.workload_rows()
        for key, rows in sorted(rows_by_workload(inputs.wedged_gpus).items()):
            workload = workloads.get(key)
            runs = [run for run in _runs(rows) if self._is_wedge(run)]
            if workload is not None and runs:
                findings.append(self._finding(inputs, workload, runs))
        return findings

    @staticmethod
    def _is_odd(gpu: dict[str, Any]) -> bool:
        return bool(gpu["busy_looking_steps"] * 2 < gpu["steps_in_run"])

    def _is_wedge(self, run: dict[str, Any]) -> bool:
        worked = run["first_work_ts"] is not None and run["first_work_ts"] < run["run_start"]
        return worked or any(self._is_odd(gpu) for gpu in run["gpus"])

    def _finding(self, inputs: RuleInputs, workload: dict[str, Any], runs: list[dict[str, Any]]) -> Finding:
        last = max(runs, key=lambda run: run["run_end"])
        lost = sum(run["gang_gpu_hours"] for run in runs)
        hours = sum(run["run_hours"] for run in runs)
        culprits = [self._odd_gpu(gpu) for gpu in last["gpus"] if self._is_odd(gpu)]
        ongoing = last["run_end"] > workload["last_ts"]
        gang_gpus = int(last["gang_gpus"])
        pods = sorted({gpu["pod"] for run in runs for gpu in run["gpus"]})
        named = "; ".join(_describe(culprit) for culprit in culprits) or "none: every reporting GPU spins"
        return self.finding(
            inputs,
            workload,
            gpus_reclaimable=float(gang_gpus) if ongoing else 0.0,
            recoverable_gpu_hours_in_window=lost,
            evidence={
                "wedged_runs": len(runs),
                "wedged_hours": round(hours, 3),
                "gang_gpus": gang_gpus,
                "gang_gpu_hours_lost": round(lost, 3),
                "last_run_start": last["run_start"].isoformat(),
                "last_run_end": last["run_end"].isoformat(),
                "still_wedged_at_window_end": ongoing,
                "odd_gpus_out": culprits,
                "min_minutes": self.settings.min_minutes,
            },
            action=f"Restart {workload['workload']} from its last checkpoint; check the odd GPU out first: {named}.",
            change=restart_pods_command(workload["namespace"], pods),
            wasting_now=ongoing,
            prevention=f"Next time, give {workload['workload']} a collective timeout (torch.distributed's timeout "
            "with TORCH_NCCL_ASYNC_ERROR_HANDLING=1, or NCCL_TIMEOUT) so that a stalled rank fails the job and it "
            f"restarts from its last checkpoint instead of hanging; the odd GPU out was {named}.",
            summary=f"{workload['workload']} in {workload['namespace']}: wedged collective, {gang_gpus} GPUs "
            f"busy-looking idle together for {hours:.1f} h ({lost:.1f} GPU-hours lost); odd GPU out: {named}.",
            pods=pods,
            nodes=sorted({gpu["node"] for run in runs for gpu in run["gpus"]}),
        )

    def _odd_gpu(self, gpu: dict[str, Any]) -> dict[str, Any]:
        activity = gpu["mean_activity"]
        state = "idle" if activity is not None and activity < self.settings.idle_activity_max else "not spinning"
        return {
            "node": gpu["node"],
            "gpu_index": gpu["gpu_index"],
            "gpu_uuid": gpu["gpu_uuid"],
            "pod": gpu["pod"],
            "state": state,
            "mean_activity": None if activity is None else round(activity, 4),
        }


def _runs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of one workload grouped into its runs (gang, run_start), each with its GPUs."""
    runs: dict[tuple[str, Any], dict[str, Any]] = {}
    for row in rows:
        run = runs.setdefault(
            (row["gang"], row["run_start"]),
            {
                name: row[name]
                for name in ("run_start", "run_end", "run_hours", "gang_gpus", "gang_gpu_hours", "first_work_ts")
            }
            | {"gpus": []},
        )
        run["gpus"].append(row)
    return list(runs.values())


def _describe(culprit: dict[str, Any]) -> str:
    return f"{culprit['node']} GPU {culprit['gpu_index']} ({culprit['gpu_uuid']}, {culprit['state']})"
