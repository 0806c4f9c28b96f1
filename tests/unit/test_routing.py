"""Owners and acknowledgement of findings (scoring/routing.py): pod beats namespace beats config."""

from __future__ import annotations

from datetime import date

from gpu_reclaim.core.ticket_settings import TicketRoutingSettings
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.routing import Labels, parse_day, route_findings

from tests.unit.test_tickets import finding

DAY = date(2026, 12, 10)
CONFIG = TicketRoutingSettings.model_validate(
    {
        "contacts": {
            "workspaces": {"ws-a": {"owner": "ws-lead", "slack_channel": "#ws-a"}},
            "projects": {"ml": {"owner": "ml-team"}},
        }
    }
)


def route(
    labels: dict[tuple[str, str, str], Labels],
    namespaces: dict[tuple[str, str], Labels],
    settings: TicketRoutingSettings = CONFIG,
) -> tuple[Finding, list[str]]:
    [routed], warnings = route_findings([finding()], settings, labels, namespaces, DAY)
    return routed, warnings


def test_pod_label_beats_namespace_label_beats_config() -> None:
    pod = {("", "ml", "Job/train"): Labels(owner="alice")}
    namespace = {("", "ml"): Labels(owner="ml-ns-owner", owner_channel="#ml")}
    assert route(pod, namespace)[0].owner == "alice"
    assert route(pod, namespace)[0].owner_channel == "#ml"  # each field on its own: the pod names no channel
    assert route({}, namespace)[0].owner == "ml-ns-owner"
    routed, _ = route({}, {})
    assert (routed.owner, routed.owner_channel) == ("ml-team", "#ws-a")  # the Project's owner, the Workspace's channel
    routed, _ = route({}, {}, TicketRoutingSettings())
    assert (routed.owner, routed.owner_channel) == (None, None)


def test_snooze_annotation_acknowledges_through_its_day() -> None:
    for until, acknowledged in (("2026-12-15", True), ("2026-12-10", True), ("2026-12-09", False)):
        routed, warnings = route({("", "ml", "Job/train"): Labels(snooze_until=until)}, {})
        assert (routed.acknowledged_until, routed.acknowledged, warnings) == (
            date.fromisoformat(until),
            acknowledged,
            [],
        )


def test_a_malformed_date_warns_once_and_the_ticket_stays_active() -> None:
    routed, warnings = route({("", "ml", "Job/train"): Labels(snooze_until="next week")}, {})
    assert (routed.acknowledged_until, routed.acknowledged) == (None, False)
    assert warnings == ["ml/Job/train: snooze annotation 'next week' is not a YYYY-MM-DD date; its tickets stay active"]
    config = TicketRoutingSettings(acknowledged={finding().id: "15/12/2026"})
    routed, warnings = route({}, {}, config)
    assert not routed.acknowledged and len(warnings) == 1 and finding().id in warnings[0]


def test_config_list_of_ticket_ids_and_the_later_date_wins() -> None:
    config = TicketRoutingSettings(acknowledged={finding().id: "2026-12-20"})
    routed, _ = route({("", "ml", "Job/train"): Labels(snooze_until="2026-12-12")}, {}, config)
    assert (routed.acknowledged_until, routed.acknowledged) == (date(2026, 12, 20), True)
    other = TicketRoutingSettings(acknowledged={"idle_allocation-0000": "2026-12-20"})
    assert not route({}, {}, other)[0].acknowledged


def test_parse_day() -> None:
    assert parse_day(" 2026-12-15 ") == date(2026, 12, 15)
    assert [parse_day(text) for text in ("2026-13-01", "20261215", "2026-12-15T00:00", "")] == [None] * 4
