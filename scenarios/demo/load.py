"""Import a scenario into VictoriaMetrics and write its truth next to it."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.scenarios.demo.layout import build_cluster
from gpu_reclaim.scenarios.demo.model import DemoCluster
from gpu_reclaim.scenarios.demo.scenario import DemoScenario
from gpu_reclaim.scenarios.demo.series import iter_series
from gpu_reclaim.scenarios.demo.truth import ground_truth


@dataclass(frozen=True)
class LoadStats:
    series: int
    samples: int
    seconds: float


def load_demo(client: VictoriaMetricsClient, scenario: DemoScenario, truth_path: Path) -> LoadStats:
    """Import the scenario into `client`'s server and write its ground truth as JSON to `truth_path`."""
    began = time.perf_counter()
    cluster = build_cluster(scenario)
    series: set[bytes] = set()
    samples = 0

    def lines() -> Iterator[bytes]:
        nonlocal samples
        for line, labels_json, count in iter_series(cluster):
            series.add(hashlib.blake2b(labels_json, digest_size=16).digest())
            samples += count
            yield line

    client.import_jsonl(lines())
    truth = ground_truth(cluster)
    truth_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = truth_path.with_suffix(truth_path.suffix + ".tmp")
    tmp.write_text(json.dumps(truth, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    tmp.replace(truth_path)
    return LoadStats(series=len(series), samples=samples, seconds=time.perf_counter() - began)


def running_gpu_requests(cluster: DemoCluster, step: int) -> int:
    """GPUs requested by Running pods at `step` (for checks against kube_pod_container_resource_requests)."""
    return sum(p.gpus for p in cluster.pods if p.run_start <= step < p.run_end)


def existing_gpu_requests(cluster: DemoCluster, step: int) -> int:
    """GPUs requested by every pod that exists (any phase) at `step`."""
    return sum(p.gpus for p in cluster.pods if p.exist_start <= step < p.exist_end)
