"""The report queries of issue 14 on small DuckDB fixtures: the tickets to act on first (with the ticket fields the
tickets helper adds, read from the stored ticket), 'no previous data', the 8-week trends, the occupancy map and
unmet demand tied to who waits; and the rendered pages that show them."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.queries import load_cluster_overview, load_workspace_report
from gpu_reclaim.reports.trends import load_trends

from tests.unit.report_fixture import LAST_DAY, WINDOW_END, WINDOW_START, WORKSPACE_A, WORKSPACE_B, make_database

SNAPSHOT = datetime(2026, 1, 11, 23)
GENERATED = datetime(2026, 1, 12, 6)


def _ticket(workload: str, h100: float, **fields: Any) -> str:
    return json.dumps(
        {
            "action": f"Release the GPUs of {workload}",
            "summary": f"{workload} idles",
            "evidence": {
                "longest_idle_hours": 60.016666,
                "gpus_idle_at_window_end": 8,
                "mean_activity": 0.0042,
                "h100_equivalent_hours_recoverable_per_week": h100,
                "cost_recoverable_per_week": None,
            },
            **fields,
        }
    )


# (id, workload, GPUs, GPU-h/week, H100-eq. h/week, issue-14 ticket fields)
ACTION_TICKETS: list[tuple[str, str, int, float, float, dict[str, Any]]] = [
    ("a-quota", "ResourceQuota/gpu-quota", 6, 1000.0, 320.0,
     {"kind": "reclaim", "owner": "vision-leads", "owner_channel": "#vision",
      "change": "kubectl -n alpha-vision patch resourcequota gpu-quota --type merge -p "
                "'{\"spec\":{\"hard\":{\"requests.nvidia.com/gpu\":\"2\"}}}'"}),
    ("a-job", "Job/train-big", 8, 500.0, 500.0,
     {"kind": "reclaim", "owner": "alice", "change": "kubectl -n alpha-vision delete job/train-big"}),
    ("a-ended", "Job/ended-run", 8, 900.0, 900.0, {"kind": "waste_report", "owner": "bob"}),
    ("a-snoozed", "Deployment/snoozed", 2, 800.0, 800.0,
     {"kind": "reclaim", "acknowledged": True, "acknowledged_until": "2026-02-01"}),
]  # fmt: skip


def make_action_database() -> duckdb.DuckDBPyConnection:
    """The report fixture plus tickets carrying issue 14's fields, one node snapshot with GPU activity, and
    Pending GPU pods of two Workspaces."""
    con = make_database()
    for finding, workload, gpus, weekly, h100, fields in ACTION_TICKETS:
        con.execute(
            "INSERT INTO recommendations VALUES (?, ?, 'idle_allocation', 'high', ?, 'vision', 'alpha-vision', ?, "
            "false, 'NVIDIA-H100', 8, ?, 10, ?, ?, ?, ?, '')",
            [LAST_DAY, finding, WORKSPACE_A, workload, gpus, weekly, datetime(2026, 1, 5), WINDOW_END,
             _ticket(workload, h100, **fields)],
        )  # fmt: skip
    day = SNAPSHOT.date()
    node_row = (
        "INSERT INTO node_fragmentation VALUES (?, ?, ?, 'mg-h100', 'NVIDIA-H100', 8, ?, ?, 0, 0, ?, 0, 0, 0, 0, '')"
    )
    for node, free in (("node-busy", 2), ("node-empty", 8)):
        con.execute(node_row, [day, SNAPSHOT, node, free, float(free), free == 8])
        con.execute(node_row, [day, SNAPSHOT - timedelta(hours=5), node, 0, 0.0, False])  # an older snapshot
    # node-busy's 6 held GPUs in the snapshot's hour: 2 idle (activity < 1 %), 4 working
    for index in range(6):
        uuid = f"GPU-busy-{index}"
        con.execute(
            "INSERT INTO gpu_samples (day, ts, node, gpu_index, gpu_uuid, raw_samples) "
            "VALUES (?, ?, 'node-busy', ?, ?, 1)",
            [day, SNAPSHOT, index, uuid],
        )
        con.execute(
            "INSERT INTO pod_gpu_usage_hourly (day, hour, uid, gpu_uuid, namespace, observed_gpu_hours, "
            "used_gpu_hours, idle_gpu_hours, mean_activity) VALUES (?, ?, 'u', ?, 'alpha-vision', 1, 0, 0, ?)",
            [day, SNAPSHOT, uuid, 0.001 if index < 2 else 0.6],
        )
    # Pending GPU pods: alpha-vision waits 3 steps for 4 GPUs (2 pods), bravo 2 steps for 8 on a node it names
    pending = (
        "INSERT INTO pod_steps (day, ts, uid, namespace, pod, node, phase, gpus_requested, gpu_milli_requested, "
        "cpu_cores_requested, memory_bytes_requested) VALUES (?, ?, ?, ?, ?, ?, 'Pending', ?, 0, 1, 1)"
    )
    for step in range(3):
        ts = datetime(2026, 1, 6, 10, step)
        con.execute(pending, [ts.date(), ts, "u-p1", "alpha-vision", "p1", None, 3.0])
        con.execute(pending, [ts.date(), ts, "u-p2", "alpha-vision", "p2", None, 1.0])
    for step in range(2):
        ts = datetime(2026, 1, 5, 3, step)  # the fixture's nodes are recorded on Jan 5
        con.execute(pending, [ts.date(), ts, "u-b1", "bravo-nlp-ns", "b1", "node-mg-h100", 8.0])
    con.execute(pending.replace("'Pending'", "'Running'"), [ts.date(), ts, "u-r", "alpha-vision", "r", None, 8.0])
    for uid, namespace, owner in (("u-p1", "alpha-vision", "train-a"), ("u-p2", "alpha-vision", "train-b"),
                                  ("u-b1", "bravo-nlp-ns", "bravo-batch")):  # fmt: skip
        con.execute(
            "INSERT INTO pods VALUES (?, ?, ?, 'p', NULL, 'Job', ?, 'shared', 'training', 'unknown', false, NULL, "
            "?, ?, '')",
            [date(2026, 1, 6), uid, namespace, owner, datetime(2026, 1, 6), datetime(2026, 1, 7)],
        )
    return con


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    return make_action_database()


def test_workspace_tickets_carry_issue_14_fields_from_the_ticket(con: duckdb.DuckDBPyConnection) -> None:
    report = load_workspace_report(con, Settings(), WORKSPACE_A, "alpha-ws", WINDOW_START, WINDOW_END, GENERATED)
    by_id = {item.id: item for item in report.recommendations}
    quota = by_id["a-quota"]
    assert (quota.kind, quota.owner, quota.owner_channel) == ("reclaim", "vision-leads", "#vision")
    assert quota.change is not None and quota.change.startswith("kubectl -n alpha-vision patch resourcequota")
    assert quota.h100_equivalent_hours_recoverable_per_week == 320.0
    assert quota.cost_recoverable_per_week is None
    assert by_id["a-snoozed"].acknowledged is True
    assert by_id["a-snoozed"].acknowledged_until == date(2026, 2, 1)
    assert by_id["alpha-f1"].kind is None and by_id["alpha-f1"].owner is None  # a ticket written before them
    # evidence as labelled sentences; the recoverable figures have their own columns, never "null"
    assert quota.evidence == {
        "Longest idle run": "60 h",
        "GPUs idle at the window's end": "8",
        "Mean activity": "0.4%",
    }


def test_the_action_box_ranks_by_h100_hours_and_leaves_out_waste_reports_and_snoozed(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    page = next(item.index_html for item in index.workspaces if item.workspace == WORKSPACE_A).read_text("utf-8")
    box = page[page.index('<section id="actions"') : page.index("</section>", page.index('<section id="actions"'))]
    listed = [line.split('"')[1] for line in box.split("data-ticket=")[1:]]
    # 500 H100-eq. h (8 H100s) before 320 (the quota: more GPU-hours, fewer H100-eq.), then alpha-f1 (no weight)
    assert listed == ["a-job", "a-quota", "alpha-f1"]
    assert "a-ended" not in box and "a-snoozed" not in box  # in the table of every ticket, not in the actions
    assert 'id="ticket-a-ended"' in page and 'id="ticket-a-snoozed"' in page and "acknowledged until 2026-02-01" in page
    assert "<b>500</b> H100-eq. h / week" in box and "<b>8</b> GPUs to give back of 8" in box
    change = "<code>kubectl -n alpha-vision delete job/train-big</code></pre>"
    assert f'<pre class="exact-change" title="the exact change: select to copy">{change}' in box
    assert 'owner <strong class="owner">vision-leads</strong> <span class="channel">#vision</span>' in box
    assert "No prices are set" in box and page.count("No prices are set") == 1  # one hint, no "null" money
    assert "cost_recoverable_per_week" not in page and "h100_equivalent_hours" not in page
    assert page.index('id="actions"') < page.index('class="plot"')  # actions above the first chart
    overview = index.overview_html.read_text("utf-8")
    box = overview[
        overview.index('<section id="actions"') : overview.index("</section>", overview.index('<section id="actions"'))
    ]
    # the cluster's defragment ticket (no H100 weight stored: its 1,344 GPU-h) first, then the 500 H100-eq. h
    assert [line.split('"')[1] for line in box.split("data-ticket=")[1:]][:2] == ["defragment-h100", "a-job"]
    assert 'href="alpha-ws/index.html">alpha-ws</a>' in box
    table = overview[
        overview.index('<table id="ticket-table"') : overview.index(
            "</table>", overview.index('<table id="ticket-table"')
        )
    ]
    assert table.count("<tr data-workspace=") == 1 + 1 + len(ACTION_TICKETS) + 1  # alpha-f1, bravo-f1, these, defrag
    assert "alpha-f2" not in table  # exempt: never an open ticket


def test_no_previous_data_is_not_compared(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    start, end = WINDOW_START - timedelta(days=7), WINDOW_START  # the fixture's first day: nothing before it
    report = load_workspace_report(con, Settings(), WORKSPACE_A, "alpha-ws", start, end, GENERATED)
    assert report.previous_totals is None
    with_previous = load_workspace_report(con, Settings(), WORKSPACE_A, "alpha-ws", WINDOW_START, WINDOW_END, GENERATED)
    assert with_previous.previous_totals is not None and with_previous.previous_totals.allocated_gpu_hours > 0
    index = build_reports(con, Settings(), start, end, tmp_path)
    entry = next(item for item in index.workspaces if item.workspace == WORKSPACE_A)
    summary = json.loads(entry.summary_json.read_text("utf-8"))
    assert summary["previous_totals"] is None and summary["previous_window_has_data"] is False
    page = entry.index_html.read_text("utf-8")
    assert 'id="no-previous-data"' in page and "%)" not in page.split('id="projects"')[0]


def test_trends_sum_each_week_per_project(con: duckdb.DuckDBPyConnection) -> None:
    trends = {trend.namespace: trend for trend in load_trends(con, WORKSPACE_A, WINDOW_END)}
    vision = trends["alpha-vision"].weeks
    assert len(vision) == 8 and vision[-1].week_start == WINDOW_START and vision[-1].week_end == WINDOW_END
    assert vision[-1].allocated_gpu_hours == 48.125 + 24.0  # the window's own week
    assert vision[-2].allocated_gpu_hours == 30.0 + 99.0  # Dec 29 - Jan 4: days -6 and -7
    assert [week.has_data for week in vision] == [False] * 6 + [True, True]  # nothing before Dec 29
    assert trends["alpha-xss"].weeks[-1].idle_gpu_hours == 13.0
    assert WORKSPACE_B not in {trend.project for trend in trends.values()} and "bravo-nlp-ns" not in trends


def test_occupancy_map_counts_free_working_and_idle_gpus_at_the_last_snapshot(con: duckdb.DuckDBPyConnection) -> None:
    overview = load_cluster_overview(
        con, {WORKSPACE_A: "alpha-ws", WORKSPACE_B: "b"}, WINDOW_START, WINDOW_END, GENERATED
    )
    nodes = {node.node: node for node in overview.occupancy}
    assert set(nodes) == {"node-busy", "node-empty"} and {n.snapshot_ts for n in nodes.values()} == {SNAPSHOT}
    busy = nodes["node-busy"]
    assert (busy.gpus, busy.free_gpus, busy.allocated_gpus, busy.allocated_idle_gpus) == (8, 2, 6, 2)
    assert busy.allocated_busy_gpus == 4
    assert (nodes["node-empty"].free_gpus, nodes["node-empty"].allocated_gpus) == (8, 0)
    assert [group for group, _, _ in overview.occupancy_groups] == ["mg-h100"]


def test_unmet_demand_is_tied_to_the_workspace_and_project_that_wait(con: duckdb.DuckDBPyConnection) -> None:
    overview = load_cluster_overview(
        con, {WORKSPACE_A: "alpha-ws", WORKSPACE_B: "b"}, WINDOW_START, WINDOW_END, GENERATED
    )
    rows = {(row.workspace, row.project, row.machine_group): row for row in overview.waiting}
    alpha = rows[(WORKSPACE_A, "vision", "unplaced")]
    assert (alpha.pending_gpu_hours, alpha.peak_pending_gpus, alpha.pods) == (round(4 * 3 / 60, 3), 4.0, 2)
    assert alpha.workloads == "Job/train-a, Job/train-b"
    bravo = rows[(WORKSPACE_B, "bravo-nlp", "mg-h100")]
    assert (bravo.pending_gpu_hours, bravo.peak_pending_gpus, bravo.pods) == (round(8 * 2 / 60, 3), 8.0, 1)
    assert len(rows) == 2  # the Running pod is no demand


def test_every_page_links_the_one_glossary(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    glossary = (tmp_path / "glossary.html").read_text("utf-8")
    assert (
        "Idle GPU-hours" in glossary and "Busy-looking but idle GPU-hours" in glossary and "Occupancy map" in glossary
    )
    assert 'href="glossary.html"' in index.overview_html.read_text("utf-8")
    for entry in index.workspaces:
        page = entry.index_html.read_text("utf-8")
        assert 'href="../glossary.html"' in page and '<dl class="glossary">' not in page
        assert (entry.index_html.parent / "plotly.min.js").is_file()
