"""Shared fixtures: a real VictoriaMetrics on 127.0.0.1 for the whole session (no mock), temp warehouses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics, find_binary
from gpu_reclaim.core.warehouse import Warehouse, prepare_connection

# the wheel installed in a fresh venv and a VictoriaMetrics loaded with the demo (tests/packaging, tests/deploy)
from tests.installed import demo_metrics, installed_package  # noqa: F401

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def victoria_metrics() -> Iterator[LocalVictoriaMetrics]:
    """A private VictoriaMetrics server with a temp data dir, started once per test session."""
    find_binary()  # a missing binary is a setup error, not a skip: `make test` installs it
    with LocalVictoriaMetrics() as server:
        yield server


@pytest.fixture
def vm_settings(victoria_metrics: LocalVictoriaMetrics) -> Settings:
    return Settings(victoria_metrics=VictoriaMetricsConfig(url=victoria_metrics.url, retries=1, backoff_seconds=0.1))


@pytest.fixture
def vm_client(vm_settings: Settings) -> Iterator[VictoriaMetricsClient]:
    with VictoriaMetricsClient(vm_settings.victoria_metrics) as client:
        yield client


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path / "test.duckdb", lock_timeout_seconds=5)


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB brought to this gpu-reclaim's schema (migrations, views, macros), as the SQL tests use."""
    connection = duckdb.connect()
    prepare_connection(connection)
    yield connection
    connection.close()
