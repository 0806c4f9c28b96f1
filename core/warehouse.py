"""The DuckDB warehouse: connections with a lock wait, the schema, and named SQL files with bound parameters."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import duckdb

# The named SQL files ship inside the package (gpu_reclaim/sql/ installed, sql/ in a checkout).
SQL_DIR = Path(str(files("gpu_reclaim.sql")))
SCHEMA_FILES = ("create_tables.sql",)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


# DuckDB's own default is 80% of the machine's memory, and a day's aggregation takes what it is given. With a
# limit it spills to a temp file beside the database instead: peak memory stays flat as the fleet grows.
DEFAULT_MEMORY_LIMIT = "1GB"


class WarehouseLockedError(RuntimeError):
    """Another process holds the DuckDB file for longer than the configured wait."""


@cache
def read_sql(name: str) -> str:
    """The text of `sql/<name>`; SQL lives in named files, never assembled from strings."""
    path = SQL_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no SQL file named {name} in {SQL_DIR}")
    return path.read_text(encoding="utf-8")


def bound_parameters(name: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    """The parameters `sql/<name>` uses, taken from `params` (DuckDB refuses extra ones); missing ones raise."""
    names = sql_parameter_names(name)
    supplied = params or {}
    missing = names - supplied.keys()
    if missing:
        raise KeyError(f"{name} needs parameters {sorted(missing)}")
    return {key: supplied[key] for key in names}


def run_sql(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyConnection:
    """Execute a named SQL file with bound parameters; only the parameters the file uses are passed."""
    used = bound_parameters(name, params)
    return con.execute(read_sql(name), used) if used else con.execute(read_sql(name))


def query_relation(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> duckdb.DuckDBPyRelation:
    """A named query as a relation (for Arrow or polars results without an extra copy)."""
    return con.sql(read_sql(name), params=bound_parameters(name, params) or None)


def fetch_records(
    con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Run a named SQL file and return its rows as dicts keyed by column name."""
    cursor = run_sql(con, name, params)
    columns = [description[0] for description in cursor.description or []]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


@cache
def sql_parameter_names(name: str) -> frozenset[str]:
    """The `$name` parameters a SQL file binds (comments excluded)."""
    text = "\n".join(line.split("--", 1)[0] for line in read_sql(name).splitlines())
    return frozenset(_PARAMETER.findall(text))


def prepare_connection(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("SET TimeZone = 'UTC'")
    for name in SCHEMA_FILES:
        con.execute(read_sql(name))
    for extra in sorted(SQL_DIR.glob("create_*_tables.sql")):
        con.execute(read_sql(extra.name))
    con.execute(read_sql("create_views.sql"))
    con.execute(read_sql("create_macros.sql"))


class Warehouse:
    """A DuckDB file; one writing process at a time, so opening waits up to `lock_timeout_seconds`."""

    def __init__(
        self,
        database: Path | str,
        lock_timeout_seconds: float = 60.0,
        threads: int | None = None,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
    ) -> None:
        self.database = str(database)
        self.lock_timeout_seconds = lock_timeout_seconds
        self.threads = threads
        self.memory_limit = memory_limit

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.2
        while True:
            try:
                con = duckdb.connect(self.database, read_only=read_only)
                break
            except duckdb.IOException as error:
                if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                    if "lock" in str(error).lower():
                        raise WarehouseLockedError(
                            f"{self.database} is held by another process for more than "
                            f"{self.lock_timeout_seconds:.0f}s; wait for the other run to finish"
                        ) from None
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)
        try:
            if self.threads:
                con.execute(f"SET threads = {int(self.threads)}")
            if self.memory_limit:
                con.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
            if not read_only:
                prepare_connection(con)
            else:
                con.execute("SET TimeZone = 'UTC'")
                con.execute(read_sql("create_macros.sql"))
            yield con
        finally:
            con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """BEGIN … COMMIT, rolled back on any error (including KeyboardInterrupt)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
