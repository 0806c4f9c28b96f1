"""Ticket sinks against a local HTTP server on 127.0.0.1 that fails, then recovers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.rule_settings import RecommendationSettings, SinkSettings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.delivery.deliver import deliver, deliver_evaluation, idempotency_key
from gpu_reclaim.delivery.sinks import SINK_KINDS, JiraSink, SlackSink, WebhookSink, sink_for
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.tickets import update_ticket_feed

NOW = datetime(2026, 11, 3, 12, 0, 0)


class Server:
    """Answers each POST with the next scripted status (then 200) and keeps what it received."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.received: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status = server.script.pop(0) if server.script else 200
                server.received.append(
                    {"path": self.path, "status": status, "headers": dict(self.headers), "json": json.loads(body)}
                )
                reply = json.dumps({"key": "GPU-1"} if status < 300 else {"error": "x"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [request for request in self.received if request["status"] < 300]


def migrated_connection() -> duckdb.DuckDBPyConnection:
    """An in-memory database with the schema, as every warehouse connection has it."""
    con = duckdb.connect()
    prepare_connection(con)
    return con


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    running.thread.start()
    yield running
    running.httpd.shutdown()
    running.httpd.server_close()


def ticket(status: str = "new", severity: str = "medium", first_seen: str = "2026-11-03T12:00:00Z") -> Ticket:
    return Ticket.model_validate(
        {
            "id": "idle_allocation-1",
            "status": status,
            "rule": "idle_allocation",
            "severity": severity,
            "workspace": "ws-a",
            "project": "ml",
            "namespace": "ml",
            "workload": "Job/train",
            "pods": ["train-0"],
            "nodes": ["node-1"],
            "gpu_model": None,
            "gpus_allocated": 1.0,
            "gpus_reclaimable": 1.0,
            "idle_gpu_hours": 5.0,
            "gpu_hours_recoverable_per_week": 7.0,
            "window_start": "2026-11-02T00:00:00Z",
            "window_end": "2026-11-03T00:00:00Z",
            "first_seen": first_seen,
            "last_seen": first_seen,
            "evidence": {"longest_idle_hours": 5.0},
            "action": "Release the idle GPU.",
            "summary": "Job/train idle 5 h.",
        }
    )


def sink(url: str, **overrides: Any) -> SinkSettings:
    values: dict[str, Any] = {"name": "hook", "kind": "webhook", "enabled": True, "url": url, "backoff_seconds": 0}
    return SinkSettings(**{**values, **overrides})


def run(con: duckdb.DuckDBPyConnection, target: SinkSettings, tickets: list[Ticket], now: datetime = NOW,
        **kwargs: Any) -> list[str]:  # fmt: skip
    return [d.outcome for d in deliver(con, target, tickets, now, sleep=lambda _: None, **kwargs)]


def test_retries_on_5xx_then_sends_once_and_never_again(server: Server) -> None:
    con = migrated_connection()
    server.script = [500, 503]
    assert run(con, sink(server.url), [ticket()]) == ["sent"]
    assert [r["status"] for r in server.received] == [500, 503, 200]
    keys = {r["headers"]["Idempotency-Key"] for r in server.received}
    assert keys == {idempotency_key("hook", ticket())}
    assert server.delivered[0]["json"]["ticket"]["id"] == "idle_allocation-1"
    assert run(con, sink(server.url), [ticket()]) == []
    assert len(server.received) == 3


def test_gives_up_after_retries_and_retries_on_the_next_run(server: Server) -> None:
    con = migrated_connection()
    server.script = [500, 500]
    assert run(con, sink(server.url, retries=1), [ticket()]) == ["failed"]
    assert run(con, sink(server.url, retries=1), [ticket()]) == ["sent"]
    assert len(server.delivered) == 1


def test_client_errors_are_not_retried(server: Server) -> None:
    server.script = [400]
    assert run(migrated_connection(), sink(server.url), [ticket()]) == ["failed"]
    assert len(server.received) == 1


def test_timeouts_are_retried() -> None:
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts connections, never answers
    try:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        result = run(migrated_connection(), sink(url, timeout_seconds=0.2, retries=2), [ticket()])
    finally:
        listener.close()
    assert result == ["failed"]


def test_a_pending_delivery_left_by_a_crash_is_never_reposted(server: Server) -> None:
    con = migrated_connection()
    run(con, sink(server.url, enabled=False), [], printer=lambda _: None)  # creates the table
    con.execute(
        "INSERT INTO ticket_deliveries VALUES ('hook', $k, 'idle_allocation-1', 'new', 'medium', 'pending', 0, "
        "$now, NULL, NULL, NULL)",
        {"k": idempotency_key("hook", ticket()), "now": NOW},
    )
    assert run(con, sink(server.url), [ticket()]) == ["unconfirmed"]
    assert server.received == []


def test_only_new_severity_changes_and_resolutions_are_sent(server: Server) -> None:
    con = migrated_connection()
    target = sink(server.url)
    assert run(con, target, [ticket("new")]) == ["sent"]
    assert run(con, target, [ticket("ongoing")], NOW + timedelta(days=8)) == []
    assert run(con, target, [ticket("ongoing", "high")], NOW + timedelta(days=9)) == ["sent"]
    assert run(con, target, [ticket("resolved", "high")], NOW + timedelta(days=10)) == ["sent"]
    assert [r["json"]["ticket"]["status"] for r in server.delivered] == ["new", "ongoing", "resolved"]


def test_cooldown_of_seven_days_except_for_resolution(server: Server) -> None:
    con = migrated_connection()
    target = sink(server.url)
    run(con, target, [ticket("new")])
    assert run(con, target, [ticket("ongoing", "high")], NOW + timedelta(days=2)) == ["cooldown"]
    assert run(con, target, [ticket("resolved")], NOW + timedelta(days=3)) == ["sent"]
    assert run(con, target, [ticket("new", first_seen="2026-11-07T12:00:00Z")], NOW + timedelta(days=4)) == ["cooldown"]
    assert run(con, target, [ticket("new", first_seen="2026-11-07T12:00:00Z")], NOW + timedelta(days=11)) == ["sent"]


def test_resolution_of_a_ticket_never_sent_is_not_sent(server: Server) -> None:
    assert run(migrated_connection(), sink(server.url), [ticket("resolved")]) == []


def test_min_severity(server: Server) -> None:
    assert run(migrated_connection(), sink(server.url, min_severity="high"), [ticket(severity="medium")]) == []


def test_disabled_sink_prints_without_sending_or_reading_secrets(server: Server) -> None:
    printed: list[str] = []
    target = SinkSettings(name="slack", kind="slack", url_env="TEST_SLACK_URL")
    assert not target.enabled
    assert run(migrated_connection(), target, [ticket()], printer=printed.append, env={}) == ["dry_run"]
    assert server.received == []
    assert printed[0].startswith("[dry-run slack] POST $TEST_SLACK_URL ")


def test_slack_url_and_webhook_token_come_from_the_environment(server: Server) -> None:
    con = migrated_connection()
    slack = SinkSettings(name="slack", kind="slack", enabled=True, url_env="TEST_SLACK_URL")
    assert run(con, slack, [ticket()], env={"TEST_SLACK_URL": server.url + "/hooks/x"}) == ["sent"]
    assert server.received[0]["path"] == "/hooks/x"
    assert "Job/train" in server.received[0]["json"]["text"]
    hook = sink(server.url, token_env="TEST_HOOK_TOKEN")
    assert run(con, hook, [ticket()], env={"TEST_HOOK_TOKEN": "s3cret"}) == ["sent"]
    assert server.received[1]["headers"]["Authorization"] == "Bearer s3cret"
    assert run(migrated_connection(), hook, [ticket()], env={}) == ["failed"]


def test_jira_creates_an_issue_then_comments_on_it(server: Server) -> None:
    con = migrated_connection()
    jira = SinkSettings(
        name="jira", kind="jira", enabled=True, url=server.url, jira_project_key="OPS",
        token_env="TEST_JIRA_TOKEN", user_env="TEST_JIRA_USER", backoff_seconds=0,
    )  # fmt: skip
    env = {"TEST_JIRA_TOKEN": "t", "TEST_JIRA_USER": "ops@example.com"}
    assert run(con, jira, [ticket()], env=env) == ["sent"]
    assert run(con, jira, [ticket("resolved")], NOW + timedelta(days=1), env=env) == ["sent"]
    create, comment = server.received
    assert create["path"] == "/rest/api/2/issue"
    assert create["json"]["fields"]["project"] == {"key": "OPS"}
    assert create["headers"]["Authorization"].startswith("Basic ")
    assert comment["path"] == "/rest/api/2/issue/GPU-1/comment"


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


def owned(**fields: Any) -> Ticket:
    return ticket().model_copy(update={"owner": "vision-team", "owner_channel": "#vision-gpus", **fields})


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
