"""Any window, and the daily habit, as a user runs them against the real VictoriaMetrics of the session: two demo
days loaded ending yesterday; `run` over one explicit day, `run --days 2`, then `run` with no dates (what a daily
cron job does); `report` rebuilding old windows from the DuckDB file with no VictoriaMetrics reachable; and windows
without data. Partial windows are labelled, figures equal DuckDB, and the CLI prints only paths it wrote."""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics, free_port
from gpu_reclaim.pipelines.window import utc_today
from gpu_reclaim.scenarios.demo import DemoScenario, load_demo

from tests.cli import run_cli

pytestmark = [pytest.mark.e2e]

STEP = 300
TODAY = utc_today()
DAY1, DAY2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)
FIGURES = ("allocated_gpu_hours", "used_gpu_hours", "idle_gpu_hours", "no_data_gpu_hours")
OUTPUT_LABELS = ("database:", "ticket feed:", "reports:")


def without_victoria_metrics() -> dict[str, str]:
    """The environment with GPU_RECLAIM_VM_URL pointing at a closed port: nothing may try to reach it."""
    return {**os.environ, "GPU_RECLAIM_VM_URL": f"http://127.0.0.1:{free_port()}"}


@pytest.fixture(scope="module")
def runs(victoria_metrics: LocalVictoriaMetrics, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    workdir = tmp_path_factory.mktemp("window")
    scenario = DemoScenario(start=datetime.combine(DAY1, time(0), tzinfo=UTC), days=2, step_seconds=STEP)
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=victoria_metrics.url)) as client:
        load_demo(client, scenario, workdir / "truth.json")
    config = workdir / "config.toml"
    config.write_text(f"step_seconds = {STEP}\n", encoding="utf-8")
    db = workdir / "gpu_reclaim.duckdb"
    common = ("--vm-url", victoria_metrics.url, "--db", db, "--config", config)
    done = {
        "one_day": run_cli("run", *common, "--start", DAY1.isoformat(), "--end", DAY1.isoformat(),
                           "--out", workdir / "one_day"),
        "two_days": run_cli("run", *common, "--days", "2", "--out", workdir / "two_days"),
        "cron": run_cli("run", *common, "--out", workdir / "cron"),
    }  # fmt: skip
    for name, result in done.items():
        assert result.returncode == 0, (name, result.stderr[-3000:])
    return {"workdir": workdir, "db": db, "config": config, "url": victoria_metrics.url, "done": done}


def summaries(reports: Path) -> dict[str, dict[str, Any]]:
    """Every summary.json under `reports`, by path relative to it."""
    return {
        str(path.relative_to(reports)): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(reports.rglob("summary.json"))
    }


def feed(path: Path) -> list[Any]:
    """The tickets of a feed, floats to 9 significant digits: a re-run of a day may sum an evidence figure (a mean
    power draw) in another order, and its last bits differ; every other field must be equal."""
    return [stable(json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines()]


def stable(value: Any) -> Any:
    if isinstance(value, float):
        return float(f"{value:.9g}")
    if isinstance(value, dict):
        return {key: stable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stable(item) for item in value]
    return value


def printed_paths(stderr: str) -> dict[str, Path]:
    """The paths the CLI printed after 'database:', 'ticket feed:' and 'reports:' (notes in brackets dropped)."""
    paths = {}
    for line in stderr.splitlines():
        for label in OUTPUT_LABELS:
            if line.startswith(label):
                paths[label] = Path(line[len(label) :].strip().split(" (")[0])
    return paths


def duckdb_sums(db: Path, start: date, end: date) -> dict[str, dict[str, float]]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT namespace, sum(allocated_gpu_hours), sum(used_gpu_hours), sum(idle_gpu_hours), "
            "sum(no_data_gpu_hours) FROM project_usage_daily WHERE day >= ? AND day < ? GROUP BY namespace",
            [start, end],
        ).fetchall()
    return {namespace: dict(zip(FIGURES, figures, strict=True)) for namespace, *figures in rows}


def test_a_two_day_run_is_labelled_2_of_7_days_with_figures_equal_to_duckdb(runs: dict[str, Any]) -> None:
    stderr = runs["done"]["two_days"].stderr
    assert f"done {DAY1} to {DAY2} (2 days)" in stderr
    assert f"{runs['workdir'] / 'two_days' / 'reports' / 'index.html'} ({DAY1} to {DAY2}, partial: 2 of 7 days)" in (
        stderr
    )
    reports = runs["workdir"] / "two_days" / "reports"
    found = summaries(reports)
    assert "summary.json" in found and len(found) > 2
    expected = duckdb_sums(runs["db"], DAY1, TODAY)
    seen = set()
    for name, summary in found.items():
        assert (summary["window_start"], summary["window_end"]) == (DAY1.isoformat(), TODAY.isoformat()), name
        assert (summary["coverage"], summary["covered_days"], summary["window_days"]) == ("2 of 7 days", 2, 7)
        assert summary["partial"] is True
        for project in summary.get("projects", []):
            seen.add(project["namespace"])
            sums = expected.get(project["namespace"], dict.fromkeys(FIGURES, 0.0))  # a quota without pods: zeros
            for figure in FIGURES:
                assert project[figure] == pytest.approx(sums[figure], abs=6e-4), (project["namespace"], figure)
    assert set(expected) <= seen
    cluster = found["summary.json"]["totals"]
    assert cluster["allocated_gpu_hours"] == pytest.approx(
        sum(p["allocated_gpu_hours"] for p in expected.values()), abs=0.01
    )
    for page in [reports / "index.html", *reports.glob("*/index.html")]:
        html = page.read_text(encoding="utf-8")
        assert 'id="window-coverage">partial: 2 of 7 days<' in html, page
        assert 'id="window-partial"' in html, page


def test_one_explicit_day_is_labelled_1_of_7_days(runs: dict[str, Any]) -> None:
    assert f"done {DAY1} (1 day)" in runs["done"]["one_day"].stderr
    found = summaries(runs["workdir"] / "one_day" / "reports")
    assert {summary["coverage"] for summary in found.values()} == {"1 of 7 days"}
    assert {summary["window_end"] for summary in found.values()} == {DAY2.isoformat()}


def test_a_run_without_dates_evaluates_the_last_complete_day(runs: dict[str, Any]) -> None:
    """The cron habit: one day a run, and the report still covers every day the database holds in the window."""
    stderr = runs["done"]["cron"].stderr
    assert f"done {DAY2} (1 day)" in stderr
    cron = summaries(runs["workdir"] / "cron" / "reports")
    assert {summary["coverage"] for summary in cron.values()} == {"2 of 7 days"}
    assert cron == summaries(runs["workdir"] / "two_days" / "reports")  # a same-day re-run changes nothing
    assert feed(runs["workdir"] / "cron" / "tickets.jsonl") == feed(runs["workdir"] / "two_days" / "tickets.jsonl")


@pytest.mark.parametrize(("first", "last", "original"), [(DAY1, DAY1, "one_day"), (DAY1, DAY2, "two_days")])
def test_report_rebuilds_a_window_from_duckdb_without_victoria_metrics(
    runs: dict[str, Any], tmp_path: Path, first: date, last: date, original: str
) -> None:
    out = tmp_path / "rebuilt"
    done = run_cli("report", "--start", first.isoformat(), "--end", last.isoformat(), "--db", runs["db"],
                   "--out", out, "--config", runs["config"], env=without_victoria_metrics())  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert summaries(out / "reports") == summaries(runs["workdir"] / original / "reports")
    rebuilt, live = feed(out / "tickets.jsonl"), feed(runs["workdir"] / original / "tickets.jsonl")
    assert rebuilt and rebuilt == live
    assert f"{len(live)} tickets, as of the evaluation of {last}" in done.stderr
    assert {path.name for path in printed_paths(done.stderr).values()} == {"tickets.jsonl", "index.html"}


def test_a_window_without_data_writes_a_valid_empty_report(runs: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "empty"
    done = run_cli("report", "--start", "2020-01-06", "--end", "2020-01-12", "--db", runs["db"], "--out", out,
                   env=without_victoria_metrics())  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert [line for line in done.stderr.splitlines() if "no data" in line] == [
        "no data in the window 2020-01-06 to 2020-01-12: none of its days holds usage, nodes or pods; "
        "wrote an empty report"
    ]
    found = summaries(out / "reports")
    assert list(found) == ["summary.json"]  # no Workspace is in the window
    overview = found["summary.json"]
    assert (overview["coverage"], overview["covered_days"]) == ("0 of 7 days", 0)
    assert overview["totals"]["allocated_gpu_hours"] == 0.0 and overview["totals"]["idle_gpu_hours"] == 0.0
    assert overview["workspaces"] == [] and overview["cluster_tickets"] == []
    html = (out / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'id="window-empty"' in html and html.rstrip().endswith("</html>")
    assert (out / "reports" / "plotly.min.js").is_file()
    assert (out / "tickets.jsonl").read_text(encoding="utf-8") == ""
    assert "(empty: no evaluation in the window)" in done.stderr


def test_a_run_over_a_day_without_data_prints_no_feed_it_did_not_write(runs: dict[str, Any], tmp_path: Path) -> None:
    """A day before the ticket history (a backfill of an empty day): the feed is left alone, so no path for it."""
    db = tmp_path / "copy.duckdb"
    shutil.copyfile(runs["db"], db)
    day = (DAY1 - timedelta(days=5)).isoformat()
    out = tmp_path / "backfill"
    done = run_cli("run", "--vm-url", runs["url"], "--start", day, "--end", day, "--db", db, "--out", out,
                   "--config", runs["config"])  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    window_start = (DAY1 - timedelta(days=11)).isoformat()
    assert f"no data in the window {window_start} to {day}: none of its days" in done.stderr
    assert not (out / "tickets.jsonl").exists()
    assert set(printed_paths(done.stderr)) == {"database:", "reports:"}
    assert json.loads((out / "reports" / "summary.json").read_text(encoding="utf-8"))["covered_days"] == 0


def test_every_printed_path_was_written(runs: dict[str, Any]) -> None:
    for name, done in runs["done"].items():
        paths = printed_paths(done.stderr)
        assert set(paths) == set(OUTPUT_LABELS), name
        for path in paths.values():
            assert path.is_file(), (name, path)
        assert paths["ticket feed:"].parent == paths["reports:"].parent.parent == runs["workdir"] / name


def test_the_weekly_asset_reports_its_configured_window_and_labels_it(runs: dict[str, Any], tmp_path: Path) -> None:
    """The Dagster weekly partition (a Monday week) keeps its schedule; its window is report.window_days long,
    ends with the week's Sunday, and is labelled by the days the database holds in it."""
    from dagster import materialize
    from gpu_reclaim.assets.reports import workspace_reports
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

    monday = TODAY - timedelta(days=TODAY.weekday() + 7)  # the last complete week: a partition that exists
    in_week = [day for day in (DAY1, DAY2) if monday <= day < monday + timedelta(days=7)]  # today: 0, 1 or 2
    result = materialize(
        [workspace_reports],
        partition_key=monday.isoformat(),
        resources={
            "settings": SettingsResource(config_path=str(runs["config"])),
            "warehouse": WarehouseResource(database=str(runs["db"])),
            "outputs": OutputsResource(out_dir=str(tmp_path / "weekly")),
        },
    )
    assert result.success
    metadata = result.asset_materializations_for_node("workspace_reports")[0].metadata
    assert metadata["coverage"].value == f"{len(in_week)} of 7 days"
    assert metadata["partial"].value is True
    overview = json.loads((tmp_path / "weekly" / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert (overview["window_start"], overview["window_end"]) == (
        min(in_week, default=monday).isoformat(),
        (monday + timedelta(days=7)).isoformat(),
    )
    assert overview["coverage"] == f"{len(in_week)} of 7 days"
