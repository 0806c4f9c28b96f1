"""MIG instances and time-sliced GPUs through the ingest and usage SQL, one label variant per test; every expected
figure is worked out here by hand (README "MIG and time-sliced GPUs")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.shared_gpu_quality import shared_gpu_warning_lines
from gpu_reclaim.core.warehouse import fetch_records

from tests.sql.helpers import DAY, DayFixture

ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
UTIL = "DCGM_FI_DEV_GPU_UTIL"
HOUR = list(range(60, 120))
A100 = "NVIDIA-A100-SXM4-80GB"
A100_DCGM = {"modelName": "NVIDIA A100-SXM4-80GB", "Hostname": "mig-node", "UUID": "GPU-A", "gpu": "0"}


def pods(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    cursor = con.execute(
        "SELECT uid, allocated_gpu_hours, observed_gpu_hours, used_gpu_hours, idle_gpu_hours, low_use_gpu_hours, "
        "no_data_gpu_hours, gpu_sharing, mig_profile, usage_estimated, gpus_requested FROM pod_usage_daily"
    )
    names = [d[0] for d in cursor.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def quality(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    rows = con.execute("SELECT rule, affected FROM data_quality WHERE rule LIKE 'mig%' OR rule LIKE 'replicas%'")
    return dict(rows.fetchall())


def mig_node(day: DayFixture, allocatable: dict[str, float], product: str = A100, strategy: str = "mixed") -> None:
    labels = {"label_nvidia_com_gpu_product": product, "label_nvidia_com_mig_strategy": strategy}
    day.node("mig-node", labels, {"cpu": 64, **allocatable}, HOUR)


def test_mixed_strategy_instances_are_kept_apart_and_sized_by_their_profile(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    day = DayFixture()
    mig_node(day, {"nvidia_com_gpu": 0, "nvidia_com_mig_1g_10gb": 4, "nvidia_com_mig_3g_40gb": 1})
    day.running_pod("u-small", "small", HOUR, gpus=1, node="mig-node", resource="nvidia_com_mig_1g_10gb")
    day.running_pod("u-big", "big", HOUR, gpus=1, node="mig-node", resource="nvidia_com_mig_3g_40gb")
    # two instances of one GPU (same UUID and index), each with its own holder and activity
    small = {**A100_DCGM, "GPU_I_ID": "7", "GPU_I_PROFILE": "1g.10gb", "namespace": "team-a", "pod": "small"}
    big = {**A100_DCGM, "GPU_I_ID": "1", "GPU_I_PROFILE": "3g.40gb", "namespace": "team-a", "pod": "big"}
    day.gpu(ENGINE, [0.6] * 60, HOUR, **small)
    day.gpu(ENGINE, [0.0] * 60, HOUR, **big)  # an idle 3g instance
    day.load(con, Settings(), tmp_path)

    assert con.execute("SELECT count(*), count(DISTINCT gpu_instance_id) FROM gpu_samples").fetchone() == (120, 2)
    capacity = con.execute("SELECT gpu_allocatable, gpu_devices_allocatable, gpu_sharing FROM nodes").fetchone()
    assert capacity == (pytest.approx(4 / 7 + 3 / 7), 5, "mig")
    rows = pods(con)
    assert rows["u-small"]["allocated_gpu_hours"] == pytest.approx(1 / 7)
    assert rows["u-small"]["used_gpu_hours"] == pytest.approx(0.6 / 7)
    assert rows["u-small"]["idle_gpu_hours"] == 0
    assert (rows["u-small"]["gpu_sharing"], rows["u-small"]["mig_profile"]) == ("mig", "1g.10gb")
    assert rows["u-big"]["allocated_gpu_hours"] == pytest.approx(3 / 7)
    assert rows["u-big"]["used_gpu_hours"] == 0
    assert rows["u-big"]["idle_gpu_hours"] == pytest.approx(3 / 7)
    assert rows["u-big"]["no_data_gpu_hours"] == pytest.approx(0)
    per_instance = dict(con.execute("SELECT gpu_instance_id, gpu_fraction FROM pod_gpu_usage_daily").fetchall())
    assert per_instance == {"7": pytest.approx(1 / 7), "1": pytest.approx(3 / 7)}
    # H100-equivalent hours scale with the fraction (A100 weighs 0.32)
    h100 = con.execute("SELECT allocated_h100_equivalent_hours FROM project_usage_daily").fetchone()
    assert h100 == (pytest.approx(4 / 7 * 0.32),)
    assert quality(con) == {}


def test_single_strategy_profile_comes_from_the_node_product(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    mig_node(day, {"nvidia_com_gpu": 7}, product=f"{A100}-MIG-1g.10gb", strategy="single")
    day.running_pod("u-two", "two", HOUR, gpus=2, node="mig-node")
    for instance, activity in (("7", 0.5), ("8", 0.3)):
        labels = {**A100_DCGM, "GPU_I_ID": instance, "GPU_I_PROFILE": "1g.10gb", "namespace": "team-a", "pod": "two"}
        day.gpu(ENGINE, [activity] * 60, HOUR, **labels)
    day.load(con, Settings(), tmp_path)

    row = pods(con)["u-two"]
    assert row["allocated_gpu_hours"] == pytest.approx(2 / 7)
    assert row["used_gpu_hours"] == pytest.approx((0.5 + 0.3) / 7)
    assert (row["gpu_sharing"], row["mig_profile"]) == ("mig", "1g.10gb")
    assert con.execute("SELECT gpu_allocatable FROM nodes").fetchone() == (pytest.approx(1.0),)


def sliced_node(day: DayFixture, replicas: str | None, resource: str = "nvidia_com_gpu") -> None:
    labels = {"label_nvidia_com_gpu_product": "NVIDIA-L4", "label_nvidia_com_gpu_sharing_strategy": "time-slicing"}
    if replicas is not None:
        labels["label_nvidia_com_gpu_replicas"] = replicas
    day.node("ts-node", labels, {"cpu": 32, resource: 4}, HOUR)


def test_vgpu_copies_split_the_gpu_among_their_holders_capped_at_a_replica(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    day = DayFixture()
    sliced_node(day, "4")
    for pod in ("a", "b"):
        day.running_pod(f"u-{pod}", pod, HOUR, gpus=1, node="ts-node")
    gpu = {"Hostname": "ts-node", "UUID": "GPU-T", "modelName": "NVIDIA L4"}
    # the first half hour the GPU is 30 % busy, the second 80 %, then idle for the last 10 minutes
    activity = [0.3] * 30 + [0.8] * 20 + [0.0] * 10
    for vgpu, pod in (("0", "a"), ("1", "b")):
        day.gpu(ENGINE, activity, HOUR, vgpu=vgpu, namespace="team-a", pod=pod, **gpu)
    day.load(con, Settings(), tmp_path)

    assert con.execute("SELECT gpu_allocatable, gpu_replicas FROM nodes").fetchone() == (1.0, 4)
    for uid in ("u-a", "u-b"):
        row = pods(con)[uid]
        assert row["allocated_gpu_hours"] == pytest.approx(0.25)
        # 30 min at 0.3 / 2 holders; 20 min at min(0.8 / 2, 1/4); idle steps give 0
        assert row["used_gpu_hours"] == pytest.approx((30 * 0.15 + 20 * 0.25) / 60)
        assert row["idle_gpu_hours"] == pytest.approx(10 / 60 * 0.25)  # idle is exact: the GPU was idle
        assert (row["gpu_sharing"], row["usage_estimated"]) == ("time_sliced", True)
    project = con.execute("SELECT usage_estimated, estimated_used_gpu_hours FROM project_usage_daily").fetchone()
    assert project == (True, pytest.approx(2 * (30 * 0.15 + 20 * 0.25) / 60))


def test_without_vgpu_the_holders_come_from_the_requests(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    sliced_node(day, "4", resource="nvidia_com_gpu_shared")
    for pod in ("a", "b", "c"):
        day.running_pod(f"u-{pod}", pod, HOUR, gpus=1, node="ts-node", resource="nvidia_com_gpu_shared")
    # dcgm-exporter names one holder only; the GPU is 60 % busy for 40 minutes, then idle
    gpu = {"Hostname": "ts-node", "UUID": "GPU-T", "modelName": "NVIDIA L4", "namespace": "team-a", "pod": "a"}
    day.gpu(UTIL, [60.0] * 40 + [0.0] * 20, HOUR, **gpu)
    day.load(con, Settings(), tmp_path)

    rows = pods(con)
    assert set(rows) == {"u-a", "u-b", "u-c"}
    for row in rows.values():
        assert row["allocated_gpu_hours"] == pytest.approx(0.25)
        assert row["used_gpu_hours"] == pytest.approx(40 / 60 * 0.2)  # 0.6 / 3 holders, under the 1/4 cap
        assert row["idle_gpu_hours"] == pytest.approx(20 / 60 * 0.25)
        assert row["no_data_gpu_hours"] == pytest.approx(0)
        assert row["usage_estimated"] is True
    total_used = sum(row["used_gpu_hours"] for row in rows.values())
    assert total_used == pytest.approx(0.6 * 40 / 60)  # the GPU's use, all of it, never more


def test_bad_shared_gpu_input_is_counted_never_a_crash(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    sliced_node(day, None)  # time-slicing without its replicas label
    day.running_pod("u-r", "r", HOUR, gpus=1, node="ts-node")
    mig_node(day, {"nvidia_com_mig_1g_10gb": 7, "nvidia_com_mig_1c_2g_20gb": 1})
    day.running_pod("u-m", "m", HOUR, gpus=1, node="mig-node", resource="nvidia_com_mig_1g_10gb")
    day.running_pod("u-odd", "odd", HOUR, gpus=1, node="mig-node", resource="nvidia_com_mig_1c_2g_20gb")
    no_profile = {**A100_DCGM, "GPU_I_ID": "7", "namespace": "team-a", "pod": "m"}  # no GPU_I_PROFILE
    day.gpu(ENGINE, [0.7] * 60, HOUR, **no_profile)
    odd_profile = {**A100_DCGM, "GPU_I_ID": "9", "GPU_I_PROFILE": "weird", "namespace": "team-a", "pod": "odd"}
    day.gpu(ENGINE, [0.2] * 60, HOUR, **odd_profile)
    day.load(con, Settings(), tmp_path)

    assert quality(con) == {
        "mig_profile_missing": 1,
        "mig_profile_unknown": 1,
        "replicas_label_missing": 1,
        "mig_resource_unknown": 1,
    }
    rows = pods(con)
    # the profile-less instance counts whole, capped at the 1g its pod requested: never a whole GPU silently
    assert rows["u-m"]["allocated_gpu_hours"] == pytest.approx(1 / 7)
    assert rows["u-m"]["used_gpu_hours"] == pytest.approx(0.7 / 7)
    assert rows["u-odd"]["allocated_gpu_hours"] == pytest.approx(1.0)  # counted whole, and flagged
    assert rows["u-r"]["allocated_gpu_hours"] == pytest.approx(1.0)
    dq = fetch_records(con, "select_shared_gpu_data_quality.sql", {"day": DAY})
    warnings = shared_gpu_warning_lines(dq, DAY, "dcgm") + shared_gpu_warning_lines(dq, DAY, "shared_gpus")
    assert len(warnings) == 4 and all("\n" not in line for line in warnings)
    assert any("GPU_I_PROFILE" in line and "whole GPU" in line for line in warnings)


def test_a_day_loaded_twice_keeps_one_set_of_quality_counts(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    sliced_node(day, None)
    day.running_pod("u-r", "r", HOUR, gpus=1, node="ts-node")
    day.load(con, Settings(), tmp_path)
    day.load(con, Settings(), tmp_path)
    assert quality(con) == {"replicas_label_missing": 1}
