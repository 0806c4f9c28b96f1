"""Which UTC days a command evaluates: the last complete day by default (what a cron job wants), the last N
complete days with `--days N`, or `--start`/`--end`. Pure functions; every refusal is a one-line WindowError."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta


class WindowError(ValueError):
    """A bad combination or value of --start/--end/--days; the message is one line for the CLI."""


@dataclass(frozen=True)
class DayRange:
    """The UTC days [first, last], both included."""

    first: date
    last: date

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=offset) for offset in range((self.last - self.first).days + 1)]

    def __str__(self) -> str:
        count = (self.last - self.first).days + 1
        if count == 1:
            return f"{self.first} (1 day)"
        return f"{self.first} to {self.last} ({count} days)"


def utc_today(now: datetime | None = None) -> date:
    """Today's UTC date; a naive `now` is taken as UTC."""
    moment = now or datetime.now(UTC)
    return (moment if moment.tzinfo is None else moment.astimezone(UTC)).date()


def last_complete_day(today: date) -> date:
    """The last UTC day that has ended: yesterday."""
    return today - timedelta(days=1)


def last_complete_days(count: int, today: date) -> DayRange:
    """The last `count` complete UTC days, ending yesterday."""
    if count < 1:
        raise WindowError(f"--days must be 1 or more (got {count})")
    last = last_complete_day(today)
    return DayRange(last - timedelta(days=count - 1), last)


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise WindowError(f"{option} must be a date as YYYY-MM-DD (got {value!r})") from None


def explicit_days(start: str, end: str, today: date) -> DayRange:
    """--start/--end as given: both included; neither after today (today itself is allowed, and partial)."""
    first, last = parse_day(start, "--start"), parse_day(end, "--end")
    if last < first:
        raise WindowError(f"--end {last} is before --start {first}")
    if first > today:
        raise WindowError(f"--start {first} is in the future (today is {today} UTC)")
    if last > today:
        raise WindowError(
            f"--end {last} is in the future (today is {today} UTC); the last complete day is {last_complete_day(today)}"
        )
    return DayRange(first, last)


def resolve_days(start: str | None, end: str | None, days: int | None, today: date) -> DayRange:
    """The days of `gpu-reclaim run`: --start with --end, or --days N, or (neither) the last complete day."""
    if days is not None and (start is not None or end is not None):
        raise WindowError("--days cannot be combined with --start/--end: give either --days N or --start and --end")
    if (start is None) != (end is None):
        given, missing = ("--start", "--end") if start is not None else ("--end", "--start")
        raise WindowError(f"{given} needs {missing} too (or use --days N for the last N complete days)")
    if start is not None and end is not None:
        return explicit_days(start, end, today)
    return last_complete_days(1 if days is None else days, today)


def required_days(start: str | None, end: str | None, today: date) -> DayRange:
    """The days of `gpu-reclaim report`: --start and --end are both required."""
    if start is None or end is None:
        raise WindowError("report needs --start and --end (YYYY-MM-DD, both included)")
    return explicit_days(start, end, today)
