"""The pydantic models of the report pages: the only contract between the DuckDB queries and rendering.

Every figure is rounded to `DECIMALS` places when the model is built, so the HTML page and `summary.json`
show the same numbers.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

DECIMALS = 3
CLUSTER_SCOPE = "cluster"  # the whole cluster in fragmentation tables; the pseudo-workspace of cluster tickets
UNPLACED = "unplaced"  # Pending pods not yet bound to a node, in machine_group_usage_hourly and pending_demand


def rounded(value: float | None) -> float | None:
    """A figure as reports show it: `DECIMALS` places, -0.0 folded to 0.0, None kept."""
    if value is None:
        return None
    return round(float(value), DECIMALS) + 0.0


def rounded_hours(value: float | None) -> float:
    """Like :func:`rounded` for sums that are never missing (None counts as 0)."""
    return round(float(value or 0.0), DECIMALS) + 0.0


# A figure rounded when the model is built from a query row: None kept, or None counted as 0.
Figure = Annotated[float | None, BeforeValidator(rounded)]
Hours = Annotated[float, BeforeValidator(rounded_hours)]
Count = Annotated[int, BeforeValidator(int)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowCoverage(_Model):
    """How many days of a report window hold data, of the days a full window has (`report.window_days`)."""

    expected_days: int
    covered_days: int

    @property
    def partial(self) -> bool:
        return self.covered_days < self.expected_days

    @property
    def label(self) -> str:
        """A partial window reads '3 of 7 days', a full one '7 days'."""
        if self.partial:
            return f"{self.covered_days} of {self.expected_days} days"
        return f"{self.expected_days} days"

    def document(self) -> dict[str, object]:
        """The coverage as summary.json states it."""
        return {
            "window_days": self.expected_days,
            "covered_days": self.covered_days,
            "partial": self.partial,
            "coverage": self.label,
        }


class UsageFigures(_Model):
    """Allocation against use of a Workspace or Project over one window, in GPU-hours."""

    allocated_gpu_hours: float
    used_gpu_hours: float
    idle_gpu_hours: float
    low_use_gpu_hours: float
    no_data_gpu_hours: float
    efficiency: float | None
    allocated_h100_equivalent_hours: float
    idle_h100_equivalent_hours: float
    gpu_hours_recoverable_per_week: float
    allocated_cost: float | None = None
    idle_cost: float | None = None
    cost_complete: bool = True
    # fake-busy steps (migration 0004): observed, never used; shown as "busy-looking but idle"; None in rows
    # written before 0004
    busy_looking_idle_gpu_hours: float | None = None


class ProjectReport(UsageFigures):
    project: str
    namespace: str
    reserved_gpus: float | None = None
    max_reserved_gpus: float | None = None
    peak_allocated_gpus: float
    p95_allocated_gpus: float
    # used GPU-hours split from a time-sliced GPU's activity (README "MIG and time-sliced GPUs"): an estimate
    estimated_used_gpu_hours: Hours = 0.0


class HourlyPoint(_Model):
    hour: datetime
    allocated_gpus: Hours
    used_gpus: Hours


class ProjectSeries(_Model):
    """One Project's mean GPUs allocated and used per hour of the window (for the time chart)."""

    project: str
    namespace: str
    reserved_gpus: float | None
    points: list[HourlyPoint]


class HeatmapCell(_Model):
    weekday: Count  # ISO: 1 = Monday
    hour_of_day: Count
    observed_gpu_hours: Hours
    used_gpu_hours: Hours
    activity: float | None  # used / observed


class Recommendation(_Model):
    id: str
    rule: str
    severity: str
    project: str
    namespace: str
    workload: str
    exempt: bool
    gpu_model: str | None
    gpus_allocated: Figure
    gpus_reclaimable: Figure
    idle_gpu_hours: Figure
    gpu_hours_recoverable_per_week: Figure
    action: str | None
    summary: str | None
    evidence: dict[str, str]
    workspace: str = ""
    h100_equivalent_hours_recoverable_per_week: Figure = None
    cost_recoverable_per_week: Figure = None
    # The ticket fields of issue 14 (kinds, owners, snooze, exact change, separate totals): None until the
    # ticket carries them, so the pages render tickets written before and after.
    kind: str | None = None  # 'reclaim' | 'waste_report'
    owner: str | None = None
    owner_channel: str | None = None
    acknowledged_until: date | None = None
    acknowledged: bool | None = None
    change: str | None = None
    quota_headroom_gpu_hours: Figure = None
    gpus_freed: Figure = None
    whole_nodes_freed: Figure = None
    wasted_gpu_hours: Figure = None
    cluster: str = ""  # labels.cluster_label's value ('' when off; README "Clusters in one file")

    @property
    def is_action(self) -> bool:
        """A ticket someone acts on now: not exempt, not acknowledged, not a waste report of an ended workload."""
        return not self.exempt and not self.acknowledged and self.kind != "waste_report"

    def rank_key(self, by_money: bool) -> tuple[float, float, str]:
        """Largest first: money when prices are set, else H100-equivalent hours (GPU-hours when unweighted)."""
        hours = self.h100_equivalent_hours_recoverable_per_week
        if hours is None:
            hours = self.gpu_hours_recoverable_per_week or 0.0
        money = (self.cost_recoverable_per_week or 0.0) if by_money else 0.0
        return (-money, -hours, self.id)


def top_actions(items: list[Recommendation], limit: int) -> list[Recommendation]:
    """The `limit` tickets to act on first, ranked by recoverable money when any has a price, else by
    recoverable H100-equivalent hours."""
    actions = [item for item in items if item.is_action]
    by_money = any(item.cost_recoverable_per_week is not None for item in actions)
    return sorted(actions, key=lambda item: item.rank_key(by_money))[:limit]


class FindingTotals(_Model):
    """What the findings of one evaluation add up to, each under its own name (never added together):
    held-and-idle GPUs that reclaim-now tickets give back, quota to release, whole nodes a defrag frees, and the
    waste that waste reports describe (sql/report_finding_totals.sql)."""

    reclaim_findings: Count = 0
    waste_reports: Count = 0
    held_and_idle_gpu_hours_per_week: Hours = 0.0
    held_and_idle_gpus: Hours = 0.0
    quota_to_release_gpu_hours: Hours = 0.0
    quota_to_release_gpus: Hours = 0.0
    whole_nodes_defrag_frees: Count = 0
    gpus_defrag_frees: Hours = 0.0
    wasted_gpu_hours: Hours = 0.0

    @classmethod
    def summed(cls, parts: list[FindingTotals]) -> FindingTotals:
        """Totals over several Workspaces."""
        return cls.model_validate({key: sum(getattr(part, key) for part in parts) for key in cls.model_fields})


class NoDataGpus(_Model):
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


class TrendWeek(_Model):
    """One week of a Project's trend: [week_start, week_end); has_data False when no day of it holds data."""

    week_start: date
    week_end: date
    has_data: bool
    allocated_gpu_hours: Hours
    used_gpu_hours: Hours
    idle_gpu_hours: Hours


class ProjectTrend(_Model):
    project: str
    namespace: str
    weeks: list[TrendWeek]  # oldest first


class WorkspaceReport(_Model):
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

    @property
    def active_recommendations(self) -> list[Recommendation]:
        return [item for item in self.recommendations if not item.exempt]

    @property
    def exempt_recommendations(self) -> list[Recommendation]:
        return [item for item in self.recommendations if item.exempt]


class WorkspaceRanking(_Model):
    workspace: str
    slug: str
    projects: Count
    allocated_gpu_hours: Hours
    used_gpu_hours: Hours
    idle_gpu_hours: Hours
    no_data_gpu_hours: Hours
    efficiency: float | None
    allocated_h100_equivalent_hours: Hours
    idle_h100_equivalent_hours: Hours
    recommendations: Count
    gpu_hours_recoverable_per_week: Hours


class MachineGroupUsage(_Model):
    machine_group: str
    gpu_models: str
    nodes: int | None
    capacity_gpu_hours: Figure
    allocated_gpu_hours: Hours
    used_gpu_hours: Hours
    idle_gpu_hours: Hours
    no_data_gpu_hours: Hours
    efficiency: float | None
    allocated_share_of_capacity: float | None


class CapacityHour(_Model):
    """One hour of a Machine Group: mean GPUs over the hour's steps (machine_group_usage_hourly)."""

    hour: datetime
    capacity_gpus: Hours
    allocated_gpus: Hours
    used_gpus: Hours
    idle_gpus: Hours
    unallocated_gpus: Hours
    pending_gpus: Hours


class CapacitySeries(_Model):
    """A Machine Group's hours of the window, for the capacity / allocation / unmet-demand chart."""

    machine_group: str
    gpu_model: str
    points: list[CapacityHour]

    @property
    def unplaced(self) -> bool:
        """Pending pods not bound to any node: demand without capacity."""
        return self.machine_group == UNPLACED


class MachineGroupCapacity(_Model):
    """A Machine Group's capacity, allocation, unallocated capacity and unmet demand over the window."""

    machine_group: str
    gpu_model: str
    hours: Count
    capacity_gpu_hours: Hours
    allocated_gpu_hours: Hours
    used_gpu_hours: Hours
    idle_gpu_hours: Hours
    unallocated_gpu_hours: Hours
    pending_gpu_hours: Hours
    peak_pending_gpus: Hours
    pending_snapshots: Count
    peak_blocked_pods: Count
    unallocated_share: float | None


class FragmentationPoint(_Model):
    snapshot_ts: datetime
    fragmentation_ratio: Hours  # percent of the free GPU share
    free_whole_gpus: Count
    placeable_8gpu: Count
    stranded_gpus: Count


class FragmentationSeries(_Model):
    """Fragmentation of one Machine Group, or of the whole cluster (scope 'cluster'), snapshot by snapshot."""

    scope: str
    gpu_model: str
    points: list[FragmentationPoint]


class FragmentationSummary(_Model):
    scope: str
    gpu_model: str
    gpus: Count
    snapshots: Count
    mean_fragmentation_ratio: Hours
    max_fragmentation_ratio: Hours
    latest_snapshot: datetime
    latest_fragmentation_ratio: Hours
    latest_free_whole_gpus: Count
    latest_stranded_gpus: Count
    latest_placeable_8gpu: Count
    min_placeable_8gpu: Count


class DefragPlan(_Model):
    """The latest consolidation plan of a Machine Group in the window."""

    machine_group: str
    gpu_model: str
    day: date
    snapshot_ts: datetime
    moves: Count
    nodes_freed: Count
    freed_nodes: str
    placeable_8gpu_before: Count
    placeable_8gpu_after: Count
    fragmentation_ratio_before: Hours
    fragmentation_ratio_after: Hours
    low_use_hours_utc: list[int]


class ClusterTicket(_Model):
    """A cluster-level finding (rule `defragment`, workspace `cluster`): the platform team's ticket."""

    id: str
    rule: str
    severity: str
    workload: str
    exempt: bool
    gpu_model: str | None
    gpus_reclaimable: Figure
    gpu_hours_recoverable_per_week: Figure
    action: str | None
    summary: str | None
    evidence: dict[str, str]
    gpus_freed: Hours = 0.0
    whole_nodes_freed: Count = 0
    change: str | None = None
    owner: str | None = None
    acknowledged: bool = False


class OccupancyNode(_Model):
    """One node at the window's last snapshot, for the occupancy map: its GPUs free, allocated and working,
    and allocated but idle (activity below the idle threshold in the snapshot's hour)."""

    machine_group: str
    gpu_model: str
    node: str
    snapshot_ts: datetime
    gpus: Count
    free_gpus: Count
    allocated_gpus: Count
    allocated_idle_gpus: Count

    @property
    def allocated_busy_gpus(self) -> int:
        return max(self.allocated_gpus - self.allocated_idle_gpus, 0)


class WaitingDemand(_Model):
    """Unmet demand tied to who waits: a Project's Pending GPU pods on one Machine Group ('unplaced': no node)."""

    workspace: str
    project: str
    namespace: str
    machine_group: str
    pending_gpu_hours: Hours
    peak_pending_gpus: Hours
    first_waiting: datetime
    last_waiting: datetime
    pods: Count
    workloads: str


class DataQualityRow(_Model):
    stage: str
    rule: str
    metric: str
    affected: Count


class ClusterOverview(_Model):
    window_start: date
    window_end: date
    workspaces: list[WorkspaceRanking]
    machine_groups: list[MachineGroupUsage]
    capacity: list[MachineGroupCapacity]
    capacity_series: list[CapacitySeries]
    fragmentation: list[FragmentationSummary]
    fragmentation_series: list[FragmentationSeries]
    defrag_plans: list[DefragPlan]
    cluster_tickets: list[ClusterTicket]
    evaluated_on: date | None
    data_quality: list[DataQualityRow]
    open_tickets: list[Recommendation] = Field(default_factory=list)
    occupancy: list[OccupancyNode] = Field(default_factory=list)
    waiting: list[WaitingDemand] = Field(default_factory=list)

    @property
    def occupancy_groups(self) -> list[tuple[str, str, list[OccupancyNode]]]:
        """The occupancy map's nodes per Machine Group: (group, GPU model, nodes), in the query's order."""
        groups: dict[str, list[OccupancyNode]] = {}
        for node in self.occupancy:
            groups.setdefault(node.machine_group, []).append(node)
        return [(group, nodes[0].gpu_model, nodes) for group, nodes in groups.items()]

    generated_at: datetime
    coverage: WindowCoverage | None = None  # set by reports.build
    # results of this window computed by another gpu-reclaim version (core/provenance.py), one sentence each
    computed_by: list[str] = Field(default_factory=list)
    finding_totals: FindingTotals = Field(default_factory=FindingTotals)  # the whole cluster's
    # which cluster(s) the window's data covers, when labels.cluster_label is set (core/cluster_days.py)
    clusters: list[str] = Field(default_factory=list)

    @property
    def cluster_fragmentation(self) -> FragmentationSummary | None:
        return next((row for row in self.fragmentation if row.scope == CLUSTER_SCOPE), None)

    @property
    def unallocated_gpu_hours(self) -> float:
        return rounded_hours(sum(row.unallocated_gpu_hours for row in self.capacity))

    @property
    def capacity_gpu_hours(self) -> float:
        return rounded_hours(sum(row.capacity_gpu_hours for row in self.capacity))

    @property
    def pending_gpu_hours(self) -> float:
        return rounded_hours(sum(row.pending_gpu_hours for row in self.capacity))

    @property
    def slots_opened_by_defrag(self) -> int:
        """8-GPU slots the latest plans would open, summed over Machine Groups."""
        return sum(max(plan.placeable_8gpu_after - plan.placeable_8gpu_before, 0) for plan in self.defrag_plans)

    @property
    def totals(self) -> WorkspaceRanking:
        """The cluster as one row: sums over Workspaces."""
        allocated = sum(row.allocated_gpu_hours for row in self.workspaces)
        used = sum(row.used_gpu_hours for row in self.workspaces)
        return WorkspaceRanking(
            workspace="cluster",
            slug="",
            projects=sum(row.projects for row in self.workspaces),
            allocated_gpu_hours=rounded_hours(allocated),
            used_gpu_hours=rounded_hours(used),
            idle_gpu_hours=rounded_hours(sum(row.idle_gpu_hours for row in self.workspaces)),
            no_data_gpu_hours=rounded_hours(sum(row.no_data_gpu_hours for row in self.workspaces)),
            efficiency=rounded(used / allocated) if allocated > 0 else None,
            allocated_h100_equivalent_hours=rounded_hours(
                sum(row.allocated_h100_equivalent_hours for row in self.workspaces)
            ),
            idle_h100_equivalent_hours=rounded_hours(sum(row.idle_h100_equivalent_hours for row in self.workspaces)),
            recommendations=sum(row.recommendations for row in self.workspaces),
            gpu_hours_recoverable_per_week=rounded_hours(
                sum(row.gpu_hours_recoverable_per_week for row in self.workspaces)
            ),
        )


class WorkspaceFiles(_Model):
    workspace: str
    slug: str
    index_html: Path
    archive_html: Path
    summary_json: Path


class ReportIndex(_Model):
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
