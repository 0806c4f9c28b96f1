"""What every rule reads (`RuleInputs`) and how a rule turns a workload row into a `Finding`."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar, Generic, Protocol, TypeVar

import polars as pl
from gpu_reclaim.core.rule_settings import SeveritySettings
from gpu_reclaim.scoring.findings import Finding, rfc3339
from pydantic import BaseModel

# A workload whose last allocated step ends this long before the window's end has ended: its GPUs were given back.
ENDED_GAP = timedelta(minutes=15)


@dataclass(frozen=True)
class RuleInputs:
    """Frames of the named rules_*.sql files for one window."""

    window_start: datetime
    window_end: datetime
    step_seconds: int
    workloads: pl.DataFrame
    gpu_stats: pl.DataFrame
    idle_runs: pl.DataFrame
    held_memory_runs: pl.DataFrame
    serving_load: pl.DataFrame
    quotas: pl.DataFrame
    defrag_plans: pl.DataFrame
    wedged_gpus: pl.DataFrame = field(default_factory=pl.DataFrame)  # sql/rules_wedged_gpus.sql

    @property
    def window_hours(self) -> float:
        return max((self.window_end - self.window_start).total_seconds() / 3600.0, 1e-9)

    def per_week(self, gpu_hours_in_window: float) -> float:
        """Scale GPU-hours of the window to a week."""
        return gpu_hours_in_window * 168.0 / self.window_hours

    def workload_rows(self) -> dict[WorkloadKey, dict[str, Any]]:
        return {workload_key(row): row for row in self.workloads.iter_rows(named=True)}

    def ended_at(self, workload: dict[str, Any]) -> datetime | None:
        """When the workload's last allocated step ended, if that is ENDED_GAP or more before the window's end."""
        last = workload.get("last_ts")
        if last is None:
            return None
        end = last + timedelta(seconds=self.step_seconds)
        window_end = self.window_end.replace(tzinfo=None) if last.tzinfo is None else self.window_end
        return end if window_end - end >= ENDED_GAP else None

    def idle_gpu_hours(self, namespace: str, workload: str, cluster: str = "") -> float:
        """The workload's allocated GPU-hours at activity < usage.idle_activity_threshold (1 %) in the window."""
        if "idle_hours" not in self.gpu_stats.columns:
            return 0.0
        rows = self.gpu_stats.filter((pl.col("namespace") == namespace) & (pl.col("workload") == workload))
        if "cluster" in rows.columns:
            rows = rows.filter(pl.col("cluster") == cluster)
        return float(rows["idle_hours"].sum() or 0.0)


# (cluster, namespace, workload): a workload of one cluster (cluster '' when labels.cluster_label is off)
WorkloadKey = tuple[str, str, str]


def workload_key(row: dict[str, Any]) -> WorkloadKey:
    """The key of a rule row: its cluster ('' for a frame without one), namespace and workload."""
    return (str(row.get("cluster") or ""), row["namespace"], row["workload"])


def rows_by_workload(frame: pl.DataFrame) -> dict[WorkloadKey, list[dict[str, Any]]]:
    """The rows of a frame grouped by (cluster, namespace, workload), in frame order."""
    grouped: dict[WorkloadKey, list[dict[str, Any]]] = defaultdict(list)
    for row in frame.iter_rows(named=True):
        grouped[workload_key(row)].append(row)
    return grouped


class Rule(Protocol):
    name: ClassVar[str]

    def evaluate(self, inputs: RuleInputs) -> list[Finding]: ...


SettingsT = TypeVar("SettingsT", bound=BaseModel)


class RuleBase(Generic[SettingsT]):
    """A rule with its own typed settings (`[recommendations.<name>]`) and the shared severity scale."""

    name: ClassVar[str]

    def __init__(self, settings: SettingsT, severity: SeveritySettings) -> None:
        self.settings = settings
        self.severity = severity

    def finding(self, inputs: RuleInputs, workload: dict[str, Any], **figures: Any) -> Finding:
        """A finding of this rule about one workload row (see :func:`workload_finding`)."""
        return workload_finding(self.name, inputs, self.severity, workload, **figures)


def workload_finding(
    rule: str,
    inputs: RuleInputs,
    severity: SeveritySettings,
    workload: dict[str, Any],
    *,
    gpus_reclaimable: float,
    recoverable_gpu_hours_in_window: float,
    evidence: dict[str, Any],
    action: str,
    summary: str,
    prevention: str,
    change: str | None = None,
    prevention_change: str | None = None,
    wasting_now: bool = True,
    pods: list[str] | None = None,
    nodes: list[str] | None = None,
    machine_group: str | None = None,
) -> Finding:
    """A finding about one workload row of rules_workloads.sql: reclaim-now when the workload still runs at the
    window's end, still wastes (`wasting_now`) and has GPUs to give back; otherwise a waste report, whose action
    is `prevention` (the fix for next time), with gpus_reclaimable and recoverable hours 0. Severity comes from
    the waste per week either way."""
    per_week = inputs.per_week(recoverable_gpu_hours_in_window)
    ended_at = inputs.ended_at(workload)
    reclaim = ended_at is None and wasting_now and gpus_reclaimable > 0
    return Finding(
        rule=rule,
        kind="reclaim" if reclaim else "waste_report",
        workspace=workload["workspace"],
        project=workload["project"],
        namespace=workload["namespace"],
        cluster=str(workload.get("cluster") or ""),
        workload=workload["workload"],
        pods=sorted(pods if pods is not None else workload["pods"]),
        nodes=sorted(nodes if nodes is not None else (workload["nodes"] or [])),
        gpu_model=workload["gpu_model"],
        machine_group=machine_group,
        category=workload["category"],
        purpose=workload["purpose"],
        provisioning_type=workload["provisioning_type"],
        gpus_allocated=float(workload["gpus_allocated"]),
        gpus_reclaimable=float(gpus_reclaimable) if reclaim else 0.0,
        idle_gpu_hours=inputs.idle_gpu_hours(
            workload["namespace"], workload["workload"], str(workload.get("cluster") or "")
        ),
        gpu_hours_recoverable_per_week=per_week if reclaim else 0.0,
        wasted_gpu_hours=recoverable_gpu_hours_in_window,
        severity=severity.level(per_week),
        evidence=evidence,
        action=action if reclaim else prevention,
        change=change if reclaim else prevention_change,
        summary=summary if reclaim or ended_at is None else f"{summary} It ended at {rfc3339(ended_at)}.",
        workload_ended_at=ended_at,
        exempt=bool(workload["reclaim_exempt"]),
        window_start=inputs.window_start,
        window_end=inputs.window_end,
    )


def hours(value: float) -> str:
    return f"{value:.1f} h"
