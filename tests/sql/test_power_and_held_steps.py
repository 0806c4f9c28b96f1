"""Issue 16: the GPUs' power limits merged from the per-day histograms (gpu_power_day, sql/stage_window_gpu_power.sql)
are bit-identical to sql/stage_gpu_power_limits.sql over the same range, and sql/stage_held_gpu_steps.sql (vgpu
holders by GROUP BY + join) stages the same rows as its earlier window form did (the golden rows
tests/sql/golden/stage_held_gpu_steps_window.json, README there)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
from gpu_reclaim.core.busy_looking import busy_looking_params, stage_gpu_power_limits
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.extract import DayWindow, metric_params
from gpu_reclaim.core.gpu_power import default_gpu_power
from gpu_reclaim.core.rule_settings import FakeBusySettings, RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings
from gpu_reclaim.core.warehouse import run_sql
from gpu_reclaim.store.rule_days import aggregation_params, prepare_rule_window

from tests.sql.golden import golden_columns, load_golden
from tests.sql.helpers import DAY, DayFixture

START = datetime(2026, 11, 2)
STEP = timedelta(minutes=5)
KNOWN, UNKNOWN = "NVIDIA H100 80GB HBM3", "Acme Tensor 9000"


def power_samples(seed: int = 16) -> pl.DataFrame:
    """Three days of 5-minute samples of 2 clusters' GPUs: a configured model and an unknown one, a GPU whose model
    changes on day 2 and one without a model name, two MIG instances of one GPU at each step (the same power twice),
    NULL power now and then, a GPU without any power, and power at several resolutions (1 W, 0.1 W, 1 mW, raw)."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    gpus = [
        ("west", "GPU-k0", KNOWN, 1.0),
        ("west", "GPU-u0", UNKNOWN, 0.1),
        ("west", "GPU-u1", UNKNOWN, 0.001),
        ("east", "GPU-u0", UNKNOWN, 1.0),  # the same uuid in another cluster is another GPU
        ("east", "GPU-raw", UNKNOWN, 0.0),
        ("east", "GPU-anon", None, 0.1),
        ("east", "GPU-swap", UNKNOWN, 0.1),
        ("east", "GPU-mig", UNKNOWN, 1.0),
        ("east", "GPU-dark", UNKNOWN, 1.0),
    ]
    for step in range(3 * 288):
        ts = START + step * STEP
        for cluster, uuid, model, resolution in gpus:
            watts = rng.uniform(55.0, 420.0) if rng.random() > 0.03 else None
            if watts is not None and resolution:
                watts = round(round(watts / resolution) * resolution, 3)
            if uuid == "GPU-dark":
                watts = None
            name = KNOWN if uuid == "GPU-swap" and ts >= START + timedelta(days=1) else model
            instances = ("1", "2") if uuid == "GPU-mig" else (None,)
            for instance in instances:
                rows.append(
                    {
                        "day": ts.date(),
                        "ts": ts,
                        "cluster": cluster,
                        "node": f"{cluster}-node",
                        "gpu_uuid": uuid,
                        "gpu_model": name,
                        "gpu_instance_id": instance,
                        "power_w": watts,
                        "raw_samples": 1,
                    }
                )
    return pl.DataFrame(rows)


def load_samples(con: duckdb.DuckDBPyConnection) -> None:
    samples = power_samples()
    con.register("fixture_samples", samples)
    con.execute("INSERT INTO gpu_samples BY NAME SELECT * FROM fixture_samples")
    con.unregister("fixture_samples")


def limits(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[Any, ...]]:
    query = f"SELECT cluster, gpu_uuid, idle_power_w, max_power_w, power_source FROM {table} ORDER BY 1, 2"
    return con.execute(query).fetchall()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (START, START + timedelta(days=3)),  # whole days only
        (START + timedelta(hours=7, minutes=13), START + timedelta(days=2, hours=18)),  # edge parts and one day
        (START + timedelta(days=1, hours=2), START + timedelta(days=1, hours=5)),  # inside one day
    ],
)
@pytest.mark.parametrize("percentile", [0.05, 0.37])
def test_power_limits_from_the_daily_histograms_are_bit_identical(
    con: duckdb.DuckDBPyConnection, start: datetime, end: datetime, percentile: float
) -> None:
    load_samples(con)
    fake_busy = FakeBusySettings(idle_power_percentile=percentile)
    rules = RecommendationSettings(fake_busy=fake_busy)
    stage_gpu_power_limits(con, default_gpu_power(), fake_busy, start, end)
    con.execute("CREATE TEMP TABLE reference_limits AS SELECT * FROM gpu_power_limits")
    params = aggregation_params(300, rules, 0.01, SharedGpuSettings())
    prepare_rule_window(con, params, default_gpu_power(), rules, start, end)

    reference, merged = limits(con, "reference_limits"), limits(con, "gpu_power_limits")
    assert merged == reference  # every row, every bit (Python compares the floats exactly)
    for first, second in (("gpu_power_limits", "reference_limits"), ("reference_limits", "gpu_power_limits")):
        extra = con.execute(f"SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second}").fetchall()
        assert extra == [], (first, extra)
    sources = {row[4] for row in reference}
    assert len(reference) == 9 and sources == {"table", f"observed_p{round(percentile * 100):02d}", None}
    swap = next(row for row in reference if row[1] == "GPU-swap")
    assert (swap[4] == "table") == (end > START + timedelta(days=1))  # the window's latest model


def test_a_gpu_day_histogram_holds_each_distinct_power_once(con: duckdb.DuckDBPyConnection) -> None:
    load_samples(con)
    rules = RecommendationSettings()
    params = aggregation_params(300, rules, 0.01, SharedGpuSettings())
    prepare_rule_window(con, params, default_gpu_power(), rules, START, START + timedelta(days=3))
    query = (
        "SELECT d.power, g.distinct_w, g.samples FROM gpu_power_day AS d JOIN (SELECT day, cluster, gpu_uuid, "
        "count(DISTINCT power_w) AS distinct_w, count(power_w) AS samples FROM gpu_samples GROUP BY ALL) AS g "
        "USING (day, cluster, gpu_uuid) WHERE d.cluster = 'east' AND d.gpu_uuid = 'GPU-mig'"
    )
    rows = con.execute(query).fetchall()
    assert len(rows) == 3
    for power, distinct_w, samples in rows:
        assert len(power) == distinct_w < samples  # 2 instances of every step: every value at least twice
        assert sum(bin["samples"] for bin in power) == samples
        assert [bin["power_w"] for bin in power] == sorted(bin["power_w"] for bin in power)


HOUR = list(range(60, 120))


def shared_gpus_day() -> DayFixture:
    """One day of a time-sliced node with vgpu copies (two holders, one copy without a pod), a time-sliced node
    without copies (holders from the requests) and a whole GPU."""
    day = DayFixture()
    sliced = {"label_nvidia_com_gpu_product": "NVIDIA-L4", "label_nvidia_com_gpu_sharing_strategy": "time-slicing"}
    day.node("ts-node", {**sliced, "label_nvidia_com_gpu_replicas": "4"}, {"cpu": 32, "nvidia_com_gpu": 4}, HOUR)
    day.node(
        "pool-node", {**sliced, "label_nvidia_com_gpu_replicas": "4"}, {"cpu": 32, "nvidia_com_gpu_shared": 4}, HOUR
    )
    for pod in ("a", "b"):
        day.running_pod(f"u-{pod}", pod, HOUR, gpus=1, node="ts-node")
    for pod in ("p", "q"):
        day.running_pod(f"u-{pod}", pod, HOUR, gpus=1, node="pool-node", resource="nvidia_com_gpu_shared")
    day.running_pod("u-w", "w", HOUR, gpus=1)
    engine = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
    activity = [0.3] * 30 + [0.8] * 20 + [0.0] * 10
    tsgpu = {"Hostname": "ts-node", "UUID": "GPU-T", "modelName": "NVIDIA L4", "namespace": "team-a"}
    for vgpu, pod in (("0", "a"), ("1", "b"), ("2", "")):
        day.gpu(engine, activity, HOUR, vgpu=vgpu, pod=pod, **tsgpu)
    pool = {"Hostname": "pool-node", "UUID": "GPU-P", "modelName": "NVIDIA L4", "namespace": "team-a", "pod": "p"}
    day.gpu("DCGM_FI_DEV_GPU_UTIL", [60.0] * 40 + [0.0] * 20, HOUR, **pool)
    day.gpu(engine, [0.5] * 60, HOUR, namespace="team-a", pod="w")
    return day


def test_held_gpu_steps_count_the_vgpu_holders_as_the_window_did(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    settings = Settings()
    shared_gpus_day().load(con, settings, tmp_path)  # compute_usage leaves the day's power limits staged
    params = {
        **metric_params(settings),
        **DayWindow(DAY).params(),
        **busy_looking_params(settings.recommendations.fake_busy),
    }
    run_sql(con, "stage_held_gpu_steps.sql", params)
    load_golden(con, "stage_held_gpu_steps_window", "shared_gpus_day", "reference_steps")

    staged = con.execute("SELECT column_name, column_type FROM (DESCRIBE held_gpu_steps)").fetchall()
    assert staged == golden_columns("stage_held_gpu_steps_window")  # every column, in order, of the same type
    for first, second in (("held_gpu_steps", "reference_steps"), ("reference_steps", "held_gpu_steps")):
        extra = con.execute(f"SELECT * FROM {first} EXCEPT ALL SELECT * FROM {second}").fetchall()
        assert extra == [], (first, extra[:3])
    counts = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE gpu_uuid = 'GPU-T' AND used_share = 0.15), "
        "count(*) FILTER (WHERE gpu_uuid = 'GPU-P'), count(*) FILTER (WHERE gpu_uuid = 'GPU-0') FROM held_gpu_steps"
    ).fetchone()
    assert counts == (60 * 2 + 60 * 2 + 60, 30 * 2, 60 * 2, 60)  # 0.3 split between the 2 holders, not 3 copies
