"""Several clusters in one VictoriaMetrics (issue 13), through the same SQL as the pipeline (tests/sql/helpers,
no server): with labels.cluster_label set, the same namespace in two clusters is two Projects, the same node name two
nodes (each in its own cluster's Machine Group and fragmentation), a series without the label counts under '' and
in data_quality, findings and their ids carry the cluster; with the label off every cluster is '' and every figure
is what the same series without any cluster label give."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.scoring.findings import finding_id
from gpu_reclaim.store.fragmentation import compute_fragmentation
from gpu_reclaim.store.recommendations import evaluate_recommendations

from tests.sql.helpers import DAY, STEP, DayFixture

ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
MINUTES = list(range(300))  # five hours: longer than idle_allocation's 4 h for class unknown
LABELLED = Settings(step_seconds=STEP, labels={"cluster_label": "cluster"})
OFF = Settings(step_seconds=STEP)
HOURS = len(MINUTES) / 60


def tagged(lines: list[bytes], cluster: str | None) -> list[bytes]:
    """The lines with the `cluster` label added (None: left without it)."""
    if cluster is None:
        return lines
    label = b'{"cluster":"' + cluster.encode() + b'","__name__"'
    return [line.replace(b'{"__name__"', label, 1) for line in lines]


def one_cluster(workspace: str, activity: float, machine_group: str, uid: str) -> DayFixture:
    """Namespace team-a (Workspace `workspace`), node node-a (8 GPUs of `machine_group`), pod train on 2 GPUs at
    `activity` -- the same names in every cluster."""
    day = DayFixture()
    day.running_pod(uid, "train", MINUTES, gpus=2)
    day.node(
        "node-a",
        {"label_nvidia_com_gpu_product": "NVIDIA-H100-80GB-HBM3", "label_machine_group": machine_group},
        {"nvidia_com_gpu": 8, "cpu": 64, "memory": 512 * 2**30},
        MINUTES,
    )
    day.series(
        {"__name__": "kube_namespace_labels", "namespace": "team-a", "label_workspace": workspace},
        [1.0] * len(MINUTES),
        MINUTES,
    )
    for index in ("0", "1"):
        day.gpu(ENGINE, [activity] * len(MINUTES), MINUTES, UUID=f"GPU-{uid}-{index}", gpu=index, pod="train",
                namespace="team-a")  # fmt: skip
    return day


def two_clusters(
    west: str | None = "west",
    east: str | None = "east",
    east_workspace: str = "research",
    east_machine_group: str = "h100-b",
) -> DayFixture:
    """west: Workspace platform, busy (0.5) on Machine Group h100-a; east: Workspace `east_workspace`, idle (0.0) on
    `east_machine_group`; same namespace, node and pod names. A cluster given as None leaves its series without the
    label."""
    day = DayFixture()
    for cluster, part in ((west, one_cluster("platform", 0.5, "h100-a", "uid-w")),
                          (east, one_cluster(east_workspace, 0.0, east_machine_group, "uid-e"))):  # fmt: skip
        day.dcgm += tagged(part.dcgm, cluster)
        day.kube_state += tagged(part.kube_state, cluster)
    return day


def test_the_same_namespace_in_two_clusters_is_two_projects(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, LABELLED, tmp_path)
    projects = con.execute(
        "SELECT cluster, namespace, workspace, project, pods, allocated_gpu_hours, used_gpu_hours, idle_gpu_hours "
        "FROM project_usage_daily ORDER BY cluster"
    ).fetchall()
    assert projects == [
        ("east", "team-a", "research", "team-a", 1, pytest.approx(2 * HOURS), 0.0, pytest.approx(2 * HOURS)),
        ("west", "team-a", "platform", "team-a", 1, pytest.approx(2 * HOURS), pytest.approx(HOURS), 0.0),
    ]
    workspaces = con.execute("SELECT workspace, cluster, projects FROM workspace_usage_daily ORDER BY 1").fetchall()
    assert workspaces == [("platform", "west", 1), ("research", "east", 1)]
    pods = con.execute("SELECT cluster, uid, machine_group FROM pod_usage_daily ORDER BY cluster").fetchall()
    assert pods == [("east", "uid-e", "h100-b"), ("west", "uid-w", "h100-a")]
    hourly = con.execute(
        "SELECT cluster, sum(allocated_gpu_hours), sum(used_gpu_hours) FROM project_usage_hourly GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert hourly == [("east", pytest.approx(2 * HOURS), 0.0), ("west", pytest.approx(2 * HOURS), pytest.approx(HOURS))]
    samples = con.execute("SELECT cluster, count(DISTINCT gpu_uuid) FROM gpu_samples GROUP BY 1 ORDER BY 1").fetchall()
    assert samples == [("east", 2), ("west", 2)]
    assert con.execute("SELECT count(*) FROM data_quality WHERE rule = 'missing_cluster_label'").fetchone() == (0,)


def test_the_same_node_name_in_two_clusters_is_two_nodes(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, LABELLED, tmp_path)
    nodes = con.execute("SELECT cluster, node, machine_group, gpu_allocatable FROM nodes ORDER BY 1").fetchall()
    assert nodes == [("east", "node-a", "h100-b", 8.0), ("west", "node-a", "h100-a", 8.0)]
    groups = con.execute(
        "SELECT cluster, machine_group, max(capacity_gpus), sum(allocated_gpus) FROM machine_group_usage_hourly "
        "GROUP BY 1, 2 ORDER BY 1"
    ).fetchall()
    assert groups == [
        ("east", "h100-b", 8.0, pytest.approx(2 * HOURS)),
        ("west", "h100-a", 8.0, pytest.approx(2 * HOURS)),
    ]
    rows = compute_fragmentation(con, DAY)
    per_node = {(r["cluster"], r["node"], r["machine_group"]) for r in rows["node_fragmentation"]}
    assert per_node == {("east", "node-a", "h100-b"), ("west", "node-a", "h100-a")}
    assert {(r["cluster"], r["free_whole_gpus"]) for r in rows["node_fragmentation"]} == {("east", 6), ("west", 6)}
    snapshots = {r["snapshot_ts"] for r in rows["cluster_fragmentation"]}
    assert len(rows["cluster_fragmentation"]) == 2 * len(snapshots)  # one row per cluster and snapshot
    assert all(r["gpus"] == 8 for r in rows["cluster_fragmentation"])  # never both clusters' nodes together
    assert {r["cluster"] for r in rows["typical_pod_classes"]} == {"east", "west"}


def test_findings_and_ids_carry_the_cluster(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, LABELLED, tmp_path)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    findings = evaluate_recommendations(con, LABELLED, LABELLED.recommendations, start, start + timedelta(hours=6), DAY)
    idle = [f for f in findings if f.rule == "idle_allocation"]
    assert [(f.cluster, f.workspace, f.namespace, f.workload) for f in idle] == [
        ("east", "research", "team-a", "Pod/train")
    ]
    assert idle[0].id == finding_id("idle_allocation", "team-a", "Pod/train", None, "east")
    assert idle[0].id != finding_id("idle_allocation", "team-a", "Pod/train")
    assert idle[0].ticket_body()["cluster"] == "east"
    stored = con.execute("SELECT cluster FROM recommendations WHERE rule = 'idle_allocation'").fetchall()
    assert stored == [("east",)]


def test_a_series_without_the_label_counts_under_empty_and_in_data_quality(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    two_clusters(east=None).load(con, LABELLED, tmp_path)
    assert con.execute("SELECT cluster, workspace FROM project_usage_daily ORDER BY 1").fetchall() == [
        ("", "research"),
        ("west", "platform"),
    ]
    missing = con.execute(
        "SELECT stage, metric, affected FROM data_quality WHERE rule = 'missing_cluster_label' ORDER BY 1"
    ).fetchall()
    east = one_cluster("research", 0.0, "h100-b", "uid-e")
    assert missing == [
        ("cluster_dcgm", "cluster", len(east.dcgm)),
        ("cluster_kube_state", "cluster", len(east.kube_state)),
    ]
    assert any("lack the cluster label 'cluster'" in record.getMessage() for record in caplog.records)


def test_label_off_every_cluster_is_empty_and_every_figure_as_without_labels(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    tables = ("project_usage_daily", "pod_usage_daily", "nodes", "machine_group_usage_hourly", "pod_gpu_usage_daily")

    def snapshot() -> dict[str, list[tuple[object, ...]]]:
        return {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}  # fixed table names

    two_clusters(west=None, east=None).load(con, OFF, tmp_path)  # series that never had a cluster label
    plain = snapshot()
    two_clusters().load(con, OFF, tmp_path)  # the same series labelled, the label not configured
    assert snapshot() == plain
    for table in (*tables, "gpu_samples", "pod_steps", "pods", "namespaces", "workspace_usage_daily"):
        assert con.execute(f"SELECT DISTINCT cluster FROM {table}").fetchall() == [("",)], table  # fixed names
    # read together, as before: one Project (the namespace), one node node-a holding both pods
    assert con.execute("SELECT count(*), sum(allocated_gpu_hours) FROM project_usage_daily").fetchone() == (
        1,
        pytest.approx(4 * HOURS),
    )
    assert con.execute("SELECT count(*) FROM data_quality WHERE rule = 'missing_cluster_label'").fetchone() == (0,)
