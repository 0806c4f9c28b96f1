"""Partitions: UTC days for ingest and scoring, Monday-started UTC weeks for reports; `daily_asset`, the @asset of a
daily stage (its partitions, the one-writer DuckDB pool, its owners and kinds), and the wiring every daily stage
shares: its partition's day, its warnings in the run log, and checks that count rows of that day which must be none."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    DailyPartitionsDefinition,
    WeeklyPartitionsDefinition,
    asset,
)
from gpu_reclaim.assets.metadata import KINDS_WAREHOUSE, OWNERS
from gpu_reclaim.core.warehouse import run_sql

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


def partition_day(context: AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)


def log_warnings(context: AssetExecutionContext, warnings: list[str]) -> None:
    for warning in warnings:
        context.log.warning(warning)


def day_count(con: duckdb.DuckDBPyConnection, sql_file: str, day: date) -> int:
    """The one count `sql_file` returns for `day` (a check query: rows that break an invariant)."""
    row = run_sql(con, sql_file, {"day": day}).fetchone()
    return int(row[0]) if row else 0


def none_found_check(
    check_name: str, count: int, metadata_key: str, severity: AssetCheckSeverity = AssetCheckSeverity.ERROR
) -> AssetCheckResult:
    """The check `check_name` passes when `count` (what it counted, shown as `metadata_key`) is zero."""
    return AssetCheckResult(check_name=check_name, passed=count == 0, severity=severity, metadata={metadata_key: count})
