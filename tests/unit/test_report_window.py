"""Which days a command evaluates, which window a report shows and how partial windows are labelled (the ticket feed
of a past window replayed from DuckDB alone: test_feed_replay.py)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from gpu_reclaim.assets.reports import week_window
from gpu_reclaim.core.config import ReportConfig, Settings
from gpu_reclaim.pipelines.window import (
    DayRange,
    WindowError,
    explicit_days,
    last_complete_day,
    last_complete_days,
    required_days,
    resolve_days,
    utc_today,
)
from gpu_reclaim.reports.build import build_reports, clip_window, default_window
from gpu_reclaim.reports.models import WindowCoverage

from tests.unit.report_fixture import LAST_DAY, WINDOW_END, WINDOW_START, WORKSPACE_A, make_database

TODAY = date(2026, 12, 1)


def settings(window_days: int = 7) -> Settings:
    return Settings(report=ReportConfig(window_days=window_days))


# -- days a command evaluates ----------------------------------------------------------------------------------


def test_today_is_the_utc_date() -> None:
    assert utc_today(datetime(2026, 12, 1, 0, 0, tzinfo=UTC)) == date(2026, 12, 1)
    assert utc_today(datetime(2026, 12, 1, 23, 59, 59, tzinfo=UTC)) == date(2026, 12, 1)
    # 01:30 in UTC+2 is still the day before in UTC; 22:00 in UTC-5 is already the next UTC day
    assert utc_today(datetime(2027, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=2)))) == date(2026, 12, 31)
    assert utc_today(datetime(2026, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5)))) == date(2027, 1, 1)
    assert utc_today(datetime(2026, 12, 1, 12)) == date(2026, 12, 1)  # naive is UTC


@pytest.mark.parametrize(
    ("today", "yesterday"),
    [
        (date(2026, 12, 1), date(2026, 11, 30)),  # month boundary
        (date(2027, 1, 1), date(2026, 12, 31)),  # year boundary
        (date(2026, 3, 1), date(2026, 2, 28)),
        (date(2028, 3, 1), date(2028, 2, 29)),  # leap year
    ],
)
def test_last_complete_day_is_yesterday(today: date, yesterday: date) -> None:
    assert last_complete_day(today) == yesterday
    assert resolve_days(None, None, None, today) == DayRange(yesterday, yesterday)


def test_days_n_are_the_last_n_complete_days() -> None:
    assert last_complete_days(3, date(2027, 1, 2)).days == [date(2026, 12, 30), date(2026, 12, 31), date(2027, 1, 1)]
    assert resolve_days(None, None, 1, TODAY) == DayRange(date(2026, 11, 30), date(2026, 11, 30))
    assert resolve_days(None, None, 7, date(2026, 3, 3)) == DayRange(date(2026, 2, 24), date(2026, 3, 2))
    assert len(resolve_days(None, None, 400, TODAY).days) == 400


@pytest.mark.parametrize("count", [0, -1, -30])
def test_days_zero_or_negative_is_refused(count: int) -> None:
    with pytest.raises(WindowError, match="--days must be 1 or more"):
        resolve_days(None, None, count, TODAY)


@pytest.mark.parametrize(
    ("start", "end", "days", "message"),
    [
        ("2026-11-02", "2026-11-03", 2, "--days cannot be combined with --start/--end"),
        ("2026-11-02", None, 2, "--days cannot be combined"),
        ("2026-11-02", None, None, "--start needs --end too"),
        (None, "2026-11-03", None, "--end needs --start too"),
        ("2026-11-05", "2026-11-02", None, "--end 2026-11-02 is before --start 2026-11-05"),
        ("2026-12-02", "2026-12-03", None, "--start 2026-12-02 is in the future"),
        ("2026-11-30", "2026-12-02", None, "the last complete day is 2026-11-30"),
        ("yesterday", "2026-11-02", None, "--start must be a date as YYYY-MM-DD (got 'yesterday')"),
        ("2026-11-02", "2026-13-01", None, "--end must be a date"),
    ],
)
def test_bad_combinations_are_one_line_errors(
    start: str | None, end: str | None, days: int | None, message: str
) -> None:
    with pytest.raises(WindowError) as raised:
        resolve_days(start, end, days, TODAY)
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_start_and_end_are_kept_and_may_name_today() -> None:
    assert resolve_days("2026-11-02", "2026-11-04", None, TODAY).days == [
        date(2026, 11, 2),
        date(2026, 11, 3),
        date(2026, 11, 4),
    ]
    assert explicit_days("2026-12-01", "2026-12-01", TODAY) == DayRange(TODAY, TODAY)  # today: partial, allowed
    assert explicit_days("2026-12-31", "2027-01-01", date(2027, 1, 5)).days == [date(2026, 12, 31), date(2027, 1, 1)]


def test_report_needs_both_dates() -> None:
    for start, end in ((None, None), ("2026-11-02", None), (None, "2026-11-02")):
        with pytest.raises(WindowError, match="report needs --start and --end"):
            required_days(start, end, TODAY)
    assert required_days("2026-11-02", "2026-11-08", TODAY) == DayRange(date(2026, 11, 2), date(2026, 11, 8))


def test_day_range_reads_as_days() -> None:
    assert str(DayRange(date(2026, 11, 30), date(2026, 11, 30))) == "2026-11-30 (1 day)"
    assert str(DayRange(date(2026, 12, 30), date(2027, 1, 1))) == "2026-12-30 to 2027-01-01 (3 days)"


# -- the window a report shows ---------------------------------------------------------------------------------

MONDAY = date(2026, 11, 2)


def test_default_and_week_windows_come_from_settings() -> None:
    assert default_window(settings(7), MONDAY + timedelta(days=3)) == (
        MONDAY - timedelta(days=4),
        MONDAY + timedelta(3),
    )
    assert week_window(settings(7), MONDAY) == (MONDAY, MONDAY + timedelta(days=7))
    assert week_window(settings(14), MONDAY) == (MONDAY - timedelta(days=7), MONDAY + timedelta(days=7))
    assert week_window(settings(3), MONDAY) == (MONDAY + timedelta(days=4), MONDAY + timedelta(days=7))
    # across a year boundary: the week of Monday 2026-12-28 ends on Sunday 2027-01-03
    assert week_window(settings(7), date(2026, 12, 28)) == (date(2026, 12, 28), date(2027, 1, 4))


def test_window_starts_at_its_first_day_with_data() -> None:
    end = MONDAY + timedelta(days=7)
    data = [MONDAY - timedelta(days=1), MONDAY + timedelta(days=4), MONDAY + timedelta(days=6)]
    assert clip_window(MONDAY, end, data, 7) == (
        MONDAY + timedelta(days=4),
        end,
        WindowCoverage(expected_days=7, covered_days=2),
    )
    start, _, coverage = clip_window(MONDAY, end, [], 7)
    assert (start, coverage.covered_days, coverage.partial, coverage.label) == (MONDAY, 0, True, "0 of 7 days")
    full = [MONDAY + timedelta(days=offset) for offset in range(7)]
    assert clip_window(MONDAY, end, full, 7)[2].label == "7 days"
    assert not clip_window(MONDAY, end, full, 7)[2].partial


def test_expected_days_are_the_setting_or_a_longer_asked_window() -> None:
    three_days = [MONDAY, MONDAY + timedelta(days=1), MONDAY + timedelta(days=2)]
    assert clip_window(MONDAY, MONDAY + timedelta(days=3), three_days, 7)[2].label == "3 of 7 days"
    assert clip_window(MONDAY, MONDAY + timedelta(days=3), three_days, 3)[2].label == "3 days"
    assert clip_window(MONDAY, MONDAY + timedelta(days=14), three_days, 7)[2].label == "3 of 14 days"


def test_coverage_document_for_summary_json() -> None:
    assert WindowCoverage(expected_days=7, covered_days=3).document() == {
        "window_days": 7,
        "covered_days": 3,
        "partial": True,
        "coverage": "3 of 7 days",
    }


# -- partial and empty reports ---------------------------------------------------------------------------------


def _summary(path: Path) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def test_partial_window_is_labelled_on_pages_and_in_summaries(tmp_path: Path) -> None:
    # the fixture has usage on 3 days of its week (and rows before it, for the previous window)
    index = build_reports(make_database(), settings(7), WINDOW_START - timedelta(days=3), WINDOW_END, tmp_path)
    assert (index.window_start, index.window_end) == (WINDOW_START, WINDOW_END)  # clipped to the first data day
    assert index.coverage == WindowCoverage(expected_days=10, covered_days=3)  # asked: 10 days
    index = build_reports(make_database(), settings(7), WINDOW_START, WINDOW_END, tmp_path)
    assert index.coverage == WindowCoverage(expected_days=7, covered_days=3)
    overview = _summary(tmp_path / "summary.json")
    assert (overview["coverage"], overview["covered_days"], overview["window_days"]) == ("3 of 7 days", 3, 7)
    assert overview["partial"] is True
    assert "partial: 3 of 7 days" in index.overview_html.read_text(encoding="utf-8")
    for entry in index.workspaces:
        summary = _summary(entry.summary_json)
        assert (summary["coverage"], summary["partial"], summary["window_start"]) == ("3 of 7 days", True, "2026-01-05")
        page = entry.index_html.read_text(encoding="utf-8")
        assert 'id="window-coverage">partial: 3 of 7 days<' in page
        assert 'id="window-partial"' in page


def test_full_window_has_no_partial_label(tmp_path: Path) -> None:
    con = make_database()
    for offset in range(7):  # a node on every day of the window
        con.execute("INSERT INTO nodes (day, node, machine_group, gpu_model, gpu_allocatable, cpu_cores_allocatable, "
            "memory_bytes_allocatable) VALUES (?, 'node-every-day', 'mg-h100', 'NVIDIA-H100', 8, 64, 1e12)",
                    [WINDOW_START + timedelta(days=offset)])  # fmt: skip
    index = build_reports(con, settings(7), WINDOW_START, WINDOW_END, tmp_path)
    assert index.coverage == WindowCoverage(expected_days=7, covered_days=7)
    html = index.overview_html.read_text(encoding="utf-8")
    assert "partial" not in html.split("</header>")[0]
    assert 'id="window-partial"' not in html
    assert _summary(tmp_path / "summary.json")["partial"] is False


def test_the_evaluation_dated_the_window_end_is_the_next_window(tmp_path: Path) -> None:
    con = make_database()
    ticket = json.dumps({"action": "a", "summary": "s", "evidence": {}})
    con.execute(
        "INSERT INTO recommendations VALUES (?, 'alpha-next-window', 'idle_allocation', 'high', ?, 'vision', "
        "'alpha-vision', 'Job/next', false, 'NVIDIA-H100', 8, 8, 1, 1, ?, ?, ?, '')",
        [WINDOW_END, WORKSPACE_A, datetime(2026, 1, 6), datetime(2026, 1, 13), ticket],
    )
    index = build_reports(con, settings(7), WINDOW_START, WINDOW_END, tmp_path)
    entry = next(item for item in index.workspaces if item.workspace == WORKSPACE_A)
    summary = _summary(entry.summary_json)
    assert summary["evaluated_on"] == LAST_DAY.isoformat()
    assert "alpha-next-window" not in {item["id"] for item in summary["recommendations"]}


def test_a_window_without_data_writes_a_valid_empty_report(tmp_path: Path) -> None:
    index = build_reports(make_database(), settings(7), date(2025, 6, 2), date(2025, 6, 9), tmp_path)
    assert index.coverage == WindowCoverage(expected_days=7, covered_days=0)
    assert index.workspaces == []
    overview = _summary(tmp_path / "summary.json")
    assert overview["coverage"] == "0 of 7 days"
    assert all(value in (0, 0.0, None) for key, value in overview["totals"].items() if key != "projects")
    assert overview["totals"]["allocated_gpu_hours"] == 0.0
    assert overview["workspaces"] == [] and overview["capacity"] == [] and overview["cluster_tickets"] == []
    html = index.overview_html.read_text(encoding="utf-8")
    assert 'id="window-empty"' in html and html.rstrip().endswith("</html>")


# -- the ticket feed of a past window --------------------------------------------------------------------------
