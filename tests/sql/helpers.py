"""Build one day of warehouse tables from hand-written series, through the same SQL files as the pipeline,
without a server: the series are written as VictoriaMetrics export lines and staged from that file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from gpu_reclaim.assets.stages import compute_usage, load_dcgm_export, load_kube_state_export
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.extract import DayWindow
from gpu_reclaim.core.victoria import series_json_line

DAY = date(2026, 11, 2)
STEP = 60


def ts_ms(minute: int, second: int = 0) -> int:
    return int(datetime(2026, 11, 2, tzinfo=UTC).timestamp() * 1000) + (minute * 60 + second) * 1000


@dataclass
class DayFixture:
    dcgm: list[bytes] = field(default_factory=list)
    kube_state: list[bytes] = field(default_factory=list)

    def gpu(self, metric: str, values: list[float], minutes: list[int], **labels: str) -> None:
        base = {"Hostname": "node-a", "gpu": "0", "UUID": "GPU-0", "modelName": "NVIDIA H100 80GB HBM3"}
        self.dcgm.append(series_json_line({"__name__": metric, **base, **labels}, values, [ts_ms(m) for m in minutes]))

    def running_pod(
        self,
        uid: str,
        pod: str,
        minutes: list[int],
        gpus: float,
        namespace: str = "team-a",
        node: str = "node-a",
        resource: str = "nvidia_com_gpu",
    ) -> None:
        ones = [1.0] * len(minutes)
        times = [ts_ms(m) for m in minutes]
        self.kube_state.append(
            series_json_line(
                {
                    "__name__": "kube_pod_status_phase",
                    "namespace": namespace,
                    "pod": pod,
                    "uid": uid,
                    "phase": "Running",
                },
                ones,
                times,
            )
        )
        self.kube_state.append(
            series_json_line(
                {
                    "__name__": "kube_pod_container_resource_requests",
                    "namespace": namespace,
                    "pod": pod,
                    "uid": uid,
                    "container": "main",
                    "node": node,
                    "resource": resource,
                    "unit": "integer",
                },
                [gpus] * len(minutes),
                times,
            )
        )

    def node(self, node: str, labels: dict[str, str], allocatable: dict[str, float], minutes: list[int]) -> None:
        """kube_node_labels and kube_node_status_allocatable (per resource) of one node."""
        self.series({"__name__": "kube_node_labels", "node": node, **labels}, [1.0] * len(minutes), minutes)
        for resource, value in allocatable.items():
            labels_of = {"__name__": "kube_node_status_allocatable", "node": node, "resource": resource}
            self.series(labels_of, [value] * len(minutes), minutes)

    def series(self, labels: dict[str, str], values: list[float], minutes: list[int]) -> None:
        self.kube_state.append(series_json_line(labels, values, [ts_ms(m) for m in minutes]))

    def load(self, con: duckdb.DuckDBPyConnection, settings: Settings, workdir: Path, day: date = DAY) -> None:
        window = DayWindow(day)
        dcgm_file, ksm_file = workdir / "dcgm.jsonl", workdir / "ksm.jsonl"
        dcgm_file.write_bytes(b"".join(line + b"\n" for line in self.dcgm))
        ksm_file.write_bytes(b"".join(line + b"\n" for line in self.kube_state))
        load_dcgm_export(con, settings, window, dcgm_file)
        load_kube_state_export(con, settings, window, ksm_file)
        compute_usage(con, settings, day)
