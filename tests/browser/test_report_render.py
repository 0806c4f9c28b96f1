"""Render the fixture's reports in headless Chromium: they load offline, log nothing and draw every chart.

The fixture (tests/unit/test_reports.py) has two Workspaces, a Project and a Machine Group with `<script>` in
their names, and every section of the cluster overview: capacity and unmet demand per hour, fragmentation
snapshots, defrag plans and a cluster-level `defragment` ticket. Screenshots go to test-artifacts/, with the
seconds each page took to render (measured, not asserted: the machine is shared).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.reports.models import ReportIndex

from tests.unit.report_fixture import WINDOW_END, WINDOW_START, WORKSPACE_A, make_database

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# What plotly.js draws for a trace with data: a line or fill path, a bar, a heatmap image.
MARKS = (
    re.compile(r'<path class="js-(?:line|fill)" d="M[^"]+"'),
    re.compile(r'<g class="point"><path d="M[^"]+"'),
    re.compile(r'<g class="hm"><image [^>]*href="data:image/png'),
)

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


def record_render_time(name: str, seconds: float) -> None:
    """Keep the measured render time next to the screenshots (for the record; never asserted)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "render-seconds.json"
    times = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    times[name] = round(seconds, 2)
    path.write_text(json.dumps(times, indent=2, sort_keys=True) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> ReportIndex:
    return build_reports(make_database(), Settings(), WINDOW_START, WINDOW_END, tmp_path_factory.mktemp("out"))


def _pages(index: ReportIndex) -> dict[str, Path]:
    return {"overview": index.overview_html, **{item.slug: item.index_html for item in index.workspaces}}


def _chart_blocks(dom: str, chart_ids: list[str]) -> dict[str, str]:
    """Each chart's rendered DOM: from its element to the next chart's (plotly.js rewrites their class)."""
    starts = sorted((dom.index(f'id="{chart_id}"'), chart_id) for chart_id in chart_ids)
    ends = [start for start, _ in starts[1:]] + [len(dom)]
    return {chart_id: dom[start:end] for (start, chart_id), end in zip(starts, ends, strict=True)}


@pytest.mark.parametrize("which", ["overview", "alpha-ws", "bravo-team"])
def test_page_loads_without_errors_and_draws_every_chart(index: ReportIndex, which: str, tmp_path: Path) -> None:
    pages = _pages(index)
    page = next(path for slug, path in pages.items() if slug == which or slug.startswith(f"{which}-"))
    html = page.read_text(encoding="utf-8")
    chart_ids = re.findall(r'<div class="plot" id="([^"]+)"', html)
    if which == "overview":  # the overview's new sections are in the fixture
        for expected in ("chart-fragmentation-ratio", "chart-free-gpus", "chart-placeable-8gpu", "chart-capacity-1"):
            assert expected in chart_ids
        assert len([chart for chart in chart_ids if chart.startswith("chart-capacity-")]) == 3
    else:
        assert {"chart-quota", "chart-heatmap"} <= set(chart_ids)

    started = time.perf_counter()
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    record_render_time(f"fixture {which}", time.perf_counter() - started)
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []

    dom = result.stdout
    assert f'data-charts-drawn="{len(chart_ids)}"' in dom
    assert 'data-charts-failed="0"' in dom
    for chart_id, block in _chart_blocks(dom, chart_ids).items():
        assert '<svg class="main-svg"' in block, chart_id
        assert any(mark.search(block) for mark in MARKS), f"{chart_id} has axes but no drawn data"
    # Hostile labels stay text: serialised as &lt;script&gt; in tables and in the charts' SVG text.
    assert "<script>alert" not in dom
    assert "<img src" not in dom
    if which == "overview":
        legend = re.findall(r'class="legendtext"[^>]*>([^<]*)<', dom)
        assert "mg-&lt;script&gt;alert(5)&lt;/script&gt;" in legend  # drawn as the characters typed


def test_screenshots_of_the_overview_and_a_workspace_report(index: ReportIndex, tmp_path: Path) -> None:
    page = next(item.index_html for item in index.workspaces if item.workspace == WORKSPACE_A)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, target, height in (
        ("workspace-report.png", page, 3400),
        ("cluster-overview.png", index.overview_html, 5200),
    ):
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        started = time.perf_counter()
        result = chromium(target, tmp_path / f"profile-{name}", f"--screenshot={shot}", f"--window-size=1400,{height}")
        record_render_time(f"screenshot {name}", time.perf_counter() - started)
        assert result.returncode == 0, result.stderr[-2000:]
        assert console_messages(result.stderr) == []
        assert shot.stat().st_size > 50_000  # a blank page would compress to a few KB
