"""The DuckDB warehouse: connections with a lock wait, the schema, and named SQL files with bound parameters."""

from __future__ import annotations

import logging
import os
import re
import shutil
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
from gpu_reclaim.core.warehouse_limits import DEFAULT_MEMORY_LIMIT

from gpu_reclaim import __version__

if TYPE_CHECKING:
    from gpu_reclaim.core.config import WarehouseConfig

# The named SQL files ship inside the package (gpu_reclaim/sql/ installed, sql/ in a checkout).
SQL_DIR = Path(str(files("gpu_reclaim.sql")))
log = logging.getLogger(__name__)
_PARAMETER = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


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


def prepare_connection(con: duckdb.DuckDBPyConnection, database: str = "the database") -> list[str]:
    """Bring an open, writable connection to this gpu-reclaim's schema: UTC, the pending migrations (each in one
    transaction; a file this code must not touch is refused in one line before any change), then the views and
    macros. Returns the migration files applied."""
    from gpu_reclaim.core.migrations import apply_pending, inspect_schema, known_migrations, recreate_views_and_macros

    con.execute("SET TimeZone = 'UTC'")
    migrations = known_migrations()
    applied = apply_pending(con, inspect_schema(con, migrations, database), migrations)
    recreate_views_and_macros(con)
    return applied


@dataclass(frozen=True)
class Upgrade:
    """What opening a file for writing did to its schema (nothing when from_version == to_version)."""

    database: str
    from_version: int
    to_version: int
    from_release: str | None
    applied: tuple[str, ...]
    backup: Path | None

    def describe(self) -> str:
        if not self.applied:
            return f"{self.database} is at schema version {self.to_version:04d}"
        if self.from_version == 0:
            return f"{self.database}: new database, schema version {self.to_version:04d}"
        saved = f"; backup: {self.backup}" if self.backup else "; no backup (warehouse.backup_before_migrate = false)"
        return (
            f"{self.database} upgraded from schema version {self.from_version:04d} (gpu-reclaim "
            f"{self.from_release}) to {self.to_version:04d}: {', '.join(self.applied)}{saved}"
        )


class Warehouse:
    """A DuckDB file; one writing process at a time, so opening waits up to `lock_timeout_seconds`.

    Opening it for writing applies the pending schema migrations first (core/migrations.py); before migrating an
    existing file it is copied next to itself as `<file>.bak-<gpu-reclaim version it was at>`, unless
    `backup_before_migrate` is off (config `[warehouse] backup_before_migrate`)."""

    def __init__(
        self,
        database: Path | str,
        lock_timeout_seconds: float = 60.0,
        threads: int | None = None,
        memory_limit: str | None = DEFAULT_MEMORY_LIMIT,
        backup_before_migrate: bool = True,
    ) -> None:
        self.database = str(database)
        self.lock_timeout_seconds = lock_timeout_seconds
        self.threads = threads
        self.memory_limit = memory_limit
        self.backup_before_migrate = backup_before_migrate

    @classmethod
    def configured(cls, database: Path | str, lock_timeout_seconds: float, config: WarehouseConfig) -> Warehouse:
        """The warehouse as `[warehouse]` sets it: DuckDB's memory_limit and threads, the backup before migrating."""
        return cls(
            database,
            lock_timeout_seconds,
            threads=config.threads or None,
            memory_limit=config.memory_limit,
            backup_before_migrate=config.backup_before_migrate,
        )

    def _open(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        from gpu_reclaim.core.migrations import SchemaError

        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_seconds
        delay = 0.2
        while True:
            try:
                return duckdb.connect(self.database, read_only=read_only)
            except duckdb.IOException as error:
                if "not a valid duckdb database" in str(error).lower():
                    raise SchemaError(f"{self.database} is not a gpu-reclaim database (not a DuckDB file)") from None
                if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                    if "lock" in str(error).lower():
                        raise WarehouseLockedError(
                            f"{self.database} is held by another process for more than "
                            f"{self.lock_timeout_seconds:.0f}s; wait for the other run to finish"
                        ) from None
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _prepare(self, con: duckdb.DuckDBPyConnection, read_only: bool) -> Upgrade:
        from gpu_reclaim.core.migrations import SchemaError, inspect_schema, known_migrations

        if self.threads:
            con.execute(f"SET threads = {int(self.threads)}")
        if self.memory_limit:
            con.execute("SET memory_limit = $limit", {"limit": self.memory_limit})
        con.execute("SET TimeZone = 'UTC'")
        migrations = known_migrations()
        state = inspect_schema(con, migrations, self.database)
        pending = state.pending(migrations)
        if read_only:
            if pending:
                raise SchemaError(
                    f"{self.database} is at schema version {state.version:04d} (gpu-reclaim {state.written_by}) and "
                    f"gpu-reclaim {__version__} needs {len(migrations):04d}, which a read-only open cannot apply; "
                    "run a writing command on it first (gpu-reclaim rescore or run), which migrates it after a backup"
                )
            con.execute(read_sql("create_macros.sql"))
            return Upgrade(self.database, state.version, state.version, state.written_by, (), None)
        backup = None
        if pending and state.version > 0 and self.backup_before_migrate and self.database != ":memory:":
            backup = self._backup(con, str(state.written_by), state.version)
        applied = prepare_connection(con, self.database)
        return Upgrade(self.database, state.version, len(migrations), state.written_by, tuple(applied), backup)

    def _backup(self, con: duckdb.DuckDBPyConnection, release: str, version: int) -> Path:
        """Copy the file next to itself, consistent: CHECKPOINT first, and the copy is taken while this process
        holds the file's lock (no other writer), then checked to open at the same schema version."""
        from gpu_reclaim.core.migrations import SchemaError, inspect_schema, known_migrations

        source = Path(self.database)
        target = source.with_name(f"{source.name}.bak-{release}")
        temp = target.with_name(f"{target.name}.tmp")
        try:
            con.execute("CHECKPOINT")
            with source.open("rb") as reader, temp.open("wb") as writer:
                shutil.copyfileobj(reader, writer, length=16 << 20)
                writer.flush()
                os.fsync(writer.fileno())
            check = duckdb.connect(str(temp), read_only=True)
            try:
                copied = inspect_schema(check, known_migrations(), str(temp)).version
            finally:
                check.close()
            if copied != version:
                raise SchemaError(f"the copy is at schema version {copied:04d}, not {version:04d}")
            os.replace(temp, target)
        except (OSError, duckdb.Error, SchemaError) as error:
            temp.unlink(missing_ok=True)
            raise SchemaError(
                f"could not back up {source} to {target} before migrating it, nothing was changed ({error}); "
                "free disk space, or set [warehouse] backup_before_migrate = false"
            ) from None
        return target

    def upgrade(self) -> Upgrade:
        """Open for writing once: refuse a file this code must not touch, back up, apply pending migrations."""
        con = self._open(read_only=False)
        try:
            return self._prepare(con, read_only=False)
        finally:
            con.close()

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self._open(read_only)
        try:
            upgrade = self._prepare(con, read_only)
            if upgrade.applied:
                (log.warning if upgrade.from_version else log.info)("%s", upgrade.describe())
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
