"""Namespaces that belong to several Workspaces at once (README "Several clusters in one VictoriaMetrics").

With `labels.cluster_label` off, two clusters in one VictoriaMetrics fold into cluster '': a namespace present in
both (same name) can carry two Workspaces at the same time. sql/insert_namespaces.sql keeps one of them; this
counts each day's such namespaces in data_quality (rule namespace_in_several_workspaces) and says so in one
warning line, naming labels.cluster_label when the series carry a `cluster` label that would tell them apart.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import fetch_records, run_sql

STAGE = "namespaces"
RULE = "namespace_in_several_workspaces"
SHOWN = 3  # namespaces named in the warning

log = logging.getLogger(__name__)


def namespace_conflict_warning(rows: list[dict[str, Any]], day: date, cluster_label: str | None) -> str | None:
    """The one-line warning for the day's namespaces in several Workspaces (rows of
    select_namespace_workspace_conflicts.sql), None when there is none."""
    if not rows:
        return None
    named = ", ".join(f"{row['namespace']} ({row['workspaces']})" for row in rows[:SHOWN])
    more = f" and {len(rows) - SHOWN} more" if len(rows) > SHOWN else ""
    line = (
        f"{day}: {len(rows)} namespace(s) belong to several Workspaces at once: {named}{more}; "
        "each counts under one of them (data_quality rule namespace_in_several_workspaces)"
    )
    if cluster_label is None and any(int(row["cluster_values"]) > 1 for row in rows):
        line += "; their series carry a `cluster` label with several values: set labels.cluster_label = 'cluster'"
    return line


def record_namespace_conflicts(con: duckdb.DuckDBPyConnection, settings: Settings, params: dict[str, Any]) -> None:
    """Replace the day's namespace_in_several_workspaces counts from stage_ksm (inside the kube-state stage's
    transaction) and log the warning line."""
    day = params["day"]
    run_sql(con, "delete_data_quality_partition.sql", {"day": day, "stage": STAGE})
    run_sql(con, "stage_namespace_workspace_conflicts.sql", params)
    run_sql(con, "insert_namespace_data_quality.sql", params)
    rows = fetch_records(con, "select_namespace_workspace_conflicts.sql", {})
    warning = namespace_conflict_warning(rows, day, settings.labels.cluster_label)
    if warning:
        log.warning("%s", warning)
