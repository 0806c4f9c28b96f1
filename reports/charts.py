"""Plotly figures of the report pages, built by typed functions from the page models.

Each function returns the figure as JSON text that is safe inside `<script type="application/json">`:
`<`, `>` and `&` are written as JSON escapes, so no label can close the script element. Labels that
plotly.js draws as text (category names) are HTML-escaped first, because plotly.js reads a few tags in them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from gpu_reclaim.reports.model_base import CLUSTER_SCOPE
from gpu_reclaim.reports.models import HeatmapCell, ProjectReport, ProjectSeries, ProjectTrend
from gpu_reclaim.reports.overview_models import CapacitySeries, FragmentationSeries, MachineGroupUsage, WorkspaceRanking

ALLOCATED_COLOR = "#9aa5b1"
USED_COLOR = "#1f6feb"
IDLE_COLOR = "#d1495b"
QUOTA_COLOR = "#2d3748"
P95_COLOR = "#edae49"
CAPACITY_COLOR = "#d9dee4"
UNALLOCATED_COLOR = "#e9edf1"
PENDING_COLOR = "#c2410c"
CLUSTER_COLOR = "#111827"
# one colour per Machine Group on the fragmentation charts (cycled), the cluster line in CLUSTER_COLOR
GROUP_COLORS = ("#1f6feb", "#edae49", "#2a9d8f", "#9d4edd", "#d1495b", "#6c757d", "#00798c", "#8d6a9f")
FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _base_layout(height: int, **extra: Any) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "margin": {"l": 56, "r": 16, "t": 12, "b": 40},
        "font": {"family": FONT, "size": 12, "color": "#2d3748"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 0, "xanchor": "left"},
        "xaxis": {"gridcolor": "#edf0f3", "linecolor": "#cbd2d9", "zeroline": False},
        "yaxis": {"gridcolor": "#edf0f3", "linecolor": "#cbd2d9", "zeroline": False, "rangemode": "tozero"},
    }
    layout.update(extra)
    return layout


def figure_json(figure: go.Figure) -> str:
    """The figure as JSON that cannot break out of an HTML script element."""
    text = pio.to_json(figure, validate=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _label(text: str) -> str:
    """A category label for plotly.js: HTML-escaped so tags in it show as text."""
    return html.escape(text, quote=False)


def project_allocation_chart(series: ProjectSeries) -> str:
    """Mean GPUs allocated and used per hour of the window, with the Project's reserved quota."""
    hours = [point.hour.isoformat() for point in series.points]
    traces: list[go.Scatter] = [
        go.Scatter(
            x=hours,
            y=values,
            name=name,
            mode="lines",
            line={"color": color, "width": 1.5, "shape": "hv"},
            fill="tozeroy",
            fillcolor=fill,
            hovertemplate=f"%{{y:.3f}} GPUs {name}<extra></extra>",
        )
        for name, color, fill, values in (
            ("allocated", ALLOCATED_COLOR, "rgba(154,165,177,0.25)", [point.allocated_gpus for point in series.points]),
            ("used", USED_COLOR, "rgba(31,111,235,0.25)", [point.used_gpus for point in series.points]),
        )
    ]
    if series.reserved_gpus is not None and hours:
        traces.append(
            go.Scatter(
                x=[hours[0], hours[-1]],
                y=[series.reserved_gpus, series.reserved_gpus],
                name="reserved (quota)",
                mode="lines",
                line={"color": QUOTA_COLOR, "width": 1.5, "dash": "dash"},
                hovertemplate="%{y:.3f} GPUs reserved<extra></extra>",
            )
        )
    layout = _base_layout(240, hovermode="x unified")
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": "GPUs (hourly mean)"}}
    return figure_json(go.Figure(data=traces, layout=layout))


def quota_chart(projects: list[ProjectReport]) -> str:
    """Per Project: reserved GPUs (quota) against peak and p95 of the hourly allocation."""
    names = [
        _label(project.project if project.project == project.namespace else f"{project.project} ({project.namespace})")
        for project in projects
    ]
    bars: list[tuple[str, str, list[float | None]]] = [
        ("reserved (quota)", QUOTA_COLOR, [project.reserved_gpus for project in projects]),
        ("peak allocated", ALLOCATED_COLOR, [project.peak_allocated_gpus for project in projects]),
        ("p95 allocated", P95_COLOR, [project.p95_allocated_gpus for project in projects]),
    ]
    return _grouped_columns(names, bars, "GPUs")


def _grouped_columns(names: list[str], bars: list[tuple[str, str, list[float | None]]], y_title: str) -> str:
    """Vertical bars grouped per name: one trace per (legend name, colour, values)."""
    traces = [go.Bar(x=names, y=values, name=name, marker={"color": color}) for name, color, values in bars]
    layout = _base_layout(280, barmode="group")
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": y_title}}
    layout["xaxis"] = {**layout["xaxis"], "type": "category", "automargin": True}
    return figure_json(go.Figure(data=traces, layout=layout))


def activity_heatmap_chart(cells: list[HeatmapCell]) -> str:
    """Mean activity (used / observed GPU-hours) per UTC hour of the week."""
    activity: list[list[float | None]] = [[None] * 24 for _ in WEEKDAYS]
    observed: list[list[float]] = [[0.0] * 24 for _ in WEEKDAYS]
    for cell in cells:
        row = cell.weekday - 1
        activity[row][cell.hour_of_day] = None if cell.activity is None else round(cell.activity * 100, 1)
        observed[row][cell.hour_of_day] = cell.observed_gpu_hours
    trace = go.Heatmap(
        z=activity,
        x=[f"{hour:02d}:00" for hour in range(24)],
        y=list(WEEKDAYS),
        customdata=observed,
        zmin=0,
        zmax=100,
        colorscale=[[0.0, "#fff5f0"], [0.1, "#fcbba1"], [0.3, "#9ecae1"], [1.0, "#08519c"]],
        colorbar={"title": {"text": "activity %", "side": "right"}, "thickness": 12, "len": 1},
        xgap=1,
        ygap=1,
        hovertemplate=("%{y} %{x} UTC<br>activity %{z:.1f}%<br>%{customdata:.3f} GPU-hours observed<extra></extra>"),
    )
    layout = _base_layout(260)
    layout["yaxis"] = {"autorange": "reversed", "type": "category"}
    layout["xaxis"] = {"type": "category", "tickangle": 0, "dtick": 2}
    return figure_json(go.Figure(data=[trace], layout=layout))


def workspace_ranking_chart(rows: list[WorkspaceRanking], held_and_idle: Mapping[str, float]) -> str:
    """Workspaces by idle GPU-hours in the window and the held-and-idle GPU-hours per week that their reclaim-now
    tickets give back (`held_and_idle`, per Workspace)."""
    names = [_label(row.workspace) for row in rows]
    bars = [
        ("idle GPU-hours", IDLE_COLOR, [row.idle_gpu_hours for row in rows]),
        ("held and idle GPU-hours / week", P95_COLOR, [held_and_idle.get(row.workspace, 0.0) for row in rows]),
    ]
    traces = [
        go.Bar(y=names, x=values, name=name, orientation="h", marker={"color": color}) for name, color, values in bars
    ]
    layout = _base_layout(max(200, 60 + 44 * len(rows)), barmode="group")
    layout["yaxis"] = {"autorange": "reversed", "type": "category", "automargin": True}
    layout["xaxis"] = {**layout["xaxis"], "title": {"text": "GPU-hours"}}
    return figure_json(go.Figure(data=traces, layout=layout))


def _in_cluster(name: str, cluster: str, show_clusters: bool) -> str:
    """`name`, prefixed with its cluster when the page shows clusters ('' : series without the label)."""
    return f"{cluster or 'no cluster'} · {name}" if show_clusters else name


def machine_group_chart(rows: list[MachineGroupUsage], show_clusters: bool = False) -> str:
    """Per Machine Group (per cluster when the page shows clusters): capacity, allocated and used GPU-hours."""
    names = [_label(_in_cluster(row.machine_group, row.cluster, show_clusters)) for row in rows]
    bars: list[tuple[str, str, list[float | None]]] = [
        ("capacity", CAPACITY_COLOR, [row.capacity_gpu_hours for row in rows]),
        ("allocated", ALLOCATED_COLOR, [row.allocated_gpu_hours for row in rows]),
        ("used", USED_COLOR, [row.used_gpu_hours for row in rows]),
    ]
    return _grouped_columns(names, bars, "GPU-hours")


def _time_layout(height: int, y_title: str, x_range: tuple[str, str] | None = None) -> dict[str, Any]:
    """A chart with UTC time on x; `x_range` (ISO start, end) makes every chart of a page span the window."""
    layout = _base_layout(height, hovermode="x unified")
    layout["legend"] = {**layout["legend"], "traceorder": "normal"}
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": y_title}}
    layout["xaxis"] = {**layout["xaxis"], "type": "date", "hoverformat": "%a %d %b %H:%M UTC"}
    if x_range is not None:
        layout["xaxis"]["range"] = list(x_range)
    return layout


# the capacity chart's traces of a placed Machine Group, bottom to top: (CapacityPoint field, name, style)
_CAPACITY_TRACES: tuple[tuple[str, str, dict[str, Any]], ...] = (
    (
        "allocated_gpus",
        "allocated",
        {
            "stackgroup": "capacity",
            "line": {"color": ALLOCATED_COLOR, "width": 1, "shape": "hv"},
            "fillcolor": "rgba(154,165,177,0.45)",
        },
    ),
    (
        "unallocated_gpus",
        "unallocated",
        {
            "stackgroup": "capacity",
            "line": {"color": "#9fd3cb", "width": 1, "shape": "hv"},
            "fillcolor": "rgba(42,157,143,0.16)",
        },
    ),
    (
        "used_gpus",
        "used",
        {
            "fill": "tozeroy",
            "line": {"color": USED_COLOR, "width": 1.5, "shape": "hv"},
            "fillcolor": "rgba(31,111,235,0.35)",
        },
    ),
    ("capacity_gpus", "capacity", {"line": {"color": QUOTA_COLOR, "width": 1, "dash": "dot", "shape": "hv"}}),
)


def _hourly_trace(series: CapacitySeries, field: str, name: str, style: dict[str, Any]) -> go.Scatter:
    return go.Scatter(
        x=[point.hour.isoformat() for point in series.points],
        y=[getattr(point, field) for point in series.points],
        name=name,
        mode="lines",
        hovertemplate=f"%{{y:.3f}} GPUs {name}<extra></extra>",
        **style,
    )


def capacity_chart(series: CapacitySeries, x_range: tuple[str, str] | None = None) -> str:
    """One Machine Group hour by hour: allocated and unallocated GPUs stacked up to capacity, used GPUs
    inside the allocation, and GPUs requested by Pending pods (unmet demand). For the pseudo-group of Pending
    pods not bound to any node only the demand is drawn."""
    traces: list[go.Scatter] = []
    if not series.unplaced:
        traces += [_hourly_trace(series, field, name, style) for field, name, style in _CAPACITY_TRACES]
    pending_style: dict[str, Any] = {
        "fill": "tozeroy" if series.unplaced else None,
        "line": {"color": PENDING_COLOR, "width": 2, "shape": "hv"},
        "fillcolor": "rgba(194,65,12,0.2)",
    }
    traces.append(_hourly_trace(series, "pending_gpus", "pending", pending_style))
    return figure_json(go.Figure(data=traces, layout=_time_layout(250, "GPUs (hourly mean)", x_range)))


# the whole-cluster lines, one dash per cluster when the page shows several
CLUSTER_DASHES = ("dash", "dot", "dashdot", "longdash")


def _scope_style(index: int, scope: str, cluster_index: int = 0) -> dict[str, Any]:
    if scope == CLUSTER_SCOPE:
        dash = CLUSTER_DASHES[cluster_index % len(CLUSTER_DASHES)]
        return {"color": CLUSTER_COLOR, "width": 2.5, "dash": dash, "shape": "hv"}
    return {"color": GROUP_COLORS[index % len(GROUP_COLORS)], "width": 1.5, "shape": "hv"}


def _scope_name(scope: str) -> str:
    return "whole cluster" if scope == CLUSTER_SCOPE else _label(scope)


def fragmentation_chart(
    series: list[FragmentationSeries],
    figure: str,
    y_title: str,
    value_format: str,
    x_range: tuple[str, str] | None = None,
    show_clusters: bool = False,
) -> str:
    """One fragmentation figure of every Machine Group and the whole cluster (of each cluster when the page shows
    clusters), snapshot by snapshot.

    `figure` is a FragmentationPoint field: fragmentation_ratio (percent), free_whole_gpus or placeable_8gpu."""
    clusters = list(dict.fromkeys(item.cluster for item in series))
    traces = [
        go.Scatter(
            x=[point.snapshot_ts.isoformat() for point in item.points],
            y=[getattr(point, figure) for point in item.points],
            name=_in_cluster(_scope_name(item.scope), item.cluster, show_clusters),
            mode="lines",
            line=_scope_style(index, item.scope, clusters.index(item.cluster)),
            hovertemplate=f"%{{y:{value_format}}}<extra>%{{fullData.name}}</extra>",
        )
        for index, item in enumerate(series)
    ]
    # cluster-prefixed names fit two legend entries per row: taller, so the legend never needs a scrollbar
    rows = math.ceil(len(traces) / (2 if show_clusters else 3))
    layout = _time_layout(260 + 22 * max(rows - 2, 0), y_title, x_range)
    if show_clusters:
        layout["legend"] = {**layout["legend"], "entrywidth": 0.5, "entrywidthmode": "fraction"}
    return figure_json(go.Figure(data=traces, layout=layout))


def project_trend_chart(trend: ProjectTrend) -> str:
    """A Project's weeks: allocated GPU-hours as a line, used and idle as bars; weeks without data are gaps."""
    weeks = [week.week_start.strftime("%d %b") for week in trend.weeks]

    def values(field: str) -> list[float | None]:
        return [getattr(week, field) if week.has_data else None for week in trend.weeks]

    traces: list[go.Bar | go.Scatter] = [
        go.Bar(x=weeks, y=values("used_gpu_hours"), name="used", marker={"color": USED_COLOR},
               hovertemplate="%{y:,.0f} GPU-h used<extra></extra>"),
        go.Bar(x=weeks, y=values("idle_gpu_hours"), name="idle", marker={"color": IDLE_COLOR},
               hovertemplate="%{y:,.0f} GPU-h idle<extra></extra>"),
        go.Scatter(x=weeks, y=values("allocated_gpu_hours"), name="allocated", mode="lines+markers",
                   line={"color": QUOTA_COLOR, "width": 1.5}, connectgaps=False,
                   hovertemplate="%{y:,.0f} GPU-h allocated<extra></extra>"),
    ]  # fmt: skip
    layout = _base_layout(220, barmode="group", hovermode="x unified")
    layout["yaxis"] = {**layout["yaxis"], "title": {"text": "GPU-hours / week"}, "tickformat": ",.0f"}
    layout["xaxis"] = {**layout["xaxis"], "type": "category", "title": {"text": "week starting (UTC)"}, "tickangle": 0}
    return figure_json(go.Figure(data=traces, layout=layout))
