"""The named rules_*.sql files on their own: gaps and islands, workload identity, quota percentiles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.busy_looking import busy_looking_params, stage_gpu_power_limits
from gpu_reclaim.core.gpu_power import default_gpu_power
from gpu_reclaim.core.rule_settings import FakeBusySettings, RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings, shared_gpu_params
from gpu_reclaim.core.warehouse import bound_parameters, run_sql
from gpu_reclaim.store.recommendations import fetch_frame
from gpu_reclaim.store.rule_days import aggregation_params, prepare_rule_window, split_window

from tests.unit.test_rules_builder import START, STEP, Cluster, at


def params(hours: float = 24.0, **extra: Any) -> dict[str, Any]:
    return {
        **split_window(START, at(hours)).params(),
        "kind": "idle",
        "all_uids": True,
        "uids": [],
        "window_start": START,
        "window_end": at(hours),
        "step_seconds": STEP,
        **busy_looking_params(FakeBusySettings()),
        "percentile": 0.95,
        "activity_max": 0.01,
        "memory_fraction_min": 0.0,
        "min_run_hours": 0.0,
        **shared_gpu_params(SharedGpuSettings()),
        **extra,
    }


def prepared(con: duckdb.DuckDBPyConnection, hours: float = 24.0, **rules: Any) -> duckdb.DuckDBPyConnection:
    """The loaded window aggregated per day (with `rules`: RecommendationSettings fields) and its steps staged."""
    settings = RecommendationSettings(**rules)
    aggregation = aggregation_params(STEP, settings, 0.01, SharedGpuSettings())
    prepare_rule_window(con, aggregation, default_gpu_power(), settings, START, at(hours))
    stage_gpu_power_limits(con, default_gpu_power(), FakeBusySettings(), START, at(hours))
    run_sql(con, "rules_create_pod_steps.sql", params(hours))
    run_sql(con, "rules_create_gpu_steps.sql", params(hours))
    return con


def staged(cluster: Cluster, hours: float = 24.0) -> duckdb.DuckDBPyConnection:
    return prepared(cluster.load(), hours)


def test_idle_runs_split_at_busy_and_missing_steps_and_mark_the_trailing_run() -> None:
    # Idle 0-1 h, busy 1-2 h, idle 2-3 h, no sample 3:00-3:05, idle 3:05-4 h.
    cluster = Cluster()
    cluster.training_job(end_h=4)
    cluster.gpu("ml", "p-0", "GPU-0", end_h=3, activity=lambda h: 0.5 if 1 <= h < 2 else 0.0)
    cluster.gpu("ml", "p-0", "GPU-0", start_h=3 + 5 / 60, end_h=4, activity=0.0)
    runs = fetch_frame(staged(cluster), "rules_idle_runs.sql", params())
    assert runs.select("run_start", "run_hours", "trailing").rows() == [
        (START, 1.0, False),
        (at(2), 1.0, False),
        (at(3) + timedelta(minutes=5), pytest.approx(55 / 60), True),
    ]
    assert runs["run_end"].to_list()[0] == at(1)


def test_idle_runs_respect_the_minimum_length_and_the_memory_condition() -> None:
    cluster = Cluster()
    cluster.training_job(end_h=3)
    cluster.gpu("ml", "p-0", "GPU-0", end_h=3, activity=0.0, fb_used_gib=lambda h: 60.0 if h < 1 else 10.0)
    con = staged(cluster)
    assert fetch_frame(con, "rules_idle_runs.sql", params(min_run_hours=2.0))["run_hours"].to_list() == [3.0]
    held = fetch_frame(con, "rules_idle_runs.sql", params(kind="held", memory_fraction_min=0.5))
    assert held["run_hours"].to_list() == [1.0]


def test_activity_falls_back_to_gpu_util_and_steps_without_data_break_runs() -> None:
    cluster = Cluster()
    cluster.training_job(end_h=2)
    cluster.gpu("ml", "p-0", "GPU-0", end_h=2, gpu_util=lambda h: None if 1 <= h < 1 + 1 / 12 else 0.0)
    runs = fetch_frame(staged(cluster), "rules_idle_runs.sql", params())
    assert runs["run_hours"].to_list() == [1.0, pytest.approx(11 / 12)]


def test_workloads_peak_concurrent_gpus_and_fallback_identity() -> None:
    cluster = Cluster()
    cluster.node("node-1")
    cluster.pod("lab", "a-0", "Job/a", category="training", gpus=2, end_h=2)
    cluster.pod("lab", "a-1", "Job/a", category="training", gpus=2, start_h=1, end_h=3)
    con = cluster.load()
    # A Running pod kube-state-metrics reported but the pods table does not know: Pod/<name>, unknown class.
    con.execute(
        "INSERT INTO pod_steps (day, ts, uid, namespace, pod, node, phase, gpus_requested, gpu_milli_requested, "
        "cpu_cores_requested, memory_bytes_requested) VALUES (DATE '2026-11-02', TIMESTAMP '2026-11-02 00:00:00', "
        "'u-x', 'lab', 'x', 'node-1', 'Running', 1, 0, 1, 1)"
    )
    prepared(con)
    workloads = {
        row["workload"]: row for row in fetch_frame(con, "rules_workloads.sql", params()).iter_rows(named=True)
    }
    assert workloads["Job/a"]["gpus_allocated"] == 4
    assert workloads["Job/a"]["allocated_gpu_hours"] == pytest.approx(8.0)
    assert workloads["Job/a"]["pods"] == ["a-0", "a-1"]
    assert workloads["Job/a"]["workspace"] == "unassigned"
    assert workloads["Job/a"]["project"] == "lab"
    assert workloads["Job/a"]["machine_group"] == "h100-8x"
    assert (workloads["Pod/x"]["category"], workloads["Pod/x"]["reclaim_exempt"]) == ("unknown", False)


def test_steps_outside_the_window_or_not_running_are_not_allocated() -> None:
    cluster = Cluster()
    cluster.node("node-1")
    cluster.pod("lab", "a-0", "Job/a", category="training", end_h=30)
    con = cluster.load()
    con.execute("UPDATE pod_steps SET phase = 'Pending' WHERE ts < TIMESTAMP '2026-11-02 01:00:00'")
    prepared(con, 24)
    assert fetch_frame(con, "rules_workloads.sql", params(24))["allocated_gpu_hours"].to_list() == [23.0]


def test_quota_percentile_counts_steps_without_pods_as_zero() -> None:
    # 20 quota steps; pods hold 4 GPUs in 10 of them: p95 = 4, peak = 4, mean = 2.
    cluster = Cluster()
    cluster.namespace("team", workspace="ws", project="Team")
    cluster.node("node-1")
    cluster.quota("team", 16.0, 0, 20 * STEP / 3600)
    cluster.pod("team", "p-0", "Job/j", category="training", gpus=4, end_h=10 * STEP / 3600)
    con = staged(cluster)
    [row] = fetch_frame(con, "rules_quota.sql", params()).iter_rows(named=True)
    assert (row["gpu_hard"], row["percentile_gpus"], row["peak_gpus"], row["mean_gpus"]) == (16.0, 4, 4, 2.0)
    assert (row["workspace"], row["project"]) == ("ws", "Team")


def test_bind_names_a_missing_parameter_and_drops_extra_ones() -> None:
    with pytest.raises(KeyError, match="step_seconds"):
        bound_parameters("rules_workloads.sql", {"window_start": START})
    assert set(bound_parameters("rules_delete_recommendations.sql", params(evaluated_on=START.date()))) == {
        "evaluated_on"
    }
