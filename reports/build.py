"""Write the weekly reports: one page and summary.json per Workspace, and the cluster overview.

Layout of `out_dir` (every file written atomically: a temp file in the same folder, then os.replace):

    index.html                       cluster overview, links to every Workspace
    summary.json                     the overview's figures, machine-readable
    plotly.min.js                    plotly.js from the installed plotly package (pages work offline)
    glossary.html                    every figure of every page in one sentence each, linked from every page
    <slug>/plotly.min.js             the Workspace's own copy: the folder copied on its own still draws every chart
    <slug>/index.html                the Workspace's latest report
    <slug>/<window_start>.html       the same report, kept as a dated archive
    <slug>/summary.json              the report's figures, machine-readable
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import plotly.offline
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import Warehouse, run_sql
from gpu_reclaim.reports.model_base import WindowCoverage
from gpu_reclaim.reports.models import ReportIndex, WorkspaceFiles
from gpu_reclaim.reports.queries import list_workspaces, load_cluster_overview, load_workspace_report
from gpu_reclaim.reports.render import (
    GLOSSARY_HTML,
    PLOTLY_JS,
    render_glossary,
    render_overview,
    render_overview_summary,
    render_summary,
    render_workspace,
)

REPORTS_FOLDER = "reports"  # under the output folder, beside tickets.jsonl
_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_MAX_SLUG = 60


def slugify(workspace: str) -> str:
    """A safe, unique folder name for a Workspace: lowercase [a-z0-9_-]; names that had to change get a hash.

    A name already safe is kept as is; any other gets a short hash of the real name appended, so two names
    never share a folder (`Team A` and `team-a` differ) and no name can reach outside `out_dir`.
    """
    slug = _UNSAFE.sub("-", workspace.lower()).strip("-_")[:_MAX_SLUG] or "workspace"
    if slug == workspace:
        return slug
    digest = hashlib.sha256(workspace.encode("utf-8")).hexdigest()[:8]
    return f"{slug}-{digest}"


def default_window(settings: Settings, today: date) -> tuple[date, date]:
    """The last `settings.report.window_days` whole UTC days before `today`: [start, today)."""
    return today - timedelta(days=settings.report.window_days), today


def covered_days(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[date]:
    """The days of [window_start, window_end) that hold any usage, node or pod row, in order."""
    params = {"window_start": window_start, "window_end": window_end}
    return [row[0] for row in run_sql(con, "report_covered_days.sql", params).fetchall()]


def clip_window(
    window_start: date, window_end: date, days_with_data: list[date], window_days: int
) -> tuple[date, date, WindowCoverage]:
    """The window a report shows: [window_start, window_end) starting at its first day with data (the report
    of a cluster watched for 3 days covers those 3 days, not 4 empty ones before them), and its coverage: the
    days with data, of the days a full window has (`window_days`, or the asked window when that is longer)."""
    expected = max(window_days, (window_end - window_start).days)
    inside = [day for day in days_with_data if window_start <= day < window_end]
    start = min(inside) if inside else window_start
    return start, window_end, WindowCoverage(expected_days=expected, covered_days=len(inside))


def atomic_write(path: Path, content: str | bytes) -> int:
    """Write `content` to `path` via a temp file in its folder and os.replace; returns bytes written."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp_file:
            temp_file.write(data)
            temp_file.flush()
            os.fsync(temp_file.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return len(data)


def write_plotly_js(out_dir: Path) -> tuple[Path, int]:
    """plotly.js of the installed plotly package, written only when missing or different."""
    path = out_dir / PLOTLY_JS
    data = plotly.offline.get_plotlyjs().encode("utf-8")
    if path.is_file() and path.read_bytes() == data:
        return path, 0
    return path, atomic_write(path, data)


def build_reports(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    window_start: date,
    window_end: date,
    out_dir: Path,
) -> ReportIndex:
    """Build every Workspace report and the cluster overview for [window_start, window_end) into `out_dir`.

    The window starts at its first day with data, and the pages and summary.json say how many of the
    `settings.report.window_days` days hold data ("3 of 7 days") when that is fewer. A window without data
    still writes a valid overview with zeros (and no Workspace page: no Workspace is in it)."""
    if window_end <= window_start:
        raise ValueError(f"report window is empty: {window_start} to {window_end}")
    window_start, window_end, coverage = clip_window(
        window_start, window_end, covered_days(con, window_start, window_end), settings.report.window_days
    )
    started = time.perf_counter()
    generated_at = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    out_dir.mkdir(parents=True, exist_ok=True)
    plotly_path, written = write_plotly_js(out_dir)

    workspaces = list_workspaces(con, window_start, window_end)
    slugs = {workspace: slugify(workspace) for workspace in workspaces}
    files: list[WorkspaceFiles] = []
    for workspace in workspaces:
        report = load_workspace_report(
            con, settings, workspace, slugs[workspace], window_start, window_end, generated_at
        ).model_copy(update={"coverage": coverage})
        folder = out_dir / slugs[workspace]
        written += write_plotly_js(folder)[1]
        page = render_workspace(report)
        entry = WorkspaceFiles(
            workspace=workspace,
            slug=slugs[workspace],
            index_html=folder / "index.html",
            archive_html=folder / f"{window_start.isoformat()}.html",
            summary_json=folder / "summary.json",
        )
        written += atomic_write(entry.archive_html, page)
        written += atomic_write(entry.summary_json, render_summary(report))
        written += atomic_write(entry.index_html, page)
        files.append(entry)

    overview = load_cluster_overview(
        con,
        slugs,
        window_start,
        window_end,
        generated_at,
        idle_threshold=settings.usage.idle_activity_threshold,
        step_seconds=settings.step_seconds,
    ).model_copy(update={"coverage": coverage})
    overview_path = out_dir / "index.html"
    written += atomic_write(
        overview_path,
        render_overview(
            overview,
            settings.report.currency,
            settings.usage.idle_activity_threshold,
            settings.usage.low_use_activity_threshold,
        ),
    )
    summary_path = out_dir / "summary.json"
    written += atomic_write(summary_path, render_overview_summary(overview))
    written += atomic_write(
        out_dir / GLOSSARY_HTML,
        render_glossary(
            settings.report.currency,
            settings.usage.idle_activity_threshold,
            settings.usage.low_use_activity_threshold,
            generated_at,
        ),
    )
    return ReportIndex(
        out_dir=out_dir,
        window_start=window_start,
        window_end=window_end,
        overview_html=overview_path,
        plotly_js=plotly_path,
        workspaces=files,
        summary_json=summary_path,
        coverage=coverage,
        bytes_written=written,
        seconds=round(time.perf_counter() - started, 3),
    )


def write_reports(
    warehouse: Warehouse, settings: Settings, out_dir: Path, window_start: date, window_end: date
) -> ReportIndex:
    """Build the reports of [window_start, window_end) from the DuckDB file (read only) into out_dir/reports."""
    with warehouse.connect(read_only=True) as con:
        return build_reports(con, settings, window_start, window_end, out_dir / REPORTS_FOLDER)
