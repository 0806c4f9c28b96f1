"""A v0.1.0 file that cannot or must not be upgraded: a newer release's file and a read-only open are refused in
one line, a failing, crashed or interrupted migration rolls back to the version before (and the backup is the v0.1.0
file); the backup can be switched off. (What an upgrade keeps is test_upgrade_from_v010.py.)"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import textwrap
import threading
import time

import duckdb
import pytest
from gpu_reclaim.core import migrations
from gpu_reclaim.core.config import settings_from_mapping
from gpu_reclaim.core.migrations import (
    Migration,
    MigrationError,
    SchemaError,
    known_migrations,
)
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.cli import app
from gpu_reclaim.pipelines.upgrade import upgrade_database
from typer.testing import CliRunner

from gpu_reclaim import __version__
from tests.migrations.conftest import LATEST, OldRelease, has_table, recorded, sha256


def test_a_file_from_a_newer_release_is_refused_in_one_line(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    con = duckdb.connect(str(old_release.db))
    con.execute(
        "INSERT INTO schema_migrations VALUES ($v, 'from_the_future', now(), '9.9.0', 'x', 'applied')",
        {"v": LATEST + 1},
    )
    con.close()
    before = sha256(old_release.db)
    for read_only in (False, True):
        with pytest.raises(SchemaError) as refused, Warehouse(old_release.db).connect(read_only=read_only):
            pass
        message = str(refused.value)
        assert "\n" not in message and "9.9.0" in message and f"gpu-reclaim {__version__}" in message
    result = CliRunner().invoke(
        app, ["rescore", "--start", "2026-11-23", "--end", "2026-11-23", "--db", str(old_release.db)]
    )
    assert result.exit_code == 1 and "9.9.0" in result.output and __version__ in result.output
    assert result.output.strip().startswith("error:") and "Traceback" not in result.output
    assert sha256(old_release.db) == before


def test_an_unmigrated_file_opened_read_only_is_refused(old_release: OldRelease) -> None:
    refusal = r"schema version 0001 \(gpu-reclaim 0\.1\.0\).*read-only"
    with pytest.raises(SchemaError, match=refusal), Warehouse(old_release.db).connect(read_only=True):
        pass
    assert sha256(old_release.db) == old_release.manifest["database"]["sha256"]


def test_backup_can_be_switched_off(old_release: OldRelease) -> None:
    settings = settings_from_mapping({"warehouse": {"backup_before_migrate": False}})
    upgrade = upgrade_database(old_release.db, settings)
    assert upgrade is not None and upgrade.backup is None and upgrade.to_version == LATEST
    assert "no backup" in upgrade.describe()
    assert not list(old_release.db.parent.glob("*.bak-*"))


def broken(version: int, text: str) -> tuple[Migration, ...]:
    return (*known_migrations()[: version - 1], Migration(version, "broken", text))


def test_a_failing_first_migration_leaves_the_v010_file_as_it_was(
    old_release: OldRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = known_migrations()[1].sql + "\nUPDATE gpu_samples SET raw_samples = raw_samples + 1;\nSELECT nope FROM pods;"
    monkeypatch.setattr(migrations, "known_migrations", lambda: broken(2, text))
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed and was rolled back") as failed:
        Warehouse(old_release.db).upgrade()
    assert "\n" not in str(failed.value)
    assert not has_table(old_release.db, "schema_migrations")  # not even 0001's adoption is recorded
    assert not has_table(old_release.db, "computed_days")
    assert old_release.fingerprint() == old_release.manifest["tables"]
    backup = old_release.db.with_name("gpu_reclaim.duckdb.bak-0.1.0")
    assert sha256(backup) == old_release.manifest["database"]["sha256"]


def test_a_failing_later_migration_keeps_the_earlier_ones(
    old_release: OldRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "ALTER TABLE gpu_samples ADD COLUMN cluster_test VARCHAR DEFAULT 'default';\nSELECT nope FROM pods;"
    monkeypatch.setattr(migrations, "known_migrations", lambda: broken(LATEST + 1, text))
    with pytest.raises(MigrationError, match=rf"{LATEST + 1:04d}_broken\.sql failed"):
        Warehouse(old_release.db).upgrade()
    assert [row[0] for row in recorded(old_release.db)] == list(range(1, LATEST + 1))
    assert old_release.fingerprint() == old_release.manifest["tables"]  # no `cluster_test` column, nothing changed
    monkeypatch.undo()
    assert Warehouse(old_release.db).upgrade().applied == ()  # the file is usable at the version before


SLOW = (
    "ALTER TABLE gpu_samples ADD COLUMN cluster_test VARCHAR DEFAULT 'default';\n"
    "UPDATE gpu_samples SET raw_samples = raw_samples + 1;\n"
    "CREATE TABLE busy AS SELECT sum(a.range * b.range) AS s FROM range(100000000) AS a, range(100000) AS b;"
)
CHILD = """
import logging, sys
from gpu_reclaim.core import migrations
from gpu_reclaim.core.warehouse import Warehouse
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
ours = migrations.known_migrations()
slow = migrations.Migration(len(ours) + 1, "slow", sys.argv[2])
migrations.known_migrations = lambda: (*ours, slow)
Warehouse(sys.argv[1]).upgrade()
"""


def assert_rolled_back_to_the_version_before(old_release: OldRelease) -> None:
    """The slow migration left nothing, the ones before it are there, every old row is as it was, and the
    backup is the v0.1.0 file; the next start finds nothing to do."""
    assert [row[0] for row in recorded(old_release.db)] == list(range(1, LATEST + 1))
    assert not has_table(old_release.db, "busy")
    assert old_release.fingerprint() == old_release.manifest["tables"]
    backup = old_release.db.with_name("gpu_reclaim.duckdb.bak-0.1.0")
    assert sha256(backup) == old_release.manifest["database"]["sha256"]
    assert Warehouse(old_release.db).upgrade().applied == ()


@pytest.mark.slow
def test_a_crash_during_a_migration_rolls_it_back(old_release: OldRelease) -> None:
    """The process is killed (SIGKILL) while the migration's transaction runs."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CHILD), str(old_release.db), SLOW], stderr=subprocess.PIPE, text=True
    )
    assert child.stderr is not None
    marker = f"applying migration {LATEST + 1:04d}_slow.sql"
    seen = []
    for line in child.stderr:  # the child announces each migration before it runs it
        seen.append(line)
        if marker in line:
            break
    assert any(marker in line for line in seen), "".join(seen)
    time.sleep(1.0)  # inside the busy statement, after the ALTER and the UPDATE
    child.kill()
    assert child.wait(timeout=60) == -signal.SIGKILL
    child.stderr.close()
    assert_rolled_back_to_the_version_before(old_release)


class _Announced(logging.Handler):
    def __init__(self, marker: str) -> None:
        super().__init__(level=logging.INFO)
        self.marker, self.seen = marker, threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        if self.marker in record.getMessage():
            self.seen.set()


def test_an_interrupt_during_a_migration_rolls_it_back(
    old_release: OldRelease, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB's interrupt (what a Ctrl-C reaches in a query) arrives while the migration's transaction runs; it
    is sent again until it lands, as in tests/reliability."""
    ours = known_migrations()
    monkeypatch.setattr(migrations, "known_migrations", lambda: (*ours, Migration(LATEST + 1, "slow", SLOW)))
    opened: list[duckdb.DuckDBPyConnection] = []
    real_open = Warehouse._open

    def keep(self: Warehouse, read_only: bool) -> duckdb.DuckDBPyConnection:
        opened.append(real_open(self, read_only))
        return opened[-1]

    monkeypatch.setattr(Warehouse, "_open", keep)
    announced = _Announced(f"applying migration {LATEST + 1:04d}_slow.sql")
    logger = logging.getLogger(migrations.__name__)
    # an earlier test's logging setup (Dagster, logging.config) may have disabled it: enable it for this test, with
    # the calls that also clear the loggers' level caches
    previous = (logger.level, logger.disabled, logging.root.manager.disable)
    logger.disabled = False
    logger.setLevel(logging.INFO)
    logging.disable(logging.NOTSET)
    logger.addHandler(announced)
    done = threading.Event()

    def interrupt() -> None:
        announced.seen.wait(timeout=120)
        while not done.is_set():
            try:
                opened[-1].interrupt()
            except duckdb.ConnectionException:
                return  # the upgrade closed its connection: the interrupt has landed
            done.wait(0.2)

    worker = threading.Thread(target=interrupt, daemon=True)
    worker.start()
    try:
        with pytest.raises(duckdb.InterruptException):
            Warehouse(old_release.db).upgrade()
    finally:
        done.set()
        worker.join()
        logger.removeHandler(announced)
        logger.setLevel(previous[0])
        logger.disabled = previous[1]
        logging.disable(previous[2])
    assert announced.seen.is_set()
    monkeypatch.undo()
    assert_rolled_back_to_the_version_before(old_release)
