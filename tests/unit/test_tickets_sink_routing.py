"""Ticket sinks: the settings, the sink kinds, delivery from ticket_history, routing by the owner and the
acknowledged tickets (against the local HTTP server of tests/unit/sink_server.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from gpu_reclaim.core.rule_settings import RecommendationSettings, SinkSettings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.delivery.deliver import deliver_evaluation
from gpu_reclaim.delivery.sinks import SINK_KINDS, JiraSink, SlackSink, WebhookSink, sink_for
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.tickets import update_ticket_feed

from tests.unit.sink_server import NOW, Server, migrated_connection, owned, run, sink, ticket


@pytest.mark.parametrize(
    "raw",
    [
        {"name": "x", "kind": "webhook"},
        {"name": "x", "kind": "webhook", "url": "http://a", "url_env": "B"},
        {"name": "x", "kind": "jira", "url": "http://a"},
        {"name": "Bad Name", "kind": "webhook", "url": "http://a"},
        {"name": "x", "kind": "email", "url": "http://a"},
    ],
)
def test_sink_settings_are_validated(raw: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SinkSettings.model_validate(raw)


def test_no_sinks_by_default() -> None:
    assert RecommendationSettings().sinks == []


def test_every_configurable_kind_has_a_sink_class() -> None:
    kinds = SinkSettings.model_fields["kind"].annotation.__args__  # type: ignore[union-attr]
    assert set(SINK_KINDS) == set(kinds)
    assert {"webhook": WebhookSink, "slack": SlackSink, "jira": JiraSink} == SINK_KINDS
    assert isinstance(sink_for(SinkSettings(name="s", kind="slack", url="http://a")), SlackSink)


def test_deliver_evaluation_reads_the_tickets_from_ticket_history(server: Server) -> None:
    from tests.unit.test_tickets import DAY1, DAY2, at_noon, finding

    con = migrated_connection()
    prepare_connection(con)
    target = sink(server.url)
    assert deliver_evaluation(con, [target], NOW, sleep=lambda _: None) == {"hook": []}  # no evaluation yet
    update_ticket_feed(con, [finding(), finding("Job/other")], DAY1, at_noon(DAY1))
    assert deliver_evaluation(con, [], NOW) == {}
    first = deliver_evaluation(con, [target], at_noon(DAY1), sleep=lambda _: None)
    assert [(d.status, d.outcome) for d in first["hook"]] == [("new", "sent"), ("new", "sent")]
    update_ticket_feed(con, [finding()], DAY2, at_noon(DAY2))  # Job/other resolves on DAY2
    second = deliver_evaluation(con, [target], at_noon(DAY2), sleep=lambda _: None)  # ongoing: nothing new to say
    assert [(d.status, d.outcome) for d in second["hook"]] == [("resolved", "sent")]
    sent = [request["json"]["ticket"] for request in server.delivered]
    assert sorted((t["workload"], t["status"]) for t in sent) == [
        ("Job/other", "new"), ("Job/other", "resolved"), ("Job/train", "new")]  # fmt: skip
    assert all(list(t) == list(Ticket.model_fields) for t in sent)


def test_sinks_route_by_the_owner(server: Server) -> None:
    con = migrated_connection()
    slack = SinkSettings(name="slack", kind="slack", enabled=True, url=server.url + "/hooks/x")
    assert run(con, slack, [owned()]) == ["sent"]
    message = server.received[-1]["json"]
    assert message["channel"] == "#vision-gpus" and "owner vision-team" in message["text"]
    assert run(migrated_connection(), slack, [ticket()]) == ["sent"]
    assert "channel" not in server.received[-1]["json"]  # no owner's channel: the webhook's own
    assert run(migrated_connection(), sink(server.url), [owned()]) == ["sent"]
    hook = server.received[-1]["json"]
    assert (hook["owner"], hook["owner_channel"], hook["ticket"]["owner"]) == (
        "vision-team",
        "#vision-gpus",
        "vision-team",
    )
    jira = SinkSettings(name="jira", kind="jira", enabled=True, url=server.url, jira_project_key="OPS")
    assert run(migrated_connection(), jira, [owned()]) == ["sent"]
    assert server.received[-1]["json"]["fields"]["assignee"] == {"name": "vision-team"}
    assert run(migrated_connection(), jira, [ticket()]) == ["sent"]
    assert "assignee" not in server.received[-1]["json"]["fields"]


def test_an_acknowledged_ticket_is_not_notified_until_its_date_has_passed(server: Server) -> None:
    con = migrated_connection()
    snoozed = owned(acknowledged=True, acknowledged_until=date(2026, 12, 15))
    assert run(con, sink(server.url), [snoozed]) == ["acknowledged"]
    assert server.received == []
    # after the date the next evaluation says acknowledged false: the ticket is notified like any other
    active = owned(status="ongoing", acknowledged=False, acknowledged_until=date(2026, 12, 15))
    assert run(con, sink(server.url), [active], NOW + timedelta(days=44)) == ["sent"]
    assert len(server.delivered) == 1
