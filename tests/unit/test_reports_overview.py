"""The cluster overview: the ranking, capacity, unmet demand, fragmentation, defrag plans and cluster tickets equal
DuckDB, the page shows summary.json's figures, the charts plot the DuckDB series, hostile names are text."""

from __future__ import annotations

import html as html_module
import re
from typing import Any

import duckdb
from gpu_reclaim.reports import numbers
from gpu_reclaim.reports.models import ReportIndex
from gpu_reclaim.reports.render import format_hours, format_percent, format_share

from tests.unit.report_fixture import (
    HOSTILE_GROUP,
    LAST_DAY,
    WINDOW_END,
    WINDOW_START,
    WORKSPACE_A,
    charts_of,
    columns_by,
    overview_files,
    sql_rows,
    traces_of,
)


def test_overview_ranks_and_links_every_workspace(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html = index.overview_html.read_text(encoding="utf-8")
    assert html.index("Bravo Team") < html.index(WORKSPACE_A)  # most idle first
    for item in index.workspaces:
        assert f'href="{item.slug}/index.html"' in html
    assert "mg-bravo-only" in html and "mg-h100" in html
    assert "clamp_range" in html


def test_overview_capacity_equals_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = overview_files(index)
    expected = {
        group: tuple(round(value, 3) for value in figures)
        for group, *figures in sql_rows(
            con,
            "SELECT machine_group, sum(capacity_gpus), sum(allocated_gpus), sum(used_gpus), sum(unallocated_gpus), "
            "sum(pending_gpus), max(pending_gpus) FROM machine_group_usage_hourly WHERE day >= ? AND day < ? "
            "GROUP BY machine_group",
        )
    }
    actual = columns_by(
        overview["capacity"],
        "machine_group",
        *("capacity_gpu_hours", "allocated_gpu_hours", "used_gpu_hours", "unallocated_gpu_hours"),
        *("pending_gpu_hours", "peak_pending_gpus"),
    )
    assert actual == expected
    assert actual["mg-h100"] == (96.0, 55.5, 16.5, 40.5, 0.0, 0.0)  # the 999s of the hour before are left out
    unplaced = next(row for row in overview["capacity"] if row["machine_group"] == "unplaced")
    assert (unplaced["pending_gpu_hours"], unplaced["pending_snapshots"], unplaced["peak_blocked_pods"]) == (25.0, 2, 2)
    assert [row["machine_group"] for row in overview["capacity"]][-1] == "unplaced"
    assert overview["capacity_gpu_hours"] == 96.0 + 48.0
    assert overview["unallocated_gpu_hours"] == 40.5 + 30.0
    assert overview["pending_gpu_hours"] == 0.75 + 25.0


def test_overview_fragmentation_equals_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = overview_files(index)
    columns = (
        "avg(fragmentation_ratio), max(fragmentation_ratio), arg_max(fragmentation_ratio, snapshot_ts), "
        "arg_max(free_whole_gpus, snapshot_ts), arg_max(placeable_8gpu, snapshot_ts), min(placeable_8gpu), count(*)"
    )
    expected = {
        scope: (round(mean, 3), round(largest, 3), round(latest, 3), free, slots, fewest, count)
        for scope, mean, largest, latest, free, slots, fewest, count in sql_rows(
            con,
            f"SELECT machine_group, {columns} FROM machine_group_fragmentation WHERE day >= ? AND day < ? "
            f"GROUP BY machine_group UNION ALL SELECT 'cluster', {columns} FROM cluster_fragmentation "
            "WHERE day >= $1 AND day < $2",
        )
    }
    actual = columns_by(
        overview["fragmentation"],
        "scope",
        *("mean_fragmentation_ratio", "max_fragmentation_ratio", "latest_fragmentation_ratio"),
        *("latest_free_whole_gpus", "latest_placeable_8gpu", "min_placeable_8gpu", "snapshots"),
    )
    assert actual == expected
    assert actual["mg-h100"] == (18.984, 30.5, 15.062, 7, 1, 0, 4)  # 99.9 of the hour before is left out
    assert [row["scope"] for row in overview["fragmentation"]][-1] == "cluster"


def test_overview_defrag_plans_and_tickets_equal_duckdb(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    _, overview = overview_files(index)
    expected = sql_rows(
        con,
        "SELECT machine_group, moves, nodes_freed, placeable_8gpu_before, placeable_8gpu_after, "
        "round(fragmentation_ratio_before, 3), round(fragmentation_ratio_after, 3), low_use_hours_utc "
        "FROM defrag_plans WHERE day >= ? AND day < ? "
        "QUALIFY day = max(day) OVER (PARTITION BY machine_group) ORDER BY machine_group",
    )
    plans = [
        (
            plan["machine_group"],
            plan["moves"],
            plan["nodes_freed"],
            plan["placeable_8gpu_before"],
            plan["placeable_8gpu_after"],
            plan["fragmentation_ratio_before"],
            plan["fragmentation_ratio_after"],
            plan["low_use_hours_utc"],
        )
        for plan in overview["defrag_plans"]
    ]
    assert plans == [tuple(row) for row in expected]
    assert plans[1] == ("mg-h100", 2, 1, 0, 1, 30.5, 12.125, [3, 4])  # the latest plan in the window
    assert overview["slots_opened_by_defrag"] == 1
    tickets = [
        (item["id"], item["rule"], item["gpu_hours_recoverable_per_week"]) for item in overview["cluster_tickets"]
    ]
    assert tickets == [("defragment-h100", "defragment", 1344.0)]  # the latest evaluation only
    assert overview["evaluated_on"] == LAST_DAY.isoformat()


def test_overview_html_shows_the_summary_numbers(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, overview = overview_files(index)
    tables = {
        name: html[html.index(f'<table id="{name}"') : html.index("</table>", html.index(f'<table id="{name}"'))]
        for name in ("capacity-table", "fragmentation-table", "defrag-table", "cluster-ticket-table")
    }
    for row in overview["capacity"]:
        for key, value in row.items():
            if key.endswith("_gpu_hours"):
                assert f">{format_hours(value)}<" in tables["capacity-table"], (row["machine_group"], key)
            elif key.endswith("_gpus"):  # GPUs are whole numbers on the pages
                assert f">{numbers.gpus(value)}<" in tables["capacity-table"], (row["machine_group"], key)
            elif key in ("pending_snapshots", "peak_blocked_pods"):
                assert f">{value}<" in tables["capacity-table"], (row["machine_group"], key)
        assert format_share(row["unallocated_share"]) in tables["capacity-table"]
    for row in overview["fragmentation"]:
        for key, value in row.items():
            if key.endswith("fragmentation_ratio"):
                assert f">{format_percent(value)}<" in tables["fragmentation-table"], (row["scope"], key)
            elif key in ("latest_free_whole_gpus", "latest_placeable_8gpu", "min_placeable_8gpu", "snapshots"):
                assert f">{value}<" in tables["fragmentation-table"], (row["scope"], key)
    for plan in overview["defrag_plans"]:
        row_html = tables["defrag-table"]
        assert f"<span>{plan['placeable_8gpu_before']}</span> → <span>{plan['placeable_8gpu_after']}</span>" in row_html
        before, after = (
            format_percent(plan[key]) for key in ("fragmentation_ratio_before", "fragmentation_ratio_after")
        )
        assert f"<span>{before}</span> → <span>{after}</span>" in row_html
    assert "03:00, 04:00" in tables["defrag-table"]
    for item in overview["cluster_tickets"]:
        assert item["id"] in tables["cluster-ticket-table"]
        assert f">{format_hours(item['gpu_hours_recoverable_per_week'])}<" in tables["cluster-ticket-table"]
    cards = {
        "card-capacity": format_hours(overview["capacity_gpu_hours"]),
        "card-unallocated": format_hours(overview["unallocated_gpu_hours"]),
        "card-pending": format_hours(overview["pending_gpu_hours"]),
        "card-fragmentation": format_percent(overview["fragmentation"][-1]["latest_fragmentation_ratio"]),
        "card-placeable": str(overview["fragmentation"][-1]["latest_placeable_8gpu"]),
        "card-defrag": str(overview["slots_opened_by_defrag"]),
    }
    for card, text in cards.items():
        assert f'id="{card}">{text}<' in html, card


def test_overview_charts_plot_the_duckdb_series(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, con = built
    html, overview = overview_files(index)
    charts = charts_of(html)
    groups = [row["machine_group"] for row in overview["capacity"]]
    for number, group in enumerate(groups, start=1):
        figure = charts[f"chart-capacity-{number}"]
        traces = traces_of(figure)
        assert len(next(iter(traces.values()))) == 7 * 24  # every hour of the window, on the window's range
        assert figure["layout"]["xaxis"]["range"] == ["2026-01-05T00:00:00", "2026-01-12T00:00:00"]
        rows = con.execute(
            "SELECT strftime(hour, '%Y-%m-%dT%H:%M:%S'), allocated_gpus, used_gpus, unallocated_gpus, pending_gpus "
            "FROM machine_group_usage_hourly WHERE machine_group = ? AND day >= ? AND day < ?",
            [group, WINDOW_START, WINDOW_END],
        ).fetchall()
        names = (
            ("allocated", "used", "unallocated", "pending") if group != "unplaced" else (None, None, None, "pending")
        )
        assert set(traces) == {name for name in names if name} | ({"capacity"} if group != "unplaced" else set())
        for hour, *values in rows:
            for name, value in zip(names, values, strict=True):
                if name:
                    assert traces[name][hour] == round(value, 3), (group, name, hour)
        for name in ("pending",):
            assert sum(traces[name].values()) == sum(row[4] for row in rows)  # hours without a row are 0
    for chart_id, column in (
        ("chart-fragmentation-ratio", "fragmentation_ratio"),
        ("chart-free-gpus", "free_whole_gpus"),
        ("chart-placeable-8gpu", "placeable_8gpu"),
    ):
        traces = traces_of(charts[chart_id])
        expected: dict[str, dict[str, Any]] = {}
        for scope, ts, value in sql_rows(
            con,
            f"SELECT machine_group, strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%S'), {column} FROM "
            "machine_group_fragmentation WHERE day >= ? AND day < ? UNION ALL SELECT 'whole cluster', "
            f"strftime(snapshot_ts, '%Y-%m-%dT%H:%M:%S'), {column} FROM cluster_fragmentation "
            "WHERE day >= $1 AND day < $2",
        ):
            name = html_module.escape(scope, quote=False)
            expected.setdefault(name, {})[ts] = round(value, 3)
        assert traces == expected, chart_id


def test_overview_hostile_group_names_are_text(built: tuple[ReportIndex, duckdb.DuckDBPyConnection]) -> None:
    index, _ = built
    html, overview = overview_files(index)
    assert HOSTILE_GROUP in [row["machine_group"] for row in overview["capacity"]]
    assert HOSTILE_GROUP not in html and "<script>alert" not in html
    assert "mg-&lt;script&gt;alert(5)&lt;/script&gt;" in html
    assert html.count("<script") == html.count("</script>")
    for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S):
        assert "<" not in block
    # plotly.js draws trace names as text: they carry the HTML-escaped label, shown as typed
    names = {trace["name"] for figure in charts_of(html).values() for trace in figure["data"]}
    assert "mg-&lt;script&gt;alert(5)&lt;/script&gt;" in names
