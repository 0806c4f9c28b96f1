"""Pure functions of the write-back (naming, labels, wire formats), its config, and its SQL on a small DuckDB."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from gpu_reclaim.core.config import ConfigError, settings_from_mapping
from gpu_reclaim.core.warehouse import Warehouse, fetch_records
from gpu_reclaim.core.writeback import WriteBackClient, days_to_write, stage_series
from gpu_reclaim.core.writeback_series import (
    LAST_SUCCESS,
    STAGE_METRICS,
    STAGE_QUERIES,
    Series,
    build_series,
    common_labels,
    jsonl_lines,
    last_success_series,
    metric_names,
    prometheus_text,
    stage_selector,
)

DAY = date(2026, 11, 2)


def _row(metric: str, hour: int, value: float | None, **labels: str | None) -> dict[str, object]:
    return {"metric": metric, "hour": datetime(2026, 11, 2, hour), "value": value, **labels}


def test_rows_become_one_series_per_metric_and_labels_in_time_order() -> None:
    rows = [
        _row("gpu_reclaim_used_gpus", 3, 1.5, workspace="a", project=None),
        _row("gpu_reclaim_used_gpus", 1, 0.5, workspace="a", project=None),
        _row("gpu_reclaim_used_gpus", 1, 2.0, workspace="b", project="p"),
        _row("gpu_reclaim_efficiency", 2, None, workspace="a", project=None),  # NULL: no sample
        _row("gpu_reclaim_efficiency", 4, math.nan, workspace="a", project=None),  # NaN: no sample
    ]
    series = sorted(
        build_series(rows, common_labels(DAY, "cluster", "prod")), key=lambda one: dict(one.labels)["workspace"]
    )
    assert [dict(one.labels) for one in series] == [
        {"__name__": "gpu_reclaim_used_gpus", "cluster": "prod", "day": "2026-11-02", "workspace": "a"},
        {"__name__": "gpu_reclaim_used_gpus", "cluster": "prod", "day": "2026-11-02", "project": "p", "workspace": "b"},
    ]
    first_hour = int(datetime(2026, 11, 2, 1, tzinfo=UTC).timestamp() * 1000)
    assert series[0].timestamps_ms == (first_hour, first_hour + 2 * 3_600_000)
    assert series[0].values == (0.5, 1.5)


def test_two_values_for_one_series_and_hour_are_an_error() -> None:
    rows = [_row("gpu_reclaim_used_gpus", 1, 0.5, workspace="a"), _row("gpu_reclaim_used_gpus", 1, 0.7, workspace="a")]
    with pytest.raises(ValueError, match="two values"):
        build_series(rows, {})


def test_without_a_cluster_only_the_day_label_is_added() -> None:
    assert common_labels(DAY, "cluster", None) == {"day": "2026-11-02"}
    assert common_labels(None, "region", "eu") == {"region": "eu"}


def test_wire_formats_keep_hostile_label_values_exact() -> None:
    hostile = 'team "a"\\b\nc'
    series = build_series([_row("gpu_reclaim_idle_gpus", 0, 0.25, workspace=hostile)], {"day": "2026-11-02"})
    line = json.loads(next(jsonl_lines(series)))
    assert line["metric"]["workspace"] == hostile and line["values"] == [0.25]
    text = prometheus_text(series)
    assert text == (
        'gpu_reclaim_idle_gpus{day="2026-11-02",workspace="team \\"a\\"\\\\b\\nc"} 0.25 '
        f"{int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000)}\n"
    )


def test_last_success_is_one_sample_per_stage_at_now_without_a_day() -> None:
    now = datetime(2026, 11, 3, 2, 5, 7, tzinfo=UTC)
    series = last_success_series(["usage", "tickets"], now, {"cluster": "prod"})
    assert [dict(one.labels) for one in series] == [
        {"__name__": LAST_SUCCESS, "cluster": "prod", "stage": "tickets"},
        {"__name__": LAST_SUCCESS, "cluster": "prod", "stage": "usage"},
    ]
    assert series[0].values == (now.timestamp(),) and series[0].timestamps_ms == (int(now.timestamp() * 1000),)


def test_the_delete_selector_names_one_stage_of_one_day_and_cluster() -> None:
    selector = stage_selector("tickets", DAY, "cluster", None)
    assert selector == (
        '{__name__=~"gpu_reclaim_open_tickets|gpu_reclaim_recoverable_gpu_hours_per_week",day="2026-11-02",cluster=""}'
    )
    assert stage_selector("tickets", DAY, "cluster", 'x"y').endswith('cluster="x\\"y"}')


def test_every_stage_has_queries_and_distinct_metrics() -> None:
    assert STAGE_QUERIES.keys() == STAGE_METRICS.keys()
    names = [name for names in STAGE_METRICS.values() for name in names]
    assert len(names) == len(set(names)) and all(name.startswith("gpu_reclaim_") for name in names)
    assert LAST_SUCCESS in metric_names()


def test_series_is_hashable_and_named() -> None:
    one = Series((("__name__", "gpu_reclaim_used_gpus"),), (1,), (2.0,))
    assert one.name == "gpu_reclaim_used_gpus" and {one: 1}


# -- config ----------------------------------------------------------------------------------------------------


def test_write_back_config_defaults_and_validation() -> None:
    settings = settings_from_mapping({"write_back": {"enabled": True, "cluster": "prod"}})
    assert settings.write_back.enabled and settings.write_back.url is None
    with pytest.raises(ConfigError, match="delete_url is required"):
        settings_from_mapping({"write_back": {"url": "http://vminsert:8480/insert/0/prometheus"}})
    with pytest.raises(ConfigError, match=r"write_back\.token"):
        settings_from_mapping({"write_back": {"token": "secret"}})
    with pytest.raises(ConfigError, match=r"write_back\.format"):
        settings_from_mapping({"write_back": {"format": "xml"}})
    with pytest.raises(ConfigError, match="between 0 and 1"):
        settings_from_mapping({"write_back": {"workspace_efficiency_thresholds": {"a": 2}}})


def test_the_client_defaults_to_the_source_and_keeps_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPU_RECLAIM_VM_BEARER_TOKEN", "source-token")
    settings = settings_from_mapping({"victoria_metrics": {"url": "http://vm:8428/"}})
    with WriteBackClient(settings) as client:
        assert client.url == client.delete_url == "http://vm:8428" and client.single_node
        assert client._http.headers["Authorization"] == "Bearer source-token"  # the source's, same URL
        assert "source-token" not in repr(client)
    monkeypatch.setenv("GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN", "own-token")
    cluster = settings_from_mapping(
        {
            "write_back": {
                "url": "http://vminsert:8480/insert/7/prometheus",
                "delete_url": "http://vmselect:8481/delete/7/prometheus",
            }
        }
    )
    with WriteBackClient(cluster) as client:
        assert not client.single_node and client._http.headers["Authorization"] == "Bearer own-token"


# -- SQL on a small DuckDB -------------------------------------------------------------------------------------


def _ticket(con: object, rule: str, workspace: str, exempt: bool, insufficient: bool, hours: float) -> None:
    ticket = json.dumps({"insufficient_data": insufficient})
    con.execute(  # type: ignore[attr-defined]
        "INSERT INTO recommendations VALUES ($d, $id, $rule, 'high', $ws, 'p', 'ns', 'w', $exempt, NULL, 1, 1, 1, "
        "$hours, $d, $d, $ticket, '')",
        {"d": DAY, "id": f"{rule}-{workspace}-{exempt}-{insufficient}", "rule": rule, "ws": workspace,
         "exempt": exempt, "hours": hours, "ticket": ticket},
    )  # fmt: skip


def test_open_tickets_leave_out_exempt_and_insufficient_data_records(tmp_path: Path) -> None:
    settings = settings_from_mapping({})
    with Warehouse(tmp_path / "t.duckdb").connect() as con:
        _ticket(con, "idle_allocation", "a", exempt=False, insufficient=False, hours=10)
        _ticket(con, "idle_allocation", "b", exempt=False, insufficient=False, hours=5)
        _ticket(con, "idle_allocation", "a", exempt=True, insufficient=False, hours=100)
        _ticket(con, "fake_busy", "a", exempt=False, insufficient=True, hours=0)
        series = stage_series(con, settings, DAY, "tickets")
    by_labels = {(one.name, dict(one.labels)["workspace"]): one for one in series}
    assert set(by_labels) == {
        ("gpu_reclaim_open_tickets", "a"),
        ("gpu_reclaim_open_tickets", "b"),
        ("gpu_reclaim_recoverable_gpu_hours_per_week", "a"),
        ("gpu_reclaim_recoverable_gpu_hours_per_week", "b"),
    }
    assert by_labels[("gpu_reclaim_open_tickets", "a")].values == (1.0,) * 24  # every hour of the evaluated day
    assert by_labels[("gpu_reclaim_recoverable_gpu_hours_per_week", "a")].values[0] == 10.0


def test_workspace_thresholds_default_and_override(tmp_path: Path) -> None:
    settings = settings_from_mapping({"write_back": {"efficiency_threshold": 0.4, "workspace_efficiency_thresholds": {
        "b": 0.7
    }}})  # fmt: skip
    with Warehouse(tmp_path / "t.duckdb").connect() as con:
        for workspace, efficiency in (("a", 0.2), ("b", None)):
            con.execute(
                "INSERT INTO workspace_usage_daily (day, workspace, projects, pods, allocated_gpu_hours, "
                "used_gpu_hours, idle_gpu_hours, low_use_gpu_hours, no_data_gpu_hours, efficiency, "
                "allocated_h100_equivalent_hours, idle_h100_equivalent_hours, allocated_cost, idle_cost) "
                "VALUES ($d, $ws, 1, 1, 8, 2, 6, 6, 0, $eff, 8, 6, NULL, NULL)",
                {"d": DAY, "ws": workspace, "eff": efficiency},
            )
        series = stage_series(con, settings, DAY, "usage")
    figures = {(one.name, dict(one.labels)["workspace"]): set(one.values) for one in series}
    assert figures == {
        ("gpu_reclaim_workspace_daily_efficiency", "a"): {0.2},  # b has no efficiency: no series
        ("gpu_reclaim_workspace_efficiency_threshold", "a"): {0.4},
        ("gpu_reclaim_workspace_efficiency_threshold", "b"): {0.7},
    }


def test_missing_and_failed_days_are_retried_within_the_window(tmp_path: Path) -> None:
    settings = settings_from_mapping({"write_back": {"retry_days": 5}})
    with Warehouse(tmp_path / "t.duckdb").connect() as con:
        for day in (date(2026, 11, 1), date(2026, 11, 4), date(2026, 11, 5), date(2026, 11, 6)):
            con.execute(
                "INSERT INTO machine_group_usage_hourly VALUES ($d, $d, 'g', 'm', 8, 1, 1, 0, 7, 0, 0, '')", {"d": day}
            )
        now = datetime(2026, 11, 7)
        for stage in STAGE_METRICS:  # Nov 5 fully written; Nov 4 one stage failed; Nov 6 never written
            con.execute(
                "INSERT INTO write_back_status VALUES ('2026-11-05', $s, 'written', 1, 1, NULL, $t, $t)",
                {"s": stage, "t": now},
            )
            status = "failed" if stage == "tickets" else "written"
            con.execute(
                "INSERT INTO write_back_status VALUES ('2026-11-04', $s, $st, 0, 0, NULL, $t, NULL)",
                {"s": stage, "st": status, "t": now},
            )
        assert days_to_write(con, settings, date(2026, 11, 7)) == [
            date(2026, 11, 4),
            date(2026, 11, 6),
            date(2026, 11, 7),
        ]
        recorded = fetch_records(con, "writeback_status_of_day.sql", {"day": date(2026, 11, 4)})
        assert {row["stage"]: row["status"] for row in recorded}["tickets"] == "failed"
