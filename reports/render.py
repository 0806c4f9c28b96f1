"""Render the page models: WorkspaceReport -> HTML and summary.json, ClusterOverview -> HTML.

Jinja2 autoescapes every value, so names from the cluster show as text. Charts are JSON in
`<script type="application/json">` elements (see :mod:`reports.charts`), drawn by the plotly.min.js that
:func:`reports.build.build_reports` writes next to the pages; tables carry every figure without JavaScript.
"""

from __future__ import annotations

import json
from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal

from gpu_reclaim.reports import charts, numbers
from gpu_reclaim.reports.models import ClusterOverview, UsageFigures, WorkspaceReport, rounded, top_actions
from gpu_reclaim.reports.trends import TREND_WEEKS
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLOTLY_JS = "plotly.min.js"

SUMMARY_FIGURES = (
    "allocated_gpu_hours",
    "used_gpu_hours",
    "idle_gpu_hours",
    "low_use_gpu_hours",
    "no_data_gpu_hours",
    "busy_looking_idle_gpu_hours",
    "efficiency",
    "allocated_h100_equivalent_hours",
    "idle_h100_equivalent_hours",
    "gpu_hours_recoverable_per_week",
    "allocated_cost",
    "idle_cost",
)

# (figure, label, whether a rise is better / worse / neutral) for the table of all figures.
TOTALS_ROWS = (
    ("allocated_gpu_hours", "Allocated GPU-hours", "neutral"),
    ("used_gpu_hours", "Used GPU-hours", "better"),
    ("idle_gpu_hours", "Idle GPU-hours", "worse"),
    ("low_use_gpu_hours", "Low-use GPU-hours", "worse"),
    ("no_data_gpu_hours", "No-data GPU-hours", "worse"),
    ("busy_looking_idle_gpu_hours", "Busy-looking idle GPU-hours (fake-busy: not used)", "worse"),
    ("efficiency", "Efficiency (used / allocated)", "better"),
    ("allocated_h100_equivalent_hours", "Allocated H100-equivalent hours", "neutral"),
    ("idle_h100_equivalent_hours", "Idle H100-equivalent hours", "worse"),
    ("gpu_hours_recoverable_per_week", "Recoverable GPU-hours per week", "worse"),
)
COST_ROWS = (
    ("allocated_cost", "Cost of allocation", "neutral"),
    ("idle_cost", "Cost of idle GPU-hours", "worse"),
)


class Change(BaseModel):
    text: str
    direction: Literal["better", "worse", "same", "none"]


format_hours = numbers.hours
format_share = numbers.share
format_percent = numbers.percent
format_money = numbers.money


def change(
    current: float | None,
    previous: float | None,
    higher_is: Literal["better", "worse", "neutral"],
    kind: Literal["hours", "ratio"] = "hours",
) -> Change:
    """The change from the previous window, as text and whether it is good news; "no previous data" when the
    previous window holds none (`previous` None), so a first week never shows a rise from zero."""
    if previous is None:
        return Change(text="no previous data", direction="none")
    if current is None:
        return Change(text="no comparison", direction="none")
    delta = rounded(current - previous) or 0.0
    if kind == "ratio":
        if abs(delta * 100) < 0.05:
            return Change(text="no change", direction="same")
        text = f"{'▲' if delta > 0 else '▼'} {delta * 100:+.1f} pp"
    else:
        if numbers.hours(abs(delta)) == "0":
            return Change(text="no change", direction="same")
        text = f"{'▲' if delta > 0 else '▼'} {numbers.signed_hours(delta)}"
        text += " (new)" if previous == 0 else f" ({delta / previous * 100:+.1f}%)"
    if higher_is == "neutral":
        direction: Literal["better", "worse", "same", "none"] = "same"
    else:
        direction = "better" if (delta > 0) == (higher_is == "better") else "worse"
    return Change(text=text, direction=direction)


def glossary(currency: str, idle_threshold: float, low_use_threshold: float) -> list[tuple[str, str]]:
    """Every figure the pages show, in one sentence each."""
    return [
        ("GPU-hour", "One GPU held for one hour. Two GPUs for 30 minutes is also one GPU-hour."),
        (
            "Allocated GPU-hours",
            "GPUs requested by Running pods, times the hours they ran: what the Workspace held.",
        ),
        (
            "Used GPU-hours",
            "Allocated GPU-hours weighted by GPU activity (graphics-engine active, or GPU utilisation when "
            "profiling metrics are missing): a GPU 40% active for an hour used 0.4 GPU-hours.",
        ),
        (
            "Idle GPU-hours",
            f"Allocated GPU-hours observed with activity below {idle_threshold:.0%}: held but unused. This is the "
            "only meaning of idle on every page.",
        ),
        (
            "Busy-looking but idle GPU-hours",
            "GPU-hours where GPU utilisation looked high but the profiling counters show no real work (a busy "
            "loop holding the GPU, rule fake_busy); shown apart and never counted as used, when the data has them.",
        ),
        (
            "Low-use GPU-hours",
            f"Allocated GPU-hours observed with activity below {low_use_threshold:.0%} (idle ones included).",
        ),
        (
            "No-data GPU-hours",
            "Allocated GPU-hours with no DCGM sample naming the pod; counted neither as used nor as idle.",
        ),
        ("Efficiency", "Used ÷ allocated GPU-hours. Shown as a percentage; summary.json holds the ratio."),
        (
            "H100-equivalent hours",
            "GPU-hours weighted by each GPU model's throughput relative to an H100 (H100 = 1.0, A100 ≈ 0.32, "
            "per the config), so different generations add up.",
        ),
        (
            "Cost",
            f"GPU-hours times the configured price per GPU-hour, in {currency}; shown only when prices are "
            "configured, marked partial when some GPU models have none.",
        ),
        (
            "Recoverable GPU-hours per week",
            "GPU-hours a week that the non-exempt tickets would give back to the shared pool: held GPUs released, "
            "quota cut, nodes a defrag frees; each ticket says which.",
        ),
        (
            "What to give back",
            "The top tickets to act on now, ranked by recoverable H100-equivalent hours per week (by money when "
            "prices are set), each with who acts, the one-line action and the exact change to apply.",
        ),
        (
            "Reclaim now / waste report",
            "A reclaim-now ticket is about GPUs a running workload holds now; a waste report is about waste by a "
            "workload that has ended or stopped wasting: no release, the fix for next time.",
        ),
        ("Owner", "Who acts on a ticket: from a namespace or pod label or annotation, or the config's contacts."),
        (
            "Acknowledged",
            "A ticket its team snoozed until a date: still listed, not in the box of actions, no sink notifies.",
        ),
        (
            "Quota headroom GPU-hours",
            "Reserved quota (ResourceQuota) no pod requested, in GPU-hours: what a quota cut gives back.",
        ),
        (
            "Trends",
            "Allocated, used and idle GPU-hours per Project for each of the last 8 weeks ending with the window; "
            "a week without any data in the DuckDB file is a gap, not a zero.",
        ),
        (
            "Reserved GPUs",
            "The Project's GPU quota (ResourceQuota hard limit on requests.nvidia.com/gpu) at the end of the window.",
        ),
        (
            "Peak / p95 GPUs",
            "Largest and 95th-percentile hourly mean of GPUs allocated to the Project in the window; a quota "
            "far above p95 is reserved but rarely needed.",
        ),
        (
            "Activity (heatmap)",
            "Used ÷ observed GPU-hours in each UTC hour of the week, averaged over the window.",
        ),
        (
            "Recommendation",
            "A reclamation rule's finding about one workload, with the figures that justify it; the same "
            "finding keeps its id across runs.",
        ),
        (
            "Exempt",
            "A workload marked reclaim_exempt or allow-listed in the config: counted, never reclaimed.",
        ),
        (
            "Previous window",
            "The same number of days just before this window; changes compare the two only when it holds data, "
            "otherwise the page says 'no previous data'.",
        ),
        (
            "Numbers",
            "GPUs are whole numbers, hours whole numbers (one decimal below 10), shares one decimal; summary.json "
            "and tickets.jsonl keep the full figures.",
        ),
    ]


OVERVIEW_GLOSSARY = [
    (
        "Capacity",
        "Allocatable GPUs of a Machine Group's nodes; capacity GPU-hours sum the hourly means over the window.",
    ),
    (
        "Unallocated GPU-hours",
        "Capacity that no Running pod requested: free in the shared pool, never counted as any team's idle.",
    ),
    (
        "Pending (unmet demand)",
        "GPUs requested by Pending pods. 'unplaced' holds Pending pods not yet bound to a node, so to no "
        "Machine Group.",
    ),
    (
        "Fragmentation ratio",
        "Share of the free GPU capacity that the typical pods of the cluster cannot use, because it is scattered "
        "over nodes (Weng et al., USENIX ATC '23); 0% when every free GPU is usable.",
    ),
    ("Free whole GPUs", "GPUs that no pod holds at all at the snapshot."),
    (
        "Occupancy map",
        "Every node of a Machine Group at the window's last snapshot, one square per GPU: free, allocated and "
        "working, or allocated but idle (activity below the idle threshold in that hour).",
    ),
    (
        "Waiting pods",
        "Pending GPU pods of a Workspace and Project: the GPU-hours they asked for while waiting and the most "
        "that waited at once.",
    ),
    (
        "Placeable 8-GPU pods",
        "How many pods of 8 whole GPUs still fit on free GPUs at the snapshot (GPUs only): room for gang jobs.",
    ),
    (
        "Blocked by fragmentation",
        "Pending pods that no single node can take, but that would fit if the group's free GPUs were packed.",
    ),
    (
        "Defrag plan",
        "Moves of running pods within a Machine Group that empty the most whole nodes with the fewest moves, to "
        "run in its low-use UTC hours; a defragment ticket carries it.",
    ),
]


def make_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(numbers.FILTERS)
    env.globals["change"] = change
    env.globals["price_hint"] = numbers.PRICE_HINT
    return env


ENVIRONMENT = make_environment()


def _heatmap_rows(report: WorkspaceReport) -> list[tuple[str, list[str]]]:
    grid = [["" for _ in range(24)] for _ in charts.WEEKDAYS]
    for cell in report.heatmap:
        if cell.activity is not None:
            grid[cell.weekday - 1][cell.hour_of_day] = f"{cell.activity * 100:.0f}"
    return list(zip(charts.WEEKDAYS, grid, strict=True))


ACTIONS_SHOWN = 5  # tickets in the "What to give back" box
GLOSSARY_HTML = "glossary.html"  # one page beside the overview, linked from every report


def _previous(report: WorkspaceReport) -> dict[str, Any]:
    """The previous window's figures for the templates; every figure None when that window holds no data."""
    if report.previous_totals is None:
        return dict.fromkeys(UsageFigures.model_fields)
    return report.previous_totals.model_dump()


def render_workspace(report: WorkspaceReport) -> str:
    """The Workspace's HTML page, for a file in the Workspace's own folder beside its copy of plotly.min.js
    (the folder copied on its own still draws every chart); the glossary is one folder up."""
    totals_rows = list(TOTALS_ROWS)
    show_cost = report.totals.allocated_cost is not None
    if show_cost or (report.previous_totals is not None and report.previous_totals.allocated_cost is not None):
        totals_rows += COST_ROWS
    allocated = report.totals.allocated_gpu_hours
    actionable = [item for item in report.recommendations if item.is_action]
    trend_weeks = {index for trend in report.trends for index, week in enumerate(trend.weeks) if week.has_data}
    return ENVIRONMENT.get_template("workspace.html").render(
        report=report,
        window_start=report.window_start,
        window_end=report.window_end,
        coverage=report.coverage,
        generated_at=report.generated_at,
        plotly_src=PLOTLY_JS,
        glossary_href=f"../{GLOSSARY_HTML}",
        previous=_previous(report),
        totals_rows=totals_rows,
        show_cost=show_cost,
        show_money=any(item.cost_recoverable_per_week is not None for item in actionable),
        show_busy_looking=any(project.busy_looking_idle_gpu_hours is not None for project in report.projects),
        actions=top_actions(report.recommendations, ACTIONS_SHOWN),
        actions_total=len(actionable),
        no_data_share=rounded(report.totals.no_data_gpu_hours / allocated) if allocated > 0 else None,
        quota_figure=charts.quota_chart(report.projects),
        project_figures=[charts.project_allocation_chart(series) for series in report.series],
        heatmap_figure=charts.activity_heatmap_chart(report.heatmap),
        heatmap_rows=_heatmap_rows(report),
        trend_figures=[charts.project_trend_chart(trend) for trend in report.trends],
        trend_weeks=TREND_WEEKS,
        trend_weeks_with_data=len(trend_weeks),
    )


def render_glossary(currency: str, idle: float, low_use: float, generated_at: datetime) -> str:
    """The one glossary page (reports/glossary.html): every figure of every report in one sentence each."""
    return ENVIRONMENT.get_template("glossary.html").render(
        workspace_terms=glossary(currency, idle, low_use),
        cluster_terms=OVERVIEW_GLOSSARY,
        generated_at=generated_at,
    )


def render_overview(overview: ClusterOverview, currency: str, idle: float, low_use: float) -> str:
    """The cluster overview page, for a file next to plotly.min.js."""
    fragmentation = overview.fragmentation_series
    span = (
        datetime.combine(overview.window_start, time()).isoformat(),
        datetime.combine(overview.window_end, time()).isoformat(),
    )
    return ENVIRONMENT.get_template("overview.html").render(
        overview=overview,
        window_start=overview.window_start,
        window_end=overview.window_end,
        coverage=overview.coverage,
        generated_at=overview.generated_at,
        plotly_src=PLOTLY_JS,
        glossary_href=GLOSSARY_HTML,
        slugs={row.workspace: row.slug for row in overview.workspaces},
        actions=top_actions(overview.open_tickets, ACTIONS_SHOWN),
        actions_total=len([item for item in overview.open_tickets if item.is_action]),
        show_money=any(item.cost_recoverable_per_week is not None for item in overview.open_tickets),
        currency=currency,
        idle_threshold=idle,
        workspace_figure=charts.workspace_ranking_chart(overview.workspaces),
        machine_group_figure=charts.machine_group_chart(overview.machine_groups),
        capacity_figures=[charts.capacity_chart(series, span) for series in overview.capacity_series],
        fragmentation_figures=[
            (
                "chart-fragmentation-ratio",
                "Fragmentation ratio",
                "% of free GPU capacity that typical pods cannot use",
                charts.fragmentation_chart(fragmentation, "fragmentation_ratio", "fragmentation %", ".1f", span),
            ),
            (
                "chart-free-gpus",
                "Free whole GPUs",
                "GPUs no pod holds",
                charts.fragmentation_chart(fragmentation, "free_whole_gpus", "GPUs", ".0f", span),
            ),
            (
                "chart-placeable-8gpu",
                "Placeable 8-GPU pods",
                "how many 8-GPU pods would still fit",
                charts.fragmentation_chart(fragmentation, "placeable_8gpu", "8-GPU pods", ".0f", span),
            ),
        ],
    )


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
                "project": project.project,
                "namespace": project.namespace,
                **_figures(project),
                "reserved_gpus": project.reserved_gpus,
                "peak_allocated_gpus": project.peak_allocated_gpus,
                "p95_allocated_gpus": project.p95_allocated_gpus,
                "estimated_used_gpu_hours": project.estimated_used_gpu_hours,
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
