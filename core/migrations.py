"""The schema version of a DuckDB file and its forward migrations.

Every change of schema is a numbered file `sql/migrations/NNNN_<name>.sql` (numbered from 0001 without gaps). On
start the warehouse judges the file (:func:`inspect_schema`), refuses in one line what it must not touch (a file
from a newer gpu-reclaim, a file that is not a gpu-reclaim database), and applies the pending migrations in order,
each in one transaction together with its row in `schema_migrations` (:func:`apply_pending`). A crash or an
interrupt during a migration rolls back that migration as a whole.

0001 is the baseline: exactly the tables of gpu-reclaim v0.1.0, which had no version table. A file with those tables
and no `schema_migrations` is recognised by its tables and recorded as at 0001 ('adopted') without re-running 0001;
the record is written in the transaction of the next migration, so a failed upgrade leaves a v0.1.0 file as it was.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

import duckdb
from gpu_reclaim.core.warehouse import SQL_DIR, fetch_records, read_sql, run_sql, transaction

from gpu_reclaim import __version__

log = logging.getLogger(__name__)

MIGRATIONS_DIR = SQL_DIR / "migrations"
MIGRATION_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9][a-z0-9_]*)\.sql$")
# A migration runs inside the runner's transaction; its own BEGIN/COMMIT would split it.
_TRANSACTION_STATEMENT = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|END)\b", re.IGNORECASE | re.MULTILINE)
BASELINE_RELEASE = "0.1.0"
VERSION_TABLE = "schema_migrations"


class SchemaError(RuntimeError):
    """The file cannot be used by this gpu-reclaim: the message is one line that says why and what to do."""


class MigrationError(RuntimeError):
    """A migration failed; its transaction was rolled back and the file is as it was before it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def file_name(self) -> str:
        return f"{self.version:04d}_{self.name}.sql"

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.sql.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SchemaState:
    """Where a file stands: `version` 0 is a new, empty file; `written_by` the gpu-reclaim version of its last
    migration; `adopted` a v0.1.0 file (its tables, no version table) whose 0001 is not recorded yet."""

    version: int
    written_by: str | None
    adopted: bool = False
    recorded: tuple[int, ...] = field(default=())

    def pending(self, migrations: Sequence[Migration]) -> list[Migration]:
        return [migration for migration in migrations if migration.version > self.version]


def parse_migrations(files: dict[str, str]) -> list[Migration]:
    """File name -> text, checked: every name is NNNN_<name>.sql, numbered 1, 2, 3, ... without gaps or
    duplicates, and no file opens or ends a transaction of its own."""
    migrations = []
    for file_name, text in files.items():
        match = MIGRATION_FILE.match(file_name)
        if match is None:
            raise MigrationError(f"migration file {file_name} is not named NNNN_<lowercase_name>.sql")
        if _TRANSACTION_STATEMENT.search("\n".join(line.split("--", 1)[0] for line in text.splitlines())):
            raise MigrationError(f"migration {file_name} has its own BEGIN/COMMIT; the runner gives each one")
        migrations.append(Migration(int(match["version"]), match["name"], text))
    migrations.sort(key=lambda migration: migration.version)
    numbers = [migration.version for migration in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise MigrationError(f"migrations must be numbered 0001, 0002, ... without gaps or duplicates, got {numbers}")
    return migrations


@cache
def known_migrations() -> tuple[Migration, ...]:
    """The migrations this gpu-reclaim ships (package data gpu_reclaim/sql/migrations/*.sql), in order."""
    files = {path.name: path.read_text(encoding="utf-8") for path in MIGRATIONS_DIR.glob("*.sql")}
    return tuple(parse_migrations(files))


@cache
def baseline_columns() -> dict[str, tuple[tuple[str, str], ...]]:
    """Table -> (column, type) of migration 0001, from a scratch in-memory database."""
    con = duckdb.connect()
    try:
        con.execute(known_migrations()[0].sql)
        return table_columns(con)
    finally:
        con.close()


def table_columns(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[tuple[str, str], ...]]:
    columns: dict[str, list[tuple[str, str]]] = {}
    for row in fetch_records(con, "select_table_columns.sql"):
        columns.setdefault(row["table_name"], []).append((row["column_name"], row["data_type"]))
    return {table: tuple(cols) for table, cols in columns.items()}


def inspect_schema(
    con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration], database: str = "the database"
) -> SchemaState:
    """The file's schema version, or a one-line SchemaError for a file this code must not touch."""
    objects = fetch_records(con, "select_schema_objects.sql")
    tables = {row["name"] for row in objects if row["kind"] == "table"}
    if VERSION_TABLE in tables:
        return _recorded_state(con, migrations, database)
    if not objects:
        return SchemaState(version=0, written_by=None)
    baseline = baseline_columns()
    ours = tables & baseline.keys()
    if not ours:
        raise SchemaError(
            f"{database} is not a gpu-reclaim database: it has tables ({_sample(tables)}) but no {VERSION_TABLE} "
            "table and none of gpu-reclaim's; point --db at a new file or at a gpu-reclaim database"
        )
    present = table_columns(con)
    changed = sorted(table for table in ours if present.get(table) != baseline[table])
    missing = sorted(baseline.keys() - tables)
    if changed or missing:
        what = f"tables that differ from v{BASELINE_RELEASE}'s: {_sample(changed)}" if changed else ""
        what += ("; " if what else "") + (f"missing tables: {_sample(missing)}" if missing else "")
        raise SchemaError(
            f"{database} has no {VERSION_TABLE} table and is not a gpu-reclaim v{BASELINE_RELEASE} database "
            f"({what}); it cannot be upgraded automatically"
        )
    return SchemaState(version=1, written_by=BASELINE_RELEASE, adopted=True)


def _recorded_state(con: duckdb.DuckDBPyConnection, migrations: Sequence[Migration], database: str) -> SchemaState:
    rows = fetch_records(con, "select_schema_migrations.sql")
    if not rows:
        raise SchemaError(f"{database} has an empty {VERSION_TABLE} table: it was not written by gpu-reclaim")
    latest = rows[-1]
    known = {migration.version: migration for migration in migrations}
    if latest["version"] > len(migrations):
        raise SchemaError(
            f"{database} has schema version {latest['version']:04d}, written by gpu-reclaim "
            f"{latest['gpu_reclaim_version']}; this is gpu-reclaim {__version__}, which knows versions up to "
            f"{len(migrations):04d}: run gpu-reclaim {latest['gpu_reclaim_version']} or newer on it"
        )
    numbers = [row["version"] for row in rows]
    if numbers != list(range(1, len(rows) + 1)):
        raise SchemaError(f"{database} records migrations {numbers}, not 1 to {len(rows)} in order: it was edited")
    for row in rows:
        if known[row["version"]].name != row["name"]:
            raise SchemaError(
                f"{database} records migration {row['version']:04d} as '{row['name']}' (gpu-reclaim "
                f"{row['gpu_reclaim_version']}), but this is gpu-reclaim {__version__}, whose "
                f"{row['version']:04d} is '{known[row['version']].name}': it was written by another build"
            )
    return SchemaState(
        version=int(latest["version"]), written_by=str(latest["gpu_reclaim_version"]), recorded=tuple(numbers)
    )


def _sample(names: Sequence[str] | set[str], limit: int = 5) -> str:
    ordered = sorted(names)
    more = f", … {len(ordered) - limit} more" if len(ordered) > limit else ""
    return ", ".join(ordered[:limit]) + more


def _record(con: duckdb.DuckDBPyConnection, migration: Migration, how: str, by: str) -> None:
    run_sql(con, "create_schema_migrations.sql")
    params = {
        "version": migration.version,
        "name": migration.name,
        "gpu_reclaim_version": by,
        "sha256": migration.sha256,
        "how": how,
    }
    run_sql(con, "insert_schema_migration.sql", params)


def apply_pending(con: duckdb.DuckDBPyConnection, state: SchemaState, migrations: Sequence[Migration]) -> list[str]:
    """Apply every pending migration in order, each in its own transaction with its schema_migrations row.

    A v0.1.0 file's adoption of 0001 is recorded in the transaction of the first migration it gets, so a failure
    leaves such a file exactly as v0.1.0 left it. Returns the file names applied."""
    adopt = state.adopted
    applied: list[str] = []
    pending = state.pending(migrations)
    if adopt and not pending:
        with transaction(con):
            _record(con, migrations[0], "adopted", BASELINE_RELEASE)
    for migration in pending:
        log.info("applying migration %s", migration.file_name)
        try:
            with transaction(con):
                if adopt:
                    _record(con, migrations[0], "adopted", BASELINE_RELEASE)
                    adopt = False
                con.execute(migration.sql)
                _record(con, migration, "applied", __version__)
        except duckdb.InterruptException:
            raise  # rolled back; an interrupt stays an interrupt for the caller
        except duckdb.Error as error:
            first = (str(error).strip().splitlines() or [""])[0]
            raise MigrationError(
                f"migration {migration.file_name} failed and was rolled back, the file is as it was before it "
                f"({type(error).__name__}: {first[:300]})"
            ) from error
        applied.append(migration.file_name)
    return applied


def recreate_views_and_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Views and macros hold no data: re-created on every writing start instead of migrated."""
    con.execute(read_sql("create_views.sql"))
    con.execute(read_sql("create_macros.sql"))
