from datetime import date

import pytest
from gpu_reclaim.pipelines.runner import days_between


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
