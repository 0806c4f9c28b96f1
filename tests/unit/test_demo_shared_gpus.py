"""The demo's MIG and time-sliced GPUs through the ingest and usage SQL (no server: the import lines are staged from
files, as tests/sql does): every case's allocated, used and idle GPU-hours match the simulator's truth, which
follows the definitions (README "MIG and time-sliced GPUs"), not the SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest
from gpu_reclaim.assets.stages import compute_usage, load_dcgm_export, load_kube_state_export
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.extract import DayWindow
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.scenarios.demo import DemoScenario
from gpu_reclaim.scenarios.demo.shared_gpus import add_shared_gpu_truth, shared_gpu_series
from gpu_reclaim.store.fragmentation import compute_fragmentation
from gpu_reclaim.store.recommendations import evaluate_recommendations

SCENARIO = DemoScenario(start=datetime(2026, 11, 2, tzinfo=UTC), days=2)
FIGURES = ("allocated_gpu_hours", "used_gpu_hours", "idle_gpu_hours", "no_data_gpu_hours")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[duckdb.DuckDBPyConnection, dict[str, Any]]:
    workdir = tmp_path_factory.mktemp("demo-shared")
    dcgm, ksm = workdir / "dcgm.jsonl", workdir / "ksm.jsonl"
    with dcgm.open("wb") as dcgm_out, ksm.open("wb") as ksm_out:
        for line, labels, _samples in shared_gpu_series(SCENARIO):
            (dcgm_out if labels.startswith(b'{"__name__":"DCGM_') else ksm_out).write(line + b"\n")
    con = duckdb.connect()
    prepare_connection(con)
    settings = Settings()
    for offset in range(SCENARIO.days):
        day = SCENARIO.start.date() + timedelta(days=offset)
        load_dcgm_export(con, settings, DayWindow(day), dcgm)
        load_kube_state_export(con, settings, DayWindow(day), ksm)
        compute_usage(con, settings, day)
    truth: dict[str, Any] = {"projects": [], "projects_daily": [], "workspaces": [], "findings": [], "pods": []}
    add_shared_gpu_truth(truth, SCENARIO)
    return con, truth


def _sums(
    con: duckdb.DuckDBPyConnection, table: str, key: str, figures: tuple[str, ...], *more: str
) -> dict[Any, list[Any]]:
    """Per `key` of `table`: the sums of its `figures` columns, in that order, then the `more` aggregates."""
    aggregates = ", ".join([*(f"sum({figure})" for figure in figures), *more])
    # table, key and columns come from this module's constants, never from data
    rows = con.execute(f"SELECT {key}, {aggregates} FROM {table} GROUP BY {key}").fetchall()
    return {value: rest for value, *rest in rows}


def test_every_case_matches_its_truth(loaded: tuple[duckdb.DuckDBPyConnection, dict[str, Any]]) -> None:
    con, truth = loaded
    measured = _sums(con, "pod_usage_daily", "uid", FIGURES)
    for case, expected in truth["shared_gpus"]["cases"].items():
        for index, figure in enumerate(FIGURES):
            actual = sum(measured[uid][index] for uid in expected["uids"])
            assert actual == pytest.approx(expected[figure], rel=1e-6, abs=1e-6), (case, figure)


def test_projects_capacity_and_flags(loaded: tuple[duckdb.DuckDBPyConnection, dict[str, Any]]) -> None:
    con, truth = loaded
    measured = _sums(con, "project_usage_daily", "namespace", FIGURES[:3], "bool_or(usage_estimated)")
    for project in truth["projects"]:
        allocated, used, idle, estimated = measured[project["namespace"]]
        assert (allocated, used, idle) == pytest.approx(
            (project["allocated_gpu_hours"], project["used_gpu_hours"], project["idle_gpu_hours"]), rel=1e-6
        )
        assert estimated is project["usage_estimated"]
    nodes = con.execute("SELECT node, gpu_allocatable FROM nodes WHERE day = $d", {"d": SCENARIO.start.date()})
    capacity = dict(nodes.fetchall())
    assert capacity == truth["shared_gpus"]["capacity_gpus"]
    assert con.execute(
        "SELECT count(*) FROM data_quality WHERE rule LIKE 'mig%' OR rule LIKE 'replicas%'"
    ).fetchone() == (0,)
    # a replica is capped: two notebooks share the vgpu GPU at ~70 % on Monday 10:00-12:00; each uses its whole 1/4
    # (used = observed), never more
    top = con.execute("SELECT max(used_gpu_hours / observed_gpu_hours) FROM pod_gpu_usage_hourly WHERE usage_estimated")
    assert top.fetchone() == (pytest.approx(1.0),)


def test_the_rules_judge_each_instance_and_replica(loaded: tuple[duckdb.DuckDBPyConnection, dict[str, Any]]) -> None:
    con, truth = loaded
    settings = Settings()
    end = SCENARIO.start + timedelta(days=SCENARIO.days)
    findings = evaluate_recommendations(
        con, settings, settings.recommendations, SCENARIO.start, end, (end - timedelta(days=1)).date()
    )
    found = {(f.rule, f.namespace, f.workload): f for f in findings}
    for planted in truth["findings"]:
        finding = found[(planted["rule"], planted["namespace"], planted["workload"])]
        # the GPUs given back are the share of the GPU each instance or replica holds, never whole GPUs
        assert finding.gpus_reclaimable == pytest.approx(planted["gpu_share_reclaimable"], abs=1e-6), planted
    downsize = found[("downsize_profile", "mig-lab", "ReplicaSet/mig-embed-5b6c7")]
    assert (downsize.evidence["mig_from"], downsize.evidence["mig_to_slices"]) == ("7g", 1)
    assert "1g MIG instance" in downsize.action
    # the serving 3g and the data 2g use what they hold; the time-sliced replicas are not offered MIG profiles
    resized = {f.workload for f in findings if f.rule == "downsize_profile"}
    assert resized == {"ReplicaSet/mig-embed-5b6c7"}


def test_free_slices_and_unheld_replicas_are_free_capacity(
    loaded: tuple[duckdb.DuckDBPyConnection, dict[str, Any]],
) -> None:
    con, _truth = loaded
    rows = compute_fragmentation(con, SCENARIO.start.date())
    first = {
        row["node"]: row
        for row in rows["node_fragmentation"]
        if row["snapshot_ts"] == SCENARIO.start.replace(tzinfo=None)
    }
    mig, vgpu, plain = first["shared-a100-mig-0"], first["shared-l4-ts-0"], first["shared-l4-ts-1"]
    # the free 1g.10gb: 1/7 of a GPU (in whole milli-GPUs: 1000 - 429 - 286 - 143), usable by a 1g only
    assert (mig["gpus"], mig["free_whole_gpus"], mig["free_gpu_share"]) == (2, 0, 0.142)
    assert (vgpu["gpus"], vgpu["free_gpu_share"]) == (1, 0.5)  # two of four replicas held at midnight
    assert plain["free_gpu_share"] == 0.0  # all four replicas held
    # no two MIG GPUs of the demo share a layout, so no MIG pod moves (layout-aware defrag: test_fragmentation_mig.py)
    assert not [move for move in rows["defrag_moves"] if str(move.get("pod", "")).startswith("mig-lab/mig-")]
