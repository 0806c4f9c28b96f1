"""The table macros of sql/create_macros.sql (busy_candidate_steps, gpu_power_limits_of, latest_pod_labels) and the
rollup behind category_usage_daily / provisioning_type_usage_daily (sql/create_views.sql): each gives the rows its
callers computed inline before, on a bare connection where no staged table exists when the macros are created."""

from __future__ import annotations

import duckdb
from gpu_reclaim.core.warehouse import prepare_connection, read_sql


def macros() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(read_sql("create_macros.sql"))  # before any table the macros read exists
    return con


def test_busy_candidate_steps_keeps_every_step_not_ruled_out_without_limits() -> None:
    con = macros()
    con.execute(
        "CREATE TEMP TABLE rule_gpu_steps AS SELECT * FROM (VALUES "
        "(1, 0.9, 0.2, 0.0, 0.0, 70.0), "  # busy-looking: kept
        "(2, 0.9, 0.2, 0.5, 0.0, 70.0), "  # tensor work: ruled out
        "(3, 0.9, 0.2, NULL, 0.0, 70.0), "  # no profiling figure: unknown, kept
        "(4, 0.1, 0.0, 0.0, 0.0, 60.0)"  # not busy-looking: ruled out
        ") AS t(step, activity, sm_active, tensor_active, dram_active, power_w)"
    )
    rows = con.execute(
        "SELECT step, busy_candidate FROM busy_candidate_steps('rule_gpu_steps', $a, $p, $s, $h) ORDER BY step",
        {"a": 0.8, "p": 0.02, "s": 0.35, "h": 0.15},
    ).fetchall()
    assert rows == [(1, True), (2, False), (3, True), (4, False)]
    inline = con.execute(
        "SELECT step, busy_looking_idle(activity, sm_active, tensor_active, dram_active, power_w, NULL, NULL, "
        "0.8, 0.02, 0.35, 0.15) IS NOT FALSE FROM rule_gpu_steps ORDER BY step"
    ).fetchall()
    assert rows == inline


def test_gpu_power_limits_of_prefers_the_table_then_the_observed_figures() -> None:
    con = macros()
    con.execute("CREATE TEMP TABLE gpu_model_power (gpu_model VARCHAR, idle_w DOUBLE, max_w DOUBLE)")
    con.execute("INSERT INTO gpu_model_power VALUES ('A100', 55.0, 400.0)")
    rows = con.execute(
        "WITH observed AS (SELECT * FROM (VALUES "
        "('c', 'g1', 'A100', 60.0, 300.0), ('c', 'g2', 'T4', 10.0, 50.0), ('c', 'g3', 'T4', 12.0, 70.0), "
        "('c', 'g4', NULL, NULL, NULL)"
        ") AS t(cluster, gpu_uuid, gpu_model, low_power_w, peak_power_w)) "
        "SELECT * FROM gpu_power_limits_of('observed', 'gpu_model_power', $p) ORDER BY gpu_uuid",
        {"p": 0.05},
    ).fetchall()
    assert rows == [
        ("c", "g1", 55.0, 400.0, "table"),
        ("c", "g2", 10.0, 70.0, "observed_p05"),
        ("c", "g3", 12.0, 70.0, "observed_p05"),
        ("c", "g4", None, None, None),
    ]


def test_latest_pod_labels_takes_the_latest_series_of_the_metric() -> None:
    con = macros()
    con.execute(
        "CREATE TEMP TABLE stage_ksm AS SELECT * FROM (VALUES "
        "('kube_pod_labels', MAP {'uid': 'u1', 'label_team': 'old'}, [1, 2], ''), "
        "('kube_pod_labels', MAP {'uid': 'u1', 'label_team': 'new'}, [3], ''), "
        "('kube_pod_annotations', MAP {'uid': 'u1', 'label_team': 'other'}, [9], ''), "
        "('kube_pod_labels', MAP {'namespace': 'ns', 'pod': 'p', 'label_team': 'x'}, [1], 'c2')"
        ") AS t(metric_name, labels, timestamps, cluster)"
    )
    rows = con.execute(
        "SELECT cluster, uid, labels['label_team'] FROM latest_pod_labels('stage_ksm', $m) ORDER BY cluster",
        {"m": "kube_pod_labels"},
    ).fetchall()
    assert rows == [("", "u1", "new"), ("c2", "ns/p", "x")]


def test_category_and_provisioning_views_equal_their_group_by() -> None:
    con = duckdb.connect()
    prepare_connection(con)
    values = {
        "day": "DATE '2026-01-01' + CAST(i % 2 AS INTEGER)",
        "uid": "'u' || (i % 7)",
        "category": "['train', 'serve', 'unknown'][i % 3 + 1]",
        "purpose": "['a', 'b'][i % 2 + 1]",
        "provisioning_type": "['spot', 'reserved', 'unknown'][i % 3 + 1]",
        "allocated_gpu_hours": "i * 1.0",
        "used_gpu_hours": "i * 0.5",
        "idle_gpu_hours": "i * 0.25",
        **dict.fromkeys(("namespace", "pod", "workspace", "project", "workload", "owner_name"), "'x'"),
        **dict.fromkeys(("owner_kind", "machine_group", "gpu_model"), "'y'"),
        "reclaim_exempt": "false",
        **dict.fromkeys(("gpus_requested", "running_hours", "observed_gpu_hours", "h100_equivalent"), "1.0"),
        **dict.fromkeys(("low_use_gpu_hours", "no_data_gpu_hours"), "0.0"),
    }
    con.execute(
        f"INSERT INTO pod_usage_daily ({', '.join(values)}) SELECT {', '.join(values.values())} FROM range(12) AS r(i)"
    )
    figures = (
        "count(DISTINCT uid) AS pods, sum(allocated_gpu_hours) AS allocated_gpu_hours, "
        "sum(used_gpu_hours) AS used_gpu_hours, sum(idle_gpu_hours) AS idle_gpu_hours, "
        "sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency"
    )
    for view, keys in (
        ("category_usage_daily", "day, category, purpose"),
        ("provisioning_type_usage_daily", "day, provisioning_type"),
    ):
        expected = con.execute(f"SELECT {keys}, {figures} FROM pod_usage_daily GROUP BY {keys} ORDER BY ALL")
        names = [column[0] for column in expected.description or []]
        rows = expected.fetchall()
        actual = con.execute(f"SELECT * FROM {view} ORDER BY ALL")
        assert [column[0] for column in actual.description or []] == names
        assert actual.fetchall() == rows
        assert len(rows) > 2
