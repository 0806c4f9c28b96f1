"""Run the named SQL files of sql/ with bound parameters; results come back as polars frames."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, cast

import duckdb
import polars as pl

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


@cache
def read_sql(name: str) -> str:
    """The text of sql/<name>.sql."""
    with (SQL_DIR / f"{name}.sql").open(encoding="utf-8") as handle:
        return handle.read()


def bind(name: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters the file uses (DuckDB refuses extra ones); a missing one is a KeyError naming it."""
    wanted = sorted(set(_PARAM.findall(read_sql(name))))
    missing = [key for key in wanted if key not in params]
    if missing:
        raise KeyError(f"sql/{name}.sql needs parameters {missing}")
    return {key: params[key] for key in wanted}


def execute(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> None:
    con.execute(read_sql(name), bind(name, params))


def frame(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, Any]) -> pl.DataFrame:
    relation = cast(Any, con.sql(read_sql(name), params=bind(name, params)))
    polars_frame: pl.DataFrame = relation.pl()
    return polars_frame
