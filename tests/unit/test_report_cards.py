"""The finding cards of issue 14 on the pages built from a small DuckDB: "held and idle", "waste reports", "quota to
release" and (overview) "whole nodes a defrag frees" each add up to the rows of the table they summarise, and to
summary.json's finding_totals; never one "Recoverable" figure."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.models import ReportIndex

from tests.unit.report_fixture import LAST_DAY, WINDOW_END, WINDOW_START, WORKSPACE_A, WORKSPACE_B, make_database

# (id, workspace, rule, namespace, kind, GPUs, GPU-h/week, ticket fields): one of each kind of finding
TICKETS: list[tuple[str, str, str, str, str, float, float, dict[str, Any]]] = [
    ("a-idle", WORKSPACE_A, "idle_allocation", "alpha-vision", "reclaim", 2, 40.5, {}),
    ("a-ended", WORKSPACE_A, "idle_allocation", "alpha-xss", "waste_report", 0, 0, {"wasted_gpu_hours": 61.25}),
    ("a-quota", WORKSPACE_A, "quota_reclaim", "alpha-vision", "reclaim", 5, 0, {"quota_headroom_gpu_hours": 840.0}),
    ("b-quota", WORKSPACE_B, "quota_reclaim", "bravo-nlp-ns", "reclaim", 3, 0, {"quota_headroom_gpu_hours": 504.0}),
    ("b-ended", WORKSPACE_B, "idle_allocation", "bravo-nlp-ns", "waste_report", 0, 0, {"wasted_gpu_hours": 7.5}),
    ("c-defrag", "cluster", "defragment", "", "reclaim", 0, 0, {"gpus_freed": 16.0, "whole_nodes_freed": 2}),
]
CARDS = {"card-held-idle": "held-idle", "card-waste": "waste", "card-quota": "quota"}
TOTALS = {
    "card-held-idle": "held_and_idle_gpu_hours_per_week",
    "card-waste": "wasted_gpu_hours",
    "card-quota": "quota_to_release_gpu_hours",
    "card-defrag-nodes": "whole_nodes_defrag_frees",
}


def card_database() -> duckdb.DuckDBPyConnection:
    con = make_database()
    for finding, workspace, rule, namespace, kind, gpus, weekly, fields in TICKETS:
        ticket = {"kind": kind, "action": f"act on {finding}", "evidence": {}, **fields}
        con.execute(
            "INSERT INTO recommendations VALUES (?, ?, ?, 'high', ?, 'p', ?, ?, false, 'NVIDIA-H100', 8, ?, 0, ?, "
            "?, ?, ?, '')",
            [LAST_DAY, finding, rule, workspace, namespace, f"W/{finding}", gpus, weekly, datetime(2026, 1, 5),
             datetime(2026, 1, 12), json.dumps(ticket)],
        )  # fmt: skip
    return con


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ReportIndex:
    return build_reports(card_database(), Settings(), WINDOW_START, WINDOW_END, tmp_path_factory.mktemp("cards"))


def card(page: str, card_id: str) -> float:
    found = re.search(rf'id="{card_id}" data-value="([^"]+)"', page)
    assert found, card_id
    return float(found.group(1))


def table_part(page: str, table_id: str, part: str) -> str:
    table = page[page.index(f'<table id="{table_id}"') :]
    table = table[: table.index("</table>")]
    return table[table.index(f"<{part}>") : table.index(f"</{part}>")]


def column(html: str, css_class: str) -> list[float]:
    return [float(value) for value in re.findall(rf'<td class="num {css_class}" data-value="([^"]+)"', html)]


def test_workspace_cards_add_up_to_the_project_table_and_summary(index: ReportIndex) -> None:
    for entry in index.workspaces:
        page = entry.index_html.read_text("utf-8")
        totals = json.loads(entry.summary_json.read_text("utf-8"))["finding_totals"]
        assert "card-defrag-nodes" not in page and ">Recoverable <" not in page
        assert page.index('id="finding-cards"') < page.index('class="plot"')  # above the first chart
        rows, foot = table_part(page, "project-table", "tbody"), table_part(page, "project-table", "tfoot")
        for card_id, css_class in CARDS.items():
            value = card(page, card_id)
            assert value == pytest.approx(sum(column(rows, css_class)), abs=1e-6), (entry.workspace, card_id)
            assert column(foot, css_class) == [value]
            assert value == totals[TOTALS[card_id]]
        summary = json.loads(entry.summary_json.read_text("utf-8"))
        for key in ("held_and_idle_gpu_hours_per_week", "wasted_gpu_hours", "quota_to_release_gpu_hours"):
            parts = [project["finding_totals"][key] for project in summary["projects"]]
            assert sum(parts) == pytest.approx(totals[key], abs=1e-6), (entry.workspace, key)
    a = json.loads(next(e for e in index.workspaces if e.workspace == WORKSPACE_A).summary_json.read_text("utf-8"))
    # alpha-f1 (12.25, a ticket written before kinds: reclaim now) and a-idle; alpha-f2 is exempt
    assert a["finding_totals"]["held_and_idle_gpu_hours_per_week"] == 12.25 + 40.5
    assert (a["finding_totals"]["wasted_gpu_hours"], a["finding_totals"]["quota_to_release_gpu_hours"]) == (61.25, 840)


def test_overview_cards_add_up_to_the_workspace_and_cluster_ticket_tables(index: ReportIndex) -> None:
    page = index.overview_html.read_text("utf-8")
    totals = json.loads((index.out_dir / "summary.json").read_text("utf-8"))["finding_totals"]
    assert ">Recoverable <" not in page
    assert page.index('id="finding-cards"') < page.index('class="plot"')
    rows, foot = table_part(page, "workspace-table", "tbody"), table_part(page, "workspace-table", "tfoot")
    for card_id, css_class in CARDS.items():
        value = card(page, card_id)
        assert value == pytest.approx(sum(column(rows, css_class)), abs=1e-6), card_id
        assert column(foot, css_class) == [value]
        assert value == totals[TOTALS[card_id]]
    tickets = table_part(page, "cluster-ticket-table", "tbody")
    active = [row for row in tickets.split("<tr")[1:] if not row.startswith(' class="exempt"')]
    nodes = sum(column("".join(active), "nodes-freed"))
    assert card(page, "card-defrag-nodes") == nodes == totals["whole_nodes_defrag_frees"] == 2
    assert totals["gpus_defrag_frees"] == 16 + 8  # c-defrag's 16 and the fixture's older defrag ticket's 8
    # the Workspaces' own cards add up to the cluster's (the defrag tickets are the cluster's alone)
    for key in ("held_and_idle_gpu_hours_per_week", "wasted_gpu_hours", "quota_to_release_gpu_hours"):
        parts = [json.loads(e.summary_json.read_text("utf-8"))["finding_totals"][key] for e in index.workspaces]
        assert sum(parts) == pytest.approx(totals[key], abs=1e-6), key


def test_a_workspace_without_tickets_shows_zero_cards(tmp_path: Path) -> None:
    con = make_database()
    con.execute("DELETE FROM recommendations")
    index = build_reports(con, Settings(), WINDOW_START, WINDOW_END, tmp_path)
    page = index.overview_html.read_text("utf-8")
    assert [card(page, card_id) for card_id in TOTALS] == [0, 0, 0, 0]
    assert column(table_part(page, "workspace-table", "tbody"), "held-idle") == [0.0, 0.0]
