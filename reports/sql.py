"""Read the report queries from `sql/report_*.sql` and run them with bound parameters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parents[1] / "sql"


def read_sql(name: str) -> str:
    """The text of one named query file of `sql/`."""
    with (SQL_DIR / name).open(encoding="utf-8") as handle:
        return handle.read()


def fetch_rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Run `sql/<name>` with named parameters ($workspace, $window_start, ...) and return rows as dicts."""
    result = con.execute(read_sql(name), params)
    columns = [column[0] for column in result.description or []]
    return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
