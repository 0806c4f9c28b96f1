"""Trends of a Workspace's Projects over the last weeks: allocated, used and idle GPU-hours week by week, from
whatever history the DuckDB file holds (weeks before the first day with data say so; they are not zeros)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
from gpu_reclaim.core.warehouse import fetch_records, run_sql
from gpu_reclaim.reports.model_base import rounded_hours
from gpu_reclaim.reports.models import ProjectTrend, TrendWeek

TREND_WEEKS = 8


def week_bounds(window_end: date, week_index: int) -> tuple[date, date]:
    """[start, end) of week `week_index` counted back from `window_end` (week 0 ends with it)."""
    end = window_end - timedelta(days=7 * week_index)
    return end - timedelta(days=7), end


def project_trends(
    rows: list[dict[str, Any]], days_with_data: list[date], window_end: date, weeks: int = TREND_WEEKS
) -> list[ProjectTrend]:
    """Each Project's weeks, oldest first: its sums where the week holds data, zeros where the cluster has
    data but the Project used nothing, `has_data` False where no day of the week holds any data."""
    covered = {(window_end - day).days - 1 for day in days_with_data if day < window_end}
    weeks_with_data = {index // 7 for index in covered}
    by_project: dict[str, dict[int, dict[str, Any]]] = {}
    names: dict[str, str] = {}
    for row in rows:
        by_project.setdefault(row["namespace"], {})[int(row["week_index"])] = row
        names[row["namespace"]] = row["project"]
    trends: list[ProjectTrend] = []
    for namespace, by_week in by_project.items():
        points: list[TrendWeek] = []
        for index in reversed(range(weeks)):
            start, end = week_bounds(window_end, index)
            row = by_week.get(index, {})
            points.append(
                TrendWeek(
                    week_start=start,
                    week_end=end,
                    has_data=index in weeks_with_data or bool(row),
                    allocated_gpu_hours=rounded_hours(row.get("allocated_gpu_hours")),
                    used_gpu_hours=rounded_hours(row.get("used_gpu_hours")),
                    idle_gpu_hours=rounded_hours(row.get("idle_gpu_hours")),
                )
            )
        trends.append(ProjectTrend(project=names[namespace], namespace=namespace, weeks=points))
    return sorted(trends, key=lambda trend: (-sum(week.allocated_gpu_hours for week in trend.weeks), trend.namespace))


def load_trends(
    con: duckdb.DuckDBPyConnection, workspace: str, window_end: date, weeks: int = TREND_WEEKS
) -> list[ProjectTrend]:
    """The Workspace's Project trends over the `weeks` weeks ending with `window_end`."""
    trend_start = window_end - timedelta(days=7 * weeks)
    params = {"workspace": workspace, "window_end": window_end, "trend_start": trend_start}
    rows = fetch_records(con, "report_project_weekly_trend.sql", params)
    covered = run_sql(con, "report_covered_days.sql", {"window_start": trend_start, "window_end": window_end})
    return project_trends(rows, [row[0] for row in covered.fetchall()], window_end, weeks)
