"""A database that gpu-reclaim 0.1.0 wrote (the demo week, tests/fixtures/v0.1.0) opened by this version: the
migrations run, every old row is kept, the reports and the feed can be rebuilt, tickets keep their ids, and a
failed, interrupted or killed migration leaves the file as it was, with its backup intact."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.assets.reclamation import recommend_day
from gpu_reclaim.core import migrations
from gpu_reclaim.core.config import Settings, settings_from_mapping
from gpu_reclaim.core.migrations import (
    Migration,
    MigrationError,
    SchemaError,
    baseline_columns,
    known_migrations,
    table_columns,
)
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.cli import app
from gpu_reclaim.pipelines.upgrade import rescore_days, upgrade_database
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.feed import write_feed
from typer.testing import CliRunner

from gpu_reclaim import __version__
from tests.migrations.conftest import FIXTURE, OldRelease, sha256

LATEST = len(known_migrations())


def feed(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def identity(tickets: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {ticket["id"]: (ticket["status"], ticket["first_seen"]) for ticket in tickets}


def recorded(db: Path) -> list[tuple[Any, ...]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(
            "SELECT version, name, gpu_reclaim_version, how FROM schema_migrations ORDER BY 1"
        ).fetchall()
    finally:
        con.close()


def has_table(db: Path, table: str) -> bool:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return bool(
            con.execute("SELECT table_name FROM duckdb_tables() WHERE table_name = $t", {"t": table}).fetchall()
        )
    finally:
        con.close()


def test_the_fixture_is_what_its_manifest_says(old_release: OldRelease) -> None:
    assert old_release.manifest["origin"]["tag"] == "v0.1.0"
    assert old_release.fingerprint() == old_release.manifest["tables"]
    assert not has_table(old_release.db, "schema_migrations")
    assert sha256(old_release.out / "tickets.jsonl") == old_release.manifest["tickets_jsonl_sha256"]
    # 0001 is v0.1.0's schema: the same tables with the same columns and types
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        assert table_columns(con) == baseline_columns()
    finally:
        con.close()


def test_upgrade_keeps_every_row_and_records_the_versions(old_release: OldRelease) -> None:
    upgrade = Warehouse(old_release.db).upgrade()

    assert (upgrade.from_version, upgrade.to_version, upgrade.from_release) == (1, LATEST, "0.1.0")
    assert upgrade.applied == tuple(migration.file_name for migration in known_migrations()[1:])
    assert recorded(old_release.db) == [
        (1, "baseline_v0_1_0", "0.1.0", "adopted"),
        *[(m.version, m.name, __version__, "applied") for m in known_migrations()[1:]],
    ]
    assert old_release.fingerprint() == old_release.manifest["tables"]  # every row: same counts, same sums
    assert has_table(old_release.db, "ticket_deliveries")  # 0.1.0 made it only once a sink had delivered
    # the backup is the file as v0.1.0 left it, byte for byte
    assert upgrade.backup == old_release.db.with_name("gpu_reclaim.duckdb.bak-0.1.0")
    assert sha256(upgrade.backup) == old_release.manifest["database"]["sha256"]
    # 0002's backfill: every old day, each stage, explicitly computed by 0.1.0
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        rows = con.execute(
            "SELECT stage, count(*), min(day), max(day), count(*) FILTER (WHERE gpu_reclaim_version = '0.1.0' "
            "AND origin = 'migration 0002' AND recorded_at IS NOT NULL) FROM computed_days GROUP BY 1 ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    days = (old_release.last_day - old_release.first_day).days + 1
    assert rows == [
        (stage, days, old_release.first_day, old_release.last_day, days)
        for stage in ("fragmentation", "recommendations", "usage")
    ]
    # opening again changes nothing and takes no second backup
    again = Warehouse(old_release.db).upgrade()
    assert (again.applied, again.backup, again.from_version) == ((), None, LATEST)


def test_reports_and_feed_rebuilt_for_the_old_window(old_release: OldRelease, tmp_path: Path) -> None:
    Warehouse(old_release.db).upgrade()
    settings = Settings()
    start, end = old_release.first_day, old_release.last_day + timedelta(days=1)
    with Warehouse(old_release.db).connect(read_only=True) as con:
        index = build_reports(con, settings, start, end, tmp_path / "reports")
        history = con.execute(
            "SELECT ticket FROM ticket_history WHERE last_evaluated_on = (SELECT max(last_evaluated_on) "
            "FROM ticket_history)"
        ).fetchall()
    assert {entry.workspace for entry in index.workspaces} == {"platform", "product", "research", "unassigned", "data"}
    overview = json.loads((tmp_path / "reports" / "summary.json").read_text(encoding="utf-8"))
    allocated = sum(row["allocated_gpu_hours"] for row in overview["workspaces"])
    stored = float(old_release.manifest["tables"]["workspace_usage_daily"]["columns"]["allocated_gpu_hours"]["sum"])
    assert allocated == pytest.approx(stored, abs=0.01)
    # the reports say that these days were computed by 0.1.0, and how to recompute them
    hint = f"gpu-reclaim rescore --start {start.isoformat()} --end {old_release.last_day.isoformat()}"
    assert len(overview["computed_by"]) == 1 and "gpu-reclaim 0.1.0" in overview["computed_by"][0]
    assert hint in overview["computed_by"][0]
    assert hint in (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert hint in index.workspaces[0].index_html.read_text(encoding="utf-8")
    # the feed, rebuilt from the stored ticket history and written again, is the v0.1.0 feed
    write_feed(tmp_path / "tickets.jsonl", [Ticket.model_validate(json.loads(row[0])) for row in history])
    rebuilt = sorted(feed(tmp_path / "tickets.jsonl"), key=lambda ticket: str(ticket["id"]))
    original = sorted(feed(FIXTURE / "tickets.jsonl"), key=lambda ticket: str(ticket["id"]))
    # v0.1.0's fields as they were; the fields added since read as their defaults (reclaim, no owner, active)
    assert [{key: t[key] for key in original[0]} for t in rebuilt] == original
    assert {(t["kind"], t["owner"], t["acknowledged"], t["change"]) for t in rebuilt} == {
        ("reclaim", None, False, None)
    }


def test_rescore_of_the_last_day_keeps_the_tickets(old_release: OldRelease, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_metrics_source(*_: object, **__: object) -> None:
        raise AssertionError("rescore opened VictoriaMetrics")

    monkeypatch.setattr("gpu_reclaim.core.victoria.VictoriaMetricsClient.__init__", no_metrics_source)
    before = identity(feed(old_release.out / "tickets.jsonl"))
    day = old_release.last_day.isoformat()
    result = CliRunner().invoke(
        app,
        ["rescore", "--start", day, "--end", day, "--db", str(old_release.db), "--out", str(old_release.out)],
    )
    assert result.exit_code == 0, result.output
    assert "upgraded from schema version 0001 (gpu-reclaim 0.1.0)" in result.output
    rescored = {ticket["id"]: ticket for ticket in feed(old_release.out / "tickets.jsonl")}
    after = identity(list(rescored.values()))
    # the same tickets (same ids and first_seen); ongoing stays ongoing, except that the Jobs which ended before
    # the window's end are waste reports now, resolved (v0.1.0 kept asking to release their GPUs)
    ended = {ticket_id for ticket_id, ticket in rescored.items() if ticket["kind"] == "waste_report"}
    assert {rescored[ticket_id]["workload"] for ticket_id in ended} >= {"Job/rl-ppo-run42", "Job/vision-finetune-vit"}
    assert {after[ticket_id][0] for ticket_id in ended} == {"resolved"}
    assert {k: v for k, v in after.items() if k not in ended} == {k: v for k, v in before.items() if k not in ended}
    assert {k: v[1] for k, v in after.items()} == {k: v[1] for k, v in before.items()}
    assert "ongoing" in {status for status, _ in after.values()}
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        versions = dict(
            con.execute("SELECT day, list(DISTINCT gpu_reclaim_version) FROM computed_days GROUP BY 1").fetchall()
        )
    finally:
        con.close()
    assert versions.pop(old_release.last_day) == [__version__]
    assert set(map(tuple, versions.values())) == {("0.1.0",)}
    # the samples and the ingested tables are untouched by rescoring
    fingerprint = old_release.fingerprint()
    for table in ("gpu_samples", "pod_steps", "pods", "namespaces", "nodes", "quota_steps", "data_quality"):
        assert fingerprint[table] == old_release.manifest["tables"][table]


def test_the_next_day_continues_the_open_tickets(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    old = feed(old_release.out / "tickets.jsonl")
    open_before = {t["id"]: t["first_seen"] for t in old if t["status"] in ("new", "ongoing")}
    next_day = old_release.last_day + timedelta(days=1)
    result = recommend_day(Warehouse(old_release.db), Settings(), next_day, old_release.out / "tickets.jsonl")
    assert result.feed_written
    tickets = {t["id"]: t for t in feed(old_release.out / "tickets.jsonl")}
    continued = [finding_id for finding_id in open_before if finding_id in tickets]
    assert continued, "no ticket of the v0.1.0 feed is in the next day's feed"
    for finding_id in continued:
        assert tickets[finding_id]["status"] in ("ongoing", "resolved"), finding_id
        assert tickets[finding_id]["first_seen"] == open_before[finding_id]
    assert any(tickets[finding_id]["status"] == "ongoing" for finding_id in continued)


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
            opened[-1].interrupt()
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


def test_rescore_refuses_days_without_stored_samples(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    before = old_release.fingerprint()
    day = old_release.last_day + timedelta(days=3)
    with pytest.raises(ValueError, match=rf"no samples for {day.isoformat()}"):
        rescore_days(None, old_release.db, old_release.out, [old_release.last_day, day])
    assert old_release.fingerprint() == before


def test_0005_adds_an_empty_ticket_labels_table_that_the_next_ingest_fills(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    con = duckdb.connect(str(old_release.db), read_only=True)
    try:
        columns = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'ticket_labels' "
            "ORDER BY column_index"
        ).fetchall()
        rows = con.execute("SELECT count(*) FROM ticket_labels").fetchone()
    finally:
        con.close()
    assert columns == [
        ("day", "DATE"),
        ("scope", "VARCHAR"),
        ("namespace", "VARCHAR"),
        ("uid", "VARCHAR"),
        ("pod", "VARCHAR"),
        ("owner", "VARCHAR"),
        ("owner_channel", "VARCHAR"),
        ("snooze_until", "VARCHAR"),
        ("cluster", "VARCHAR"),  # 0009
    ]
    assert rows == (0,)
    assert old_release.fingerprint() == old_release.manifest["tables"]  # the old tables as they were
