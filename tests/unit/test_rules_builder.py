"""A hand-built cluster in an in-memory DuckDB, for rule and ticket tests (tables from sql/migrations/).

Times are hours after START; steps are STEP seconds (5 min, so a day is 288 steps). A GPU's activity,
utilisation and memory are given per step by a function of the hour, so each test states its own numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import polars as pl
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.store.recommendations import evaluate_recommendations

START = datetime(2026, 11, 2)
STEP = 300
H100 = "NVIDIA-H100-80GB-HBM3"
A100 = "NVIDIA-A100-SXM4-80GB"
GIB = 1024.0

Metric = float | None | Callable[[float], float | None]


def _value(metric: Metric, hour: float) -> float | None:
    return metric(hour) if callable(metric) else metric


def at(hours: float) -> datetime:
    return START + timedelta(hours=hours)


class Cluster:
    """Rows of the input tables, inserted when `load` is called."""

    def __init__(self) -> None:
        self.con = duckdb.connect()
        prepare_connection(self.con)
        self.rows: dict[str, list[dict[str, Any]]] = {
            "pod_steps": [],
            "gpu_samples": [],
            "pods": [],
            "namespaces": [],
            "nodes": [],
            "quota_steps": [],
        }
        self._pods: dict[tuple[str, str], dict[str, Any]] = {}

    def namespace(self, namespace: str, workspace: str = "ws-a", project: str | None = None) -> None:
        for day in range(3):
            self.rows["namespaces"].append(
                {
                    "day": START.date() + timedelta(days=day),
                    "namespace": namespace,
                    "workspace": workspace,
                    "project": project or namespace,
                    "labelled": True,
                }
            )

    def node(self, node: str, gpu_model: str = H100, machine_group: str = "h100-8x", gpus: int = 8) -> None:
        for day in range(3):
            self.rows["nodes"].append(
                {
                    "day": START.date() + timedelta(days=day),
                    "node": node,
                    "machine_group": machine_group,
                    "gpu_model": gpu_model,
                    "gpu_allocatable": float(gpus),
                    "cpu_cores_allocatable": 128.0,
                    "memory_bytes_allocatable": 1e12,
                }
            )

    @classmethod
    def one_node(cls, namespace: str) -> Cluster:
        """A cluster of namespace `namespace` (no Workspace labels) and the one node node-1, to add pods to."""
        cluster = cls()
        cluster.namespace(namespace)
        cluster.node("node-1")
        return cluster

    def training_job(self, *, start_h: float = 0.0, end_h: float) -> None:
        """The usual one-pod fixture: Job/j's pod p-0 in namespace ml on node-1, Running from start_h to end_h."""
        self.namespace("ml")
        self.node("node-1")
        self.pod("ml", "p-0", "Job/j", category="training", start_h=start_h, end_h=end_h)

    def training_gpu(self, *, end_h: float, **signals: Any) -> None:
        """training_job with its one GPU GPU-0 from 0 to end_h, whose DCGM signals are `signals` (see `gpu`)."""
        self.training_job(end_h=end_h)
        self.gpu("ml", "p-0", "GPU-0", end_h=end_h, **signals)

    def pod(
        self,
        namespace: str,
        pod: str,
        owner: str,
        *,
        category: str,
        purpose: str = "produce",
        provisioning_type: str = "on-demand",
        node: str = "node-1",
        gpus: float = 1.0,
        start_h: float = 0.0,
        end_h: float = 8.0,
        exempt: bool = False,
    ) -> None:
        """A pod Running with `gpus` requested from start_h (inclusive) to end_h (exclusive)."""
        owner_kind, owner_name = owner.split("/")
        uid = f"uid-{namespace}-{pod}"
        self._pods[(namespace, pod)] = {"uid": uid, "node": node}
        steps = self._steps(start_h, end_h)
        for ts in steps:
            self.rows["pod_steps"].append(
                {
                    "day": ts.date(),
                    "ts": ts,
                    "uid": uid,
                    "namespace": namespace,
                    "pod": pod,
                    "node": node,
                    "phase": "Running",
                    "gpus_requested": gpus,
                    "gpu_milli_requested": 0.0,
                    "cpu_cores_requested": 4.0,
                    "memory_bytes_requested": 1e9,
                }
            )
        for day in sorted({ts.date() for ts in steps}):
            self.rows["pods"].append(
                {
                    "day": day,
                    "uid": uid,
                    "namespace": namespace,
                    "pod": pod,
                    "node": node,
                    "owner_kind": owner_kind,
                    "owner_name": owner_name,
                    "provisioning_type": provisioning_type,
                    "category": category,
                    "purpose": purpose,
                    "reclaim_exempt": exempt,
                    "gpu_share_index": None,
                    "first_seen": steps[0],
                    "last_seen": steps[-1],
                }
            )

    def gpu(
        self,
        namespace: str,
        pod: str,
        gpu_uuid: str,
        *,
        start_h: float = 0.0,
        end_h: float = 8.0,
        activity: Metric = None,
        gpu_util: Metric = None,
        sm: Metric = None,
        tensor: Metric = None,
        dram: Metric = None,
        fb_used_gib: Metric = 40.0,
        fb_total_gib: float = 80.0,
        power_w: Metric = 300.0,
        gpu_model: str = H100,
        gpu_index: int = 0,
    ) -> None:
        """DCGM samples naming the pod; `activity` is GR_ENGINE_ACTIVE (None: only GPU_UTIL is present)."""
        node = self._pods[(namespace, pod)]["node"]
        for ts in self._steps(start_h, end_h):
            hour = (ts - START).total_seconds() / 3600.0
            used = _value(fb_used_gib, hour)
            self.rows["gpu_samples"].append(
                {
                    "day": ts.date(),
                    "ts": ts,
                    "node": node,
                    "gpu_index": gpu_index,
                    "gpu_uuid": gpu_uuid,
                    "gpu_model": gpu_model,
                    "namespace": namespace,
                    "pod": pod,
                    "container": "main",
                    "gpu_util": _value(gpu_util, hour),
                    "gr_engine_active": _value(activity, hour),
                    "sm_active": _value(sm, hour),
                    "tensor_active": _value(tensor, hour),
                    "dram_active": _value(dram, hour),
                    "fb_used_mib": None if used is None else used * GIB,
                    "fb_free_mib": None if used is None else (fb_total_gib - used) * GIB,
                    "power_w": _value(power_w, hour),
                    "raw_samples": 1,
                }
            )

    def mig_pod(self, namespace: str, pod: str, owner: str, profile: str, instances: int, **kwargs: Any) -> None:
        """A pod asking for `instances` MIG instances of `profile` (mixed strategy) of an A100 (7 slices): its
        request is their share, instances x g / 7 GPUs (pod(); kwargs as there)."""
        first = len(self.rows["pod_steps"])
        self.pod(namespace, pod, owner, gpus=instances * int(profile.split("g.")[0]) / 7, **kwargs)
        for row in self.rows["pod_steps"][first:]:
            row.update(gpu_sharing="mig", mig_profile=profile)

    def mig_instance(
        self, namespace: str, pod: str, gpu_uuid: str, instance: str, profile: str | None, **metrics: Any
    ) -> None:
        """DCGM samples of one MIG instance (GPU_I_ID `instance`, GPU_I_PROFILE `profile`) of an A100, naming the
        pod (metrics as gpu(); MIG instances have no GPU_UTIL)."""
        first = len(self.rows["gpu_samples"])
        self.gpu(namespace, pod, gpu_uuid, **{"gpu_model": A100, **metrics})
        for row in self.rows["gpu_samples"][first:]:
            row.update(gpu_instance_id=instance, mig_profile=profile)

    def quota(self, namespace: str, hard: float, start_h: float, end_h: float, name: str = "gpu-quota") -> None:
        for ts in self._steps(start_h, end_h):
            self.rows["quota_steps"].append(
                {
                    "day": ts.date(),
                    "ts": ts,
                    "namespace": namespace,
                    "resourcequota": name,
                    "gpu_hard": hard,
                    "gpu_used": None,
                }
            )

    @staticmethod
    def _steps(start_h: float, end_h: float) -> list[datetime]:
        count = round((end_h - start_h) * 3600 / STEP)
        return [at(start_h) + timedelta(seconds=STEP * i) for i in range(count)]

    def load(self) -> duckdb.DuckDBPyConnection:
        for table, rows in self.rows.items():
            if rows:
                frame = pl.DataFrame(rows, infer_schema_length=None)
                self.con.register("incoming", frame)
                self.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
                self.con.unregister("incoming")
            self.rows[table] = []
        return self.con


def settings(**overrides: Any) -> Settings:
    return Settings(step_seconds=STEP, **overrides)


def evaluate(
    cluster: Cluster,
    *,
    hours: float = 24.0,
    config: Settings | None = None,
    rules: RecommendationSettings | None = None,
    evaluated_on: date = date(2026, 11, 3),
) -> list[Finding]:
    con = cluster.load()
    return evaluate_recommendations(
        con, config or settings(), rules or RecommendationSettings(), START, at(hours), evaluated_on
    )


def by_rule(findings: list[Finding], rule: str) -> list[Finding]:
    return [finding for finding in findings if finding.rule == rule]


def test_builder_inserts_a_running_pod_and_its_gpu_samples() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    cluster.node("node-1")
    cluster.pod("ml", "p-0", "Job/train", category="training", end_h=1.0)
    cluster.gpu("ml", "p-0", "GPU-a", end_h=1.0, activity=0.5)
    con = cluster.load()
    assert con.execute("SELECT count(*) FROM pod_steps").fetchone() == (12,)
    assert con.execute("SELECT count(*), avg(gr_engine_active) FROM gpu_samples").fetchone() == (12, 0.5)
