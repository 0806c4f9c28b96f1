"""Fixtures of the write-back suite: the demo's last three complete days (before today, so that vmalert's live
evaluation sees them inside its windows) loaded into the session's real VictoriaMetrics, run through every daily
asset with the write-back on (cluster label "demo"), and helpers to query the server and run its companions."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig, load_config
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics, free_port, terminate
from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
from gpu_reclaim.pipelines.runner import RunSummary, days_between, run_pipeline
from gpu_reclaim.scenarios.demo import DemoScenario, load_demo

REPO = Path(__file__).resolve().parents[2]
GRAFANA = REPO / "grafana"
STEP = 300
DAYS = 3
CLUSTER = "demo"


@dataclass(frozen=True)
class Written:
    url: str
    db: Path
    config: Path
    out: Path
    days: list[date]
    summary: RunSummary

    def settings(self) -> Settings:
        return load_config(self.config).model_copy(
            update={"victoria_metrics": VictoriaMetricsConfig(url=self.url, retries=1, backoff_seconds=0.1)}
        )


def write_config(path: Path, write_back: str = "") -> Path:
    path.write_text(
        f'step_seconds = {STEP}\n\n[write_back]\nenabled = true\ncluster = "{CLUSTER}"\n{write_back}', encoding="utf-8"
    )
    return path


def resources(url: str, config: Path, db: Path, out: Path) -> dict[str, Any]:
    return {
        "settings": SettingsResource(config_path=str(config), vm_url=url),
        "warehouse": WarehouseResource(database=str(db), lock_timeout_seconds=60),
        "outputs": OutputsResource(out_dir=str(out)),
    }


def run_days(url: str, config: Path, db: Path, out: Path, days: list[date]) -> RunSummary:
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS

    return run_pipeline(DAILY_ASSETS, [], resources(url, config, db, out), days)


@pytest.fixture(scope="session")
def writeback_vm() -> Iterator[LocalVictoriaMetrics]:
    """A VictoriaMetrics of the write-back tests alone: other tests import demo days into the session's server, and
    a re-run of a day here must read exactly the source series this module imported."""
    with LocalVictoriaMetrics() as server:
        yield server


@pytest.fixture(scope="session")
def written(writeback_vm: LocalVictoriaMetrics, tmp_path_factory: pytest.TempPathFactory) -> Written:
    """The demo's three days before today, scored and written back into the write-back tests' VictoriaMetrics."""
    victoria_metrics = writeback_vm
    workdir = tmp_path_factory.mktemp("writeback")
    first = datetime.now(UTC).date() - timedelta(days=DAYS)
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=victoria_metrics.url)) as client:
        load_demo(client, DemoScenario(start=start, days=DAYS, step_seconds=STEP), workdir / "truth.json")
    config = write_config(workdir / "config.toml")
    days = days_between(first, first + timedelta(days=DAYS - 1))
    db, out = workdir / "demo.duckdb", workdir / "out"
    summary = run_days(victoria_metrics.url, config, db, out, days)
    assert not [w for w in summary.warnings if "write-back" in w], summary.warnings
    return Written(victoria_metrics.url, db, config, out, days, summary)


def copy_db(written: Written, tmp_path: Path) -> Path:
    """A private copy of the demo's database, for a test that changes it."""
    target = tmp_path / "copy.duckdb"
    shutil.copyfile(written.db, target)
    return target


# -- queries ---------------------------------------------------------------------------------------------------


def query(url: str, expr: str, at: datetime) -> list[dict[str, Any]]:
    response = httpx.get(f"{url}/api/v1/query", params={"query": expr, "time": f"{at.timestamp():.3f}"}, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def query_range(url: str, expr: str, start: datetime, end: datetime, step: str = "1h") -> list[dict[str, Any]]:
    params = {"query": expr, "start": f"{start.timestamp():.0f}", "end": f"{end.timestamp():.0f}", "step": step}
    response = httpx.get(f"{url}/api/v1/query_range", params=params, timeout=30)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", (expr, body)
    return list(body["data"]["result"])


def export(url: str, selector: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    params = {"match[]": selector, "start": f"{start.timestamp():.0f}", "end": f"{end.timestamp():.0f}"}
    response = httpx.post(f"{url}/api/v1/export", data=params, timeout=30)
    response.raise_for_status()
    return [json.loads(line) for line in response.text.splitlines() if line.strip()]


def series_count(url: str, selector: str, start: datetime, end: datetime) -> int:
    params = {"match[]": selector, "start": f"{start.timestamp():.0f}", "end": f"{end.timestamp():.0f}"}
    response = httpx.get(f"{url}/api/v1/series", params=params, timeout=30)
    response.raise_for_status()
    return len(response.json()["data"])


def midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# -- vmalert and its notifier -----------------------------------------------------------------------------------


class AlertSink:
    """An Alertmanager-compatible endpoint on 127.0.0.1 that records every alert POSTed to /api/v2/alerts."""

    def __init__(self) -> None:
        self.alerts: list[dict[str, Any]] = []
        self.payloads: list[list[dict[str, Any]]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path.rstrip("/") == "/api/v2/alerts":
                    payload = json.loads(body)
                    sink.payloads.append(payload)
                    received = datetime.now(UTC)
                    sink.alerts.extend({**alert, "received": received} for alert in payload)
                    self.send_response(200)
                else:
                    self.send_response(404)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> AlertSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def firing(self, alertname: str) -> list[dict[str, Any]]:
        """Alerts of that name sent as firing: endsAt later than when they arrived (a resolved alert's is not)."""
        return [
            alert
            for alert in self.alerts
            if alert["labels"].get("alertname") == alertname
            and datetime.fromisoformat(alert["endsAt"][:26].rstrip("Z") + "+00:00") > alert["received"]
        ]


def fast_rules(tmp_path: Path) -> Path:
    """grafana/alerts.yml with its groups evaluated every second (the expressions untouched)."""
    import yaml

    rules = yaml.safe_load((GRAFANA / "alerts.yml").read_text(encoding="utf-8"))
    for group in rules["groups"]:
        group["interval"] = "1s"
    path = tmp_path / "alerts-fast.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False), encoding="utf-8")
    return path


@dataclass
class VmAlert:
    process: subprocess.Popen[bytes]
    url: str
    log: Path


def run_vmalert(rules: Path, datasource: str, notifier: str, workdir: Path, evaluations: int = 3) -> VmAlert:
    """Start Debian's vmalert, wait until every rule was evaluated `evaluations` times without error, return it
    running (stop it with stop_vmalert)."""
    binary = shutil.which("vmalert")
    assert binary, "vmalert is not on PATH (Debian's victoria-metrics package ships it)"
    port = free_port()
    log = workdir / "vmalert.log"
    with log.open("ab") as sink:
        process = subprocess.Popen(
            [
                binary,
                f"-rule={rules}",
                f"-datasource.url={datasource}",
                f"-notifier.url={notifier}",
                f"-httpListenAddr=127.0.0.1:{port}",
                "-evaluationInterval=1s",
                "-loggerLevel=WARN",
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    vmalert = VmAlert(process, f"http://127.0.0.1:{port}", log)
    deadline = time.monotonic() + 60
    stamps: dict[str, set[str]] = {}
    while time.monotonic() < deadline:
        assert process.poll() is None, f"vmalert exited: {log.read_text(errors='replace')[-800:]}"
        try:
            groups = httpx.get(f"{vmalert.url}/api/v1/rules", timeout=2).json()["data"]["groups"]
        except (httpx.HTTPError, ValueError, KeyError):
            time.sleep(0.2)
            continue
        every_rule = [rule for group in groups for rule in group["rules"]]
        for rule in every_rule:
            assert not rule.get("lastError"), (rule["name"], rule["lastError"])
            if not rule["lastEvaluation"].startswith("0001-"):  # Go's zero time: not evaluated yet
                stamps.setdefault(rule["name"], set()).add(rule["lastEvaluation"])
        if every_rule and all(len(stamps.get(rule["name"], ())) >= evaluations for rule in every_rule):
            time.sleep(1.0)  # notifications are sent right after the evaluation is recorded
            return vmalert
        time.sleep(0.2)
    stop_vmalert(vmalert)
    raise AssertionError(f"vmalert did not evaluate every rule {evaluations} times in 60 s: {stamps}")


def stop_vmalert(vmalert: VmAlert) -> None:
    terminate(vmalert.process)


@pytest.fixture
def alert_sink() -> Iterator[AlertSink]:
    with AlertSink() as sink:
        yield sink
