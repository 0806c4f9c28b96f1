"""A database that gpu-reclaim 0.1.0 wrote (the demo week, tests/fixtures/v0.1.0) opened by this version: the
migrations run, every old row is kept, the reports and the feed can be rebuilt, tickets keep their ids, and a
failed, interrupted or killed migration leaves the file as it was, with its backup intact."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.assets.reclamation import recommend_day
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import (
    baseline_columns,
    known_migrations,
    table_columns,
)
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.cli import app
from gpu_reclaim.pipelines.upgrade import rescore_days
from gpu_reclaim.reports.build import build_reports
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.feed import write_feed
from typer.testing import CliRunner

from gpu_reclaim import __version__
from tests.migrations.conftest import FIXTURE, LATEST, OldRelease, has_table, read_rows, recorded, sha256


def feed(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def identity(tickets: list[dict[str, Any]]) -> dict[str, tuple[str, str]]:
    return {ticket["id"]: (ticket["status"], ticket["first_seen"]) for ticket in tickets}


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
    rows = read_rows(
        old_release.db,
        "SELECT stage, count(*), min(day), max(day), count(*) FILTER (WHERE gpu_reclaim_version = '0.1.0' "
        "AND origin = 'migration 0002' AND recorded_at IS NOT NULL) FROM computed_days GROUP BY 1 ORDER BY 1",
    )
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


def test_rescore_refuses_days_without_stored_samples(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    before = old_release.fingerprint()
    day = old_release.last_day + timedelta(days=3)
    with pytest.raises(ValueError, match=rf"no samples for {day.isoformat()}"):
        rescore_days(None, old_release.db, old_release.out, [old_release.last_day, day])
    assert old_release.fingerprint() == before


def test_0005_adds_an_empty_ticket_labels_table_that_the_next_ingest_fills(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    columns = read_rows(
        old_release.db,
        "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'ticket_labels' ORDER BY column_index",
    )
    rows = read_rows(old_release.db, "SELECT count(*) FROM ticket_labels")[0]
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
