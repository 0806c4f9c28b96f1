"""cluster_days through the same SQL as the pipeline (tests/sql/helpers.DayFixture, no server): off by default, one
row per (stage, value of labels.cluster_label) with its series count, '' for series without the label, replaced on
a re-run and cleared when the label is switched off; the reports' sentence from it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.core.cluster_days import cluster_notes, record_cluster_days
from gpu_reclaim.core.config import ConfigError, Settings, settings_from_mapping

from tests.sql.helpers import DAY, DayFixture

ENGINE = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
WITH_LABEL = settings_from_mapping({"labels": {"cluster_label": "cluster"}})


def tagged(line: bytes, cluster: str) -> bytes:
    """A kube-state line with the `cluster` label added."""
    return line.replace(b'{"__name__"', b'{"cluster":"' + cluster.encode() + b'","__name__"', 1)


def two_clusters() -> DayFixture:
    """prod-eu: two pods (4 kube-state series) and two GPU series; prod-us: one pod, one GPU series; one GPU series
    without the label."""
    day = DayFixture()
    minutes = list(range(10))
    day.running_pod("u1", "train", minutes, gpus=1)
    day.running_pod("u2", "serve", minutes, gpus=1, namespace="team-b")
    day.running_pod("u3", "train", minutes, gpus=1, node="node-us")
    day.kube_state = [tagged(line, "prod-eu" if index < 4 else "prod-us") for index, line in enumerate(day.kube_state)]
    day.gpu(ENGINE, [0.5] * 10, minutes, cluster="prod-eu", namespace="team-a", pod="train")
    day.gpu(ENGINE, [0.5] * 10, minutes, cluster="prod-eu", UUID="GPU-1", gpu="1", namespace="team-b", pod="serve")
    day.gpu(ENGINE, [0.5] * 10, minutes, cluster="prod-us", Hostname="node-us", UUID="GPU-us", pod="train")
    day.gpu(ENGINE, [0.0] * 10, minutes, UUID="GPU-unlabelled", gpu="7")
    return day


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return con.execute("SELECT stage, cluster_label, cluster, series FROM cluster_days ORDER BY 1, 3").fetchall()


def test_off_by_default_no_rows(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, Settings(), tmp_path)
    assert Settings().labels.cluster_label is None
    assert rows(con) == []
    assert cluster_notes(con, DAY, DAY + timedelta(days=1)) == []


def test_values_and_series_per_stage(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, WITH_LABEL, tmp_path)
    assert rows(con) == [
        ("dcgm", "cluster", "", 1),
        ("dcgm", "cluster", "prod-eu", 2),
        ("dcgm", "cluster", "prod-us", 1),
        ("kube_state", "cluster", "prod-eu", 4),
        ("kube_state", "cluster", "prod-us", 2),
    ]
    assert cluster_notes(con, DAY, DAY + timedelta(days=1)) == [
        "Clusters (label cluster): prod-eu, prod-us; and series without cluster."
    ]
    assert cluster_notes(con, DAY + timedelta(days=1), DAY + timedelta(days=8)) == []  # outside the window


def test_a_rerun_replaces_and_switching_off_clears(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    two_clusters().load(con, WITH_LABEL, tmp_path)
    one = DayFixture()
    one.running_pod("u1", "train", [0, 1], gpus=1)
    one.kube_state = [tagged(line, "prod-eu") for line in one.kube_state]
    one.gpu(ENGINE, [0.5, 0.5], [0, 1], cluster="prod-eu")
    one.load(con, WITH_LABEL, tmp_path)
    assert rows(con) == [("dcgm", "cluster", "prod-eu", 1), ("kube_state", "cluster", "prod-eu", 2)]
    assert cluster_notes(con, DAY, DAY + timedelta(days=1)) == ["Cluster (label cluster): prod-eu."]
    one.load(con, Settings(), tmp_path)
    assert rows(con) == []


def test_bad_label_and_stage_are_refused(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(ConfigError, match=r"'labels\.cluster_label'"):
        settings_from_mapping({"labels": {"cluster_label": "not a label"}}, "c.toml")
    with pytest.raises(ValueError, match="unknown stage"):
        record_cluster_days(con, WITH_LABEL, DAY, "usage")
