"""The "What to give back" ranking (reports.ticket_models.top_actions): every action by one give-back value,
H100-equivalent GPU-hours per week, or money when any action has a price; quota cuts and defrags rank by their
own value instead of last with 0 recoverable hours."""

from __future__ import annotations

from typing import Any

from gpu_reclaim.reports.ticket_models import Recommendation, top_actions


def ticket(ticket_id: str, rule: str = "idle_allocation", **fields: Any) -> Recommendation:
    base: dict[str, Any] = {
        "id": ticket_id,
        "rule": rule,
        "severity": "high",
        "project": "p",
        "namespace": "ns",
        "workload": f"Job/{ticket_id}",
        "exempt": False,
        "gpu_model": None,
        "gpus_allocated": 8,
        "gpus_reclaimable": 8,
        "idle_gpu_hours": 10,
        "gpu_hours_recoverable_per_week": 0,
        "action": "act",
        "summary": None,
        "evidence": {},
        "kind": "reclaim",
    }
    return Recommendation.model_validate({**base, **fields})


def ids(items: list[Recommendation]) -> list[str]:
    return [item.id for item in items]


def test_a_quota_cut_and_a_defrag_rank_by_their_give_back_value_not_last() -> None:
    items = [
        ticket("idle-job", gpu_hours_recoverable_per_week=972, give_back_h100_hours_per_week=972),
        ticket("quota", "quota_reclaim", give_back_h100_hours_per_week=1183),  # 0 recoverable hours
        ticket("defrag", "defragment", give_back_h100_hours_per_week=1344),
        ticket("small", gpu_hours_recoverable_per_week=40, give_back_h100_hours_per_week=12.8),
    ]
    assert ids(top_actions(items, 10)) == ["defrag", "quota", "idle-job", "small"]
    assert ids(top_actions(items, 2)) == ["defrag", "quota"]


def test_money_ranks_first_when_any_action_has_a_price() -> None:
    items = [
        ticket("many-hours-cheap", give_back_h100_hours_per_week=900, give_back_cost_per_week=100),
        ticket("few-hours-dear", give_back_h100_hours_per_week=100, give_back_cost_per_week=400),
        ticket("no-price", give_back_h100_hours_per_week=5000),  # unpriced: after every priced one
    ]
    assert ids(top_actions(items, 10)) == ["few-hours-dear", "many-hours-cheap", "no-price"]


def test_waste_reports_acknowledged_and_exempt_tickets_are_not_actions() -> None:
    items = [
        ticket("ended", kind="waste_report", give_back_h100_hours_per_week=9000),
        ticket("snoozed", acknowledged=True, give_back_h100_hours_per_week=8000),
        ticket("exempt", exempt=True, give_back_h100_hours_per_week=7000),
        ticket("act", give_back_h100_hours_per_week=1),
    ]
    assert ids(top_actions(items, 10)) == ["act"]


def test_without_the_views_value_the_recoverable_hours_rank() -> None:
    """A model built from a row without the give-back columns (or a ticket without them) still ranks."""
    items = [
        ticket("plain", gpu_hours_recoverable_per_week=300),
        ticket("weighted", gpu_hours_recoverable_per_week=100, h100_equivalent_hours_recoverable_per_week=400),
        ticket("nothing"),
    ]
    assert [item.give_back_hours for item in items] == [300, 400, 0]
    assert ids(top_actions(items, 10)) == ["weighted", "plain", "nothing"]


def test_ties_break_by_id_so_the_order_is_stable() -> None:
    items = [ticket(name, give_back_h100_hours_per_week=50) for name in ("b", "c", "a")]
    assert ids(top_actions(items, 10)) == ["a", "b", "c"]
