"""Two clusters in one real VictoriaMetrics, told apart by an external `cluster` label, with the same namespace and
pod names in both: a run limited by `[victoria_metrics] matchers` sees only its cluster's pods, GPUs and nodes
(DCGM and kube-state-metrics alike); a run without matchers, with `labels.cluster_label` set, reads both and keeps
them apart (issue 13: a Project is (cluster, namespace), fragmentation per cluster). cluster_days and the reports say
which cluster(s) the run's data covers.

Its own LocalVictoriaMetrics (not the session one, which other tests fill with demo days)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.series import series_json_line
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.pipelines.cli_common import resources as cli_resources
from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS
from gpu_reclaim.pipelines.runner import run_pipeline

from tests.private_servers import server_with_lines

pytestmark = pytest.mark.e2e

DAY = date(2026, 11, 3)
START_MS = int(datetime(2026, 11, 3, tzinfo=UTC).timestamp() * 1000)
MINUTES = list(range(0, 120))  # two hours at a 60 s step (two fragmentation snapshots)


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    uid: str
    node: str
    gpus: int


@dataclass(frozen=True)
class Cluster:
    name: str
    nodes: dict[str, tuple[int, str]]  # node -> (GPUs, GPU product)
    pods: tuple[Pod, ...]
    workspace: str

    def gpu_uuid(self, node: str, index: int) -> str:
        return f"GPU-{node}-{index}"


# Same namespaces (team-a in both) and the same pod name "train" in both; different uids, nodes and GPUs.
EU = Cluster(
    "prod-eu",
    {"eu-node-1": (4, "NVIDIA-H100-80GB-HBM3"), "eu-node-2": (2, "NVIDIA-H100-80GB-HBM3")},
    (Pod("team-a", "train", "eu-uid-1", "eu-node-1", 2), Pod("team-b", "serve", "eu-uid-2", "eu-node-2", 1)),
    "eu-ws",
)
US = Cluster(
    "prod-us",
    {"us-node-1": (8, "NVIDIA-A100-SXM4-80GB")},
    (Pod("team-a", "train", "us-uid-1", "us-node-1", 4), Pod("team-c", "etl", "us-uid-2", "us-node-1", 1)),
    "us-ws",
)
HOURS = len(MINUTES) / 60


def _line(labels: dict[str, str], value: float) -> bytes:
    times = [START_MS + minute * 60_000 + 5_000 for minute in MINUTES]
    return series_json_line(labels, [value] * len(MINUTES), times)


def cluster_lines(cluster: Cluster) -> list[bytes]:
    """kube-state-metrics and dcgm-exporter series of one cluster, every one carrying `cluster`."""
    tag = {"cluster": cluster.name}
    lines: list[bytes] = []
    for node, (gpus, product) in cluster.nodes.items():
        allocatable = {"__name__": "kube_node_status_allocatable", "node": node, **tag}
        lines.append(_line({**allocatable, "resource": "nvidia_com_gpu", "unit": "integer"}, gpus))
        lines.append(_line({**allocatable, "resource": "cpu", "unit": "core"}, 64))
        lines.append(_line({**allocatable, "resource": "memory", "unit": "byte"}, 512 * 2**30))
        lines.append(_line({"__name__": "kube_node_labels", "node": node, "label_nvidia_com_gpu_product": product,
                            **tag}, 1))  # fmt: skip
    for namespace in sorted({pod.namespace for pod in cluster.pods}):
        lines.append(_line({"__name__": "kube_namespace_labels", "namespace": namespace,
                            "label_workspace": cluster.workspace, **tag}, 1))  # fmt: skip
    for pod in cluster.pods:
        who = {"namespace": pod.namespace, "pod": pod.name, "uid": pod.uid, **tag}
        lines.append(_line({"__name__": "kube_pod_status_phase", **who, "phase": "Running"}, 1))
        requests = {"__name__": "kube_pod_container_resource_requests", **who, "container": "main", "node": pod.node}
        lines.append(_line({**requests, "resource": "nvidia_com_gpu", "unit": "integer"}, pod.gpus))
        lines.append(_line({**requests, "resource": "cpu", "unit": "core"}, 4))
        lines.append(_line({"__name__": "kube_pod_owner", **who, "owner_kind": "Job", "owner_name": pod.name}, 1))
    held: dict[tuple[str, int], Pod] = {}
    for pod in cluster.pods:
        taken = sum(1 for node, _ in held if node == pod.node)
        for index in range(taken, taken + pod.gpus):
            held[(pod.node, index)] = pod
    for node, (gpus, product) in cluster.nodes.items():
        for index in range(gpus):
            holder = held.get((node, index))
            gpu = {"Hostname": node, "gpu": str(index), "UUID": cluster.gpu_uuid(node, index), "modelName": product}
            owner = {"namespace": holder.namespace, "pod": holder.name, "container": "main"} if holder else {}
            activity = 0.5 if holder else 0.0
            lines.append(_line({"__name__": "DCGM_FI_PROF_GR_ENGINE_ACTIVE", **gpu, **owner, **tag}, activity))
            lines.append(_line({"__name__": "DCGM_FI_DEV_GPU_UTIL", **gpu, **owner, **tag}, 100 * activity))
    return lines


@pytest.fixture(scope="module")
def two_clusters() -> Iterator[LocalVictoriaMetrics]:
    with server_with_lines([*cluster_lines(EU), *cluster_lines(US)]) as server:
        yield server


def run_limited(server: LocalVictoriaMetrics, workdir: Path, config_text: str) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "config.toml"
    config.write_text(f'[labels]\ncluster_label = "cluster"\n{config_text}', encoding="utf-8")
    database = workdir / "run.duckdb"
    resources = cli_resources(config, server.url, database, workdir / "out", lock_timeout=60)
    run_pipeline(DAILY_ASSETS, WEEKLY_ASSETS, resources, [DAY])  # type: ignore[arg-type]
    return database


def seen(database: Path) -> dict[str, Any]:
    with duckdb.connect(str(database), read_only=True) as con:

        def column(query: str) -> set[Any]:
            return {row[0] for row in con.execute(query).fetchall()}

        return {
            "uids": column("SELECT uid FROM pods"),
            "nodes": column("SELECT node FROM nodes"),
            "gpus": column("SELECT DISTINCT gpu_uuid FROM gpu_samples"),
            "fragmentation_nodes": column("SELECT DISTINCT node FROM node_fragmentation"),
            "workspaces": column("SELECT DISTINCT workspace FROM project_usage_daily"),
            "allocated": dict(con.execute("SELECT project, allocated_gpu_hours FROM project_usage_daily").fetchall()),
            "used": dict(con.execute("SELECT project, used_gpu_hours FROM project_usage_daily").fetchall()),
            "cluster_gpus": con.execute("SELECT max(gpus) FROM cluster_fragmentation").fetchone(),
            "cluster_days": set(con.execute("SELECT stage, cluster FROM cluster_days").fetchall()),
        }


def expected(cluster: Cluster) -> dict[str, Any]:
    return {
        "uids": {pod.uid for pod in cluster.pods},
        "nodes": set(cluster.nodes),
        "gpus": {cluster.gpu_uuid(node, i) for node, (gpus, _) in cluster.nodes.items() for i in range(gpus)},
        "fragmentation_nodes": set(cluster.nodes),
        "workspaces": {cluster.workspace},
        "allocated": {pod.namespace: pytest.approx(pod.gpus * HOURS) for pod in cluster.pods},
        "used": {pod.namespace: pytest.approx(0.5 * pod.gpus * HOURS) for pod in cluster.pods},
        "cluster_gpus": (sum(gpus for gpus, _ in cluster.nodes.values()),),
        "cluster_days": {("dcgm", cluster.name), ("kube_state", cluster.name)},
    }


def report_scope(workdir: Path) -> tuple[list[str], str]:
    """The overview's `clusters` (summary.json) and the Workspace pages' text."""
    reports = workdir / "out" / "reports"
    overview = json.loads((reports / "summary.json").read_text(encoding="utf-8"))
    pages = " ".join(path.read_text(encoding="utf-8") for path in reports.glob("*/index.html"))
    return overview["clusters"], pages


@pytest.mark.parametrize(
    ("cluster", "config_text"),
    [
        (EU, '[victoria_metrics]\nmatchers = { cluster = "prod-eu" }\n'),
        (US, "[victoria_metrics]\nmatchers = ['cluster=~\"prod-u.\"', 'cluster!=\"prod-eu\"']\n"),
    ],
    ids=["table-prod-eu", "list-regex-prod-us"],
)
def test_a_run_limited_to_one_cluster_sees_only_it(
    two_clusters: LocalVictoriaMetrics, tmp_path: Path, cluster: Cluster, config_text: str
) -> None:
    assert seen(run_limited(two_clusters, tmp_path, config_text)) == expected(cluster)
    clusters, pages = report_scope(tmp_path)
    assert clusters == [f"Cluster (label cluster): {cluster.name}."]
    assert f"Cluster (label cluster): {cluster.name}." in pages


def test_without_matchers_both_clusters_are_read_and_kept_apart(
    two_clusters: LocalVictoriaMetrics, tmp_path: Path
) -> None:
    """The data really holds both: unlimited, the run sees every pod, node and GPU of both, and team-a is two
    Projects, one per cluster (2 and 4 GPUs), each in its own cluster's Workspace."""
    database = run_limited(two_clusters, tmp_path, "")
    mixed = seen(database)
    eu, us = expected(EU), expected(US)
    assert mixed["uids"] == eu["uids"] | us["uids"]
    assert mixed["nodes"] == eu["nodes"] | us["nodes"]
    assert mixed["gpus"] == eu["gpus"] | us["gpus"]
    assert mixed["cluster_days"] == eu["cluster_days"] | us["cluster_days"]
    with duckdb.connect(str(database), read_only=True) as con:
        projects = con.execute(
            "SELECT cluster, namespace, workspace, allocated_gpu_hours FROM project_usage_daily ORDER BY 1, 2"
        ).fetchall()
        fragmentation = con.execute("SELECT cluster, max(gpus) FROM cluster_fragmentation GROUP BY 1 ORDER BY 1")
        per_cluster_gpus = fragmentation.fetchall()
    assert projects == [
        (cluster.name, pod.namespace, cluster.workspace, pytest.approx(pod.gpus * HOURS))
        for cluster in (EU, US)
        for pod in sorted(cluster.pods, key=lambda pod: pod.namespace)
    ]
    assert per_cluster_gpus == [(EU.name, *eu["cluster_gpus"]), (US.name, *us["cluster_gpus"])]
    assert report_scope(tmp_path)[0] == ["Clusters (label cluster): prod-eu, prod-us."]
