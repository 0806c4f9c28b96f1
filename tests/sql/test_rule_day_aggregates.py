"""The rules' per-day aggregates (rule_gpu_day, idle_runs_day; store/rule_days.py) and their merge over a window:
idle runs across one and two midnights, a day re-run, a one-day window, a day missing in the middle, a window
that starts and ends inside a day, and a change of settings (never a stale day)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.assets.stages import load_kube_state_export
from gpu_reclaim.core.busy_looking import stage_gpu_power_limits
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.extract import DayWindow
from gpu_reclaim.core.gpu_power import default_gpu_power
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.series import series_json_line
from gpu_reclaim.core.shared_gpus import SharedGpuSettings
from gpu_reclaim.core.warehouse import transaction
from gpu_reclaim.scoring.rules.base import RuleInputs
from gpu_reclaim.store.recommendations import load_rule_inputs
from gpu_reclaim.store.rule_days import (
    aggregation_params,
    replace_rule_day,
    settings_fingerprint,
    split_window,
)

from tests.sql.golden import golden_columns, golden_rows
from tests.unit.test_rules_builder import START, STEP, Cluster, at

DAY0 = START.date()


def inputs(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, **rules: Any) -> RuleInputs:
    return load_rule_inputs(con, STEP, RecommendationSettings(**rules), start, end)


def runs(frame: Any) -> list[tuple[datetime, datetime, float, bool]]:
    return [tuple(row) for row in frame.select("run_start", "run_end", "run_hours", "trailing").rows()]


def idle_pod(cluster: Cluster, end_h: float, start_h: float = 0.0, gpu_end_h: float | None = None) -> None:
    cluster.training_job(start_h=start_h, end_h=end_h)
    cluster.gpu("ml", "p-0", "GPU-0", start_h=start_h, end_h=gpu_end_h or end_h, activity=0.0)


def aggregated_days(con: duckdb.DuckDBPyConnection) -> list[date]:
    return [row[0] for row in con.execute("SELECT day FROM rule_aggregate_days ORDER BY day").fetchall()]


def test_the_window_splits_into_whole_days_and_edge_parts() -> None:
    week = split_window(START, START + timedelta(days=7))
    assert (week.full_first, week.full_last, week.partials) == (DAY0, DAY0 + timedelta(days=6), ())
    inside = split_window(at(2), at(8))
    assert list(inside.days()) == [] and inside.partials == ((at(2), at(8)),)
    edges = split_window(at(12), at(60))
    assert list(edges.days()) == [DAY0 + timedelta(days=1)]
    assert edges.partials == ((at(12), at(24)), (at(48), at(60)))


def test_an_idle_run_across_midnight_is_one_run() -> None:
    cluster = Cluster()
    idle_pod(cluster, start_h=20, end_h=28)
    con = cluster.load()
    got = inputs(con, START, at(48))
    assert runs(got.idle_runs) == [(at(20), at(28), 8.0, True)]
    assert aggregated_days(con) == [DAY0, DAY0 + timedelta(days=1)]
    # Stored as two day runs, joined at the merge.
    assert con.execute("SELECT count(*) FROM idle_runs_day WHERE kind = 'idle'").fetchone() == (2,)


def test_an_idle_run_across_two_midnights_is_one_run() -> None:
    cluster = Cluster()
    idle_pod(cluster, start_h=20, end_h=52)
    got = inputs(cluster.load(), START, at(72))
    assert runs(got.idle_runs) == [(at(20), at(52), 32.0, True)]
    assert runs(got.held_memory_runs) == runs(got.idle_runs)  # 40 of 80 GiB: the held-memory fraction 0.5
    [stats] = got.gpu_stats.iter_rows(named=True)
    assert (stats["observed_hours"], stats["idle_hours"], stats["first_ts"]) == (32.0, 32.0, at(20))


def test_a_one_day_window_cuts_the_run_at_its_start() -> None:
    cluster = Cluster()
    idle_pod(cluster, start_h=20, end_h=28)
    got = inputs(cluster.load(), at(24), at(48))
    assert runs(got.idle_runs) == [(at(24), at(28), 4.0, True)]


def test_a_run_before_a_busy_step_is_not_trailing_and_runs_below_the_minimum_are_left_out() -> None:
    cluster = Cluster()
    cluster.training_job(start_h=20, end_h=30)
    cluster.gpu("ml", "p-0", "GPU-0", start_h=20, end_h=30, activity=lambda h: 0.5 if h >= 29 else 0.0)
    got = inputs(cluster.load(), START, at(48))
    assert runs(got.idle_runs) == [(at(20), at(29), 9.0, False)]
    # The idle rule's shortest threshold (1 h, for test work) applies to the joined run, not to each day's part:
    # 45 minutes across midnight are left out, 90 are kept.
    short = Cluster()
    idle_pod(short, start_h=23.5, end_h=24.25)
    assert runs(inputs(short.load(), START, at(48)).idle_runs) == []
    longer = Cluster()
    idle_pod(longer, start_h=23, end_h=24.5)
    assert runs(inputs(longer.load(), START, at(48)).idle_runs) == [(at(23), at(24.5), 1.5, True)]


def test_a_day_missing_in_the_middle_ends_the_run() -> None:
    cluster = Cluster()
    cluster.training_job(end_h=72)
    cluster.gpu("ml", "p-0", "GPU-0", end_h=24, activity=0.0)
    cluster.gpu("ml", "p-0", "GPU-0", start_h=48, end_h=72, activity=0.0)
    con = cluster.load()
    got = inputs(con, START, at(72))
    assert runs(got.idle_runs) == [(START, at(24), 24.0, False), (at(48), at(72), 24.0, True)]
    assert con.execute("SELECT day, count(*) FROM rule_gpu_day GROUP BY day ORDER BY day").fetchall() == [
        (DAY0, 1),
        (DAY0 + timedelta(days=2), 1),
    ]
    assert aggregated_days(con) == [DAY0 + timedelta(days=d) for d in range(3)]  # the empty day too


def test_a_window_with_edge_parts_matches_the_whole_days() -> None:
    cluster = Cluster()
    idle_pod(cluster, start_h=10, end_h=62)
    con = cluster.load()
    edges = inputs(con, at(12), at(60))
    assert runs(edges.idle_runs) == [(at(12), at(60), 48.0, True)]  # to the window's last step
    # The edge parts are not stored: only the whole day 2026-11-03 is.
    assert aggregated_days(con) == [DAY0 + timedelta(days=1)]
    whole = inputs(con, START, at(72))
    assert runs(whole.idle_runs) == [(at(10), at(62), 52.0, True)]


def test_means_merged_over_days_are_exact() -> None:
    # Activity 0.1 on day 1, 0.2 on day 2, 0.6 on day 3: the window's mean is 0.3, its used GPU-hours 21.6.
    cluster = Cluster()
    cluster.training_gpu(
        end_h=72,
        activity=lambda h: 0.1 if h < 24 else 0.2 if h < 48 else 0.6,
        power_w=lambda h: 100.1 if h < 24 else 200.2,
    )
    [stats] = inputs(cluster.load(), START, at(72)).gpu_stats.iter_rows(named=True)
    assert stats["mean_activity"] == 0.3
    assert stats["used_gpu_hours"] == 21.6
    assert stats["mean_power_w"] == 166.83333333333334
    assert (stats["max_activity"], stats["observed_hours"], stats["last_ts"]) == (
        0.6,
        72.0,
        at(72) - timedelta(seconds=STEP),
    )


def test_fake_busy_steps_are_judged_against_the_window_power_limits() -> None:
    # Busy-looking (activity 0.9, no tensor or DRAM work, SMs 0.2) at 90 W on an H100 (table limits 70-700 W):
    # fake-busy on both days; the merged hours and power come from the candidates of each day.
    cluster = Cluster()
    cluster.training_gpu(
        end_h=48,
        activity=0.9,
        sm=0.2,
        tensor=0.0,
        dram=0.0,
        power_w=lambda h: 90.0 if h < 36 else 600.0,
    )
    [stats] = inputs(cluster.load(), START, at(48)).gpu_stats.iter_rows(named=True)
    assert (stats["high_util_hours"], stats["high_util_profiled_hours"], stats["fake_busy_hours"]) == (48.0, 48.0, 36.0)
    assert stats["fake_busy_mean_power_w"] == 90.0
    assert stats["used_gpu_hours"] == pytest.approx(0.9 * 12)


def test_a_day_re_run_replaces_its_rows() -> None:
    cluster = Cluster()
    idle_pod(cluster, start_h=20, end_h=28)
    con = cluster.load()
    params = aggregation_params(STEP, RecommendationSettings(), 0.01, SharedGpuSettings())
    inputs(con, START, at(48))
    con.execute("UPDATE gpu_samples SET gr_engine_active = 0.5 WHERE ts >= TIMESTAMP '2026-11-03 02:00:00'")
    day1 = DAY0 + timedelta(days=1)
    with transaction(con):
        stage_gpu_power_limits(con, default_gpu_power(), RecommendationSettings().fake_busy, at(24), at(48))
        replace_rule_day(con, params, day1)
    assert con.execute("SELECT count(*) FROM rule_gpu_day WHERE day = ?", [day1]).fetchone() == (1,)
    assert runs(inputs(con, START, at(48)).idle_runs) == [(at(20), at(26), 6.0, False)]


def test_a_settings_change_aggregates_the_days_again() -> None:
    # Activity 0.05: not idle below 0.01 (the default), idle below 0.1.
    cluster = Cluster()
    cluster.training_job(start_h=20, end_h=28)
    cluster.gpu("ml", "p-0", "GPU-0", start_h=20, end_h=28, activity=0.05)
    con = cluster.load()
    assert runs(inputs(con, START, at(48)).idle_runs) == []
    before = con.execute("SELECT DISTINCT fingerprint FROM rule_aggregate_days").fetchall()
    looser = {"idle_allocation": {"activity_max": 0.1}}
    assert runs(inputs(con, START, at(48), **looser).idle_runs) == [(at(20), at(28), 8.0, True)]
    after = con.execute("SELECT DISTINCT fingerprint FROM rule_aggregate_days").fetchall()
    expected = aggregation_params(STEP, RecommendationSettings(**looser), 0.01, SharedGpuSettings())
    assert after == [(settings_fingerprint(expected),)] != before
    # And back: the default settings' findings again, not the looser ones'.
    assert runs(inputs(con, START, at(48)).idle_runs) == []
    # A threshold applied at the merge (the idle rule's hours) needs no new aggregation.
    hours = {"hours_by_category": {"unknown": 9.0}, "hours_by_purpose": {}}
    fewer = {"idle_allocation": {"activity_max": 0.1, **hours}}
    inputs(con, START, at(48), **looser)
    stamps = con.execute("SELECT aggregated_at FROM rule_aggregate_days ORDER BY day").fetchall()
    assert runs(inputs(con, START, at(48), **fewer).idle_runs) == []
    assert con.execute("SELECT aggregated_at FROM rule_aggregate_days ORDER BY day").fetchall() == stamps


def test_an_ingested_day_is_aggregated_again(tmp_path: Path) -> None:
    # Re-ingesting a day's kube-state tables (from an export naming another pod only) forgets its aggregation
    # record, so the next window aggregates the new rows instead of serving the old ones.
    cluster = Cluster()
    idle_pod(cluster, start_h=20, end_h=28)
    con = cluster.load()
    assert runs(inputs(con, START, at(48)).idle_runs) == [(at(20), at(28), 8.0, True)]
    window = DayWindow(DAY0 + timedelta(days=1))
    labels = {"__name__": "kube_pod_status_phase", "namespace": "ml", "pod": "q", "uid": "u-q", "phase": "Running"}
    export = tmp_path / "ksm.jsonl"
    export.write_bytes(series_json_line(labels, [1.0], [int(window.start.timestamp() * 1000)]) + b"\n")
    load_kube_state_export(con, Settings(step_seconds=STEP), window, export)
    assert aggregated_days(con) == [DAY0]
    assert runs(inputs(con, START, at(48)).idle_runs) == [(at(20), at(24), 4.0, True)]


def test_workloads_merge_over_days() -> None:
    # a-0 holds 2 GPUs 20-28 h, a-1 2 GPUs 26-30 h: the peak of 4 is on day 2, the GPU-hours span both days.
    cluster = Cluster()
    cluster.namespace("lab", workspace="ws-old")
    cluster.node("node-1")
    cluster.pod("lab", "a-0", "Job/a", category="training", gpus=2, start_h=20, end_h=28)
    cluster.pod("lab", "a-1", "Job/a", category="training", gpus=2, start_h=26, end_h=30)
    con = cluster.load()
    con.execute("UPDATE namespaces SET workspace = 'ws-new' WHERE day = DATE '2026-11-03'")
    [row] = inputs(con, START, at(48)).workloads.iter_rows(named=True)
    assert (row["gpus_allocated"], row["allocated_gpu_hours"], row["running_hours"]) == (4, 24.0, 10.0)
    assert (row["pods"], row["nodes"], row["peak_replicas"], row["last_replicas"]) == (["a-0", "a-1"], ["node-1"], 2, 1)
    assert (row["workspace"], row["category"], row["first_ts"]) == ("ws-new", "training", at(20))


def test_serving_percentiles_over_days_are_the_window_percentiles() -> None:
    cluster = Cluster.one_node("web")
    cluster.pod("web", "s-0", "Deployment/s", category="serving", start_h=20, end_h=28)
    cluster.gpu("web", "s-0", "GPU-0", start_h=20, end_h=28, activity=lambda h: round((h * 7919) % 97 / 100, 2))
    [row] = inputs(cluster.load(), START, at(48)).serving_load.iter_rows(named=True)
    values = sorted(round((h * 7919) % 97 / 100, 2) for h in (20 + i * STEP / 3600 for i in range(96)))
    position = 0.95 * (len(values) - 1)
    low = int(position)
    expected = values[low] + (values[low + 1] - values[low]) * (position - low)
    assert row["p95_activity"] == pytest.approx(expected, abs=1e-12)
    assert (row["peak_busy_gpus"], row["observed_hours"]) == (max(values), 8.0)


def _quota_rows(percentile: float) -> list[dict[str, Any]]:
    """The quota rows over two days of namespace team: quota 16 GPUs 20-28 h, a pod of 4 GPUs 22-27 h."""
    cluster = Cluster()
    cluster.namespace("team", workspace="ws", project="Team")
    cluster.node("node-1")
    cluster.quota("team", 16.0, 20, 28)
    cluster.pod("team", "p-0", "Job/j", category="training", gpus=4, start_h=22, end_h=27)
    return list(
        inputs(cluster.load(), START, at(48), quota_reclaim={"percentile": percentile}).quotas.iter_rows(named=True)
    )


def test_quota_demand_merges_its_histograms() -> None:
    # The quota 20-28 h (96 steps), 4 GPUs demanded 22-27 h (60 steps): p95 4, peak 4, mean 2.5, over two days.
    [row] = _quota_rows(0.3)
    # 36 of 96 steps at 0: the 30th percentile is 0 (a step value), the mean exact
    assert (row["percentile_gpus"], row["peak_gpus"], row["mean_gpus"], row["observed_hours"]) == (0.0, 4.0, 2.5, 8.0)
    [row] = _quota_rows(0.4)
    assert row["percentile_gpus"] == 4.0


A100 = "NVIDIA A100-SXM4-80GB"
SPIN = {"activity": 1.0, "sm": 0.2, "tensor": 0.0, "dram": 0.001, "power_w": 70.0}
HOT_SPIN = {**SPIN, "power_w": 380.0}  # busy-looking but for its power: real work against the limits only
TRAIN = {"activity": 0.95, "sm": 0.8, "tensor": 0.5, "dram": 0.3, "power_w": 330.0}
IDLE = {"activity": 0.0, "sm": 0.0, "tensor": 0.0, "dram": 0.0, "power_w": 58.0}


def wedged_gang(cluster: Cluster, before: dict[str, float], wedge: tuple[float, float], end_h: float) -> None:
    """A PyTorchJob of 2 pods × 3 A100s and a lone pod of 2 (its own gang): `before`, wedged in [wedge) (the
    culprit idle, the others spinning), then training again until end_h."""
    for pod, owner, gpus in (("w-0", "PyTorchJob/ft", 3), ("w-1", "PyTorchJob/ft", 3), ("solo", "Pod/solo", 2)):
        cluster.node(f"node-{pod}", gpu_model=A100)
        cluster.pod("ml", pod, owner, category="training", node=f"node-{pod}", gpus=gpus, end_h=end_h)
        for g in range(gpus):
            during = IDLE if (pod, g) == ("w-1", 2) else SPIN

            def metric(name: str, during: dict[str, float] = during, scale: float = 1.0) -> Any:
                def value(h: float) -> float:
                    state = during if wedge[0] <= h < wedge[1] else before if h < wedge[0] else TRAIN
                    return state[name] * scale

                return value

            cluster.gpu(
                "ml",
                pod,
                f"GPU-{pod}-{g}",
                end_h=end_h,
                gpu_model=A100,
                gpu_index=g,
                activity=metric("activity"),
                gpu_util=metric("activity", scale=100.0),
                sm=metric("sm"),
                tensor=metric("tensor"),
                dram=metric("dram"),
                power_w=metric("power_w"),
            )


@pytest.mark.parametrize(
    ("case", "before", "wedge", "start_h", "end_h", "work_h"),
    [
        ("midnight", TRAIN, (20.0, 28.0), 0, 48, 0),  # across midnight, two whole days
        ("edge-parts", TRAIN, (20.0, 28.0), 6, 33, 6),  # and with edge parts
        ("two-midnights", HOT_SPIN, (20.0, 50.0), 0, 72, 0),  # across two midnights; the first work by its power only
        ("spin-first", SPIN, (0.0, 30.0), 0, 48, 30),  # spinning from its first step: the first work is after the wedge
        ("busy-loop", SPIN, (0.0, 30.0), 0, 24, None),  # and none in the window (a busy loop)
    ],
)
def test_wedged_runs_from_the_days_are_the_window_s(
    case: str,
    before: dict[str, float],
    wedge: tuple[float, float],
    start_h: float,
    end_h: float,
    work_h: float | None,
) -> None:
    """The rows rules_wedged_gpus.sql finds from the per-day aggregates are, bit for bit and in order, the rows its
    window form found over rule_gpu_steps of the whole window (tests/sql/golden/rules_wedged_gpus_window.json)."""
    cluster = Cluster()
    cluster.namespace("ml")
    wedged_gang(cluster, before, wedge, end_h=60)
    con = cluster.load()
    start, end = at(start_h), at(end_h)
    merged = inputs(con, start, end).wedged_gpus
    reference = golden_rows(con, "rules_wedged_gpus_window", case)
    assert merged.columns == [column for column, _ in golden_columns("rules_wedged_gpus_window")]
    assert merged.rows() == reference
    gangs = {(row[3], row[4], row[9]) for row in reference}
    run_start = max(at(wedge[0]), start)
    first_work = None if work_h is None else at(work_h)
    assert gangs == {("PyTorchJob/ft", run_start, first_work), ("Pod/solo pod uid-ml-solo", run_start, first_work)}
    assert len(reference) == 8
