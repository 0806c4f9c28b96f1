"""The cluster overview's models: Workspaces ranked, Machine Groups, capacity and unmet demand, fragmentation,
defrag plans, occupancy, who waits, data quality."""

from __future__ import annotations

from datetime import date, datetime

from gpu_reclaim.reports.model_base import (
    CLUSTER_SCOPE,
    UNPLACED,
    Count,
    Figure,
    Hours,
    PageModel,
    WindowCoverage,
    rounded,
    rounded_hours,
)
from gpu_reclaim.reports.ticket_models import ClusterTicket, FindingTotals, Recommendation
from pydantic import Field


class WorkspaceRanking(PageModel):
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


class MachineGroupUsage(PageModel):
    cluster: str = ""  # labels.cluster_label's value ('' when off): Machine Groups are per cluster
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


class CapacityHour(PageModel):
    """One hour of a Machine Group: mean GPUs over the hour's steps (machine_group_usage_hourly)."""

    hour: datetime
    capacity_gpus: Hours
    allocated_gpus: Hours
    used_gpus: Hours
    idle_gpus: Hours
    unallocated_gpus: Hours
    pending_gpus: Hours


class CapacitySeries(PageModel):
    """A Machine Group's hours of the window, for the capacity / allocation / unmet-demand chart."""

    cluster: str = ""
    machine_group: str
    gpu_model: str
    points: list[CapacityHour]

    @property
    def unplaced(self) -> bool:
        """Pending pods not bound to any node: demand without capacity."""
        return self.machine_group == UNPLACED


class MachineGroupCapacity(PageModel):
    """A Machine Group's capacity, allocation, unallocated capacity and unmet demand over the window."""

    cluster: str = ""
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


class FragmentationPoint(PageModel):
    snapshot_ts: datetime
    fragmentation_ratio: Hours  # percent of the free GPU share
    free_whole_gpus: Count
    placeable_8gpu: Count
    stranded_gpus: Count


class FragmentationSeries(PageModel):
    """Fragmentation of one Machine Group, or of the whole cluster (scope 'cluster'), snapshot by snapshot."""

    cluster: str = ""
    scope: str
    gpu_model: str
    points: list[FragmentationPoint]


class FragmentationSummary(PageModel):
    cluster: str = ""
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


class DefragPlan(PageModel):
    """The latest consolidation plan of a Machine Group (of one cluster) in the window."""

    cluster: str = ""
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


class OccupancyNode(PageModel):
    """One node at the window's last snapshot, for the occupancy map: its GPUs free, allocated and working,
    and allocated but idle (activity below the idle threshold in the snapshot's hour)."""

    cluster: str = ""
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


class WaitingDemand(PageModel):
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


class DataQualityRow(PageModel):
    stage: str
    rule: str
    metric: str
    affected: Count


class ClusterOverview(PageModel):
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
        """The occupancy map's nodes per Machine Group (per cluster: named '<cluster> · <group>' when the page
        shows clusters): (group, GPU model, nodes), in the query's order."""
        groups: dict[tuple[str, str], list[OccupancyNode]] = {}
        for node in self.occupancy:
            groups.setdefault((node.cluster, node.machine_group), []).append(node)
        return [
            (f"{cluster or 'no cluster'} · {group}" if self.show_clusters else group, nodes[0].gpu_model, nodes)
            for (cluster, group), nodes in groups.items()
        ]

    generated_at: datetime
    coverage: WindowCoverage | None = None  # set by reports.build
    # results of this window computed by another gpu-reclaim version (core/provenance.py), one sentence each
    computed_by: list[str] = Field(default_factory=list)
    finding_totals: FindingTotals = Field(default_factory=FindingTotals)  # the whole cluster's
    # per Workspace ('cluster': the defrag tickets); the whole cluster's totals are their sum
    workspace_finding_totals: dict[str, FindingTotals] = Field(default_factory=dict)
    # which cluster(s) the window's data covers, when labels.cluster_label is set (core/cluster_days.py)
    clusters: list[str] = Field(default_factory=list)
    # the window's data holds more than one cluster: the Machine Group and fragmentation tables show a Cluster column
    show_clusters: bool = False

    @property
    def cluster_fragmentation(self) -> FragmentationSummary | None:
        """The whole cluster's row; with several clusters, the largest's (most GPUs at the latest snapshot)."""
        rows = [row for row in self.fragmentation if row.scope == CLUSTER_SCOPE]
        return max(rows, key=lambda row: row.gpus, default=None)

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
