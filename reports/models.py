"""The pydantic models of the report pages: the only contract between the DuckDB queries and rendering. A
Workspace's page and the files written are here; the base (rounding, usage figures) is in model_base.py, the
tickets in ticket_models.py, the cluster overview in overview_models.py.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from gpu_reclaim.reports.model_base import Count, Hours, PageModel, UsageFigures, WindowCoverage
from gpu_reclaim.reports.ticket_models import FindingTotals, Recommendation, top_actions
from pydantic import Field


class ProjectReport(UsageFigures):
    cluster: str = ""  # labels.cluster_label's value ('' when off): a Project is (cluster, namespace)
    project: str
    namespace: str
    reserved_gpus: float | None = None
    max_reserved_gpus: float | None = None
    peak_allocated_gpus: float
    p95_allocated_gpus: float
    # used GPU-hours split from a time-sliced GPU's activity (README "MIG and time-sliced GPUs"): an estimate
    estimated_used_gpu_hours: Hours = 0.0
    # what the Project's findings add up to, each under its own name (sql/report_finding_totals.sql)
    findings: FindingTotals = Field(default_factory=FindingTotals)


class HourlyPoint(PageModel):
    hour: datetime
    allocated_gpus: Hours
    used_gpus: Hours


class ProjectSeries(PageModel):
    """One Project's mean GPUs allocated and used per hour of the window (for the time chart)."""

    cluster: str = ""
    project: str
    namespace: str
    reserved_gpus: float | None
    points: list[HourlyPoint]


class HeatmapCell(PageModel):
    weekday: Count  # ISO: 1 = Monday
    hour_of_day: Count
    observed_gpu_hours: Hours
    used_gpu_hours: Hours
    activity: float | None  # used / observed


class NoDataGpus(PageModel):
    """GPUs of one workload on one node that were allocated but had no DCGM sample naming the pod."""

    project: str
    namespace: str
    workload: str
    node: str | None
    machine_group: str
    gpu_model: str
    pods: Count
    allocated_gpu_hours: Hours
    no_data_gpu_hours: Hours


class TrendWeek(PageModel):
    """One week of a Project's trend: [week_start, week_end); has_data False when no day of it holds data."""

    week_start: date
    week_end: date
    has_data: bool
    allocated_gpu_hours: Hours
    used_gpu_hours: Hours
    idle_gpu_hours: Hours


class ProjectTrend(PageModel):
    project: str
    namespace: str
    weeks: list[TrendWeek]  # oldest first


class WorkspaceReport(PageModel):
    workspace: str
    slug: str
    window_start: date
    window_end: date
    previous_window_start: date
    evaluated_on: date | None
    currency: str
    idle_activity_threshold: float
    low_use_activity_threshold: float
    totals: UsageFigures
    previous_totals: UsageFigures | None  # None: no day of the previous window holds data
    projects: list[ProjectReport]
    series: list[ProjectSeries]
    heatmap: list[HeatmapCell]
    recommendations: list[Recommendation]
    no_data: list[NoDataGpus]
    generated_at: datetime
    coverage: WindowCoverage | None = None  # set by reports.build
    # results of this window computed by another gpu-reclaim version (core/provenance.py), one sentence each
    computed_by: list[str] = Field(default_factory=list)
    trends: list[ProjectTrend] = Field(default_factory=list)
    finding_totals: FindingTotals = Field(default_factory=FindingTotals)
    # which cluster(s) the window's data covers, when labels.cluster_label is set (core/cluster_days.py)
    clusters: list[str] = Field(default_factory=list)
    # the Workspace's Projects and tickets come from more than one cluster: their tables show a Cluster column
    show_clusters: bool = False

    @property
    def active_recommendations(self) -> list[Recommendation]:
        return [item for item in self.recommendations if not item.exempt]

    @property
    def exempt_recommendations(self) -> list[Recommendation]:
        return [item for item in self.recommendations if item.exempt]


class WorkspaceFiles(PageModel):
    workspace: str
    slug: str
    index_html: Path
    archive_html: Path
    summary_json: Path


class ReportIndex(PageModel):
    """What :func:`reports.build.build_reports` wrote."""

    out_dir: Path
    window_start: date
    window_end: date
    overview_html: Path
    plotly_js: Path
    workspaces: list[WorkspaceFiles]
    summary_json: Path | None = None
    coverage: WindowCoverage | None = None
    bytes_written: int
    seconds: float


__all__ = [  # and the models callers outside reports/ use from here
    "FindingTotals",
    "HeatmapCell",
    "HourlyPoint",
    "NoDataGpus",
    "ProjectReport",
    "ProjectSeries",
    "ProjectTrend",
    "Recommendation",
    "ReportIndex",
    "TrendWeek",
    "WindowCoverage",
    "WorkspaceFiles",
    "WorkspaceReport",
    "top_actions",
]
