"""Migration 0010 (issue 16, power_and_wedged_days) on the file gpu-reclaim 0.1.0 wrote (tests/fixtures/v0.1.0): the
three tables appear empty and keyed by cluster, every old row is kept, and the first evaluation of the old window
aggregates its days into them: the power limits merged from the days' histograms are those read from gpu_samples,
bit for bit, and a second evaluation finds the same."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import duckdb
from gpu_reclaim.core.busy_looking import stage_gpu_power_limits
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import known_migrations
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.store.recommendations import evaluate_recommendations
from gpu_reclaim.store.rule_days import AGGREGATE_VERSION, DAY_TABLES

from tests.migrations.conftest import OldRelease

NEW_TABLES = ("gpu_power_day", "wedged_steps_day", "gang_work_day")
LIMITS = "SELECT cluster, gpu_uuid, idle_power_w, max_power_w, power_source FROM {} ORDER BY cluster, gpu_uuid"


def test_0010_on_the_v010_file(old_release: OldRelease) -> None:
    migration = next(m for m in known_migrations() if m.name == "power_and_wedged_days")
    assert migration.file_name == "0010_power_and_wedged_days.sql"
    assert migration.file_name in Warehouse(old_release.db).upgrade().applied
    assert old_release.fingerprint() == old_release.manifest["tables"]  # every old row as it was
    assert set(NEW_TABLES) <= set(DAY_TABLES) and AGGREGATE_VERSION == 3
    with duckdb.connect(str(old_release.db), read_only=True) as con:
        for table in NEW_TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)  # fixed table names
        cluster = con.execute(
            "SELECT table_name, data_type, is_nullable, column_default FROM duckdb_columns() "
            "WHERE column_name = 'cluster' AND table_name IN ('gpu_power_day', 'wedged_steps_day', 'gang_work_day')"
        ).fetchall()
    assert sorted(cluster) == [(table, "VARCHAR", False, "''") for table in sorted(NEW_TABLES)]

    settings = Settings()
    start = datetime.combine(old_release.first_day, time(0), tzinfo=UTC)
    end = datetime.combine(old_release.last_day + timedelta(days=1), time(0), tzinfo=UTC)
    with Warehouse(old_release.db).connect() as con:
        first = evaluate_recommendations(con, settings, settings.recommendations, start, end, old_release.last_day)
        merged = con.execute(LIMITS.format("gpu_power_limits")).fetchall()
        stage_gpu_power_limits(con, settings.gpu_power, settings.recommendations.fake_busy, start, end)
        read = con.execute(LIMITS.format("gpu_power_limits")).fetchall()
        power_days = con.execute("SELECT count(DISTINCT day), count(*), sum(len(power)) FROM gpu_power_day").fetchone()
        samples = con.execute("SELECT count(DISTINCT (day, cluster, gpu_uuid)) FROM gpu_samples").fetchone()
        gangs = con.execute("SELECT count(*), count(first_work_ts) FROM gang_work_day").fetchone()
        again = evaluate_recommendations(con, settings, settings.recommendations, start, end, old_release.last_day)
    assert merged == read and len(merged) > 0  # bit-identical on the demo week
    days = (end - start).days
    assert power_days is not None and samples is not None and power_days[:2] == (days, samples[0])
    assert gangs is not None and gangs[0] > gangs[1] > 0  # every pod of every day; most did real work
    assert first and [f.id for f in again] == [f.id for f in first]
