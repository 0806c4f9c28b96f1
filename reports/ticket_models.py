"""The tickets as the report pages show them: a Workspace's findings, the cluster-level tickets, the totals the
findings add up to, and the ranking of the "What to give back" box."""

from __future__ import annotations

from datetime import date

from gpu_reclaim.reports.model_base import Count, CountOrZero, Figure, Flag, Hours, PageModel


class Recommendation(PageModel):
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
    # The give-back value of any ticket, one column whatever the rule (sql/create_views.sql
    # report_ticket_findings; glossary "Give-back value"): GPUs, H100-equivalent GPU-hours and money per week.
    give_back_gpus: Figure = None
    give_back_h100_hours_per_week: Figure = None
    give_back_cost_per_week: Figure = None

    @property
    def is_action(self) -> bool:
        """A ticket someone acts on now: not exempt, not acknowledged, not a waste report of an ended workload."""
        return not self.exempt and not self.acknowledged and self.kind != "waste_report"

    @property
    def give_back_hours(self) -> float:
        """The give-back value in H100-equivalent GPU-hours per week: the view's, else (a model built without
        it) the recoverable H100-equivalent or plain GPU-hours."""
        for value in (
            self.give_back_h100_hours_per_week,
            self.h100_equivalent_hours_recoverable_per_week,
            self.gpu_hours_recoverable_per_week,
        ):
            if value is not None:
                return value
        return 0.0

    @property
    def give_back_money(self) -> float | None:
        """The give-back value in money per week, None when the ticket's GPUs have no price."""
        if self.give_back_cost_per_week is not None:
            return self.give_back_cost_per_week
        return self.cost_recoverable_per_week

    def rank_key(self, by_money: bool) -> tuple[float, float, str]:
        """Largest give-back value first: money when prices are set (an unpriced ticket after every priced
        one, by its hours), else H100-equivalent GPU-hours per week; the id breaks ties."""
        money = (self.give_back_money or 0.0) if by_money else 0.0
        return (-money, -self.give_back_hours, self.id)


def top_actions(items: list[Recommendation], limit: int) -> list[Recommendation]:
    """The `limit` tickets to act on first, ranked by one give-back value whatever the rule (a held GPU
    released, a quota cut, a node a defrag frees): money when any action has a price, else H100-equivalent
    GPU-hours per week."""
    actions = [item for item in items if item.is_action]
    by_money = any(item.give_back_money is not None for item in actions)
    return sorted(actions, key=lambda item: item.rank_key(by_money))[:limit]


class FindingTotals(PageModel):
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


class ClusterTicket(PageModel):
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
    whole_nodes_freed: CountOrZero = 0
    change: str | None = None
    owner: str | None = None
    acknowledged: Flag = False
    give_back_gpus: Hours = 0.0
    give_back_h100_hours_per_week: Hours = 0.0
