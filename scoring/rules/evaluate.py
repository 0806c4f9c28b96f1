"""Evaluate every rule over a window's inputs, then suppress overlaps, apply exemptions and weights (pure:
store.recommendations reads the inputs and stores the result)."""

from __future__ import annotations

from gpu_reclaim.core.config import Settings, gpu_model_weight, h100_equivalent_weight
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.scoring.findings import Finding, priority_key
from gpu_reclaim.scoring.rules.base import Rule, RuleInputs
from gpu_reclaim.scoring.rules.capacity import QuotaReclaim, ServingOverprovisioned
from gpu_reclaim.scoring.rules.defragment import Defragment
from gpu_reclaim.scoring.rules.efficiency import DownsizeProfile, LowEfficiency, OverRequested
from gpu_reclaim.scoring.rules.fake_busy import FakeBusy
from gpu_reclaim.scoring.rules.idle import IdleAllocation, IdleHeldMemory
from gpu_reclaim.scoring.rules.wedged import WedgedCollective


def default_rules(rules: RecommendationSettings) -> list[Rule]:
    return [
        IdleAllocation(rules.idle_allocation, rules.severity),
        LowEfficiency(rules.low_efficiency, rules.severity),
        OverRequested(rules.over_requested, rules.severity),
        FakeBusy(rules.fake_busy, rules.severity),
        WedgedCollective(rules.wedged_collective, rules.severity),
        IdleHeldMemory(rules.idle_held_memory, rules.severity),
        DownsizeProfile(rules.downsize_profile, rules.severity),
        QuotaReclaim(rules.quota_reclaim, rules.severity),
        ServingOverprovisioned(rules.serving_overprovisioned, rules.severity),
        Defragment(rules.severity),
    ]


def _price(settings: Settings, gpu_model: str | None) -> float | None:
    model = gpu_model_weight(settings, gpu_model)
    return model.price_per_gpu_hour if model else None


def _exempt_by_config(settings: Settings, finding: Finding) -> bool:
    return (
        finding.workspace in settings.exempt_workspaces
        or finding.project in settings.exempt_projects
        or f"{finding.namespace}/{finding.workload}" in settings.exempt_workloads
    )


def _suppress(findings: list[Finding], rules: RecommendationSettings) -> list[Finding]:
    """Drop a finding when a rule that makes it redundant fired on the same workload."""
    fired = {(f.rule, f.cluster, f.namespace, f.workload) for f in findings if not f.insufficient_data}
    return [
        f
        for f in findings
        if not any(
            (other, f.cluster, f.namespace, f.workload) in fired for other in rules.suppressed_by.get(f.rule, [])
        )
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


def evaluate_rules(settings: Settings, rules: RecommendationSettings, inputs: RuleInputs) -> list[Finding]:
    """Every rule's findings over one window's inputs, finalized (see :func:`finalize`)."""
    raw = [finding for rule in default_rules(rules) for finding in rule.evaluate(inputs)]
    return finalize(settings, rules, raw)
