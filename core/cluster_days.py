"""Which clusters a day's ingested data covers (table cluster_days), when `labels.cluster_label` is configured.

Off by default. An ingest stage calls :func:`record_cluster_days` inside its transaction; the reports call
:func:`cluster_notes` to say which cluster(s) their window covers. Every other table carries the same value in its
`cluster` column (migration 0009); series without the label count in data_quality (missing_cluster_label) with a
one-line warning.
"""

from __future__ import annotations

import logging
from datetime import date

import duckdb
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import fetch_records, run_sql

STAGES = ("dcgm", "kube_state")

log = logging.getLogger(__name__)


def record_cluster_days(con: duckdb.DuckDBPyConnection, settings: Settings, day: date, stage: str) -> None:
    """Replace `stage`'s cluster_days rows of `day`: none when the label is off. 'kube_state' reads the staged
    export (stage_ksm); 'dcgm' the clusters counted while its raw lines were staged (core.extract.finish_stage)."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage!r}; one of {', '.join(STAGES)}")
    run_sql(con, "delete_cluster_days_partition.sql", {"day": day, "stage": stage})
    run_sql(con, "delete_data_quality_partition.sql", {"day": day, "stage": f"cluster_{stage}"})
    label = settings.labels.cluster_label
    if label is None:
        return
    params: dict[str, object] = {"day": day, "cluster_label": label, "stage": stage}
    run_sql(con, f"insert_cluster_days_{stage}.sql", params)
    run_sql(con, "insert_cluster_data_quality.sql", params)
    missing = int(fetch_records(con, "select_missing_cluster_series.sql", params)[0]["series"])
    if missing:
        log.warning(
            "%s %s: %d series lack the cluster label %r; their rows count under cluster ''", day, stage, missing, label
        )


def cluster_notes(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[str]:
    """One sentence per cluster label seen in the window, e.g. 'Cluster (label cluster): prod-eu.'; series that
    lack the label are named as such. Empty when the label was never configured."""
    by_label: dict[str, list[tuple[str, int]]] = {}
    params = {"window_start": window_start, "window_end": window_end}
    for row in fetch_records(con, "select_clusters_of_window.sql", params):
        by_label.setdefault(row["cluster_label"], []).append((row["cluster"], int(row["days"])))
    notes = []
    for label, values in by_label.items():
        named = [value for value, _ in values if value]
        parts = [", ".join(named)] if named else []
        if any(not value for value, _ in values):
            parts.append(f"series without {label}")
        noun = "Clusters" if len(named) > 1 else "Cluster"
        notes.append(f"{noun} (label {label}): {'; and '.join(parts)}.")
    return notes
