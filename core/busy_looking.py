"""The busy-looking-idle step's inputs: its thresholds as bound parameters, and the power limits of every GPU of a
range staged as `gpu_power_limits` (the macro itself is `busy_looking_idle` in sql/create_macros.sql).

The usage stage stages a day, the rules stage their window; both then judge each step with the same macro. Both
merge the per-day power histograms (gpu_power_day, sql/stage_window_gpu_power.sql); stage_gpu_power_limits reads
gpu_samples itself (the reference the merge is bit-identical to).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import duckdb
from gpu_reclaim.core.gpu_power import GpuModelPower, gpu_model_power
from gpu_reclaim.core.rule_settings import FakeBusySettings
from gpu_reclaim.core.warehouse import run_sql


def busy_looking_params(fake_busy: FakeBusySettings) -> dict[str, Any]:
    """The macro's thresholds, as the SQL files bind them."""
    return {
        "fake_activity_min": fake_busy.activity_min,
        "fake_profiling_max": fake_busy.profiling_max,
        "fake_sm_active_max": fake_busy.sm_active_max,
        "fake_power_headroom": fake_busy.power_headroom,
        "idle_power_percentile": fake_busy.idle_power_percentile,
    }


def day_range(day: date) -> tuple[datetime, datetime]:
    """[day 00:00, next day 00:00) as naive UTC timestamps (how gpu_samples stores ts)."""
    start = datetime.combine(day, time(0))
    return start, start + timedelta(days=1)


def stage_gpu_power_limits(
    con: duckdb.DuckDBPyConnection,
    gpu_power: list[GpuModelPower],
    fake_busy: FakeBusySettings,
    range_start: datetime,
    range_end: datetime,
) -> None:
    """(Re)create the temp tables gpu_model_power (the config's entry of each model seen in the range) and
    gpu_power_limits (per GPU: idle and max power, and their source)."""
    bounds = {"range_start": range_start.replace(tzinfo=None), "range_end": range_end.replace(tzinfo=None)}
    stage_gpu_model_power(con, gpu_power, "select_gpu_models_in_range.sql", bounds)
    run_sql(con, "stage_gpu_power_limits.sql", {**bounds, **busy_looking_params(fake_busy)})


def stage_gpu_model_power(
    con: duckdb.DuckDBPyConnection, gpu_power: list[GpuModelPower], models_sql: str, bounds: dict[str, Any]
) -> None:
    """(Re)create gpu_model_power: the config's entry of each model `models_sql` lists."""
    run_sql(con, "create_gpu_model_power.sql")
    for (model,) in run_sql(con, models_sql, bounds).fetchall():
        entry = gpu_model_power(gpu_power, str(model))
        if entry is not None:
            run_sql(
                con,
                "insert_gpu_model_power.sql",
                {"gpu_model": model, "idle_w": entry.idle_w, "max_w": entry.max_w},
            )


def stage_window_power_limits(
    con: duckdb.DuckDBPyConnection,
    gpu_power: list[GpuModelPower],
    fake_busy: FakeBusySettings,
    full_first: date,
    full_last: date,
) -> None:
    """gpu_power_limits (and gpu_model_power) merged from the power histograms of gpu_power_day's days
    [full_first, full_last] and of partial_gpu_power_day (the window's edge parts, sql/create_partial_rule_days.sql)."""
    bounds = {"full_first": full_first, "full_last": full_last}
    stage_gpu_model_power(con, gpu_power, "select_gpu_models_of_power_days.sql", bounds)
    run_sql(con, "stage_window_gpu_power.sql", {**bounds, **busy_looking_params(fake_busy)})
