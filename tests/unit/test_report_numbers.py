"""The numbers of the report pages, written for people (reports/numbers.py), and the weekly trends' filling."""

from __future__ import annotations

from datetime import date

import pytest
from gpu_reclaim.reports import numbers
from gpu_reclaim.reports.models import Recommendation, top_actions
from gpu_reclaim.reports.rows import evidence_labels
from gpu_reclaim.reports.trends import project_trends, week_bounds


@pytest.mark.parametrize(
    ("value", "expected"),
    [(8.0, "8"), (7.6, "8"), (2.5, "3"), (0.25, "<1"), (0.0, "0"), (1234.0, "1,234"), (None, "—")],
)
def test_gpus_are_integers(value: float | None, expected: str) -> None:
    assert numbers.gpus(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (14885.0, "14,885"),
        (14884.5, "14,885"),  # half away from zero, not to even
        (472.333, "472"),
        (10.0, "10"),
        (9.96, "10"),  # rounds up to a whole number: no ".0"
        (9.94, "9.9"),  # below 10 keeps its decimal
        (2.5, "2.5"),
        (3.0, "3"),
        (0.04, "0"),
        (-0.04, "0"),
        (-1234.6, "-1,235"),
        (None, "—"),
        (float("nan"), "—"),
    ],
)
def test_hours_are_whole_with_separators_and_decimals_only_below_10(value: float | None, expected: str) -> None:
    assert numbers.hours(value) == expected


def test_shares_percent_and_money() -> None:
    assert numbers.share(0.4523) == "45.2%"
    assert numbers.share(None) == "—"
    assert numbers.percent(18.519) == "18.5%"
    assert numbers.money(1234.56, "EUR") == "1,235 EUR"
    assert numbers.money(12.5, "USD") == "12.50 USD"
    assert numbers.money(None) == "—"
    assert numbers.signed_hours(11120.5) == "+11,121"
    assert numbers.signed_hours(-2.5) == "-2.5"
    assert numbers.signed_hours(0.01) == "0"


def test_evidence_reads_as_labelled_sentences() -> None:
    raw = (
        '{"threshold_hours": 4.0, "idle_runs": 2, "longest_idle_hours": 60.01666666666667,'
        ' "longest_idle_start": "2026-11-24T00:00:00Z", "gpus_idle_at_window_end": 8, "idle_since": null,'
        ' "mean_activity": 0.123456789012345, "gpus_needed_at_target": 1.0, "target_activity": 0.5,'
        ' "observed_gpu_hours": 1234.5678, "low_use_hours_utc": [3, 4],'
        ' "h100_equivalent_hours_recoverable_per_week": 472.0, "cost_recoverable_per_week": null}'
    )
    assert evidence_labels(raw) == {
        "Idle limit": "4 h",
        "Idle runs": "2",
        "Longest idle run": "60 h",
        "Longest idle run from": "2026-11-24 00:00 UTC",
        "GPUs idle at the window's end": "8",
        "Idle since": "none",
        "Mean activity": "12.3%",
        "GPUs needed at target": "1",
        "Target activity": "50.0%",
        "Observed GPU-hours": "1,235",
        "Low-use hours (UTC)": "03:00, 04:00",
    }  # the recoverable H100-equivalent hours and money have their own columns: no "cost: null"
    text = " ".join(evidence_labels(raw).values())
    assert "_" not in " ".join(evidence_labels(raw)) and "0.1234" not in text


def _ticket(ident: str, hours: float, h100: float | None, cost: float | None = None, **extra: object) -> Recommendation:
    return Recommendation.model_validate(
        {
            "id": ident, "rule": "idle_allocation", "severity": "high", "project": "p", "namespace": "p",
            "workload": f"Job/{ident}", "exempt": False, "gpu_model": None, "gpus_allocated": 8.0,
            "gpus_reclaimable": 8.0, "idle_gpu_hours": hours, "gpu_hours_recoverable_per_week": hours,
            "action": "release", "summary": None, "evidence": {},
            "h100_equivalent_hours_recoverable_per_week": h100, "cost_recoverable_per_week": cost, **extra,
        }
    )  # fmt: skip


def test_top_actions_rank_by_h100_equivalent_hours_then_by_money() -> None:
    a100 = _ticket("a100", 1000.0, 320.0)
    h100 = _ticket("h100", 500.0, 500.0)
    unweighted = _ticket("plain", 400.0, None)  # falls back to its GPU-hours
    assert [item.id for item in top_actions([a100, h100, unweighted], 5)] == ["h100", "plain", "a100"]
    priced = [_ticket("cheap", 900.0, 900.0, 10.0), _ticket("dear", 100.0, 100.0, 99.0)]
    assert [item.id for item in top_actions(priced, 5)] == ["dear", "cheap"]
    assert [item.id for item in top_actions([a100, h100, unweighted], 1)] == ["h100"]


def test_top_actions_leave_out_waste_reports_acknowledged_and_exempt_tickets() -> None:
    items = [
        _ticket("ended", 900.0, 900.0, kind="waste_report"),
        _ticket("snoozed", 800.0, 800.0, kind="reclaim", acknowledged=True),
        _ticket("exempt", 700.0, 700.0, exempt=True),
        _ticket("now", 10.0, 10.0, kind="reclaim"),
    ]
    assert [item.id for item in top_actions(items, 5)] == ["now"]


def test_trends_fill_weeks_and_mark_weeks_without_data() -> None:
    end = date(2026, 11, 30)
    assert week_bounds(end, 0) == (date(2026, 11, 23), end)
    assert week_bounds(end, 1) == (date(2026, 11, 16), date(2026, 11, 23))
    rows = [
        {"namespace": "a", "project": "A", "week_index": 0, "allocated_gpu_hours": 10.0, "used_gpu_hours": 4.0,
         "idle_gpu_hours": 5.0},
        {"namespace": "b", "project": "B", "week_index": 1, "allocated_gpu_hours": 50.0, "used_gpu_hours": 40.0,
         "idle_gpu_hours": 1.0},
    ]  # fmt: skip
    days = [date(2026, 11, 16), date(2026, 11, 29)]  # data in weeks 1 and 0 only
    trends = project_trends(rows, days, end, weeks=3)
    assert [trend.namespace for trend in trends] == ["b", "a"]  # most allocated first
    b, a = trends
    assert [week.week_start for week in a.weeks] == [date(2026, 11, 9), date(2026, 11, 16), date(2026, 11, 23)]
    assert [week.has_data for week in a.weeks] == [False, True, True]
    assert [week.allocated_gpu_hours for week in a.weeks] == [0.0, 0.0, 10.0]  # week 1: data, but A used none
    assert [week.idle_gpu_hours for week in b.weeks] == [0.0, 1.0, 0.0]
