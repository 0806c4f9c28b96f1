"""summary.json: the machine-readable twin of each page, the same rounded figures (tickets.jsonl keeps the full
precision)."""

from __future__ import annotations

import json
from typing import Any

from gpu_reclaim.reports.model_base import SUMMARY_FIGURES, UsageFigures
from gpu_reclaim.reports.models import WorkspaceReport
from gpu_reclaim.reports.overview_models import ClusterOverview


def overview_document(overview: ClusterOverview) -> dict[str, Any]:
    """The overview's machine-readable twin (summary.json next to index.html): the page's figures."""
    return {
        "window_start": overview.window_start.isoformat(),
        "window_end": overview.window_end.isoformat(),
        **(overview.coverage.document() if overview.coverage else {}),
        "evaluated_on": overview.evaluated_on.isoformat() if overview.evaluated_on else None,
        "totals": overview.totals.model_dump(mode="json", exclude={"workspace", "slug"}),
        "capacity_gpu_hours": overview.capacity_gpu_hours,
        "unallocated_gpu_hours": overview.unallocated_gpu_hours,
        "pending_gpu_hours": overview.pending_gpu_hours,
        "slots_opened_by_defrag": overview.slots_opened_by_defrag,
        "finding_totals": overview.finding_totals.model_dump(mode="json"),
        "workspaces": [row.model_dump(mode="json") for row in overview.workspaces],
        "machine_groups": [row.model_dump(mode="json") for row in overview.machine_groups],
        "capacity": [row.model_dump(mode="json") for row in overview.capacity],
        "fragmentation": [row.model_dump(mode="json") for row in overview.fragmentation],
        "defrag_plans": [row.model_dump(mode="json") for row in overview.defrag_plans],
        "cluster_tickets": [
            row.model_dump(mode="json", exclude={"evidence", "action", "summary"}) for row in overview.cluster_tickets
        ],
        "data_quality": [row.model_dump(mode="json") for row in overview.data_quality],
        "computed_by": list(overview.computed_by),
        "clusters": list(overview.clusters),
    }


def render_overview_summary(overview: ClusterOverview) -> str:
    return json.dumps(overview_document(overview), ensure_ascii=False, indent=2) + "\n"


def _figures(figures: UsageFigures) -> dict[str, Any]:
    return {key: getattr(figures, key) for key in SUMMARY_FIGURES}


def summary_document(report: WorkspaceReport) -> dict[str, Any]:
    """The report's machine-readable twin: the same rounded figures as the page."""
    return {
        "workspace": report.workspace,
        "window_start": report.window_start.isoformat(),
        "window_end": report.window_end.isoformat(),
        **(report.coverage.document() if report.coverage else {}),
        "previous_window_start": report.previous_window_start.isoformat(),
        "evaluated_on": report.evaluated_on.isoformat() if report.evaluated_on else None,
        "currency": report.currency,
        "totals": _figures(report.totals),
        "finding_totals": report.finding_totals.model_dump(mode="json"),
        "previous_totals": None if report.previous_totals is None else _figures(report.previous_totals),
        "previous_window_has_data": report.previous_totals is not None,
        "projects": [
            {
                "cluster": project.cluster,
                "project": project.project,
                "namespace": project.namespace,
                **_figures(project),
                "reserved_gpus": project.reserved_gpus,
                "peak_allocated_gpus": project.peak_allocated_gpus,
                "p95_allocated_gpus": project.p95_allocated_gpus,
                "estimated_used_gpu_hours": project.estimated_used_gpu_hours,
                "finding_totals": project.findings.model_dump(mode="json"),
            }
            for project in report.projects
        ],
        "recommendations": [
            {
                "id": item.id,
                "rule": item.rule,
                "severity": item.severity,
                "project": item.project,
                "namespace": item.namespace,
                "cluster": item.cluster,
                "workload": item.workload,
                "exempt": item.exempt,
                "gpus_allocated": item.gpus_allocated,
                "gpus_reclaimable": item.gpus_reclaimable,
                "idle_gpu_hours": item.idle_gpu_hours,
                "gpu_hours_recoverable_per_week": item.gpu_hours_recoverable_per_week,
                **item.model_dump(
                    mode="json",
                    include={
                        "kind",
                        "owner",
                        "owner_channel",
                        "acknowledged",
                        "acknowledged_until",
                        "change",
                        "wasted_gpu_hours",
                        "quota_headroom_gpu_hours",
                    },
                ),
            }
            for item in report.recommendations
        ],
        "no_data": [row.model_dump(mode="json") for row in report.no_data],
        "computed_by": list(report.computed_by),
        "clusters": list(report.clusters),
    }


def render_summary(report: WorkspaceReport) -> str:
    return json.dumps(summary_document(report), ensure_ascii=False, indent=2) + "\n"
