from datetime import date

import pytest
from gpu_reclaim.pipelines.runner import days_between, weeks_covering


def test_days_between_includes_both_ends() -> None:
    assert days_between(date(2026, 11, 16), date(2026, 11, 18)) == [
        date(2026, 11, 16),
        date(2026, 11, 17),
        date(2026, 11, 18),
    ]
    assert days_between(date(2026, 11, 16), date(2026, 11, 16)) == [date(2026, 11, 16)]


def test_reversed_range_is_an_error() -> None:
    with pytest.raises(ValueError, match="before"):
        days_between(date(2026, 11, 18), date(2026, 11, 16))


def test_only_complete_monday_weeks() -> None:
    week = days_between(date(2026, 11, 16), date(2026, 11, 22))  # Monday to Sunday
    assert weeks_covering(week) == ["2026-11-16"]
    assert weeks_covering(week[1:]) == []
    assert weeks_covering(days_between(date(2026, 11, 16), date(2026, 11, 30))) == [
        "2026-11-16",
        "2026-11-23",
    ]
