"""Migration cluster_days on the file gpu-reclaim 0.1.0 wrote (tests/fixtures/v0.1.0): the table appears empty,
every old row is kept, the old window's reports claim no cluster, and a day ingested afterwards with
labels.cluster_label set records its clusters in the migrated file."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import duckdb
from gpu_reclaim.assets.stages import load_kube_state_export
from gpu_reclaim.core.config import Settings, settings_from_mapping
from gpu_reclaim.core.extract import DayWindow
from gpu_reclaim.core.migrations import known_migrations
from gpu_reclaim.core.series import series_json_line
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.reports.build import build_reports

from tests.migrations.conftest import OldRelease


def test_cluster_days_on_the_v010_file(old_release: OldRelease, tmp_path: Path) -> None:
    migration = next(m for m in known_migrations() if m.name == "cluster_days")
    upgrade = Warehouse(old_release.db).upgrade()
    assert migration.file_name in upgrade.applied
    assert old_release.fingerprint() == old_release.manifest["tables"]  # every old row as it was
    with duckdb.connect(str(old_release.db), read_only=True) as con:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = 'cluster_days' ORDER BY column_index"
        ).fetchall()
        assert con.execute("SELECT count(*) FROM cluster_days").fetchone() == (0,)
    assert columns == [
        ("day", "DATE"),
        ("stage", "VARCHAR"),
        ("cluster_label", "VARCHAR"),
        ("cluster", "VARCHAR"),
        ("series", "BIGINT"),
    ]

    # The old window: no day recorded a cluster, so no report says it covers one.
    start, end = old_release.first_day, old_release.last_day + timedelta(days=1)
    with Warehouse(old_release.db).connect(read_only=True) as con:
        build_reports(con, Settings(), start, end, tmp_path / "reports")
    overview = json.loads((tmp_path / "reports" / "summary.json").read_text(encoding="utf-8"))
    assert overview["clusters"] == []

    # A new day ingested into the migrated file with the label set.
    day = old_release.last_day + timedelta(days=1)
    window = DayWindow(day)
    ms = int(window.start.timestamp() * 1000)
    labels = {"__name__": "kube_pod_status_phase", "namespace": "ns", "pod": "p", "uid": "u", "phase": "Running"}
    export = tmp_path / "ksm.jsonl"
    export.write_bytes(series_json_line({**labels, "cluster": "prod-eu"}, [1.0], [ms]) + b"\n")
    settings = settings_from_mapping({"labels": {"cluster_label": "cluster"}})
    with Warehouse(old_release.db).connect() as con:
        load_kube_state_export(con, settings, window, export)
        recorded = con.execute("SELECT day, stage, cluster, series FROM cluster_days").fetchall()
    assert recorded == [(day, "kube_state", "prod-eu", 1)]
