"""Fixtures of the report page tests (test_reports_overview.py, test_reports_workspace.py) and of the sink tests
(test_tickets_sinks.py, test_tickets_sink_routing.py)."""

from collections.abc import Iterator

import duckdb
import pytest
from gpu_reclaim.reports.models import ReportIndex

from tests.unit.report_fixture import build
from tests.unit.sink_server import Server, serving


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportIndex, duckdb.DuckDBPyConnection]:
    """The reports of report_fixture's window, built once per test module, and its connection."""
    return build(tmp_path_factory)


@pytest.fixture
def server() -> Iterator[Server]:
    """A local HTTP server for the sinks: answers each POST with the next scripted status (then 200)."""
    with serving() as running:
        yield running
