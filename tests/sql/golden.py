"""Golden rows (tests/sql/golden/, README there): the expected rows of a query on a fixed fixture, stored as JSON
with their columns' DuckDB types, so that a test compares the production SQL's rows to them exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

GOLDEN = Path(__file__).parent / "golden"


def golden_columns(name: str) -> list[tuple[str, str]]:
    """(column, DuckDB type) of the golden file `name`, in order."""
    return [(column, kind) for column, kind in _read(name)["columns"]]


def load_golden(con: duckdb.DuckDBPyConnection, name: str, case: str, table: str) -> None:
    """Create the temp table `table` with the golden file's columns and types and insert the rows of `case`, in the
    file's order (each value cast to its column's type: floats are stored as their shortest exact repr)."""
    golden = _read(name)
    columns = golden_columns(name)
    definitions = ", ".join(f'"{column}" {kind}' for column, kind in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} ({definitions})")
    casts = ", ".join(f"CAST(? AS {kind})" for _, kind in columns)
    rows = golden["cases"][case]
    assert rows and all(len(row) == len(columns) for row in rows), (name, case)
    con.executemany(f"INSERT INTO {table} SELECT {casts}", rows)


def golden_rows(con: duckdb.DuckDBPyConnection, name: str, case: str) -> list[tuple[Any, ...]]:
    """The rows of `case` as DuckDB returns them (the same Python types as a query's fetchall), in the file's order."""
    load_golden(con, name, case, "golden_rows")
    rows = con.execute("SELECT * FROM golden_rows ORDER BY rowid").fetchall()
    con.execute("DROP TABLE golden_rows")
    return rows


def _read(name: str) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    return parsed
