"""Dagster as deployed: the installed wheel served by `dagster-daemon` and `dagster-webserver` with deploy/dagster.yaml
and deploy/workspace.yaml, against a real VictoriaMetrics loaded with the demo, driven through the GraphQL API.

- both schedules are on by default, and the daily schedule's tick at 02:00 UTC requests the day before;
- a backfill of two daily partitions, launched through the API and submitted by the daemon, runs to success: the
  partitions show as materialised and the asset checks pass;
- two runs of the same partition launched at once: the second waits in QUEUED while the first runs (one run at a
  time on the DuckDB file), then succeeds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS

from tests.deploy.dagster_service import LOCATION, REPOSITORY, DagsterService, dagster_service, wait_for
from tests.installed import DEMO_DAYS, DemoMetrics, InstalledPackage, iso_days

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STARTUP_TIMEOUT = 180
RUNS_TIMEOUT = 420
REPO_SELECTOR = {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY}
IN_PROGRESS = {"STARTING", "STARTED", "CANCELING"}
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}

WORKSPACE = """query { workspaceOrError { __typename ... on Workspace { locationEntries { name loadStatus
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
DAEMONS = "query { instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }"
SCHEDULES = """query($sel: RepositorySelector!) { schedulesOrError(repositorySelector: $sel) { __typename
  ... on Schedules { results { name scheduleState { status } } } } }"""
FUTURE_TICK = """query($sel: ScheduleSelector!, $cursor: Float) { scheduleOrError(scheduleSelector: $sel) { __typename
  ... on Schedule { futureTicks(cursor: $cursor, limit: 1) { results { timestamp evaluationResult {
    runRequests { runKey tags { key value } } skipReason error { message } } } } } } }"""
LAUNCH_RUN = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId status } } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on RunConfigValidationInvalid { errors { message } } } }"""
LAUNCH_BACKFILL = """mutation($p: LaunchBackfillParams!) { launchPartitionBackfill(backfillParams: $p) { __typename
  ... on LaunchBackfillSuccess { backfillId } ... on PythonError { message } } }"""
RUNS = """query($filter: RunsFilter) { runsOrError(filter: $filter) { __typename
  ... on Runs { results { runId status tags { key value } } } } }"""
MATERIALIZATIONS = """query($key: AssetKeyInput!, $parts: [String!]) { assetOrError(assetKey: $key) { __typename
  ... on Asset { assetMaterializations(partitions: $parts) { partition runId metadataEntries { label
    ... on IntMetadataEntry { intValue } ... on MarkdownMetadataEntry { mdStr } } } } } }"""
CHECK_EXECUTIONS = """query($key: AssetKeyInput!, $name: String!) {
  assetCheckExecutions(assetKey: $key, checkName: $name, limit: 25) { runId status evaluation { success } } }"""
ASSET_NODES = """query { assetNodes { assetKey { path } description groupName kinds
  owners { __typename ... on TeamAssetOwner { team } } } }"""


@pytest.fixture(scope="module")
def service(
    installed_package: InstalledPackage, demo_metrics: DemoMetrics, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DagsterService]:
    workdir = tmp_path_factory.mktemp("dagster-deploy")
    env = {
        "GPU_RECLAIM_VM_URL": demo_metrics.url,
        "GPU_RECLAIM_CONFIG": str(demo_metrics.config),
        "GPU_RECLAIM_DB": str(workdir / "gpu_reclaim.duckdb"),
        "GPU_RECLAIM_OUT": str(workdir / "out"),
    }
    with dagster_service(installed_package, workdir, env) as running:
        try:
            wait_for("the code location to load", lambda: _loaded(running), STARTUP_TIMEOUT)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{running.log_tail()}") from None
        yield running


def _loaded(service: DagsterService) -> bool | None:
    try:
        data = service.graphql(WORKSPACE)
    except Exception:  # the webserver is not listening yet
        return None
    entries = data["workspaceOrError"].get("locationEntries", [])
    for entry in entries:
        if entry["name"] == LOCATION and entry["loadStatus"] == "LOADED":
            location = entry["locationOrLoadError"]
            if location and location["__typename"] == "PythonError":
                raise AssertionError(f"code location failed to load: {location['message']}")
            return True
    return None


def _daemons_healthy(service: DagsterService) -> bool | None:
    statuses = service.graphql(DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]
    wanted = {"SCHEDULER", "QUEUED_RUN_COORDINATOR", "BACKFILL"}
    healthy = {status["daemonType"] for status in statuses if status["healthy"]}
    return True if wanted <= healthy else None


def _runs(service: DagsterService, run_filter: dict[str, Any]) -> list[dict[str, Any]]:
    runs: list[dict[str, Any]] = service.graphql(RUNS, {"filter": run_filter})["runsOrError"]["results"]
    return runs


def _tags(run: dict[str, Any]) -> dict[str, str]:
    return {tag["key"]: tag["value"] for tag in run["tags"]}


def _launch_run(service: DagsterService, partition: str) -> str:
    params = {
        "selector": {**REPO_SELECTOR, "jobName": "daily_scoring"},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": partition}]},
    }
    result = service.graphql(LAUNCH_RUN, {"p": params})["launchRun"]
    assert result["__typename"] == "LaunchRunSuccess", result
    run_id: str = result["run"]["runId"]
    return run_id


def test_schedules_are_on_and_the_daily_tick_requests_the_day_before(service: DagsterService) -> None:
    schedules = service.graphql(SCHEDULES, {"sel": REPO_SELECTOR})["schedulesOrError"]["results"]
    assert {s["name"]: s["scheduleState"]["status"] for s in schedules} == {
        "daily_scoring_schedule": "RUNNING",
        "weekly_reports_schedule": "RUNNING",
    }
    day = DEMO_DAYS[1]
    cursor = datetime(day.year, day.month, day.day, 1, 0, tzinfo=UTC) + timedelta(days=1)
    selector = {**REPO_SELECTOR, "scheduleName": "daily_scoring_schedule"}
    schedule = service.graphql(FUTURE_TICK, {"sel": selector, "cursor": cursor.timestamp()})["scheduleOrError"]
    (tick,) = schedule["futureTicks"]["results"]
    assert datetime.fromtimestamp(tick["timestamp"], UTC) == cursor.replace(hour=2)
    evaluation = tick["evaluationResult"]
    assert evaluation["error"] is None and evaluation["skipReason"] is None
    (request,) = evaluation["runRequests"]
    assert _tags(request)["dagster/partition"] == day.isoformat()


def test_the_ui_shows_each_assets_group_kinds_and_owner(service: DagsterService) -> None:
    nodes = {"/".join(node["assetKey"]["path"]): node for node in service.graphql(ASSET_NODES)["assetNodes"]}
    assert set(nodes) == {asset.key.to_user_string() for asset in [*DAILY_ASSETS, *WEEKLY_ASSETS]}
    for name, node in nodes.items():
        assert node["description"] and node["groupName"] != "default", name
        assert "duckdb" in node["kinds"], name
        assert node["owners"] == [{"__typename": "TeamAssetOwner", "team": "platform"}], name
    assert set(nodes["dcgm_gpu_samples"]["kinds"]) == {"duckdb", "victoriametrics"}


def test_backfill_and_a_queued_second_run_of_the_same_partition(service: DagsterService) -> None:
    first, second = iso_days()
    # two runs of one partition at once: the instance allows one run in progress, the other waits in the queue
    run_ids = [_launch_run(service, first), _launch_run(service, first)]
    backfill = service.graphql(
        LAUNCH_BACKFILL,
        {
            "p": {
                "selector": {"partitionSetName": "daily_scoring_partition_set", "repositorySelector": REPO_SELECTOR},
                "partitionNames": [first, second],
            }
        },
    )["launchPartitionBackfill"]
    assert backfill["__typename"] == "LaunchBackfillSuccess", backfill
    seen: list[dict[str, str]] = []

    def pair_finished() -> bool | None:
        statuses = {run["runId"]: run["status"] for run in _runs(service, {"runIds": run_ids})}
        seen.append(statuses)
        in_progress = [run for run in _runs(service, {}) if run["status"] in IN_PROGRESS]
        assert len(in_progress) <= 1, f"two runs in progress at once: {in_progress}"
        return True if all(statuses[run_id] in FINISHED for run_id in run_ids) else None

    wait_for("the two runs of one partition", pair_finished, RUNS_TIMEOUT, interval=0.5)
    assert [seen[-1][run_id] for run_id in run_ids] == ["SUCCESS", "SUCCESS"], service.log_tail()
    # while one of them ran, the other was waiting in the queue
    assert any(
        {snapshot[run_ids[0]], snapshot[run_ids[1]]} in ({"STARTED", "QUEUED"}, {"STARTING", "QUEUED"})
        for snapshot in seen
    ), seen

    backfill_filter = {"tags": [{"key": "dagster/backfill", "value": backfill["backfillId"]}]}

    def backfill_finished() -> list[dict[str, Any]] | None:
        runs = _runs(service, backfill_filter)
        done = len(runs) == 2 and all(run["status"] in FINISHED for run in runs)
        return runs if done else None

    runs = wait_for("the backfill's two runs", backfill_finished, RUNS_TIMEOUT, interval=2)
    assert {_tags(run)["dagster/partition"]: run["status"] for run in runs} == {first: "SUCCESS", second: "SUCCESS"}

    backfill_runs = {run["runId"] for run in runs}
    for asset in DAILY_ASSETS:
        key = {"path": list(asset.key.path)}
        found = service.graphql(MATERIALIZATIONS, {"key": key, "parts": [first, second]})["assetOrError"]
        events = [event for event in found["assetMaterializations"] if event["runId"] in backfill_runs]
        assert sorted(event["partition"] for event in events) == [first, second], asset.key
        for event in events:  # what the UI shows of each materialisation: a row count and a preview
            entries = {entry["label"]: entry for entry in event["metadataEntries"]}
            assert entries["dagster/row_count"]["intValue"] >= 0, asset.key
            assert entries["preview"]["mdStr"], asset.key
        for check_key in asset.check_keys:
            executions = service.graphql(CHECK_EXECUTIONS, {"key": key, "name": check_key.name})
            of_backfill = [e for e in executions["assetCheckExecutions"] if e["runId"] in backfill_runs]
            # each run evaluated the check and it passed; Dagster also lists the run's partition as a SKIPPED
            # planned execution, because the checks are not partitioned (partitioned checks are a preview feature)
            passed = {e["runId"] for e in of_backfill if e["status"] == "SUCCEEDED" and e["evaluation"]["success"]}
            assert passed == backfill_runs, (check_key.name, of_backfill)
            assert {e["status"] for e in of_backfill} <= {"SUCCEEDED", "SKIPPED"}, (check_key.name, of_backfill)
    assert (service.home.parent / "out" / "tickets.jsonl").stat().st_size > 0
    wait_for("the daemons to report healthy", lambda: _daemons_healthy(service), 60)
