"""Owner labels and snooze annotations from kube-state-metrics into ticket_labels (migration 0005), and from there
onto the findings of an evaluation: the same SQL files as the pipeline, on a small DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.store.recommendations import evaluate_recommendations

from tests.sql.helpers import DAY, STEP, DayFixture

MINUTES = list(range(0, 360))  # six hours, idle to the window's end


def cluster() -> DayFixture:
    day = DayFixture()
    for index, (uid, pod, namespace) in enumerate(
        [("u-1", "train-1", "team-a"), ("u-2", "train-2", "team-b"), ("u-3", "train-3", "team-c")]
    ):
        day.running_pod(uid, pod, MINUTES, gpus=1, namespace=namespace)
        day.gpu("DCGM_FI_DEV_GPU_UTIL", [0.0] * len(MINUTES), MINUTES, gpu=str(index), UUID=f"GPU-{index}",
                namespace=namespace, pod=pod)  # fmt: skip
    ident = {"namespace": "team-a", "pod": "train-1", "uid": "u-1"}
    day.series({"__name__": "kube_pod_labels", **ident, "label_team": "ml-team", "label_contact": "carol"}, [1.0], [0])
    day.series({"__name__": "kube_pod_annotations", **ident, "annotation_gpu_reclaim_snooze_until": "2026-11-05"},
               [1.0], [0])  # fmt: skip
    day.series({"__name__": "kube_namespace_labels", "namespace": "team-a", "label_owner": "alice"}, [1.0], [0])
    day.series({"__name__": "kube_namespace_labels", "namespace": "team-b", "label_owner": "bob",
                "label_slack_channel": "#team-b"}, [1.0], [0])  # fmt: skip
    day.series({"__name__": "kube_namespace_labels", "namespace": "team-c"}, [1.0], [0])
    return day


def test_ingest_keeps_owners_channels_and_raw_snooze_dates(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    cluster().load(con, Settings(step_seconds=STEP), tmp_path)
    rows = con.execute(
        "SELECT scope, namespace, uid, pod, owner, owner_channel, snooze_until FROM ticket_labels ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("namespace", "team-a", "", "", "alice", None, None),
        ("namespace", "team-b", "", "", "bob", "#team-b", None),
        ("pod", "team-a", "u-1", "train-1", "carol", None, "2026-11-05"),  # no label_owner: label_contact next
    ]


def test_owner_label_keys_are_configurable(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    settings = Settings(step_seconds=STEP, tickets={"owner_label_keys": ["label_team"]})
    cluster().load(con, settings, tmp_path)
    owners = con.execute("SELECT scope, namespace, owner, owner_channel FROM ticket_labels ORDER BY ALL").fetchall()
    assert owners == [("namespace", "team-b", None, "#team-b"), ("pod", "team-a", "ml-team", None)]


def test_findings_get_pod_then_namespace_then_config_owners_and_the_snooze(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    settings = Settings(
        step_seconds=STEP,
        tickets={"contacts": {"workspaces": {"unassigned": {"owner": "platform", "slack_channel": "#gpu"}}}},
    )
    cluster().load(con, settings, tmp_path)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    warnings: list[str] = []
    findings = evaluate_recommendations(
        con, settings, settings.recommendations, start, start + timedelta(hours=6), DAY, warnings
    )
    idle = {f.namespace: f for f in findings if f.rule == "idle_allocation"}
    assert {ns: (f.kind, f.owner, f.owner_channel) for ns, f in idle.items()} == {
        "team-a": ("reclaim", "carol", "#gpu"),  # the pod's label; no channel label: the config's
        "team-b": ("reclaim", "bob", "#team-b"),  # the namespace's labels
        "team-c": ("reclaim", "platform", "#gpu"),  # the config's Workspace contact
    }
    assert (idle["team-a"].acknowledged, str(idle["team-a"].acknowledged_until)) == (True, "2026-11-05")
    assert not idle["team-b"].acknowledged and warnings == []
    stored = con.execute(
        "SELECT json_extract_string(ticket, '$.owner'), CAST(json_extract(ticket, '$.acknowledged') AS BOOLEAN) "
        "FROM recommendations WHERE namespace = 'team-a' AND rule = 'idle_allocation'"
    ).fetchall()
    assert stored == [("carol", True)]


def test_a_malformed_snooze_annotation_warns_and_keeps_the_ticket_active(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    day = cluster()
    day.kube_state = [line.replace(b'"2026-11-05"', b'"soon"') for line in day.kube_state]
    settings = Settings(step_seconds=STEP)
    day.load(con, settings, tmp_path)
    start = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    warnings: list[str] = []
    findings = evaluate_recommendations(
        con, settings, settings.recommendations, start, start + timedelta(hours=6), DAY, warnings
    )
    [finding] = [f for f in findings if f.rule == "idle_allocation" and f.namespace == "team-a"]
    assert not finding.acknowledged and finding.acknowledged_until is None
    assert warnings == [
        "team-a/Pod/train-1: snooze annotation 'soon' is not a YYYY-MM-DD date; its tickets stay active"
    ]


def tied_namespace(first_owner: bool) -> DayFixture:
    """One namespace seen with two label sets at the same step (two clusters read with labels.cluster_label off):
    the Workspace `vision-east` with an owner and `research` without, in either order of the export."""
    day = DayFixture()
    with_owner = {"label_workspace": "vision-east", "label_owner": "vision-team"}
    without = {"label_workspace": "research"}
    for labels in (with_owner, without) if first_owner else (without, with_owner):
        day.series({"__name__": "kube_namespace_labels", "namespace": "vision", **labels}, [1.0], [0])
    return day


def test_a_tied_namespace_takes_its_owner_from_the_label_set_of_its_workspace(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """insert_namespaces.sql breaks the tie by the larger (Workspace, Project); the owner comes from the same label
    set, whatever the order of the series (it used to be either one's: a re-run could drop the owner)."""
    for first_owner in (True, False, True, False):
        tied_namespace(first_owner).load(con, Settings(step_seconds=STEP), tmp_path)
        workspace = con.execute("SELECT workspace FROM namespaces WHERE namespace = 'vision'").fetchall()
        owner = con.execute("SELECT owner FROM ticket_labels WHERE scope = 'namespace'").fetchall()
        assert (workspace, owner) == ([("vision-east",)], [("vision-team",)]), first_owner
