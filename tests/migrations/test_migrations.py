"""The migration files and the runner on small files: names and numbering, a new file, foreign and broken files."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.migrations import (
    MIGRATION_FILE,
    MIGRATIONS_DIR,
    MigrationError,
    SchemaError,
    baseline_columns,
    known_migrations,
    parse_migrations,
)
from gpu_reclaim.core.provenance import day_spans, record_computed_day
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.core.warehouse import Warehouse, prepare_connection
from gpu_reclaim.pipelines.cli import app
from typer.testing import CliRunner

from gpu_reclaim import __version__
from tests.migrations.conftest import sha256


def test_every_migration_file_is_numbered_without_gaps_or_duplicates() -> None:
    names = sorted(path.name for path in MIGRATIONS_DIR.iterdir() if path.suffix == ".sql")
    assert names, f"no migrations in {MIGRATIONS_DIR}"
    assert all(MIGRATION_FILE.match(name) for name in names), names
    numbers = [int(name[:4]) for name in names]
    assert numbers == list(range(1, len(names) + 1)), names
    assert [migration.file_name for migration in known_migrations()] == names
    assert names[0] == "0001_baseline_v0_1_0.sql"
    # nothing but migrations and the package marker in the folder
    others = {path.name for path in MIGRATIONS_DIR.iterdir()} - set(names) - {"__init__.py", "__pycache__"}
    assert not others, others


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ({"0001_a.sql": "SELECT 1;", "0003_c.sql": "SELECT 1;"}, "without gaps"),
        ({"0001_a.sql": "SELECT 1;", "0001_b.sql": "SELECT 1;"}, "without gaps or duplicates"),
        ({"0002_a.sql": "SELECT 1;"}, "without gaps"),
        ({"0001_a.sql": "SELECT 1;", "2_b.sql": "SELECT 1;"}, "not named NNNN_"),
        ({"0001_Upper.sql": "SELECT 1;"}, "not named NNNN_"),
        ({"0001_a.sql": "BEGIN;\nCREATE TABLE t (x INT);\nCOMMIT;"}, "own BEGIN/COMMIT"),
    ],
)
def test_parse_migrations_refuses_bad_sets(files: dict[str, str], error: str) -> None:
    with pytest.raises(MigrationError, match=re.escape(error)):
        parse_migrations(files)


def test_a_comment_mentioning_commit_is_not_a_transaction() -> None:
    parsed = parse_migrations({"0001_a.sql": "-- COMMIT happens in the runner\nCREATE TABLE t (x INT);"})
    assert [migration.file_name for migration in parsed] == ["0001_a.sql"]


def test_a_new_file_is_initialised_from_0001(tmp_path: Path) -> None:
    db = tmp_path / "new.duckdb"
    upgrade = Warehouse(db).upgrade()
    assert (upgrade.from_version, upgrade.to_version, upgrade.backup) == (0, len(known_migrations()), None)
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT version, name, gpu_reclaim_version, how FROM schema_migrations ORDER BY 1"
        ).fetchall()
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert rows == [(m.version, m.name, __version__, "applied") for m in known_migrations()]
    assert tables == set(baseline_columns()) | {
        "schema_migrations",
        "computed_days",
        "ticket_deliveries",
        "write_back_status",
        "ticket_labels",
        "cluster_days",
        "rule_aggregate_days",  # 0008
        "rule_gpu_day",  # 0008
        "idle_runs_day",  # 0008
        "workload_day",  # 0008
        "workload_values_day",  # 0008
        "workload_activity_day",  # 0008
        "quota_demand_day",  # 0008
        "gpu_power_day",  # 0010
        "wedged_steps_day",  # 0010
        "gang_work_day",  # 0010
    }
    assert not list(tmp_path.glob("*.bak-*"))


def test_in_memory_connections_get_the_schema_too() -> None:
    con = duckdb.connect()
    applied = prepare_connection(con)
    assert applied == [migration.file_name for migration in known_migrations()]
    assert prepare_connection(con) == []  # once only
    record_computed_day(con, "usage", date(2026, 1, 5))
    assert con.execute("SELECT gpu_reclaim_version, origin FROM computed_days").fetchall() == [
        (__version__, "computed")
    ]
    with pytest.raises(ValueError, match="unknown stage"):
        record_computed_day(con, "ingest", date(2026, 1, 5))


def test_a_foreign_duckdb_file_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "other.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE orders (id INTEGER, total DOUBLE)")
    con.execute("INSERT INTO orders VALUES (1, 9.5)")
    con.close()
    before = sha256(db)
    for read_only in (False, True):
        with pytest.raises(SchemaError) as refused, Warehouse(db).connect(read_only=read_only):
            pass
        assert str(refused.value) == (
            f"{db} is not a gpu-reclaim database: it has tables (orders) but no schema_migrations table and none "
            "of gpu-reclaim's; point --db at a new file or at a gpu-reclaim database"
        )
    assert sha256(db) == before and not list(tmp_path.glob("*.bak-*"))


def test_a_file_that_is_not_duckdb_is_refused_in_one_line(tmp_path: Path) -> None:
    db = tmp_path / "notes.duckdb"
    db.write_text("not a database\n" * 1000, encoding="utf-8")
    with pytest.raises(SchemaError, match=r"is not a gpu-reclaim database \(not a DuckDB file\)$"):
        Warehouse(db).upgrade()
    assert db.read_text(encoding="utf-8") == "not a database\n" * 1000


def test_a_v010_file_with_a_table_missing_or_changed_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "odd.duckdb"
    con = duckdb.connect(str(db))
    con.execute(known_migrations()[0].sql)
    con.execute("DROP TABLE defrag_moves")
    con.execute("ALTER TABLE pods ADD COLUMN cluster VARCHAR")
    con.close()
    with pytest.raises(SchemaError) as refused:
        Warehouse(db).upgrade()
    message = str(refused.value)
    assert "\n" not in message and "not a gpu-reclaim v0.1.0 database" in message
    assert "differ from v0.1.0's: pods" in message and "missing tables: defrag_moves" in message


def test_a_migration_recorded_under_another_name_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "fork.duckdb"
    Warehouse(db).upgrade()
    con = duckdb.connect(str(db))
    con.execute(
        "UPDATE schema_migrations SET name = 'something_else', gpu_reclaim_version = '0.2.0+fork' WHERE version = 2"
    )
    con.close()
    with pytest.raises(SchemaError, match=r"records migration 0002 as 'something_else' \(gpu-reclaim 0\.2\.0\+fork\)"):
        Warehouse(db).upgrade()


def test_day_spans() -> None:
    days = [date(2026, 11, 23), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 27)]
    assert day_spans(days) == ["2026-11-23 to 2026-11-25", "2026-11-27"]
    assert day_spans([]) == []


# v0.1.0 created ticket_deliveries (when a sink first delivered) exactly as migration 0002 does for every file now.
V010_TICKET_DELIVERIES = re.compile(r"CREATE TABLE IF NOT EXISTS ticket_deliveries \(.*?\n\);", re.DOTALL)


def test_a_v010_file_with_ticket_deliveries_keeps_them(tmp_path: Path) -> None:
    """v0.1.0 created ticket_deliveries only once a sink had delivered: a file with it is still a v0.1.0 file."""
    db = tmp_path / "with_sinks.duckdb"
    con = duckdb.connect(str(db))
    con.execute(known_migrations()[0].sql)
    con.execute(V010_TICKET_DELIVERIES.search(known_migrations()[1].sql).group(0))  # type: ignore[union-attr]
    con.execute(
        "INSERT INTO ticket_deliveries VALUES ('hook', 'k1', 'idle_allocation-1', 'new', 'high', 'sent', 1, "
        "TIMESTAMP '2026-11-29 00:00:00', TIMESTAMP '2026-11-29 00:00:01', 'ref-1', NULL)"
    )
    con.close()
    upgrade = Warehouse(db).upgrade()
    assert (upgrade.from_version, upgrade.from_release) == (1, "0.1.0")
    con = duckdb.connect(str(db), read_only=True)
    try:
        assert con.execute("SELECT sink, idempotency_key, remote_ref FROM ticket_deliveries").fetchall() == [
            ("hook", "k1", "ref-1")
        ]
    finally:
        con.close()


@pytest.mark.e2e
def test_run_refuses_a_newer_file_before_any_work(tmp_path: Path, victoria_metrics: LocalVictoriaMetrics) -> None:
    db = tmp_path / "newer.duckdb"
    Warehouse(db).upgrade()
    con = duckdb.connect(str(db))
    con.execute("INSERT INTO schema_migrations VALUES (99, 'from_the_future', now(), '9.9.0', 'x', 'applied')")
    con.close()
    before = sha256(db)
    day = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--vm-url",
            victoria_metrics.url,
            "--start",
            day,
            "--end",
            day,
            "--db",
            str(db),
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "9.9.0" in lines[0] and f"gpu-reclaim {__version__}" in lines[0], result.output
    assert sha256(db) == before and not (tmp_path / "tickets.jsonl").exists()
