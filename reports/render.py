"""Render the page models: WorkspaceReport -> HTML and summary.json, ClusterOverview -> HTML.

Jinja2 autoescapes every value, so names from the cluster show as text. Charts are JSON in
`<script type="application/json">` elements (see :mod:`reports.charts`), drawn by the plotly.min.js that
:func:`reports.build.build_reports` writes next to the pages; tables carry every figure without JavaScript.
"""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Any, Literal

from gpu_reclaim.reports import charts, numbers
from gpu_reclaim.reports.glossary import OVERVIEW_GLOSSARY, glossary, term_id
from gpu_reclaim.reports.model_base import UsageFigures, rounded
from gpu_reclaim.reports.models import WorkspaceReport
from gpu_reclaim.reports.overview_models import ClusterOverview
from gpu_reclaim.reports.summaries import overview_document, render_overview_summary, render_summary, summary_document
from gpu_reclaim.reports.ticket_models import FindingTotals, top_actions
from gpu_reclaim.reports.trends import TREND_WEEKS
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from pydantic import BaseModel

TEMPLATES = Path(__file__).resolve().parent / "templates"
PLOTLY_JS = "plotly.min.js"


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
    env.filters["term_id"] = term_id
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


def _page(page: WorkspaceReport | ClusterOverview, glossary_href: str) -> dict[str, Any]:
    """What base.html shows of any page: its window, coverage, when it was made, plotly.js and the glossary."""
    return {
        "window_start": page.window_start,
        "window_end": page.window_end,
        "coverage": page.coverage,
        "generated_at": page.generated_at,
        "plotly_src": PLOTLY_JS,
        "glossary_href": glossary_href,
    }


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
        **_page(report, f"../{GLOSSARY_HTML}"),
        report=report,
        previous=_previous(report),
        totals_rows=totals_rows,
        show_cost=show_cost,
        show_money=any(item.give_back_money is not None for item in actionable),
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
    # every ranked Workspace has its totals (zeros when it has no ticket), so each row adds up to the footer
    findings = {row.workspace: FindingTotals() for row in overview.workspaces} | overview.workspace_finding_totals
    span = (
        datetime.combine(overview.window_start, time()).isoformat(),
        datetime.combine(overview.window_end, time()).isoformat(),
    )
    return ENVIRONMENT.get_template("overview.html").render(
        **_page(overview, GLOSSARY_HTML),
        overview=overview,
        slugs={row.workspace: row.slug for row in overview.workspaces},
        workspace_findings=findings,
        actions=top_actions(overview.open_tickets, ACTIONS_SHOWN),
        actions_total=len([item for item in overview.open_tickets if item.is_action]),
        show_money=any(item.give_back_money is not None for item in overview.open_tickets),
        currency=currency,
        idle_threshold=idle,
        workspace_figure=charts.workspace_ranking_chart(
            overview.workspaces,
            {name: totals.held_and_idle_gpu_hours_per_week for name, totals in findings.items()},
        ),
        machine_group_figure=charts.machine_group_chart(overview.machine_groups, overview.show_clusters),
        capacity_figures=[charts.capacity_chart(series, span) for series in overview.capacity_series],
        fragmentation_figures=[
            (
                "chart-fragmentation-ratio",
                "Fragmentation ratio",
                "% of free GPU capacity that typical pods cannot use",
                charts.fragmentation_chart(
                    fragmentation, "fragmentation_ratio", "fragmentation %", ".1f", span, overview.show_clusters
                ),
            ),
            (
                "chart-free-gpus",
                "Free whole GPUs",
                "GPUs no pod holds",
                charts.fragmentation_chart(
                    fragmentation, "free_whole_gpus", "GPUs", ".0f", span, overview.show_clusters
                ),
            ),
            (
                "chart-placeable-8gpu",
                "Placeable 8-GPU pods",
                "how many 8-GPU pods would still fit",
                charts.fragmentation_chart(
                    fragmentation, "placeable_8gpu", "8-GPU pods", ".0f", span, overview.show_clusters
                ),
            ),
        ],
    )


# summary.json is written by reports.summaries; re-exported for the callers of this module
__all__ = [
    "ACTIONS_SHOWN",
    "GLOSSARY_HTML",
    "PLOTLY_JS",
    "change",
    "overview_document",
    "render_glossary",
    "render_overview",
    "render_overview_summary",
    "render_summary",
    "render_workspace",
    "summary_document",
]
