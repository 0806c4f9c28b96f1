"""Malformed snooze dates of the config counted in data_quality (issue 14: a warning and a data-quality row)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import duckdb
from gpu_reclaim.core.warehouse import run_sql, transaction
from gpu_reclaim.scoring.routing import parse_day

STAGE = "tickets"


def malformed_snooze_dates(acknowledged: Mapping[str, str]) -> int:
    """How many `tickets.acknowledged` entries are not a YYYY-MM-DD date."""
    return sum(1 for raw in acknowledged.values() if parse_day(raw) is None)


def record_config_snooze_quality(con: duckdb.DuckDBPyConnection, acknowledged: Mapping[str, str], day: date) -> int:
    """Replace the evaluation day's count of malformed config snooze dates in data_quality; returns the count."""
    affected = malformed_snooze_dates(acknowledged)
    with transaction(con):
        run_sql(con, "delete_data_quality_partition.sql", {"day": day, "stage": STAGE})
        run_sql(con, "insert_config_snooze_data_quality.sql", {"day": day, "affected": affected})
    return affected
