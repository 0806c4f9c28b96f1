"""`defragment`: one finding per Machine Group whose consolidation plan (scoring/fragmentation/plan.py) opens
whole-node room, to run in the group's low-use hours. It is the platform team's ticket, so it is filed under
the workspace and project `cluster`."""

from __future__ import annotations

from typing import ClassVar

from gpu_reclaim.core.rule_settings import SeveritySettings
from gpu_reclaim.scoring.changes import drain_commands
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.rules.base import RuleInputs

CLUSTER = "cluster"
WHOLE_NODE_GPUS = 8


class Defragment:
    name: ClassVar[str] = "defragment"

    def __init__(self, severity: SeveritySettings) -> None:
        self.severity = severity

    def evaluate(self, inputs: RuleInputs) -> list[Finding]:
        findings = []
        for plan in inputs.defrag_plans.iter_rows(named=True):
            opened = int(plan["placeable_8gpu_after"]) - int(plan["placeable_8gpu_before"])
            if plan["moves"] == 0 or plan["nodes_freed"] == 0:
                continue
            gpus_opened = max(opened, 0) * WHOLE_NODE_GPUS
            # severity only: whole 8-GPU slots opened for the rest of the week (no held GPU is given back)
            per_week = gpus_opened * 168.0
            hours = ", ".join(f"{hour:02d}:00" for hour in plan["low_use_hours_utc"]) or "a low-use hour"
            group = plan["machine_group"]
            findings.append(
                Finding(
                    rule=self.name,
                    workspace=CLUSTER,
                    project=CLUSTER,
                    namespace="",
                    cluster=str(plan.get("cluster") or ""),
                    workload=f"MachineGroup/{group}",
                    pods=list(plan["pods"]),
                    nodes=sorted(plan["from_nodes"]),
                    gpu_model=plan["gpu_model"],
                    machine_group=group,
                    gpus_allocated=0.0,
                    gpus_freed=float(gpus_opened),
                    whole_nodes_freed=int(plan["nodes_freed"]),
                    severity=self.severity.level(per_week) if gpus_opened else "low",
                    evidence={
                        "moves": plan["moves"],
                        "nodes_freed": plan["nodes_freed"],
                        "freed_nodes": list(plan["freed_nodes"]),
                        "placeable_8gpu_before": plan["placeable_8gpu_before"],
                        "placeable_8gpu_after": plan["placeable_8gpu_after"],
                        "fragmentation_ratio_before": round(plan["fragmentation_ratio_before"], 2),
                        "fragmentation_ratio_after": round(plan["fragmentation_ratio_after"], 2),
                        "low_use_hours_utc": list(plan["low_use_hours_utc"]),
                        "snapshot": plan["snapshot_ts"].isoformat(),
                    },
                    action=(
                        f"Move {plan['moves']} pods within {group} at {hours} UTC to empty "
                        f"{plan['nodes_freed']} node(s) (see defrag_moves)."
                    ),
                    change=drain_commands(list(plan["freed_nodes"])),
                    summary=(
                        f"{group}: {plan['moves']} moves free {plan['nodes_freed']} whole node(s); 8-GPU slots "
                        f"{plan['placeable_8gpu_before']} -> {plan['placeable_8gpu_after']}, fragmentation "
                        f"{plan['fragmentation_ratio_before']:.0f}% -> {plan['fragmentation_ratio_after']:.0f}%."
                    ),
                    window_start=inputs.window_start,
                    window_end=inputs.window_end,
                )
            )
        return findings
