"""Partitions: UTC days for ingest and scoring, Monday-started UTC weeks for reports."""

from __future__ import annotations

import os

from dagster import DailyPartitionsDefinition, WeeklyPartitionsDefinition

# The first day a partition can name; override for a cluster with older history.
PARTITIONS_START = os.environ.get("GPU_RECLAIM_PARTITIONS_START", "2025-01-06")

daily_partitions = DailyPartitionsDefinition(start_date=PARTITIONS_START, timezone="UTC")
weekly_partitions = WeeklyPartitionsDefinition(start_date=PARTITIONS_START, day_offset=1, timezone="UTC")
