"""`gpu-reclaim report`: the reports and the ticket feed of any window, rebuilt from the DuckDB file alone. No
metrics source is contacted, and no Dagster is loaded (a rebuild is a read of DuckDB and a few files)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.reports.build import write_reports
from gpu_reclaim.reports.feed import ReplayedFeed, replay_ticket_feed
from gpu_reclaim.reports.models import ReportIndex
from gpu_reclaim.store.feed import write_feed


@dataclass
class Rebuild:
    """What `rebuild_window` wrote: the reports, and the ticket feed as of `feed.evaluated_on`."""

    reports: ReportIndex
    feed: ReplayedFeed
    feed_path: Path


def rebuild_window(
    warehouse: Warehouse, settings: Settings, out_dir: Path, feed_path: Path, first: date, last: date
) -> Rebuild:
    """Write the reports of the days [first, last] under out_dir/reports, and to `feed_path` the ticket feed as the
    daily run of the window's latest evaluated day wrote it; the DuckDB file is only read."""
    if last < first:
        raise ValueError(f"the end date {last} is before the start date {first}")
    reports = write_reports(warehouse, settings, out_dir, first, last + timedelta(days=1))
    with warehouse.connect(read_only=True) as con:
        feed = replay_ticket_feed(con, reports.window_start, reports.window_end)
    write_feed(feed_path, feed.tickets)
    return Rebuild(reports, feed, feed_path)
