"""Bad data through the same SQL as the pipeline (tests/sql/helpers.DayFixture, no server): cleaned by the documented
rules and counted in data_quality, attributed to a pod or to `unassigned`, never dropped; empty inputs give empty
results, not errors. Config mistakes are refused before any work, naming the key."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import ConfigError, Settings, load_config, settings_from_mapping

from tests.sql.helpers import DayFixture

UTIL = "DCGM_FI_DEV_GPU_UTIL"
ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
FB_USED = "DCGM_FI_DEV_FB_USED"
FB_FREE = "DCGM_FI_DEV_FB_FREE"
HELD = {"namespace": "team-a", "pod": "p"}


def quality(con: duckdb.DuckDBPyConnection, metric: str) -> dict[str, int]:
    rows = con.execute("SELECT rule, affected FROM data_quality WHERE metric = $m", {"m": metric}).fetchall()
    return {rule: int(affected) for rule, affected in rows}


def records(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_non_finite_out_of_range_duplicates_and_disorder_are_cleaned_and_counted(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    day = DayFixture()
    day.running_pod("u", "p", list(range(0, 8)), gpus=1)
    # out of order on purpose; minute 5 twice (a duplicate within one step); NaN, +Inf, -Inf, <0, >100
    minutes = [7, 0, 3, 1, 2, 4, 5, 5, 6]
    values = [40.0, math.nan, -5.0, math.inf, -math.inf, 150.0, 20.0, 30.0, 10.0]
    day.gpu(UTIL, values, minutes, **HELD)
    day.gpu(ENGINE, [1.7, -0.2, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], list(range(8)), **HELD)
    day.load(con, Settings(), tmp_path)
    assert quality(con, UTIL) == {"non_finite_dropped": 3, "clamped_low": 1, "clamped_high": 1, "merged_duplicates": 1}
    assert quality(con, ENGINE) == {"clamped_low": 1, "clamped_high": 1}
    rows = con.execute("SELECT minute(ts), gpu_util, gr_engine_active FROM gpu_samples ORDER BY ts").fetchall()
    assert rows == [
        (0, None, 1.0), (1, None, 0.0), (2, None, 0.5), (3, 0.0, 0.5),
        (4, 100.0, 0.5), (5, 25.0, 0.5), (6, 10.0, 0.5), (7, 40.0, 0.5),
    ]  # fmt: skip
    assert con.execute("SELECT count(*) FROM pod_usage_daily").fetchone() == (1,)


def test_framebuffer_out_of_range_is_clamped_and_counted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    """FB_USED above the card (FB_FREE negative) cannot be told without FB_TOTAL: a negative FB_FREE is clamped
    to 0 and counted; the used figure is kept as reported."""
    day = DayFixture()
    day.running_pod("u", "p", [0, 1], gpus=1)
    day.gpu(FB_USED, [90_000.0, 1_000.0], [0, 1], **HELD)
    day.gpu(FB_FREE, [-8_000.0, 80_000.0], [0, 1], **HELD)
    day.load(con, Settings(), tmp_path)
    assert quality(con, FB_FREE) == {"clamped_low": 1}
    assert con.execute("SELECT fb_used_mib, fb_free_mib FROM gpu_samples ORDER BY ts").fetchall() == [
        (90_000.0, 0.0),
        (1_000.0, 80_000.0),
    ]


def test_missing_labels_are_kept_and_attributed(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    minutes = list(range(0, 30))
    day.running_pod("u", "p", minutes, gpus=1)
    day.gpu(UTIL, [50.0] * 30, minutes, namespace="team-a")  # no pod label: nobody holds it in DCGM's view
    day.gpu(UTIL, [10.0] * 30, minutes, UUID="", gpu="3", modelName="Mystery Accelerator 9000")  # no UUID
    day.gpu(UTIL, [20.0] * 30, minutes, Hostname="", gpu="", UUID="GPU-lost")  # no node, no index
    day.load(con, Settings(), tmp_path)
    gpus = {row["gpu_uuid"]: row for row in records(con, "SELECT DISTINCT gpu_uuid, node, pod FROM gpu_samples")}
    assert set(gpus) == {"GPU-0", "node-a/3", "GPU-lost"}
    assert gpus["GPU-0"]["pod"] is None and gpus["GPU-lost"]["node"] == ""
    assert con.execute("SELECT count(*) FROM gpu_samples").fetchone() == (90,)
    weights = dict(con.execute("SELECT gpu_model, h100_equivalent FROM gpu_model_weights").fetchall())
    assert weights["Mystery Accelerator 9000"] == Settings().default_h100_equivalent
    row = records(con, "SELECT workspace, allocated_gpu_hours, no_data_gpu_hours FROM pod_usage_daily")[0]
    assert row == {"workspace": "unassigned", "allocated_gpu_hours": 0.5, "no_data_gpu_hours": 0.5}


def test_a_gpu_that_moves_between_pods_is_split_between_them(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    first, second = list(range(0, 60)), list(range(60, 120))
    day.running_pod("u-1", "p1", first, gpus=1)
    day.running_pod("u-2", "p2", second, gpus=1)
    day.gpu(ENGINE, [1.0] * 60, first, namespace="team-a", pod="p1")
    day.gpu(ENGINE, [0.0] * 60, second, namespace="team-a", pod="p2")
    day.load(con, Settings(), tmp_path)
    rows = {r["uid"]: r for r in records(con, "SELECT uid, used_gpu_hours, idle_gpu_hours FROM pod_usage_daily")}
    assert (rows["u-1"]["used_gpu_hours"], rows["u-1"]["idle_gpu_hours"]) == pytest.approx((1.0, 0.0))
    assert (rows["u-2"]["used_gpu_hours"], rows["u-2"]["idle_gpu_hours"]) == pytest.approx((0.0, 1.0))


def test_a_renamed_node_keeps_its_gpus_whole(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    minutes = list(range(0, 120))
    day.running_pod("u", "p", minutes[:60], gpus=1, node="node-a")
    day.running_pod("u", "p", minutes[60:], gpus=1, node="node-b")
    day.gpu(ENGINE, [0.5] * 60, minutes[:60], **HELD)
    day.gpu(ENGINE, [0.5] * 60, minutes[60:], Hostname="node-b", **HELD)
    day.load(con, Settings(), tmp_path)
    assert con.execute("SELECT count(*), count(DISTINCT ts) FROM gpu_samples").fetchone() == (120, 120)
    assert con.execute("SELECT arg_max(node, ts) FROM gpu_samples").fetchone() == ("node-b",)
    row = records(con, "SELECT allocated_gpu_hours, used_gpu_hours, no_data_gpu_hours FROM pod_usage_daily")[0]
    assert row == pytest.approx({"allocated_gpu_hours": 2.0, "used_gpu_hours": 1.0, "no_data_gpu_hours": 0.0})


def test_a_day_with_no_data_at_all_is_empty_not_an_error(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    DayFixture().load(con, Settings(), tmp_path)
    for table in ("gpu_samples", "pod_steps", "pod_usage_daily", "workspace_usage_daily", "data_quality"):
        assert con.execute(f"SELECT count(*) FROM {table}").fetchone() == (0,), table  # names from this test


def test_a_cluster_without_gpus_and_a_workspace_without_pods(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    day.series({"__name__": "kube_namespace_labels", "namespace": "idle-ns", "label_workspace": "empty-ws"}, [1.0], [0])
    day.series({"__name__": "kube_node_status_allocatable", "node": "cpu-1", "resource": "cpu", "unit": "core"},
               [64.0], [0])  # fmt: skip
    cpu_pod = {"__name__": "kube_pod_status_phase", "namespace": "idle-ns", "pod": "web", "uid": "u-web"}
    day.series({**cpu_pod, "phase": "Running"}, [1.0] * 10, list(range(10)))
    day.load(con, Settings(), tmp_path)
    assert con.execute("SELECT count(*) FROM pod_usage_daily").fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM workspace_usage_daily WHERE allocated_gpu_hours > 0").fetchone() == (0,)


# -- config: refused before any work, naming the key ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"step_secondz": 60}, "step_secondz"),
        ({"victoria_metrics": {"url": "http://x", "token": "t"}}, "victoria_metrics.token"),
        ({"step_seconds": "sixty"}, "step_seconds"),
        ({"step_seconds": 0}, "step_seconds"),
        ({"victoria_metrics": {"retries": 11}}, "victoria_metrics.retries"),
        ({"victoria_metrics": {"timeout_seconds": -1}}, "victoria_metrics.timeout_seconds"),
        ({"victoria_metrics": {"export_deadline_seconds": 0}}, "victoria_metrics.export_deadline_seconds"),
        ({"usage": {"idle_activity_threshold": 1.5}}, "usage.idle_activity_threshold"),
        ({"usage": {"idle_activity_threshold": 0.5, "low_use_activity_threshold": 0.2}}, "usage"),
        ({"gpu_models": [{"match": "H100", "h100_equivalent": 0}]}, "gpu_models.0.h100_equivalent"),
        ({"recommendations": {"sinks": [{"name": "Bad Name!", "kind": "webhook", "url": "http://x"}]}},
         "recommendations.sinks.0.name"),
        ({"labels": {"dcgm_pod": "pod"}}, "labels.dcgm_pod"),
    ],
)  # fmt: skip
def test_bad_config_is_refused_naming_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as raised:
        settings_from_mapping(raw, "c.toml")
    message = str(raised.value)
    assert f"'{key}" in message and "\n" not in message, message


def test_bad_config_files_are_refused(tmp_path: Path) -> None:
    broken = tmp_path / "c.toml"
    broken.write_text("step_seconds = [\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="cannot parse"):
        load_config(broken)
    listing = tmp_path / "c.yaml"
    listing.write_text("- a\n- b\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="top level"):
        load_config(listing)
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


@pytest.mark.e2e
def test_bad_values_through_the_real_import_and_export(demo: Any, tmp_path: Path) -> None:
    """The same rules on the real path: VictoriaMetrics drops NaN itself (its staleness marker) and exports ±Inf as
    bare tokens, which the client quotes; the rest is cleaned and counted as in the fixture tests."""
    from datetime import UTC, date, datetime

    from gpu_reclaim.assets.stages import ingest_dcgm_day
    from gpu_reclaim.core.config import VictoriaMetricsConfig
    from gpu_reclaim.core.victoria import VictoriaMetricsClient
    from gpu_reclaim.core.warehouse import Warehouse

    day = date(2026, 10, 5)  # outside the demo's days
    start_ms = int(datetime(2026, 10, 5, tzinfo=UTC).timestamp() * 1000)
    labels = b'{"__name__":"DCGM_FI_DEV_GPU_UTIL","Hostname":"bad-node","gpu":"0","UUID":"GPU-bad","pod":"p"}'
    offsets = [0, 60, 120, 180, 240, 300, 330, 30 * 60]  # 300 and 330 s: two samples in one step
    values = b"[1,NaN,Inf,-Inf,-5,150,20,40]"
    stamps = ",".join(str(start_ms + 1000 * s) for s in offsets).encode()
    line = b'{"metric":' + labels + b',"values":' + values + b',"timestamps":[' + stamps + b"]}"
    settings = Settings(victoria_metrics=VictoriaMetricsConfig(url=demo.url))
    warehouse = Warehouse(tmp_path / "w.duckdb")
    with VictoriaMetricsClient(settings.victoria_metrics) as client:
        client.import_jsonl([line])
        result = ingest_dcgm_day(warehouse, client, settings, day)
    assert result.samples_read == 7  # NaN never left the server
    with warehouse.connect(read_only=True) as connection:
        assert quality(connection, UTIL) == {
            "non_finite_dropped": 2,
            "clamped_low": 1,
            "clamped_high": 1,
            "merged_duplicates": 1,
        }
        rows = connection.execute("SELECT minute(ts), gpu_util FROM gpu_samples ORDER BY ts").fetchall()
    assert rows == [(0, 1.0), (4, 0.0), (5, 60.0), (30, 40.0)]
