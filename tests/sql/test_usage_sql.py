"""The ingest and usage SQL on small hand-built days; every expected figure is worked out here by hand."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.config import Settings

from tests.sql.helpers import DAY, DayFixture

UTIL = "DCGM_FI_DEV_GPU_UTIL"
ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"


def pod_row(con: duckdb.DuckDBPyConnection, uid: str) -> dict[str, float]:
    cursor = con.execute(
        "SELECT allocated_gpu_hours, observed_gpu_hours, used_gpu_hours, idle_gpu_hours, low_use_gpu_hours, "
        "no_data_gpu_hours, workspace, project FROM pod_usage_daily WHERE uid = $uid",
        {"uid": uid},
    )
    names = [d[0] for d in cursor.description]
    row = cursor.fetchone()
    assert row is not None, f"no pod_usage_daily row for {uid}"
    return dict(zip(names, row, strict=True))


def test_multi_gpu_pod_mid_day_with_a_step_gap(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    running = list(range(600, 660))  # 10:00-10:59, one hour
    day.running_pod("u-train", "train-0", running, gpus=2)
    gap = set(range(620, 630))  # GPU-0 has no samples for 10 minutes
    gpu0 = [m for m in running if m not in gap]
    labels = {"namespace": "team-a", "pod": "train-0"}
    day.gpu(ENGINE, [0.5] * len(gpu0), gpu0, **labels)
    day.gpu(UTIL, [60.0] * len(gpu0), gpu0, **labels)
    day.gpu(UTIL, [100.0] * 60, running, gpu="1", UUID="GPU-1", **labels)  # no profiling metric on GPU-1
    day.load(con, Settings(), tmp_path)

    row = pod_row(con, "u-train")
    assert row["allocated_gpu_hours"] == pytest.approx(2.0)
    assert row["observed_gpu_hours"] == pytest.approx(50 / 60 + 1.0)
    assert row["used_gpu_hours"] == pytest.approx(0.5 * 50 / 60 + 1.0)  # GR_ENGINE wins over GPU_UTIL on GPU-0
    assert row["idle_gpu_hours"] == pytest.approx(0.0)
    assert row["no_data_gpu_hours"] == pytest.approx(10 / 60)
    sources = dict(con.execute("SELECT gpu_uuid, activity_source FROM pod_gpu_usage_daily").fetchall())
    assert sources == {"GPU-0": "gr_engine_active", "GPU-1": "gpu_util"}


def test_pod_name_reused_by_a_new_uid(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    first, second = list(range(0, 60)), list(range(120, 180))
    day.running_pod("u-old", "notebook", first, gpus=1)
    day.running_pod("u-new", "notebook", second, gpus=1)
    day.gpu(ENGINE, [0.0] * 60 + [1.0] * 60, first + second, namespace="team-a", pod="notebook")
    day.load(con, Settings(), tmp_path)

    old, new = pod_row(con, "u-old"), pod_row(con, "u-new")
    assert (old["used_gpu_hours"], old["idle_gpu_hours"]) == pytest.approx((0.0, 1.0))
    assert (new["used_gpu_hours"], new["idle_gpu_hours"]) == pytest.approx((1.0, 0.0))
    assert con.execute("SELECT count(*) FROM pods WHERE pod = 'notebook'").fetchone() == (2,)


def test_gpu_without_samples_is_no_data_never_idle(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    day.running_pod("u-dark", "dark", list(range(0, 30)), gpus=4)
    day.load(con, Settings(), tmp_path)
    row = pod_row(con, "u-dark")
    assert row["allocated_gpu_hours"] == pytest.approx(2.0)
    assert row["no_data_gpu_hours"] == pytest.approx(2.0)
    assert row["idle_gpu_hours"] == row["used_gpu_hours"] == 0


def test_exported_labels_win_and_thresholds_split_idle_and_low_use(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    day = DayFixture()
    minutes = list(range(0, 40))
    day.running_pod("u-x", "x", minutes, gpus=1)
    # scraped through Prometheus: `namespace`/`pod` name the exporter, exported_* the GPU's holder
    labels = {
        "namespace": "gpu-operator",
        "pod": "dcgm-exporter-abc",
        "exported_namespace": "team-a",
        "exported_pod": "x",
    }
    activity = [0.005] * 10 + [0.05] * 10 + [0.5] * 20  # idle, low use, busy
    day.gpu(ENGINE, activity, minutes, hostname="node-a", Hostname="", **labels)
    day.load(con, Settings(), tmp_path)
    row = pod_row(con, "u-x")
    assert row["idle_gpu_hours"] == pytest.approx(10 / 60)
    assert row["low_use_gpu_hours"] == pytest.approx(20 / 60)
    assert row["used_gpu_hours"] == pytest.approx((0.005 * 10 + 0.05 * 10 + 0.5 * 20) / 60)
    assert con.execute("SELECT DISTINCT node FROM gpu_samples").fetchall() == [("node-a",)]


def test_bad_values_are_cleaned_and_counted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    minutes = list(range(0, 4))
    day.running_pod("u-b", "b", minutes, gpus=1)
    day.gpu(UTIL, [float("inf"), 150.0, -5.0, 50.0], minutes, namespace="team-a", pod="b")
    day.load(con, Settings(), tmp_path)
    counts = dict(con.execute("SELECT rule, affected FROM data_quality WHERE metric = $m", {"m": UTIL}).fetchall())
    assert counts == {"non_finite_dropped": 1, "clamped_high": 1, "clamped_low": 1}
    values = [r[0] for r in con.execute("SELECT gpu_util FROM gpu_samples ORDER BY ts").fetchall()]
    assert values == [100.0, 0.0, 50.0]
    row = pod_row(con, "u-b")
    assert row["no_data_gpu_hours"] == pytest.approx(1 / 60)  # the dropped sample's step has no data


def test_organisation_and_phases(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    day.running_pod("u-1", "p1", list(range(0, 60)), gpus=1, namespace="labelled")
    day.running_pod("u-2", "p2", list(range(0, 60)), gpus=1, namespace="loose")
    day.series(
        {
            "__name__": "kube_namespace_labels",
            "namespace": "labelled",
            "label_workspace": "vision",
            "label_project": "detect",
        },
        [1.0],
        [0],
    )
    pending = {"__name__": "kube_pod_status_phase", "namespace": "loose", "pod": "waiting", "uid": "u-3"}
    day.series({**pending, "phase": "Pending"}, [1.0] * 60, list(range(0, 60)))
    day.series({**pending, "phase": "Running"}, [0.0] * 60, list(range(0, 60)))
    day.series(
        {
            "__name__": "kube_pod_container_resource_requests",
            "namespace": "loose",
            "pod": "waiting",
            "uid": "u-3",
            "container": "c",
            "resource": "nvidia_com_gpu",
        },
        [8.0] * 60,
        list(range(0, 60)),
    )
    day.load(con, Settings(), tmp_path)
    assert (pod_row(con, "u-1")["workspace"], pod_row(con, "u-1")["project"]) == ("vision", "detect")
    assert (pod_row(con, "u-2")["workspace"], pod_row(con, "u-2")["project"]) == ("unassigned", "loose")
    assert con.execute("SELECT count(*) FROM pod_usage_daily WHERE uid = 'u-3'").fetchone() == (0,)
    pending_rows = con.execute("SELECT phase, gpus_requested, node FROM pod_steps WHERE uid = 'u-3' LIMIT 1").fetchone()
    assert pending_rows == ("Pending", 8.0, None)
    totals = con.execute(
        "SELECT workspace, allocated_gpu_hours FROM workspace_usage_daily ORDER BY workspace"
    ).fetchall()
    assert totals == [("unassigned", 1.0), ("vision", 1.0)]


def test_loading_a_day_twice_gives_identical_tables(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    day.running_pod("u-1", "p1", list(range(0, 90)), gpus=2)
    day.gpu(ENGINE, [0.3] * 90, list(range(0, 90)), namespace="team-a", pod="p1")
    tables = [
        "gpu_samples",
        "pod_steps",
        "pods",
        "pod_usage_daily",
        "project_usage_daily",
        "pod_gpu_usage_hourly",
    ]
    day.load(con, Settings(), tmp_path)
    first = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    day.load(con, Settings(), tmp_path)
    second = {t: sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in tables}
    assert first == second
    assert all(rows for rows in first.values())
    assert con.execute("SELECT DISTINCT day FROM gpu_samples").fetchall() == [(DAY,)]


def test_machine_group_capacity_allocation_and_unmet_demand(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    hour = list(range(0, 60))
    day.series({"__name__": "kube_node_labels", "node": "node-a", "label_machine_group": "h100-sxm"}, [1.0], [0])
    day.series({"__name__": "kube_node_status_allocatable", "node": "node-a", "resource": "nvidia_com_gpu"}, [8.0], [0])
    day.running_pod("u-run", "run", hour, gpus=2)
    day.running_pod("u-half", "half", list(range(0, 30)), gpus=4)  # 4 GPUs for half the hour: 2 on average
    for gpu in ("0", "1"):
        day.gpu(ENGINE, [0.5] * 60, hour, gpu=gpu, UUID=f"GPU-{gpu}", namespace="team-a", pod="run")
    pending = {"__name__": "kube_pod_status_phase", "namespace": "team-a", "pod": "wait", "uid": "u-wait"}
    day.series({**pending, "phase": "Pending"}, [1.0] * 60, hour)
    day.series(
        {
            "__name__": "kube_pod_container_resource_requests",
            "namespace": "team-a",
            "pod": "wait",
            "uid": "u-wait",
            "container": "c",
            "resource": "nvidia_com_gpu",
        },
        [8.0],
        [0],
    )
    day.load(con, Settings(), tmp_path)
    rows = {
        group: figures
        for group, *figures in con.execute(
            "SELECT machine_group, capacity_gpus, allocated_gpus, used_gpus, unallocated_gpus, pending_gpus "
            "FROM machine_group_usage_hourly WHERE hour = TIMESTAMP '2026-11-02 00:00:00'"
        ).fetchall()
    }
    assert rows["h100-sxm"] == pytest.approx([8.0, 4.0, 1.0, 4.0, 0.0])
    assert rows["unplaced"] == pytest.approx([0.0, 0.0, 0.0, 0.0, 8.0])
    later = con.execute(
        "SELECT allocated_gpus, unallocated_gpus FROM machine_group_usage_hourly "
        "WHERE machine_group = 'h100-sxm' AND hour = TIMESTAMP '2026-11-02 05:00:00'"
    ).fetchone()
    assert later == (0.0, 8.0)


def test_memory_totals_that_jump_are_counted(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    minutes = list(range(0, 10))
    day.running_pod("u-m", "m", minutes, gpus=1)
    labels = {"namespace": "team-a", "pod": "m"}
    day.gpu("DCGM_FI_DEV_FB_USED", [400.0] * 10, minutes, **labels)
    day.gpu("DCGM_FI_DEV_FB_FREE", [600.0] * 9 + [1100.0], minutes, **labels)  # one step totals 1500, not 1000
    day.load(con, Settings(), tmp_path)
    counts = dict(
        con.execute("SELECT rule, affected FROM data_quality WHERE metric = 'DCGM_FI_DEV_FB_USED'").fetchall()
    )
    assert counts == {"fb_total_inconsistent": 1}
