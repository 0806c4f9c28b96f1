"""grafana/alerts.yml's live hang alert (GpuReclaimBusyLookingIdleGpu) evaluated by Debian's real vmalert in replay
mode against a real VictoriaMetrics holding dcgm-exporter series: it fires within 15 minutes of a hang, on the
published signatures (an A100 spinning at ~70 W, a GB10-class GPU at ~96 % and ~20 W), and never on a memory-bound
job, an inference server at low load or a healthy training step.

Replay (`-replay.timeFrom/-replay.timeTo`) evaluates the rule as vmalert would have over a past range, honouring
`for:`, and writes the ALERTS series to -remoteWrite.url, which the test reads back (`-datasource.queryStep` set
to the group's 1 m interval: with its 5 m default a replay never gets past `pending`)."""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient, series_json_line
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics

from tests.writeback.conftest import GRAFANA

pytestmark = pytest.mark.e2e

ALERT = "GpuReclaimBusyLookingIdleGpu"
START = datetime(2026, 11, 10, tzinfo=UTC)
HANG = START + timedelta(days=7, hours=12)  # the hang starts here, after 7.5 days of history
STEP_S = 30
METRICS = ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
           "DCGM_FI_PROF_DRAM_ACTIVE", "DCGM_FI_DEV_POWER_USAGE")  # fmt: skip
# (activity, SM, tensor, DRAM, power W) before and from HANG on, per GPU
TRAIN_A100 = (0.93, 0.75, 0.45, 0.3, 330.0)
GPUS: dict[str, tuple[str, tuple[float, ...], tuple[float, ...]]] = {
    "GPU-a100-hang": ("NVIDIA A100-SXM4-80GB", TRAIN_A100, (1.0, 0.2, 0.0, 0.001, 70.0)),
    "GPU-gb10-hang": ("NVIDIA GB10", (0.9, 0.7, 0.4, 0.3, 95.0), (0.96, 0.15, 0.0, 0.004, 20.0)),
    "GPU-memory-bound": ("NVIDIA A100-SXM4-80GB", TRAIN_A100, (0.92, 0.3, 0.01, 0.7, 250.0)),
    "GPU-inference-low": ("NVIDIA A100-SXM4-80GB", (0.5, 0.3, 0.2, 0.2, 200.0), (0.15, 0.08, 0.05, 0.04, 80.0)),
    "GPU-training": ("NVIDIA A100-SXM4-80GB", TRAIN_A100, (0.97, 0.8, 0.45, 0.3, 350.0)),
}
FIRING = {"GPU-a100-hang", "GPU-gb10-hang"}


def _lines() -> Iterator[bytes]:
    end = HANG + timedelta(hours=2)
    stamps = np.arange(int(START.timestamp()), int(end.timestamp()), STEP_S, dtype=np.int64)
    hung = stamps >= int(HANG.timestamp())
    rng = np.random.default_rng(18)
    for index, (uuid, (model, before, during)) in enumerate(GPUS.items()):
        labels = {"Hostname": "node-a", "gpu": str(index), "UUID": uuid, "modelName": model, "pod": f"p-{index}"}
        for position, metric in enumerate(METRICS):
            base = np.where(hung, during[position], before[position])
            noise = rng.normal(0, 0.01 * (base.max() or 1.0), len(stamps))
            values = np.clip(base + noise, 0, None if metric.endswith("POWER_USAGE") else 1.0)
            if not metric.endswith("POWER_USAGE"):
                values = np.where(base == 0.0, 0.0, values)
            yield series_json_line(
                {"__name__": metric, **labels}, [round(float(v), 4) for v in values], [int(t) * 1000 for t in stamps]
            )


def _export(url: str, selector: str) -> list[dict[str, object]]:
    query = urllib.parse.urlencode({"match[]": selector, "start": 0})
    with urllib.request.urlopen(f"{url}/api/v1/export?{query}", timeout=60) as response:
        return [json.loads(line) for line in response.read().decode().splitlines() if line.strip()]


@pytest.fixture(scope="module")
def replayed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[int]]]:
    """Per GPU UUID: the timestamps (ms) at which the replayed alert was firing."""
    workdir = tmp_path_factory.mktemp("hang-alert")
    binary = shutil.which("vmalert")
    assert binary, "vmalert is not on PATH (Debian's victoria-metrics package ships it)"
    with LocalVictoriaMetrics() as server:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            client.import_jsonl(_lines())
            client.force_flush()
        run = subprocess.run(
            [
                binary,
                f"-rule={GRAFANA / 'alerts.yml'}",
                f"-datasource.url={server.url}",
                f"-remoteWrite.url={server.url}",
                f"-replay.timeFrom={(HANG - timedelta(minutes=30)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
                f"-replay.timeTo={(HANG + timedelta(minutes=90)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
                "-replay.disableProgressBar",
                "-replay.rulesDelay=0s",
                "-datasource.queryStep=1m",  # the group's interval (the default 5m step would reset `for:`)
                "-httpListenAddr=127.0.0.1:0",
                "-loggerLevel=WARN",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            cwd=workdir,
        )
        assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            client.force_flush()
        series = _export(server.url, f'ALERTS{{alertname="{ALERT}",alertstate="firing"}}')
    firing: dict[str, list[int]] = {}
    for line in series:
        metric, stamps = line["metric"], line["timestamps"]
        assert isinstance(metric, dict) and isinstance(stamps, list)
        firing.setdefault(str(metric["UUID"]), []).extend(int(t) for t in stamps)
    yield firing


def test_the_alert_fires_within_15_minutes_of_a_hang_on_the_published_signatures(
    replayed: dict[str, list[int]],
) -> None:
    assert set(replayed) == FIRING
    hang_ms = int(HANG.timestamp() * 1000)
    for uuid in FIRING:
        first = min(replayed[uuid])
        assert hang_ms < first <= hang_ms + 15 * 60 * 1000, (uuid, (first - hang_ms) / 60000)
        assert max(replayed[uuid]) >= hang_ms + 80 * 60 * 1000  # and keeps firing while the hang lasts


@pytest.mark.parametrize("uuid", ["GPU-memory-bound", "GPU-inference-low", "GPU-training"])
def test_the_alert_never_fires_on_real_work(replayed: dict[str, list[int]], uuid: str) -> None:
    assert uuid not in replayed
