"""The rules' view of the named SQL files (names without `.sql`); results come back as polars frames.

A thin layer over pipelines.warehouse, which reads the files and binds only the parameters a file uses."""

from __future__ import annotations

from typing import Any

import duckdb
import polars as pl
from gpu_reclaim.core import warehouse


def read_sql(name: str) -> str:
    """The text of sql/<name>.sql."""
    return warehouse.read_sql(f"{name}.sql")


def bind(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the file uses (DuckDB refuses extra ones); a missing one is a KeyError naming it."""
    return warehouse.bound_parameters(f"{name}.sql", params)


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    warehouse.run_sql(con, f"{name}.sql", params)


def frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pl.DataFrame:
    table = warehouse.query_relation(con, f"{name}.sql", params).to_arrow_table()
    polars_frame = pl.from_arrow(table)
    assert isinstance(polars_frame, pl.DataFrame)
    return polars_frame
