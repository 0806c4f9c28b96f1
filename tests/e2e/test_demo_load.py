"""Load a one-day demo into a private VictoriaMetrics and check that the series and samples arrived."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.scenarios.demo import (
    DemoScenario,
    build_cluster,
    existing_gpu_requests,
    iter_import_lines,
    load_demo,
    running_gpu_requests,
)

pytestmark = pytest.mark.e2e

SCENARIO = DemoScenario(start=datetime(2026, 11, 16, tzinfo=UTC), days=1)


@pytest.fixture(scope="module")
def vm() -> Iterator[LocalVictoriaMetrics]:
    # a server that cannot start is a setup failure (make test installs it), never a skip
    server = LocalVictoriaMetrics().start()
    try:
        yield server
    finally:
        server.stop()


def _query(url: str, query: str, at: datetime) -> list[dict[str, object]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": query, "time": f"{at.timestamp():.3f}"})
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    result: list[dict[str, object]] = body["data"]["result"]
    return result


def _scalar(url: str, query: str, at: datetime) -> float:
    result = _query(url, query, at)
    assert len(result) == 1, (query, result)
    value = result[0]["value"]
    assert isinstance(value, list)
    return float(value[1])


def test_one_day_demo_arrives_whole(vm: LocalVictoriaMetrics, tmp_path: Path) -> None:
    cluster = build_cluster(SCENARIO)
    expected_series: dict[str, set[str]] = {}
    expected_samples: dict[str, int] = {}
    for line in iter_import_lines(cluster):
        obj = json.loads(line)
        name = obj["metric"]["__name__"]
        expected_series.setdefault(name, set()).add(json.dumps(obj["metric"], sort_keys=True))
        expected_samples[name] = expected_samples.get(name, 0) + len(obj["values"])

    truth_path = tmp_path / "truth.json"
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=vm.url)) as client:
        stats = load_demo(client, SCENARIO, truth_path)
        assert stats.series == sum(len(v) for v in expected_series.values())
        assert stats.samples == sum(expected_samples.values())
        truth = json.loads(truth_path.read_text(encoding="utf-8"))
        assert truth["scenario"]["gpus"] == cluster.total_gpus == 152
        assert truth["projects"]

        # Through the export API: every DCGM_FI_DEV_GPU_UTIL series and sample, and no profiling on V100s.
        for name in ("DCGM_FI_DEV_GPU_UTIL", "kube_pod_status_phase"):
            out = tmp_path / f"{name}.jsonl"
            export = client.export_jsonl([f'{{__name__="{name}"}}'], SCENARIO.start, SCENARIO.end, out)
            rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
            exported = {json.dumps(row["metric"], sort_keys=True) for row in rows}
            assert exported == expected_series[name]
            assert export.series_lines == len(rows)
            # the export API's lines are checked for framing only; their samples are counted when staged (SQL)
            assert export.samples is None
            assert sum(len(row["timestamps"]) for row in rows) == expected_samples[name]

    url = vm.url
    at = SCENARIO.start + timedelta(hours=13, minutes=37, seconds=30)
    step = (13 * 3600 + 37 * 60) // SCENARIO.step_seconds
    # the whole-GPU groups of the main cluster (the shared-* nodes' MIG and time-sliced GPUs:
    # tests/unit/test_demo_shared_gpus.py; demo-east's 16 H100s: scenarios/demo/east.py)
    assert (
        _scalar(url, 'count(DCGM_FI_DEV_GPU_UTIL{Hostname!~"shared-.*",cluster="demo-west"})', at) == cluster.total_gpus
    )
    assert _scalar(url, 'count(DCGM_FI_DEV_GPU_UTIL{cluster="demo-east"})', at) == 16
    assert _scalar(url, 'count(DCGM_FI_PROF_GR_ENGINE_ACTIVE{modelName=~"Tesla V100.*"}) or vector(0)', at) == 0
    assert (
        _scalar(
            url,
            'sum(kube_node_status_allocatable{resource="nvidia_com_gpu",node!~"shared-.*",cluster="demo-west"})',
            at,
        )
        == 152
    )
    requests = 'kube_pod_container_resource_requests{resource="nvidia_com_gpu",node!~"shared-.*",cluster="demo-west"}'
    assert _scalar(url, f"sum({requests})", at) == existing_gpu_requests(cluster, step)
    running = f'sum({requests} and on(uid) (kube_pod_status_phase{{phase="Running"}} == 1))'
    assert _scalar(url, running, at) == running_gpu_requests(cluster, step) > 0
    # GPUs named by a pod in DCGM equal the Running pods' GPU requests (both label variants).
    held = (
        'count(DCGM_FI_DEV_GPU_UTIL{pod!~"nvidia-dcgm-exporter.*|",Hostname!~"shared-.*",cluster="demo-west"}) '
        '+ count(DCGM_FI_DEV_GPU_UTIL{exported_pod!="",cluster="demo-west"})'
    )
    assert _scalar(url, held, at) == running_gpu_requests(cluster, step)
