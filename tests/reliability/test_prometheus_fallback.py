"""A Prometheus-compatible server without VictoriaMetrics' export API (Prometheus, Thanos, Mimir answer 404
there): the pipeline reads the same days through query_range and its tables equal those of the export path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.reliability.conftest import FIRST_DAYS, Demo, day_rows, run_days
from tests.reliability.proxy import FaultProxy

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_without_the_export_api_the_tables_are_the_same(
    demo: Demo, reference: dict[tuple[str, Any], list[tuple[Any, ...]]], tmp_path: Path
) -> None:
    with FaultProxy(demo.url) as proxy:
        proxy.arm("status", status_code=404, status_body=b"404 page not found")
        run_days(proxy.url, demo.config, tmp_path / "fallback.duckdb", tmp_path / "out", FIRST_DAYS)
        paths = {seen.path.split("?")[0] for seen in proxy.seen}
    assert "/api/v1/query_range" in paths
    assert day_rows(tmp_path / "fallback.duckdb") == reference
