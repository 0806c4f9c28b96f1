"""Migration 0004 on the file gpu-reclaim 0.1.0 wrote: the busy-looking-idle columns appear in every usage table,
NULL on the old rows (that version counted those steps as used), every old value is kept, and recomputing a day
with this version fills them in (and takes the fake-busy steps out of used)."""

from __future__ import annotations

import duckdb
from duckdb import ColumnExpression as Column
from duckdb import ConstantExpression, FunctionExpression
from gpu_reclaim.assets.stages import compute_usage
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import baseline_columns, known_migrations
from gpu_reclaim.core.warehouse import Warehouse

from tests.migrations.conftest import OldRelease

NEW_COLUMNS = {
    "pod_gpu_usage_daily": {
        "busy_looking_idle_gpu_hours": "DOUBLE",
        "idle_power_w": "DOUBLE",
        "max_power_w": "DOUBLE",
        "power_source": "VARCHAR",
    },
    "pod_usage_daily": {"busy_looking_idle_gpu_hours": "DOUBLE"},
    "project_usage_daily": {"busy_looking_idle_gpu_hours": "DOUBLE"},
    "workspace_usage_daily": {"busy_looking_idle_gpu_hours": "DOUBLE"},
    "pod_gpu_usage_hourly": {"busy_looking_idle_gpu_hours": "DOUBLE"},
    "project_usage_hourly": {"busy_looking_idle_gpu_hours": "DOUBLE"},
}


def columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position",
        {"t": table},
    ).fetchall()
    return {str(name): str(kind) for name, kind in rows}


def test_0004_is_a_known_migration() -> None:
    assert "0004_busy_looking_idle.sql" in [migration.file_name for migration in known_migrations()]


def test_0004_adds_the_columns_to_the_v010_file_and_keeps_every_old_value(old_release: OldRelease) -> None:
    before = old_release.fingerprint()
    upgrade = Warehouse(old_release.db).upgrade()
    assert "0004_busy_looking_idle.sql" in upgrade.applied
    assert old_release.fingerprint() == before == old_release.manifest["tables"]
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        for table, added in NEW_COLUMNS.items():
            found = columns(con, table)
            assert {name: found.get(name) for name in added} == added, table
            # appended right after v0.1.0's columns (later migrations append after them)
            first = len(baseline_columns()[table])
            assert list(found)[first : first + len(added)] == list(added), table
            for name in added:
                counts = [FunctionExpression("count", ConstantExpression(1)), FunctionExpression("count", Column(name))]
                rows, non_null = con.table(table).aggregate(counts).fetchall()[0]
                assert rows > 0 and non_null == 0, (table, name)
    finally:
        con.close()


def test_recomputing_a_migrated_day_fills_the_columns_and_takes_fake_busy_out_of_used(
    old_release: OldRelease,
) -> None:
    Warehouse(old_release.db).upgrade()
    day = old_release.first_day
    with Warehouse(old_release.db).connect() as con:
        old_used = con.execute(
            "SELECT sum(used_gpu_hours) FROM project_usage_daily WHERE day = $d AND namespace = 'eval-qa'", {"d": day}
        ).fetchone()
        compute_usage(con, Settings(), day)
        rows = con.execute(
            "SELECT namespace, allocated_gpu_hours, used_gpu_hours, busy_looking_idle_gpu_hours "
            "FROM project_usage_daily WHERE day = $d ORDER BY namespace",
            {"d": day},
        ).fetchall()
        sources = con.execute(
            "SELECT DISTINCT power_source FROM pod_gpu_usage_daily WHERE day = $d ORDER BY 1", {"d": day}
        ).fetchall()
        hourly = con.execute(
            "SELECT sum(busy_looking_idle_gpu_hours) FROM project_usage_hourly "
            "WHERE day = $d AND namespace = 'eval-qa'",
            {"d": day},
        ).fetchone()
    by_namespace = {row[0]: row[1:] for row in rows}
    assert all(row[3] is not None for row in rows)
    # the demo week's fake-busy workload (eval-qa, 2 A100s spinning all day at ~70 W): 48 GPU-hours, none used
    _allocated, used, busy_looking = by_namespace["eval-qa"]
    assert busy_looking > 40 and used < 1.0 and old_used is not None and old_used[0] > 40
    assert hourly is not None and hourly[0] == busy_looking
    # the healthy Projects show none
    assert by_namespace["llm-pretrain"][2] == 0 and by_namespace["recsys"][2] == 0
    assert sources == [("table",)]
