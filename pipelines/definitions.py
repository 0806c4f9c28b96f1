"""The Dagster code location: assets, checks, jobs, schedules and resources of gpu-reclaim.

`dagster dev -m gpu_reclaim.pipelines.definitions` serves it. DuckDB takes one writing process at a time, so every
DuckDB-writing asset is in the `duckdb` pool and the default executor runs a run's steps in process.
"""

from __future__ import annotations

import os

from dagster import (
    AssetsDefinition,
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
)
from gpu_reclaim.assets.fragmentation import fragmentation
from gpu_reclaim.assets.ingest import dcgm_gpu_samples, kube_state
from gpu_reclaim.assets.reclamation import recommendations, ticket_delivery
from gpu_reclaim.assets.reports import workspace_reports
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.assets.writeback import score_write_back
from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

DAILY_ASSETS = [dcgm_gpu_samples, kube_state, gpu_usage, fragmentation, recommendations, ticket_delivery]
DAILY_ASSETS.append(score_write_back)  # after the day's scoring: gpu_reclaim_* series to VictoriaMetrics
WEEKLY_ASSETS: list[AssetsDefinition] = [workspace_reports]


# Each job: its name, assets, description, and the hour (UTC) its running schedule `<name>_schedule` starts it after
# each of its partitions ends, in words.
JOB_PLANS: tuple[tuple[str, list[AssetsDefinition], str, int, str], ...] = (
    ("daily_scoring", DAILY_ASSETS, "Ingest one UTC day from VictoriaMetrics and score it.", 2,
     "Every day at 02:00 UTC, for the day before."),
    ("weekly_reports", WEEKLY_ASSETS, "Build the reports of one Monday-started UTC week.", 6,
     "Mondays at 06:00 UTC, for the week before."),
)  # fmt: skip
JOBS = [
    define_asset_job(name, selection=AssetSelection.assets(*assets), description=about)
    for name, assets, about, _, _ in JOB_PLANS
]
SCHEDULES = [
    build_schedule_from_partitioned_job(
        job, hour_of_day=hour, minute_of_hour=0, description=when, default_status=DefaultScheduleStatus.RUNNING
    )
    for job, (_, _, _, hour, when) in zip(JOBS, JOB_PLANS, strict=True)
]
daily_scoring_job, weekly_reports_job = JOBS
daily_scoring_schedule, weekly_reports_schedule = SCHEDULES


def default_resources() -> dict[str, object]:
    """Resources from the environment: GPU_RECLAIM_CONFIG, GPU_RECLAIM_VM_URL, GPU_RECLAIM_DB, GPU_RECLAIM_OUT."""
    return {
        "settings": SettingsResource(
            config_path=os.environ.get("GPU_RECLAIM_CONFIG"), vm_url=os.environ.get("GPU_RECLAIM_VM_URL")
        ),
        "warehouse": WarehouseResource(
            database=os.environ.get("GPU_RECLAIM_DB", "data/gpu_reclaim.duckdb"),
            config_path=os.environ.get("GPU_RECLAIM_CONFIG"),
        ),
        "outputs": OutputsResource(out_dir=os.environ.get("GPU_RECLAIM_OUT", "out")),
    }


defs = Definitions(
    assets=[*DAILY_ASSETS, *WEEKLY_ASSETS],
    jobs=JOBS,
    schedules=SCHEDULES,
    resources=default_resources(),
    executor=in_process_executor,
)
