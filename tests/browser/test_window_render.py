"""Partial and empty report windows render in headless Chromium: no console error, every chart the page holds drawn
(or none failed), and the coverage label on the rendered page."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.reports.build import build_reports

from tests.browser.test_report_render import CHROMIUM, chromium, console_messages
from tests.unit.report_fixture import WINDOW_END, WINDOW_START, make_database

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def _render(page: Path, profile: Path) -> str:
    result = chromium(page, profile, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    html = page.read_text(encoding="utf-8")
    charts = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert f'data-charts-drawn="{len(charts)}"' in result.stdout
    assert 'data-charts-failed="0"' in result.stdout
    return result.stdout


def test_an_empty_window_renders(tmp_path: Path) -> None:
    con = duckdb.connect()
    prepare_connection(con)
    index = build_reports(con, Settings(), date(2026, 11, 2), date(2026, 11, 9), tmp_path / "out")
    dom = _render(index.overview_html, tmp_path / "profile")
    assert 'id="window-empty"' in dom
    assert "partial: 0 of 7 days" in dom


def test_a_partial_window_renders_with_its_label(tmp_path: Path) -> None:
    index = build_reports(make_database(), Settings(), WINDOW_START - timedelta(days=3), WINDOW_END, tmp_path / "out")
    for number, page in enumerate([index.overview_html, *(item.index_html for item in index.workspaces)]):
        dom = _render(page, tmp_path / f"profile-{number}")
        assert "partial: 3 of 10 days" in dom, page
