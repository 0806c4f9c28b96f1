"""Migration 0006 (MIG and time-sliced GPUs) on the file gpu-reclaim 0.1.0 wrote: the new columns are there, every
old row reads as what v0.1.0 measured (whole GPUs, measured usage), and a day recomputed on it fills them."""

from __future__ import annotations

import duckdb
from gpu_reclaim.assets.stages import compute_usage
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import baseline_columns, known_migrations, table_columns
from gpu_reclaim.core.warehouse import Warehouse

from tests.migrations.conftest import ADDED_COLUMNS, OldRelease

NEW_COLUMNS = {
    "gpu_samples": [("gpu_instance_id", "VARCHAR"), ("mig_profile", "VARCHAR"), ("vgpu", "VARCHAR")],
    "pod_steps": [("gpu_sharing", "VARCHAR"), ("mig_profile", "VARCHAR")],
    "nodes": [
        ("gpu_sharing", "VARCHAR"),
        ("mig_strategy", "VARCHAR"),
        ("gpu_replicas", "INTEGER"),
        ("gpu_devices_allocatable", "DOUBLE"),
    ],
    "pod_gpu_usage_daily": [
        ("gpu_instance_id", "VARCHAR"),
        ("mig_profile", "VARCHAR"),
        ("gpu_fraction", "DOUBLE"),
        ("usage_estimated", "BOOLEAN"),
    ],
    "pod_gpu_usage_hourly": [
        ("gpu_instance_id", "VARCHAR"),
        ("gpu_fraction", "DOUBLE"),
        ("usage_estimated", "BOOLEAN"),
    ],
    "pod_usage_daily": [("gpu_sharing", "VARCHAR"), ("mig_profile", "VARCHAR"), ("usage_estimated", "BOOLEAN")],
    "project_usage_daily": [("usage_estimated", "BOOLEAN"), ("estimated_used_gpu_hours", "DOUBLE")],
}


def test_0006_is_a_known_migration() -> None:
    assert [m.file_name for m in known_migrations()][5] == "0006_mig_time_slicing.sql"
    assert {table: {name for name, _ in columns} for table, columns in NEW_COLUMNS.items()} == {
        table: names - {"cluster"}
        for table, names in ADDED_COLUMNS.items()
        if names - {"cluster"}  # 0009: cluster
    }


def test_0006_adds_its_columns_to_the_v010_file_with_the_old_meaning(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        columns = table_columns(con)
        for table, added in NEW_COLUMNS.items():
            # v0.1.0's columns first, unchanged; 0006's appended last (after 0004's on the usage tables)
            assert columns[table][: len(baseline_columns()[table])] == baseline_columns()[table], table
            ours = tuple(column for column in columns[table] if column[0] != "cluster")  # 0009 appends cluster
            assert ours[-len(added) :] == tuple(added), table
        # old rows: one whole GPU per device, usage measured
        assert con.execute(
            "SELECT count(*), count(*) FILTER (WHERE gpu_fraction = 1 AND NOT usage_estimated "
            "AND gpu_instance_id IS NULL AND mig_profile IS NULL) FROM pod_gpu_usage_daily"
        ).fetchone() == (662, 662)
        assert con.execute(
            "SELECT count(*) FILTER (WHERE usage_estimated OR estimated_used_gpu_hours <> 0) FROM project_usage_daily"
        ).fetchone() == (0,)
        assert con.execute(
            "SELECT count(*) FILTER (WHERE gpu_instance_id IS NOT NULL OR vgpu IS NOT NULL) FROM gpu_samples"
        ).fetchone() == (0,)
        assert old_release.fingerprint() == old_release.manifest["tables"]
    finally:
        con.close()


def test_an_old_day_recomputed_after_0006_keeps_its_figures(old_release: OldRelease) -> None:
    """Whole GPUs only in the demo week of v0.1.0: recomputing a day with the 0006 SQL gives the same allocated and
    idle hours (used leaves busy-looking idle steps out since 0004: test_busy_looking_idle_migration.py)."""
    query = (
        "SELECT round(sum(allocated_gpu_hours), 6), round(sum(idle_gpu_hours), 6), round(sum(low_use_gpu_hours), 6) "
        "FROM pod_usage_daily WHERE day = $day"
    )
    with Warehouse(old_release.db).connect() as con:
        day = {"day": old_release.last_day}
        before = con.execute(query, day).fetchone()
        compute_usage(con, Settings(), old_release.last_day)
        after = con.execute(query, day).fetchone()
        estimated = con.execute("SELECT bool_or(usage_estimated) FROM pod_usage_daily WHERE day = $day", day)
        assert estimated.fetchone() == (False,)
    assert after == before
