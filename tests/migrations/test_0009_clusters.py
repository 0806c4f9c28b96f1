"""Migration 0009 (issue 13, several clusters) on the file gpu-reclaim 0.1.0 wrote (tests/fixtures/v0.1.0): every
table gains `cluster` (VARCHAR NOT NULL, default ''), every old row keeps its values and reads cluster '', the
rebuilt ticket_labels keys the same namespace in two clusters apart, and the v0.1.0 tickets keep their ids."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import duckdb
import pytest
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.migrations import known_migrations
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.scoring.findings import finding_id
from gpu_reclaim.store.recommendations import evaluate_recommendations
from gpu_reclaim.store.rule_days import DAY_TABLES

from tests.migrations.conftest import CLUSTER_TABLES, FIXTURE, OldRelease


def test_0009_adds_cluster_to_every_table_with_the_old_rows_in_cluster_empty(old_release: OldRelease) -> None:
    migration = next(m for m in known_migrations() if m.name == "clusters")
    assert migration.file_name == "0009_clusters.sql"
    assert migration.file_name in Warehouse(old_release.db).upgrade().applied
    assert old_release.fingerprint() == old_release.manifest["tables"]  # every old column of every old row as it was
    with duckdb.connect(str(old_release.db), read_only=True) as con:
        columns = dict(
            (row[0], row[1:])
            for row in con.execute(
                "SELECT table_name, data_type, is_nullable, column_default FROM duckdb_columns() "
                "WHERE column_name = 'cluster'"
            ).fetchall()
        )
        for table in (*CLUSTER_TABLES, "ticket_labels"):
            assert columns[table] == ("VARCHAR", False, "''"), table
            total, empty = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE cluster = '') FROM {table}"  # fixed table names
            ).fetchone() or (None, None)
            assert total == empty, table
            assert total == old_release.manifest["tables"].get(table, {}).get("rows", total), table
        # the demo week's rows are there (a check that the loop above counted real rows)
        assert con.execute("SELECT count(*) FROM pod_steps WHERE cluster = ''").fetchone()[0] > 1000  # type: ignore[index]


def test_0009_ticket_labels_keeps_the_same_namespace_of_two_clusters_apart(old_release: OldRelease) -> None:
    Warehouse(old_release.db).upgrade()
    with duckdb.connect(str(old_release.db)) as con:
        row = "INSERT INTO ticket_labels VALUES ('2026-11-30', 'namespace', 'ml', '', '', 'alice', NULL, NULL, ?)"
        con.execute(row, ["west"])
        con.execute(row, ["east"])
        with pytest.raises(duckdb.ConstraintException):
            con.execute(row, ["east"])
        assert con.execute("SELECT count(*) FROM ticket_labels WHERE namespace = 'ml'").fetchone() == (2,)


def test_the_v010_tickets_keep_their_ids_and_a_cluster_changes_them() -> None:
    tickets = [json.loads(line) for line in (FIXTURE / "tickets.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(tickets) == 13
    for ticket in tickets:
        workload = ticket["workload"]
        group = workload.split("/", 1)[1] if workload.startswith("MachineGroup/") else None
        assert finding_id(ticket["rule"], ticket["namespace"], workload, group) == ticket["id"]
        assert finding_id(ticket["rule"], ticket["namespace"], workload, group, "") == ticket["id"]
        in_west = finding_id(ticket["rule"], ticket["namespace"], workload, group, "west")
        assert in_west.startswith(f"{ticket['rule']}-") and in_west != ticket["id"]
        assert in_west != finding_id(ticket["rule"], ticket["namespace"], workload, group, "east")


def test_0009_keys_the_per_day_rule_aggregates_by_cluster(old_release: OldRelease) -> None:
    """0008's per-day tables gain `cluster` too, and the first evaluation of the old window aggregates its days
    under the new key (cluster '' for the v0.1.0 rows, which carry no cluster label)."""
    Warehouse(old_release.db).upgrade()
    settings = Settings()
    start = datetime.combine(old_release.first_day, time(0), tzinfo=UTC)
    end = datetime.combine(old_release.last_day + timedelta(days=1), time(0), tzinfo=UTC)
    with Warehouse(old_release.db).connect() as con:
        for table in DAY_TABLES:
            column = con.execute(
                "SELECT data_type, is_nullable, column_default FROM duckdb_columns() "
                "WHERE table_name = $t AND column_name = 'cluster'",
                {"t": table},
            ).fetchall()
            assert column == [("VARCHAR", False, "''")], table
        findings = evaluate_recommendations(con, settings, settings.recommendations, start, end, old_release.last_day)
        clusters = con.execute("SELECT DISTINCT cluster FROM rule_gpu_day").fetchall()
        workloads = con.execute("SELECT count(*), count(*) FILTER (WHERE cluster = '') FROM workload_day").fetchone()
    assert findings and all(f.cluster == "" for f in findings)
    assert clusters == [("",)]
    assert workloads is not None and workloads[0] > 0 and workloads[0] == workloads[1]
