"""The rules' per-day partial aggregates (issue 16; tables rule_gpu_day, idle_runs_day, ..., gpu_power_day,
wedged_steps_day, gang_work_day, rule_aggregate_days).

A day is aggregated once, by the usage stage when it computes the day (or by the rules for a day of their window
not aggregated yet, or aggregated under other settings: its fingerprint differs), and the rules merge the window's
days (sql/rules_gpu_stats.sql, sql/rules_idle_runs.sql, sql/rules_wedged_gpus.sql, and the GPUs' power limits:
sql/stage_window_gpu_power.sql), so a day's rule cost does not grow with report.window_days. A window that does
not start or end at midnight aggregates those parts of a day for the one run (temp tables partial_*), without
storing them. A day without any input is recorded as aggregated without staging it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
from gpu_reclaim.core.busy_looking import busy_looking_params, stage_window_power_limits
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.gpu_power import GpuModelPower
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings, shared_gpu_params
from gpu_reclaim.core.warehouse import fetch_records, run_sql, transaction

# Bumped when the aggregates' definition changes: every stored day is then aggregated again.
# 2: every aggregate is keyed by cluster too (migration 0009; the key lists of sql/stage_*_day.sql).
# 3: the power histograms and the wedged-collective steps (migration 0010: gpu_power_day, wedged_steps_day,
#    gang_work_day).
AGGREGATE_VERSION = 3

# The per-day table of the GPUs' power (migration 0010): sql/stage_gpu_power_day.sql reads the range's gpu_samples.
POWER_DAY_TABLE = "gpu_power_day"
# The per-day tables of the range's steps (migrations 0008, 0010): each has sql/stage_<table>.sql (from the range's
# rule_pod_steps and rule_gpu_steps into staged_<table>).
STEP_DAY_TABLES = (
    "rule_gpu_day",
    "idle_runs_day",
    "workload_day",
    "workload_values_day",
    "workload_activity_day",
    "quota_demand_day",
    "wedged_steps_day",
    "gang_work_day",
)
# Every per-day table: each has sql/stage_<table>.sql, delete_<table>_partition.sql and insert_<table>.sql.
DAY_TABLES = (POWER_DAY_TABLE, *STEP_DAY_TABLES)

# The settings the aggregation depends on (their values make the fingerprint; a threshold applied only at merge
# time, like the idle rules' minimum hours, is not here).
FINGERPRINT_KEYS = (
    "step_seconds",
    "idle_threshold",
    "fake_activity_min",
    "fake_profiling_max",
    "fake_sm_active_max",
    "idle_activity_max",
    "held_activity_max",
    "held_fraction_min",
    "mig_slice_matches",
    "mig_slice_counts",
    "default_compute_slices",
)


def aggregation_params(
    step_seconds: int, rules: RecommendationSettings, idle_threshold: float, shared_gpus: SharedGpuSettings
) -> dict[str, Any]:
    """The bound parameters of the per-day aggregation SQL (and of rules_create_*_steps.sql it reuses)."""
    return {
        "step_seconds": step_seconds,
        "idle_threshold": idle_threshold,
        **busy_looking_params(rules.fake_busy),
        "idle_activity_max": rules.idle_allocation.activity_max,
        "held_activity_max": rules.idle_held_memory.activity_max,
        "held_fraction_min": rules.idle_held_memory.fraction_min,
        **shared_gpu_params(shared_gpus),
    }


def settings_fingerprint(params: Mapping[str, Any]) -> str:
    """A digest of the aggregation's settings (FINGERPRINT_KEYS of `params`) and of AGGREGATE_VERSION."""
    chosen = {key: params[key] for key in FINGERPRINT_KEYS}
    text = json.dumps({"version": AGGREGATE_VERSION, **chosen}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class WindowDays:
    """A window split into the days it covers whole and the parts of a day at its edges."""

    full_first: date
    full_last: date
    partials: tuple[tuple[datetime, datetime], ...]

    def days(self) -> Iterator[date]:
        day = self.full_first
        while day <= self.full_last:
            yield day
            day += timedelta(days=1)

    def params(self) -> dict[str, Any]:
        return {"full_first": self.full_first, "full_last": self.full_last}


def split_window(window_start: datetime, window_end: datetime) -> WindowDays:
    """[window_start, window_end) (naive UTC) as whole days (full_first > full_last when none) and edge parts."""
    full: list[date] = []
    parts: list[tuple[datetime, datetime]] = []
    segment = window_start
    while segment < window_end:
        midnight = datetime.combine(segment.date() + timedelta(days=1), time(0))
        segment_end = min(midnight, window_end)
        if segment.time() == time(0) and segment_end == midnight:
            full.append(segment.date())
        else:
            parts.append((segment, segment_end))
        segment = segment_end
    if not full:
        return WindowDays(window_start.date() + timedelta(days=1), window_start.date(), tuple(parts))
    return WindowDays(full[0], full[-1], tuple(parts))


def range_bounds(params: Mapping[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    """The bound parameters of the aggregation SQL for [start, end)."""
    return {**params, "window_start": start, "window_end": end, "range_start": start, "range_end": end}


def stage_range(
    con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], start: datetime, end: datetime, power: bool = True
) -> None:
    """staged_<table> of every DAY_TABLES (but the power histograms when not `power`) for [start, end) (within one
    day). The steps judge nothing against power limits: an empty gpu_power_limits is enough."""
    bounds = {**range_bounds(params, start, end), "all_uids": True, "uids": []}
    if power:
        run_sql(con, f"stage_{POWER_DAY_TABLE}.sql", bounds)
    run_sql(con, "create_empty_gpu_power_limits.sql")
    run_sql(con, "rules_create_pod_steps.sql", bounds)
    run_sql(con, "rules_create_gpu_steps.sql", bounds)
    for table in STEP_DAY_TABLES:
        run_sql(con, f"stage_{table}.sql", bounds)


def replace_power_day(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], day: date) -> None:
    """Replace `day`'s power histograms (gpu_power_day; call inside a transaction): the usage stage does it first,
    to merge the day's power limits from them, then replace_rule_day(..., power=False)."""
    start = datetime.combine(day, time(0))
    run_sql(con, f"stage_{POWER_DAY_TABLE}.sql", range_bounds(params, start, start + timedelta(days=1)))
    run_sql(con, f"delete_{POWER_DAY_TABLE}_partition.sql", {"day": day})
    run_sql(con, f"insert_{POWER_DAY_TABLE}.sql")


def replace_rule_day(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], day: date, power: bool = True) -> None:
    """Replace `day`'s rows of the rule aggregates (but gpu_power_day when not `power`: replace_power_day did) and
    record its fingerprint (call inside a transaction)."""
    start = datetime.combine(day, time(0))
    stage_range(con, params, start, start + timedelta(days=1), power)
    for table in DAY_TABLES if power else STEP_DAY_TABLES:
        run_sql(con, f"delete_{table}_partition.sql", {"day": day})
        run_sql(con, f"insert_{table}.sql")
    run_sql(con, "upsert_rule_aggregate_day.sql", {"day": day, "fingerprint": settings_fingerprint(params)})


def record_empty_rule_day(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], day: date) -> bool:
    """Record `day` as aggregated without staging it when it has no inputs (no gpu_samples, pod_steps or
    quota_steps: every aggregate of it is empty); return whether it was empty (call inside a transaction)."""
    [row] = fetch_records(con, "select_day_has_rule_inputs.sql", {"day": day})
    if row["has_inputs"]:
        return False
    for table in DAY_TABLES:
        run_sql(con, f"delete_{table}_partition.sql", {"day": day})
    run_sql(con, "upsert_rule_aggregate_day.sql", {"day": day, "fingerprint": settings_fingerprint(params)})
    return True


def stale_days(con: duckdb.DuckDBPyConnection, params: Mapping[str, Any], days: WindowDays) -> list[date]:
    """The window's whole days not aggregated yet, or aggregated under settings with another fingerprint."""
    fingerprint = settings_fingerprint(params)
    bounds = {"first_day": days.full_first, "last_day": days.full_last}
    current = {
        row["day"]
        for row in fetch_records(con, "select_rule_aggregate_days.sql", bounds)
        if row["fingerprint"] == fingerprint
    }
    return [day for day in days.days() if day not in current]


def prepare_rule_window(
    con: duckdb.DuckDBPyConnection,
    params: Mapping[str, Any],
    gpu_power: list[GpuModelPower],
    rules: RecommendationSettings,
    window_start: datetime,
    window_end: datetime,
) -> WindowDays:
    """Aggregate the window's stale days (each in its own transaction; a day without inputs is only recorded) and
    its edge parts (temp tables), then stage the window's GPU power limits (gpu_power_limits) merged from them;
    return the split whose params() the merging SQL binds."""
    days = split_window(window_start.replace(tzinfo=None), window_end.replace(tzinfo=None))
    for day in stale_days(con, params, days):
        with transaction(con):
            if not record_empty_rule_day(con, params, day):
                replace_rule_day(con, params, day)
    run_sql(con, "create_partial_rule_days.sql")
    for start, end in days.partials:
        stage_range(con, params, start, end)
        run_sql(con, "insert_partial_rule_days.sql")
    stage_window_power_limits(con, gpu_power, rules.fake_busy, days.full_first, days.full_last)
    return days


def rule_aggregation_params(settings: Settings) -> dict[str, Any]:
    """aggregation_params of a configuration (what the daily recommendations evaluate with)."""
    return aggregation_params(
        settings.step_seconds,
        settings.recommendations,
        settings.usage.idle_activity_threshold,
        settings.shared_gpus,
    )
