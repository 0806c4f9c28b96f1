"""Render the fixture's reports in headless Chromium: they load offline, log nothing and draw every chart."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

import pytest

from pipelines.config import Settings
from reports.build import build_reports
from reports.models import ReportIndex
from tests.unit.test_reports import WINDOW_END, WINDOW_START, WORKSPACE_A, make_database

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
RENDER_SECONDS_LIMIT = 60.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Chromium at /usr/bin/chromium (apt-get install chromium)"),
]


def chromium(page: Path, profile: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """One headless Chromium run on a file:// page, with virtual time for scripts and charts to finish."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--virtual-time-budget=5000",
        "--enable-logging=stderr",
        "--v=0",
        *options,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    """Every console message and uncaught error Chromium logged for the page."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ReportIndex:
    return build_reports(make_database(), Settings(), WINDOW_START, WINDOW_END, tmp_path_factory.mktemp("out"))


def _pages(index: ReportIndex) -> list[Path]:
    return [index.overview_html, *(item.index_html for item in index.workspaces)]


@pytest.mark.parametrize("which", range(3))
def test_page_loads_without_errors_and_draws_every_chart(index: ReportIndex, which: int, tmp_path: Path) -> None:
    page = _pages(index)[which]
    html = page.read_text(encoding="utf-8")
    chart_ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    assert chart_ids, "every page has charts"

    started = time.perf_counter()
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    seconds = time.perf_counter() - started
    assert result.returncode == 0, result.stderr[-2000:]
    assert seconds < RENDER_SECONDS_LIMIT
    assert console_messages(result.stderr) == []

    dom = result.stdout
    assert f'data-charts-drawn="{len(chart_ids)}"' in dom
    assert 'data-charts-failed="0"' in dom
    for chart_id in chart_ids:
        start = dom.index(f'id="{chart_id}"')
        following = dom.find('<div class="plot" id="', start + 1)
        block = dom[start : following if following > 0 else len(dom)]
        assert '<svg class="main-svg"' in block, chart_id
    # Hostile labels stay text: serialised as &lt;script&gt; in tables and in the charts' SVG text.
    assert "<script>alert(1)" not in dom
    assert "<img src" not in dom


def test_screenshot_of_the_workspace_report(index: ReportIndex, tmp_path: Path) -> None:
    page = next(item.index_html for item in index.workspaces if item.workspace == WORKSPACE_A)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, target in (("workspace-report.png", page), ("cluster-overview.png", index.overview_html)):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        result = chromium(target, tmp_path / f"profile-{name}", f"--screenshot={shot}", "--window-size=1400,3000")
        assert result.returncode == 0, result.stderr[-2000:]
        assert console_messages(result.stderr) == []
        assert shot.stat().st_size > 50_000  # a blank page would compress to a few KB
