"""One entry point: evaluate every rule over a window, apply exemptions and weights, store the result."""

from __future__ import annotations

import json
from datetime import date, datetime

import duckdb
from gpu_reclaim.core.config import Settings, h100_equivalent_weight
from gpu_reclaim.core.provenance import record_computed_day
from gpu_reclaim.scoring.findings import Finding, priority_key
from gpu_reclaim.scoring.rules import sql
from gpu_reclaim.scoring.rules.base import Rule, load_rule_inputs
from gpu_reclaim.scoring.rules.capacity import QuotaReclaim, ServingOverprovisioned
from gpu_reclaim.scoring.rules.defragment import Defragment
from gpu_reclaim.scoring.rules.efficiency import DownsizeProfile, LowEfficiency, OverRequested
from gpu_reclaim.scoring.rules.fake_busy import FakeBusy
from gpu_reclaim.scoring.rules.idle import IdleAllocation, IdleHeldMemory
from gpu_reclaim.scoring.rules.settings import RecommendationSettings


def default_rules(rules: RecommendationSettings) -> list[Rule]:
    return [
        IdleAllocation(rules),
        LowEfficiency(rules),
        OverRequested(rules),
        FakeBusy(rules),
        IdleHeldMemory(rules),
        DownsizeProfile(rules),
        QuotaReclaim(rules),
        ServingOverprovisioned(rules),
        Defragment(rules),
    ]


def _price(settings: Settings, gpu_model: str | None) -> float | None:
    if gpu_model:
        for model in settings.gpu_models:
            if model.match.lower() in gpu_model.lower():
                return model.price_per_gpu_hour
    return None


def _exempt_by_config(settings: Settings, finding: Finding) -> bool:
    return (
        finding.workspace in settings.exempt_workspaces
        or finding.project in settings.exempt_projects
        or f"{finding.namespace}/{finding.workload}" in settings.exempt_workloads
    )


def _suppress(findings: list[Finding], rules: RecommendationSettings) -> list[Finding]:
    """Drop a finding when a rule that makes it redundant fired on the same workload."""
    fired = {(f.rule, f.namespace, f.workload) for f in findings if not f.insufficient_data}
    return [
        f
        for f in findings
        if not any((other, f.namespace, f.workload) in fired for other in rules.suppressed_by.get(f.rule, []))
    ]


def finalize(settings: Settings, rules: RecommendationSettings, findings: list[Finding]) -> list[Finding]:
    """Suppress overlaps, mark exemptions, add H100-equivalent and money figures, order by priority."""
    result = []
    for finding in _suppress(findings, rules):
        weight = h100_equivalent_weight(settings, finding.gpu_model)
        price = _price(settings, finding.gpu_model)
        per_week = finding.gpu_hours_recoverable_per_week
        result.append(
            finding.model_copy(
                update={
                    "exempt": finding.exempt or _exempt_by_config(settings, finding),
                    "h100_equivalent_hours_recoverable_per_week": round(per_week * weight, 3),
                    "cost_recoverable_per_week": None if price is None else round(per_week * price, 2),
                }
            )
        )
    return sorted(result, key=priority_key)


def store_recommendations(con: duckdb.DuckDBPyConnection, evaluated_on: date, findings: list[Finding]) -> None:
    """Replace the evaluation's rows of `recommendations` in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        sql.execute(con, "rules_delete_recommendations", {"evaluated_on": evaluated_on})
        for finding in findings:
            ticket = {
                "id": finding.id,
                **finding.ticket_body(),
                "exempt": finding.exempt,
                "insufficient_data": finding.insufficient_data,
            }
            sql.execute(
                con,
                "rules_insert_recommendation",
                {
                    "evaluated_on": evaluated_on,
                    "finding_id": finding.id,
                    "rule": finding.rule,
                    "severity": finding.severity,
                    "workspace": finding.workspace,
                    "project": finding.project,
                    "namespace": finding.namespace,
                    "workload": finding.workload,
                    "exempt": finding.exempt,
                    "gpu_model": finding.gpu_model,
                    "gpus_allocated": finding.gpus_allocated,
                    "gpus_reclaimable": finding.gpus_reclaimable,
                    "idle_gpu_hours": finding.idle_gpu_hours,
                    "gpu_hours_recoverable_per_week": finding.gpu_hours_recoverable_per_week,
                    "window_start": finding.window_start.replace(tzinfo=None),
                    "window_end": finding.window_end.replace(tzinfo=None),
                    "ticket": json.dumps(ticket, sort_keys=True),
                },
            )
        record_computed_day(con, "recommendations", evaluated_on)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def evaluate_recommendations(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    recommendation_settings: RecommendationSettings,
    window_start: datetime,
    window_end: datetime,
    evaluated_on: date,
) -> list[Finding]:
    """Every rule's findings for [window_start, window_end), stored in `recommendations` under evaluated_on.

    Exempt findings and insufficient-data records are returned and stored but never ticketed.
    """
    inputs = load_rule_inputs(con, settings.step_seconds, recommendation_settings, window_start, window_end)
    raw = [finding for rule in default_rules(recommendation_settings) for finding in rule.evaluate(inputs)]
    findings = finalize(settings, recommendation_settings, raw)
    store_recommendations(con, evaluated_on, findings)
    return findings
