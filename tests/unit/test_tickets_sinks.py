"""Ticket sinks against a local HTTP server on 127.0.0.1 that fails, then recovers: retries, idempotency, what is
sent and when (tests/unit/sink_server.py; the routing and the settings: test_tickets_sink_routing.py)."""

from __future__ import annotations

from datetime import timedelta

from gpu_reclaim.core.rule_settings import SinkSettings
from gpu_reclaim.delivery.deliver import idempotency_key

from tests.unit.sink_server import NOW, Server, migrated_connection, run, sink, ticket


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
