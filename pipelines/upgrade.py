"""Upgrading a database before work, and `gpu-reclaim rescore`: recompute stored days with the running version.

Rescoring reads only what the database holds (gpu_samples, pod_steps, pods, namespaces, nodes, quota_steps): it
runs the daily assets after ingest (usage, fragmentation, recommendations and the ticket feed) in process, the way
`gpu-reclaim run` does, then the weekly reports of every complete week, and never opens VictoriaMetrics. It does not
deliver tickets to the sinks (ticket_delivery): the next `gpu-reclaim run` does, as for any day.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import Upgrade, Warehouse, fetch_records

if TYPE_CHECKING:  # Dagster is loaded only by the commands that run assets
    from gpu_reclaim.pipelines.runner import RunSummary


class NothingStoredError(ValueError):
    """A day to rescore whose samples are not in the database."""


def upgrade_database(
    db: Path,
    settings: Settings,
    lock_timeout_seconds: float = 120.0,
    announce: Callable[[str], None] = lambda _: None,
) -> Upgrade | None:
    """Judge, back up (unless `[warehouse] backup_before_migrate = false`) and migrate an existing file before any
    work, and announce what was done; a file that does not exist yet is left to be created by the first stage.
    Refusals raise SchemaError, a failed migration MigrationError (rolled back), both with a one-line message."""
    if not db.exists():
        return None
    warehouse = Warehouse.configured(db, lock_timeout_seconds, settings.warehouse)
    try:
        upgrade = warehouse.upgrade()
    except duckdb.InterruptException:
        raise KeyboardInterrupt from None  # the migration running was rolled back
    if upgrade.applied:
        announce(upgrade.describe())
    return upgrade


def days_without_samples(db: Path, days: Sequence[date], lock_timeout_seconds: float = 120.0) -> list[date]:
    """The days among `days` with neither DCGM samples nor kube-state pod steps stored."""
    with Warehouse(db, lock_timeout_seconds).connect(read_only=True) as con:
        stored = {row["day"] for row in fetch_records(con, "select_days_with_samples.sql")}
    return [day for day in days if day not in stored]


def rescore_days(
    settings_path: Path | None,
    db: Path,
    out: Path,
    days: Sequence[date],
    lock_timeout_seconds: float = 120.0,
    on_step: Callable[[str], None] = lambda _: None,
) -> RunSummary:
    """Recompute every daily result after ingest for `days` from the stored samples, then the weekly reports."""
    from gpu_reclaim.assets.fragmentation import fragmentation
    from gpu_reclaim.assets.reclamation import recommendations
    from gpu_reclaim.assets.usage import gpu_usage
    from gpu_reclaim.pipelines.definitions import WEEKLY_ASSETS
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
    from gpu_reclaim.pipelines.runner import run_pipeline

    missing = days_without_samples(db, days, lock_timeout_seconds)
    if missing:
        raise NothingStoredError(
            f"{db} holds no samples for {', '.join(day.isoformat() for day in missing[:5])}"
            f"{' …' if len(missing) > 5 else ''}: rescore recomputes stored days only (gpu-reclaim run ingests them)"
        )
    resources: dict[str, SettingsResource | WarehouseResource | OutputsResource] = {
        # no VictoriaMetrics URL: none of these assets opens the metrics source
        "settings": SettingsResource(config_path=str(settings_path) if settings_path else None),
        "warehouse": WarehouseResource(
            database=str(db),
            lock_timeout_seconds=lock_timeout_seconds,
            config_path=str(settings_path) if settings_path else None,
        ),
        "outputs": OutputsResource(out_dir=str(out)),
    }
    return run_pipeline([gpu_usage, fragmentation, recommendations], WEEKLY_ASSETS, resources, days, on_step=on_step)
