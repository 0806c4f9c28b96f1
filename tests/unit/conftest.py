"""Fixtures of the report page tests (test_reports_overview.py, test_reports_workspace.py)."""

import duckdb
import pytest
from gpu_reclaim.reports.models import ReportIndex

from tests.unit.report_fixture import build


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReportIndex, duckdb.DuckDBPyConnection]:
    """The reports of report_fixture's window, built once per test module, and its connection."""
    return build(tmp_path_factory)
