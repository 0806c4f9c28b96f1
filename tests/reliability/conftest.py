"""Shared fixtures of the reliability suite: one private VictoriaMetrics loaded with a 10-day demo at a 300 s step
(fast, and still every kind of series), a reference run of its first two days, and helpers to compare databases."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.pipelines.cli_common import resources as cli_resources
from gpu_reclaim.pipelines.runner import RunSummary, run_pipeline
from gpu_reclaim.scenarios.demo import DemoScenario

from tests.private_servers import server_with_demo
from tests.reliability.proxy import FaultProxy

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
DAYS = 10
STEP = 300
FIRST_DAYS = [START.date(), START.date() + timedelta(days=1)]
# Tables whose rows are replaced one UTC day at a time (column `day`).
DAY_TABLES = (
    "gpu_samples", "data_quality", "pod_steps", "pods", "namespaces", "nodes", "quota_steps",
    "pod_gpu_usage_daily", "pod_usage_daily", "project_usage_daily", "workspace_usage_daily",
    "pod_gpu_usage_hourly", "project_usage_hourly", "machine_group_usage_hourly",
    "cluster_fragmentation", "machine_group_fragmentation", "node_fragmentation", "pending_demand",
    "typical_pod_classes", "defrag_plans", "defrag_moves",
)  # fmt: skip


@dataclass(frozen=True)
class Demo:
    server: LocalVictoriaMetrics
    config: Path
    truth: dict[str, Any]

    @property
    def url(self) -> str:
        return self.server.url


def write_config(path: Path, extra: str = "") -> Path:
    path.write_text(f"step_seconds = {STEP}\n{extra}", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    workdir = tmp_path_factory.mktemp("reliability-demo")
    with server_with_demo(DemoScenario(start=START, days=DAYS, step_seconds=STEP), workdir / "truth.json") as server:
        truth = json.loads((workdir / "truth.json").read_text(encoding="utf-8"))
        yield Demo(server, write_config(workdir / "config.toml"), truth)


def resources(url: str, config: Path, db: Path, out: Path, lock_timeout: float = 120.0) -> dict[str, Any]:
    """The CLI's resources (settings, warehouse, outputs) for this server, config and files."""
    return cli_resources(config, url, db, out, lock_timeout)


def run_days(url: str, config: Path, db: Path, out: Path, days: Sequence[date], weekly: bool = False) -> RunSummary:
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS

    return run_pipeline(DAILY_ASSETS, WEEKLY_ASSETS if weekly else [], resources(url, config, db, out), days)


def day_rows(db: Path, tables: Sequence[str] = DAY_TABLES) -> dict[tuple[str, date], list[tuple[Any, ...]]]:
    """(table, day) -> the day's rows, sorted, for every day-partitioned table."""
    rows: dict[tuple[str, date], list[tuple[Any, ...]]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in tables:
            # table names come from the DAY_TABLES constant above, never from data
            for row in con.execute(f"SELECT * FROM {table}").fetchall():
                rows.setdefault((table, row[0]), []).append(row)
    return {key: sorted(value, key=repr) for key, value in rows.items()}


def day_digests(db: Path, tables: Sequence[str] = DAY_TABLES) -> dict[tuple[str, date], tuple[int, int]]:
    """(table, day) -> (rows, an order-independent hash of every row): a snapshot that costs no memory."""
    digests: dict[tuple[str, date], tuple[int, int]] = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for table in tables:  # names from the DAY_TABLES constant
            query = f"SELECT day, count(*), sum(hash(t)::HUGEINT) FROM {table} t GROUP BY day"
            for day, count, digest in con.execute(query).fetchall():
                digests[(table, day)] = (int(count), int(digest))
    return digests


@pytest.fixture(scope="session")
def reference(demo: Demo, tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, date], list[tuple[Any, ...]]]:
    """The first two days run once without any fault: what every faulted-then-resumed run must equal."""
    workdir = tmp_path_factory.mktemp("reference")
    run_days(demo.url, demo.config, workdir / "ref.duckdb", workdir / "out", FIRST_DAYS)
    rows = day_rows(workdir / "ref.duckdb")
    assert {day for _, day in rows} == set(FIRST_DAYS)
    assert all(
        rows.get((table, day)) for table in ("gpu_samples", "pod_steps", "pod_usage_daily") for day in FIRST_DAYS
    )
    return rows


@pytest.fixture
def proxy(demo: Demo) -> Iterator[FaultProxy]:
    with FaultProxy(demo.url) as fault_proxy:
        yield fault_proxy


def settings_for(url: str, **vm: Any) -> Settings:
    options: dict[str, Any] = {"retries": 2, "backoff_seconds": 0.05, "timeout_seconds": 5.0, **vm}
    return Settings(step_seconds=STEP, victoria_metrics=VictoriaMetricsConfig(url=url, **options))


def samples_of(lines: list[bytes]) -> list[tuple[str, int, float]]:
    samples = []
    for line in lines:
        row = json.loads(line)
        labels = json.dumps(row["metric"], sort_keys=True)
        samples += [(labels, ts, float(v)) for ts, v in zip(row["timestamps"], row["values"], strict=True)]
    return sorted(samples)
