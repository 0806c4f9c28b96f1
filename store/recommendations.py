"""The rules' inputs read from DuckDB, and their findings stored in `recommendations`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import duckdb
import polars as pl
from gpu_reclaim.core.busy_looking import busy_looking_params
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.gpu_power import GpuModelPower, default_gpu_power
from gpu_reclaim.core.provenance import record_computed_day
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings, shared_gpu_params
from gpu_reclaim.core.warehouse import query_relation, run_sql, transaction
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.routing import Labels, route_findings
from gpu_reclaim.scoring.rules.base import RuleInputs
from gpu_reclaim.scoring.rules.evaluate import evaluate_rules
from gpu_reclaim.store.rule_days import aggregation_params, prepare_rule_window, split_window


def fetch_frame(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """A named query's result as a polars frame (through Arrow, without a row-by-row copy)."""
    frame = pl.from_arrow(query_relation(con, name, params).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def load_rule_inputs(
    con: duckdb.DuckDBPyConnection,
    step_seconds: int,
    rules: RecommendationSettings,
    window_start: datetime,
    window_end: datetime,
    idle_threshold: float = 0.01,
    gpu_power: list[GpuModelPower] | None = None,
    shared_gpus: SharedGpuSettings | None = None,
) -> RuleInputs:
    """Aggregate the window's days not aggregated yet under these settings (store/rule_days.py) and stage the
    window's GPU power limits (`gpu_power`: the config's table, the defaults when None) from them, then read every
    frame the rules judge (merged from the per-day aggregates)."""
    if gpu_power is None:
        gpu_power = default_gpu_power()
    params: dict[str, Any] = {
        "window_start": window_start.replace(tzinfo=None),
        "window_end": window_end.replace(tzinfo=None),
        "step_seconds": step_seconds,
        "idle_threshold": idle_threshold,
        **busy_looking_params(rules.fake_busy),
        "percentile": rules.quota_reclaim.percentile,
        "gang_owner_kinds": rules.wedged_collective.gang_owner_kinds,
        "wedged_max_odd_gpus": rules.wedged_collective.max_odd_gpus,
        "wedged_min_minutes": rules.wedged_collective.min_minutes,
        **shared_gpu_params(shared_gpus or SharedGpuSettings()),
    }
    aggregation = aggregation_params(step_seconds, rules, idle_threshold, shared_gpus or SharedGpuSettings())
    window_days = prepare_rule_window(con, aggregation, gpu_power, rules, window_start, window_end)
    params.update(window_days.params())
    idle = {**params, "kind": "idle", "min_run_hours": rules.idle_allocation.shortest_hours}
    held = {**params, "kind": "held", "min_run_hours": rules.idle_held_memory.min_hours}
    return RuleInputs(
        window_start=window_start,
        window_end=window_end,
        step_seconds=step_seconds,
        workloads=fetch_frame(con, "rules_workloads.sql", params),
        gpu_stats=fetch_frame(con, "rules_gpu_stats.sql", params),
        idle_runs=fetch_frame(con, "rules_idle_runs.sql", idle),
        held_memory_runs=fetch_frame(con, "rules_idle_runs.sql", held),
        serving_load=fetch_frame(con, "rules_serving_load.sql", params),
        quotas=fetch_frame(con, "rules_quota.sql", params),
        defrag_plans=fetch_frame(con, "rules_defrag_plans.sql", params),
        wedged_gpus=fetch_frame(con, "rules_wedged_gpus.sql", params),
    )


def _recommendation_row(evaluated_on: date, finding: Finding) -> dict[str, Any]:
    ticket = {
        "id": finding.id,
        **finding.ticket_body(),
        "exempt": finding.exempt,
        "insufficient_data": finding.insufficient_data,
    }
    return {
        "evaluated_on": evaluated_on,
        "finding_id": finding.id,
        **finding.model_dump(
            include={
                "rule",
                "severity",
                "workspace",
                "project",
                "namespace",
                "cluster",
                "workload",
                "exempt",
                "gpu_model",
                "gpus_allocated",
                "gpus_reclaimable",
                "idle_gpu_hours",
                "gpu_hours_recoverable_per_week",
            }
        ),
        "window_start": finding.window_start.replace(tzinfo=None),
        "window_end": finding.window_end.replace(tzinfo=None),
        "ticket": json.dumps(ticket, sort_keys=True),
    }


def store_recommendations(con: duckdb.DuckDBPyConnection, evaluated_on: date, findings: list[Finding]) -> None:
    """Replace the evaluation's rows of `recommendations` in one transaction."""
    with transaction(con):
        run_sql(con, "rules_delete_recommendations.sql", {"evaluated_on": evaluated_on})
        for finding in findings:
            run_sql(con, "rules_insert_recommendation.sql", _recommendation_row(evaluated_on, finding))
        record_computed_day(con, "recommendations", evaluated_on)


def load_ticket_labels(
    con: duckdb.DuckDBPyConnection, window_start: datetime, window_end: datetime
) -> tuple[dict[tuple[str, str, str], Labels], dict[tuple[str, str], Labels]]:
    """The window's owner labels and snooze annotations per workload (of the window's workload_day aggregates and
    the partial ones load_rule_inputs staged) and per namespace."""
    start, end = window_start.replace(tzinfo=None), window_end.replace(tzinfo=None)
    params = {"window_start": start, "window_end": end, **split_window(start, end).params()}
    workloads: dict[tuple[str, str, str], Labels] = {}
    namespaces: dict[tuple[str, str], Labels] = {}
    for row in fetch_frame(con, "rules_ticket_labels.sql", params).iter_rows(named=True):
        labels = Labels(row["owner"], row["owner_channel"], row["snooze_until"])
        if row["scope"] == "pod":
            workloads[(row["cluster"], row["namespace"], row["workload"])] = labels
        else:
            namespaces[(row["cluster"], row["namespace"])] = labels
    return workloads, namespaces


def evaluate_recommendations(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    recommendation_settings: RecommendationSettings,
    window_start: datetime,
    window_end: datetime,
    evaluated_on: date,
    warnings: list[str] | None = None,
) -> list[Finding]:
    """Every rule's findings for [window_start, window_end), with owner and acknowledgement (scoring.routing),
    stored in `recommendations` under evaluated_on; warnings about malformed snooze dates go to `warnings`.

    Exempt findings and insufficient-data records are returned and stored but never ticketed.
    """
    inputs = load_rule_inputs(
        con,
        settings.step_seconds,
        recommendation_settings,
        window_start,
        window_end,
        settings.usage.idle_activity_threshold,
        settings.gpu_power,
        settings.shared_gpus,
    )
    workloads, namespaces = load_ticket_labels(con, window_start, window_end)
    findings, routing_warnings = route_findings(
        evaluate_rules(settings, recommendation_settings, inputs), settings.tickets, workloads, namespaces, evaluated_on
    )
    if warnings is not None:
        warnings.extend(routing_warnings)
    store_recommendations(con, evaluated_on, findings)
    return findings
