"""The one result model between the rules and everything downstream (recommendations table, tickets)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["none", "low", "medium", "high"]
# reclaim: GPUs (or quota, or a defrag) to act on now; waste_report: waste by a workload that has ended or has
# stopped wasting, with the fix that prevents it next time (README "Kinds of finding").
FindingKind = Literal["reclaim", "waste_report"]
SEVERITY_RANK: dict[str, int] = {"none": 0, "low": 1, "medium": 2, "high": 3}


def finding_id(rule: str, namespace: str, workload: str, machine_group: str | None = None, cluster: str = "") -> str:
    """Stable id of a finding: a hash of what it is about, never of its figures. The cluster is part of it only
    when set (labels.cluster_label), so the ids of a run without clusters stay what they were."""
    parts = [rule, namespace, workload] + ([machine_group] if machine_group else [])
    if cluster:
        parts.append(f"cluster={cluster}")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"{rule}-{digest[:16]}"


def rfc3339(moment: datetime) -> str:
    """UTC, second precision, with Z; naive datetimes are taken as UTC (DuckDB TIMESTAMPs are)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%dT%H:%M:%SZ")


class Finding(BaseModel):
    """One reclamation recommendation for one workload (or one Project's quota)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    workspace: str
    project: str
    namespace: str
    cluster: str = Field(default="", description="The value of labels.cluster_label ('' when off).")
    workload: str = Field(description="owner_kind/owner_name, or ResourceQuota/<name> for quota findings.")
    pods: list[str] = Field(default_factory=list)
    nodes: list[str] = Field(default_factory=list)
    gpu_model: str | None = None
    machine_group: str | None = Field(default=None, description="Part of the id only for rules about a machine group.")
    category: str = "unknown"
    purpose: str = "unknown"
    provisioning_type: str = "unknown"
    kind: FindingKind = "reclaim"
    gpus_allocated: float = 0.0
    gpus_reclaimable: float = Field(default=0.0, description="GPUs to give back now (0 in a waste report).")
    idle_gpu_hours: float = Field(default=0.0, description="Allocated GPU-hours at activity < 1 %, nothing else.")
    gpu_hours_recoverable_per_week: float = Field(
        default=0.0, description="Held GPU-hours per week that acting now gives back (0: waste report, quota, defrag)."
    )
    wasted_gpu_hours: float = Field(default=0.0, description="GPU-hours of the window the fix would have saved.")
    quota_headroom_gpu_hours: float = Field(default=0.0, description="Reserved-but-unused quota GPU-hours.")
    gpus_freed: float = Field(default=0.0, description="GPUs on the whole nodes a defrag frees.")
    whole_nodes_freed: int = Field(default=0, description="Whole nodes a defrag frees.")
    change: str | None = Field(default=None, description="The exact change: kubectl, a quota patch or YAML.")
    workload_ended_at: datetime | None = Field(default=None, description="Set when the workload ended in the window.")
    owner: str | None = None
    owner_channel: str | None = None
    acknowledged_until: date | None = None
    acknowledged: bool = False
    h100_equivalent_hours_recoverable_per_week: float | None = None
    cost_recoverable_per_week: float | None = None
    severity: Severity = "low"
    evidence: dict[str, Any] = Field(default_factory=dict)
    action: str = ""
    summary: str = ""
    exempt: bool = False
    insufficient_data: bool = Field(default=False, description="A record that the rule could not judge; no finding.")
    window_start: datetime
    window_end: datetime

    @property
    def id(self) -> str:
        group = self.machine_group if self.rule in ("downsize_profile", "defragment") else None
        return finding_id(self.rule, self.namespace, self.workload, group, self.cluster)

    @property
    def ticketable(self) -> bool:
        return not self.exempt and not self.insufficient_data

    @property
    def reserved_service(self) -> bool:
        """Purpose `service` on reserved capacity: judged last (lowest priority)."""
        return self.purpose == "service" and self.provisioning_type == "reserved"

    def ticket_body(self) -> dict[str, Any]:
        """The ticket fields CONTRACT.md lists, minus the lifecycle ones (id, status, first/last_seen)."""
        return {
            "rule": self.rule,
            "severity": self.severity,
            "workspace": self.workspace,
            "project": self.project,
            "namespace": self.namespace,
            "workload": self.workload,
            "pods": list(self.pods),
            "nodes": list(self.nodes),
            "gpu_model": self.gpu_model,
            "gpus_allocated": round(self.gpus_allocated, 3),
            "gpus_reclaimable": round(self.gpus_reclaimable, 3),
            "idle_gpu_hours": round(self.idle_gpu_hours, 3),
            "gpu_hours_recoverable_per_week": round(self.gpu_hours_recoverable_per_week, 3),
            "window_start": rfc3339(self.window_start),
            "window_end": rfc3339(self.window_end),
            "evidence": self.ticket_evidence(),
            "action": self.action,
            "summary": self.summary,
            "kind": self.kind,
            "owner": self.owner,
            "owner_channel": self.owner_channel,
            "acknowledged_until": self.acknowledged_until.isoformat() if self.acknowledged_until else None,
            "acknowledged": self.acknowledged,
            "change": self.change,
            "wasted_gpu_hours": round(self.wasted_gpu_hours, 3),
            "quota_headroom_gpu_hours": round(self.quota_headroom_gpu_hours, 3),
            "gpus_freed": round(self.gpus_freed, 3),
            "whole_nodes_freed": self.whole_nodes_freed,
            "cluster": self.cluster,
        }

    def ticket_evidence(self) -> dict[str, Any]:
        """The rule's figures, the H100-equivalent hours, and money only when a price is set (never a null)."""
        evidence = {
            **self.evidence,
            "h100_equivalent_hours_recoverable_per_week": self.h100_equivalent_hours_recoverable_per_week,
        }
        if self.cost_recoverable_per_week is not None:
            evidence["cost_recoverable_per_week"] = self.cost_recoverable_per_week
        if self.workload_ended_at is not None:
            evidence["workload_ended_at"] = rfc3339(self.workload_ended_at)
        return evidence


def priority_key(finding: Finding) -> tuple[int, int, int, float, str]:
    """Sort key: reclaim-now before waste reports, reserved service last, then by severity and recoverable
    hours, then by id."""
    return (
        0 if finding.kind == "reclaim" else 1,
        1 if finding.reserved_service else 0,
        -SEVERITY_RANK[finding.severity],
        -finding.gpu_hours_recoverable_per_week,
        finding.id,
    )
