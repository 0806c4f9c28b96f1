"""What the Dagster UI shows: every asset of the code location has a description, a group, kinds and an owner, its
checks are partitioned like it, and materialisations carry a row count and an escaped Markdown preview."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from dagster import AssetKey, DefaultScheduleStatus
from gpu_reclaim.assets.metadata import OWNERS, PREVIEW_ROWS, day_preview, markdown_table, record_preview
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.definitions import defs

GROUPS = {"ingest", "usage", "fragmentation", "reclamation", "reports", "write_back"}
# The assets that read from or write to VictoriaMetrics.
READS_VICTORIA_METRICS = {AssetKey("dcgm_gpu_samples"), AssetKey("kube_state"), AssetKey("score_write_back")}


def test_every_asset_has_description_group_kinds_and_owner() -> None:
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    assert len(keys) == 8
    for key in keys:
        node = graph.get(key)
        spec = node.assets_def.specs_by_key[key]
        assert spec.description and len(spec.description) > 30, key
        assert spec.group_name in GROUPS, key
        assert spec.owners == OWNERS, key
        assert "duckdb" in spec.kinds, key
        assert ("victoriametrics" in spec.kinds) == (key in READS_VICTORIA_METRICS), key
        assert spec.kinds <= {"duckdb", "victoriametrics", "html"}, key


def test_every_asset_check_is_declared() -> None:
    checks = {str(key.name) for assets_def in defs.resolve_asset_graph().assets_defs for key in assets_def.check_keys}
    assert checks == {
        "no_duplicate_gpu_steps",
        "activity_within_bounds",
        "workspace_totals_equal_projects",
        "dcgm_coverage",
        "groups_sum_to_cluster",
        "ratios_within_bounds",
    }


def test_both_schedules_are_on_by_default() -> None:
    schedules = {schedule.name: schedule for schedule in defs.get_repository_def().schedule_defs}
    assert set(schedules) == {"daily_scoring_schedule", "weekly_reports_schedule"}
    assert all(s.default_status == DefaultScheduleStatus.RUNNING for s in schedules.values())


def test_markdown_table_escapes_labels_and_keeps_the_first_rows() -> None:
    rows = [[f"pod-{i}", i * 0.123456] for i in range(8)]
    rows[0][0] = "evil|<img src=x>`*_[link](http://x)"
    table = markdown_table(["pod", "util"], rows).splitlines()
    assert table[0] == "| pod | util |" and table[1] == "| --- | --- |"
    assert table[2] == r"| evil\|\<img src=x\>\`\*\_\[link\]\(http://x\) | 0 |"
    assert table[3] == "| pod-1 | 0.1235 |"
    assert len([line for line in table if line.startswith("| ")]) == 2 + PREVIEW_ROWS  # header, rule, 5 rows
    assert table[-1] == f"{PREVIEW_ROWS} of 8 rows"
    assert markdown_table(["a"], []) == "no rows"
    assert "…" in markdown_table(["a"], [["x" * 200]])


def test_record_preview_counts_and_shows_the_chosen_columns() -> None:
    records = [{"rule": "idle", "workspace": "ml", "secret": "hidden"}, {"rule": "quota", "workspace": "web"}]
    metadata = record_preview(2, records, ["rule", "workspace"])
    assert metadata["dagster/row_count"].value == 2
    preview = metadata["preview"].value
    assert "| idle | ml |" in preview and "| quota | web |" in preview and "hidden" not in preview


def test_day_preview_reads_one_day_of_the_table(tmp_path: Path) -> None:
    warehouse = Warehouse(tmp_path / "preview.duckdb", lock_timeout_seconds=5)
    day, other = date(2026, 11, 2), date(2026, 11, 3)
    with warehouse.connect() as con:
        for ts, node, when in ((datetime(2026, 11, 2, 0, 1), "n1", day), (datetime(2026, 11, 3, 0, 1), "n2", other)):
            con.execute(
                "INSERT INTO gpu_samples (day, ts, node, gpu_index, gpu_uuid, gpu_util, raw_samples) "
                "VALUES ($day, $ts, $node, 0, 'GPU-0', 0.5, 1)",
                {"day": when, "ts": ts, "node": node},
            )
    metadata = day_preview(warehouse, "preview_gpu_samples.sql", day, row_count=1)
    preview = metadata["preview"].value
    assert metadata["dagster/row_count"].value == 1
    assert preview.splitlines()[0].startswith("| ts | node | gpu\\_index |")
    assert "n1" in preview and "n2" not in preview
