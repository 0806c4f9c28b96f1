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

daily_scoring_job = define_asset_job(
    "daily_scoring",
    selection=AssetSelection.assets(*DAILY_ASSETS),
    description="Ingest one UTC day from VictoriaMetrics and score it.",
)

daily_scoring_schedule = build_schedule_from_partitioned_job(
    daily_scoring_job,
    hour_of_day=2,
    minute_of_hour=0,
    description="Every day at 02:00 UTC, for the day before.",
    default_status=DefaultScheduleStatus.RUNNING,
)

weekly_reports_job = define_asset_job(
    "weekly_reports",
    selection=AssetSelection.assets(*WEEKLY_ASSETS),
    description="Build the reports of one Monday-started UTC week.",
)

weekly_reports_schedule = build_schedule_from_partitioned_job(
    weekly_reports_job,
    hour_of_day=6,
    minute_of_hour=0,
    description="Mondays at 06:00 UTC, for the week before.",
    default_status=DefaultScheduleStatus.RUNNING,
)


def default_resources() -> dict[str, object]:
    """Resources from the environment: GPU_RECLAIM_CONFIG, GPU_RECLAIM_VM_URL, GPU_RECLAIM_DB, GPU_RECLAIM_OUT."""
    return {
        "settings": SettingsResource(
            config_path=os.environ.get("GPU_RECLAIM_CONFIG"), vm_url=os.environ.get("GPU_RECLAIM_VM_URL")
        ),
        "warehouse": WarehouseResource(database=os.environ.get("GPU_RECLAIM_DB", "data/gpu_reclaim.duckdb")),
        "outputs": OutputsResource(out_dir=os.environ.get("GPU_RECLAIM_OUT", "out")),
    }


defs = Definitions(
    assets=[*DAILY_ASSETS, *WEEKLY_ASSETS],
    jobs=[daily_scoring_job, weekly_reports_job],
    schedules=[daily_scoring_schedule, weekly_reports_schedule],
    resources=default_resources(),
    executor=in_process_executor,
)
