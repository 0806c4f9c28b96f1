"""A namespace in several Workspaces at once (README "Several clusters in one VictoriaMetrics"), through the same
SQL as the pipeline: two clusters' `team-a` (Workspaces platform and research) read with labels.cluster_label off
fold into one Project of cluster ''; the day counts it in data_quality (namespace_in_several_workspaces) and warns
in one line, naming labels.cluster_label when the series carry a `cluster` label. With the label on, or a namespace
merely relabelled during the day, nothing is counted."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.namespace_quality import namespace_conflict_warning

from tests.sql.helpers import DayFixture
from tests.sql.test_clusters_sql import LABELLED, MINUTES, OFF, two_clusters

RULE = "namespace_in_several_workspaces"


def counted(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute(
        "SELECT day, stage, metric, affected, cluster FROM data_quality WHERE rule = $rule ORDER BY ALL",
        {"rule": RULE},
    ).fetchall()


def warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if RULE in record.getMessage()]


def test_label_off_counts_the_namespace_and_names_cluster_label(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        two_clusters().load(con, OFF, tmp_path)
    day = con.execute("SELECT DISTINCT day FROM namespaces").fetchone()
    assert day is not None
    assert counted(con) == [(day[0], "namespaces", "label_workspace", 1, "")]
    # one Workspace kept for the folded Project, as insert_namespaces.sql picks it
    assert con.execute("SELECT cluster, namespace, workspace FROM namespaces").fetchall() == [
        ("", "team-a", "research")
    ]
    (line,) = warnings(caplog)
    assert "1 namespace(s) belong to several Workspaces at once: team-a (platform, research)" in line
    assert line.endswith("set labels.cluster_label = 'cluster'")
    assert "\n" not in line


def test_label_off_without_a_cluster_label_warns_without_the_hint(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        two_clusters(west=None, east=None).load(con, OFF, tmp_path)
    assert [row[3] for row in counted(con)] == [1]
    (line,) = warnings(caplog)
    assert "cluster_label" not in line


def test_label_on_keeps_them_apart_and_counts_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        two_clusters().load(con, LABELLED, tmp_path)
    assert counted(con) == []
    assert warnings(caplog) == []


def test_a_relabelled_namespace_is_not_in_two_workspaces(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    half = len(MINUTES) // 2
    for workspace, minutes in (("platform", MINUTES[:half]), ("research", MINUTES[half:])):
        labels = {"__name__": "kube_namespace_labels", "namespace": "team-a", "label_workspace": workspace}
        day.series(labels, [1.0] * len(minutes), minutes)
    day.load(con, OFF, tmp_path)
    assert counted(con) == []
    assert con.execute("SELECT workspace FROM namespaces").fetchall() == [("research",)]


def test_a_rerun_replaces_the_day_count(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, OFF, tmp_path)
    two_clusters().load(con, OFF, tmp_path)
    assert [row[3] for row in counted(con)] == [1]


def test_the_warning_names_three_namespaces_and_how_many_more() -> None:
    rows = [{"namespace": f"ns-{i}", "workspaces": "a, b", "cluster_values": 0} for i in range(5)]
    line = namespace_conflict_warning(rows, date(2026, 11, 2), None)
    assert line is not None
    assert "5 namespace(s)" in line and "ns-2 (a, b) and 2 more" in line and "ns-3" not in line
    assert namespace_conflict_warning([], date(2026, 11, 2), None) is None
    labelled = namespace_conflict_warning([{**rows[0], "cluster_values": 2}], date(2026, 11, 2), "cluster")
    assert labelled is not None and "set labels.cluster_label" not in labelled
