"""Partitions: UTC days for ingest and scoring, Monday-started UTC weeks for reports; `daily_asset`, the @asset of a
daily stage (its partitions, the one-writer DuckDB pool, its owners and kinds)."""

from __future__ import annotations

import os
from typing import Any

from dagster import DailyPartitionsDefinition, WeeklyPartitionsDefinition, asset
from gpu_reclaim.assets.metadata import KINDS_WAREHOUSE, OWNERS

# The first day a partition can name; override for a cluster with older history.
PARTITIONS_START = os.environ.get("GPU_RECLAIM_PARTITIONS_START", "2025-01-06")

daily_partitions = DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC")
weekly_partitions = WeeklyPartitionsDefinition(start_date=PARTITIONS_START, day_offset=1, timezone="UTC")
# One run at a time writes the DuckDB file (it takes one writing process): every daily stage is in this pool.
DUCKDB_POOL = "duckdb"


def daily_asset(**options: Any) -> Any:
    """@asset of a daily stage: partitioned by UTC day, in the DuckDB pool, owned by OWNERS, of KINDS_WAREHOUSE
    unless `options` say otherwise; `options` are the rest of @asset's arguments."""
    defaults: dict[str, Any] = {"partitions_def": daily_partitions, "pool": DUCKDB_POOL, "kinds": KINDS_WAREHOUSE}
    decorator: Any = asset(**{**defaults, "owners": OWNERS, **options})
    return decorator
