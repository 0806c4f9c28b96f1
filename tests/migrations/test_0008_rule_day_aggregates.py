"""Migration rule_day_aggregates (issue 16) on the file gpu-reclaim 0.1.0 wrote (tests/fixtures/v0.1.0): the
tables appear empty, every old row is kept, and the first evaluation of the old window aggregates its days once
(a second one reuses them and finds the same)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import known_migrations
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.store.recommendations import evaluate_recommendations
from gpu_reclaim.store.rule_days import DAY_TABLES, rule_aggregation_params, settings_fingerprint

from tests.migrations.conftest import OldRelease

TABLES = ("rule_aggregate_days", *DAY_TABLES)


def test_rule_day_aggregates_on_the_v010_file(old_release: OldRelease) -> None:
    migration = next(m for m in known_migrations() if m.name == "rule_day_aggregates")
    upgrade = Warehouse(old_release.db).upgrade()
    assert migration.file_name in upgrade.applied
    assert old_release.fingerprint() == old_release.manifest["tables"]  # every old row as it was
    with duckdb.connect(str(old_release.db), read_only=True) as con:
        for table in TABLES:
            assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,)

    settings = Settings()
    start = datetime.combine(old_release.first_day, time(0), tzinfo=UTC)
    end = datetime.combine(old_release.last_day + timedelta(days=1), time(0), tzinfo=UTC)
    days = (end - start).days
    with Warehouse(old_release.db).connect() as con:
        first = evaluate_recommendations(con, settings, settings.recommendations, start, end, old_release.last_day)
        aggregated = con.execute("SELECT day, fingerprint, aggregated_at FROM rule_aggregate_days ORDER BY day")
        recorded = aggregated.fetchall()
        gpu_days = con.execute("SELECT count(DISTINCT day), count(*) FROM rule_gpu_day").fetchone()
        again = evaluate_recommendations(con, settings, settings.recommendations, start, end, old_release.last_day)
        after = con.execute("SELECT day, fingerprint, aggregated_at FROM rule_aggregate_days ORDER BY day")
        assert after.fetchall() == recorded
    fingerprint = settings_fingerprint(rule_aggregation_params(settings))
    assert [(day, print_) for day, print_, _ in recorded] == [
        (old_release.first_day + timedelta(days=d), fingerprint) for d in range(days)
    ]
    assert gpu_days is not None and gpu_days[0] == days and gpu_days[1] > 0
    assert first and [f.id for f in again] == [f.id for f in first]
