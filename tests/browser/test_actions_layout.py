"""Issue 14's pages in headless Chromium at 1024 and 1400 px: the "What to give back" box sits above the first chart
and lists the top tickets in rank order, no page or table runs off-screen, the overview's ticket table sorts and
filters offline, and a Workspace folder copied on its own still draws every chart.

Measurements come from tests/browser/layout_probe.js, appended to a copy of each page and read back with
--dump-dom. Screenshots of every page at both widths are kept in build/screenshots/ (printed by the tests).
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.models import ReportIndex, top_actions
from gpu_reclaim.reports.queries import load_cluster_overview
from gpu_reclaim.reports.render import ACTIONS_SHOWN

from tests.browser.test_report_render import CHROMIUM, chromium, console_messages
from tests.unit.report_fixture import WINDOW_END, WINDOW_START, WORKSPACE_A
from tests.unit.test_report_actions import GENERATED, make_action_database

SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
PROBE = Path(__file__).with_name("layout_probe.js")
WIDTHS = (1024, 1400)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ReportIndex:
    return build_reports(
        make_action_database(), Settings(), WINDOW_START, WINDOW_END, tmp_path_factory.mktemp("actions")
    )


def probe(page: Path, profile: Path, width: int, **attributes: str) -> dict[str, Any]:
    """Render a copy of `page` with the probe script at `width` px and return what it measured."""
    text = page.read_text(encoding="utf-8")
    marks = "".join(f' data-probe-{key}="{html.escape(value)}"' for key, value in attributes.items())
    text = text.replace("<body>", f"<body{marks}>", 1)
    text = text.replace("</body>", f"<script>{PROBE.read_text(encoding='utf-8')}</script></body>", 1)
    copy = page.with_name(f".probe-{width}-{page.name}")
    copy.write_text(text, encoding="utf-8")
    try:
        result = chromium(copy, profile, "--dump-dom", f"--window-size={width},2000")
    finally:
        copy.unlink()
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    found = re.search(r'<pre id="layout-probe">([^<]*)</pre>', result.stdout)
    assert found, "the probe did not run"
    measured: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return measured


def screenshot(page: Path, profile: Path, name: str, width: int) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / f"{name}-{width}.png"
    shot.unlink(missing_ok=True)
    result = chromium(page, profile, f"--screenshot={shot}", f"--window-size={width},3000")
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 30_000  # a blank page compresses to a few KB
    print(f"screenshot: {shot}")
    return shot


def _assert_fits(measured: dict[str, Any], width: int) -> None:
    assert measured["width"] == width
    assert measured["scrollWidth"] <= measured["clientWidth"], "the page scrolls sideways"
    overflowing = [table["id"] for table in measured["tables"] if table["scrollWidth"] > table["clientWidth"] + 1]
    assert overflowing == [], f"columns off-screen at {width} px"
    assert measured["wideElements"] == [], f"elements wider than the viewport at {width} px"


def _assert_cards_first(measured: dict[str, Any], names: set[str]) -> None:
    """The finding cards are drawn, with their totals, above the first chart."""
    cards, chart = measured["cards"], measured["firstChart"]
    assert cards is not None and chart is not None and cards["bottom"] <= chart["top"]
    assert set(measured["cardValues"]) == names
    assert all(value["visible"] and value["text"] for value in measured["cardValues"].values())


@pytest.mark.parametrize("width", WIDTHS)
def test_workspace_page_puts_the_actions_above_the_first_chart(index: ReportIndex, width: int, tmp_path: Path) -> None:
    page = next(item.index_html for item in index.workspaces if item.workspace == WORKSPACE_A)
    measured = probe(page, tmp_path / "profile", width)
    actions, chart = measured["actions"], measured["firstChart"]
    assert actions is not None and chart is not None
    assert actions["top"] < 300, "the action box is not at the top of the page"
    assert actions["bottom"] <= chart["top"]
    # ranked by recoverable H100-equivalent hours; the waste report and the acknowledged ticket are not actions
    assert measured["actionTickets"] == ["a-job", "a-quota", "alpha-f1"]
    _assert_cards_first(measured, {"card-held-idle", "card-waste", "card-quota"})
    _assert_fits(measured, width)
    screenshot(page, tmp_path / "shot", "workspace-alpha-ws", width)


@pytest.mark.parametrize("width", WIDTHS)
def test_overview_puts_the_cluster_actions_first_and_its_ticket_table_sorts_and_filters(
    index: ReportIndex, width: int, tmp_path: Path
) -> None:
    overview = load_cluster_overview(
        make_action_database(), {item.workspace: item.slug for item in index.workspaces}, WINDOW_START, WINDOW_END,
        GENERATED,
    )  # fmt: skip
    measured = probe(index.overview_html, tmp_path / "profile", width, sort="GPU-h / wk", filter="train-big")
    assert measured["actions"]["bottom"] <= measured["firstChart"]["top"]
    expected = [item.id for item in top_actions(overview.open_tickets, ACTIONS_SHOWN)]
    assert measured["actionTickets"] == expected and len(expected) == ACTIONS_SHOWN
    # the table: every open ticket, by give-back value as built, then by recoverable GPU-hours after one click
    assert measured["ticketOrder"] == [item.id for item in overview.open_tickets]
    # recoverable GPU-hours per week, largest first (a stable sort keeps ties in order): not the built order
    by_hours = sorted(overview.open_tickets, key=lambda item: -(item.gpu_hours_recoverable_per_week or 0.0))
    assert measured["ticketOrderSorted"] == [item.id for item in by_hours]
    assert measured["ticketOrderSorted"] != measured["ticketOrder"]
    assert measured["ticketsFiltered"] == ["a-job"]
    _assert_cards_first(measured, {"card-held-idle", "card-waste", "card-quota", "card-defrag-nodes"})
    _assert_fits(measured, width)
    screenshot(index.overview_html, tmp_path / "shot", "overview", width)


def test_a_workspace_folder_copied_on_its_own_draws_every_chart(index: ReportIndex, tmp_path: Path) -> None:
    entry = next(item for item in index.workspaces if item.workspace == WORKSPACE_A)
    alone = tmp_path / "alone" / entry.slug
    shutil.copytree(entry.index_html.parent, alone)
    page = alone / "index.html"
    charts = re.findall(r'<div class="plot" id="([^"]+)"', page.read_text(encoding="utf-8"))
    assert "chart-trend-1" in charts and "chart-quota" in charts
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    assert f'data-charts-drawn="{len(charts)}"' in result.stdout
    assert 'data-charts-failed="0"' in result.stdout
    # and every chart has its table: the hourly charts the Project tables, heatmap and trends their own
    for table in ("project-table", "project-capacity-table", "heatmap-table", "trend-table"):
        assert f'<table id="{table}"' in result.stdout


def test_glossary_page_renders_on_its_own(index: ReportIndex, tmp_path: Path) -> None:
    page = index.out_dir / "glossary.html"
    for width in WIDTHS:
        measured = probe(page, tmp_path / f"profile-{width}", width)
        _assert_fits(measured, width)
    screenshot(page, tmp_path / "shot", "glossary", 1024)
