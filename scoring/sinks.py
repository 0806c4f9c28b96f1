"""Send tickets to a generic JSON webhook, a Slack incoming webhook or Jira (REST v2).

Only events worth a message are sent: a new ticket, a severity change of an ongoing one (or an ongoing ticket
the sink never heard of), and a resolution of a ticket it was told about. A ticket sent less than
`cooldown_days` ago is not sent again, except for its resolution.

Each event has an idempotency key per (sink, ticket, first_seen, status, severity). It is recorded in ticket_deliveries
as `pending` before the request and as `sent` or `failed` after. A `pending` row left by a crash is never
re-posted (reported as `unconfirmed`), so a crash cannot double-post; a `failed` one is retried on the next
run. Requests carry the key in an `Idempotency-Key` header. Retries with exponential backoff on 5xx, 429,
timeouts and connection errors; other 4xx fail at once. Secrets come from environment variables only.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import httpx
from gpu_reclaim.scoring.findings import SEVERITY_RANK
from gpu_reclaim.scoring.rules.settings import SinkSettings
from gpu_reclaim.scoring.rules.sql import bind, read_sql


class DeliveryError(RuntimeError):
    """A request that failed for good (after retries, or a 4xx)."""


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    shown_url: str = ""


@dataclass(frozen=True)
class Delivery:
    """What happened to one ticket event at one sink."""

    sink: str
    ticket_id: str
    status: str
    severity: str
    idempotency_key: str
    outcome: str  # sent, dry_run, failed, unconfirmed, cooldown
    detail: str = ""


def idempotency_key(sink: str, ticket: Mapping[str, Any]) -> str:
    """Per (sink, ticket, lifecycle, status, severity): a ticket re-opened later (new first_seen) is a new event."""
    parts = [sink, ticket["id"], str(ticket.get("first_seen", "")), ticket["status"], ticket["severity"]]
    text = "\x1f".join(parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _env(name: str, env: Mapping[str, str], sink: SinkSettings) -> str:
    value = env.get(name)
    if not value:
        raise DeliveryError(f"sink {sink.name}: environment variable {name} is not set")
    return value


def _text(ticket: Mapping[str, Any]) -> str:
    return (
        f"[gpu-reclaim] {ticket['status']} · {ticket['severity']} · {ticket['rule']} · "
        f"{ticket['namespace']}/{ticket['workload']}: {ticket['summary']} {ticket['action']}"
    )


def build_request(
    sink: SinkSettings,
    ticket: Mapping[str, Any],
    key: str,
    remote_ref: str | None,
    env: Mapping[str, str],
    *,
    secrets: bool,
) -> Request:
    """The HTTP request of one ticket event; without `secrets` (dry run) no env var is read."""
    if sink.url is not None:
        url = sink.url
        shown = url
    else:
        assert sink.url_env is not None
        url = _env(sink.url_env, env, sink) if secrets else ""
        shown = f"${sink.url_env}"
    headers = {"Idempotency-Key": key}
    auth = None
    if sink.token_env and secrets:
        token = _env(sink.token_env, env, sink)
        if sink.kind == "jira" and sink.user_env:
            auth = (_env(sink.user_env, env, sink), token)  # Jira Cloud: e-mail + API token
        else:
            headers["Authorization"] = f"Bearer {token}"
    if sink.kind == "webhook":
        return Request("POST", url, {"idempotency_key": key, "ticket": dict(ticket)}, headers, auth, shown)
    if sink.kind == "slack":
        return Request("POST", url, {"text": _text(ticket)}, headers, auth, shown)
    base = url.rstrip("/")
    if remote_ref:
        path = f"/rest/api/2/issue/{remote_ref}/comment"
        return Request("POST", base + path, {"body": _text(ticket)}, headers, auth, shown.rstrip("/") + path)
    body = {
        "fields": {
            "project": {"key": sink.jira_project_key},
            "issuetype": {"name": sink.jira_issue_type},
            "summary": str(ticket["summary"])[:250],
            "description": f"{_text(ticket)}\n\nTicket id: {ticket['id']}\nEvidence: {ticket['evidence']}",
            "labels": ["gpu-reclaim", str(ticket["rule"])],
        }
    }
    path = "/rest/api/2/issue"
    return Request("POST", base + path, body, headers, auth, shown.rstrip("/") + path)


def send_with_retries(
    client: httpx.Client, request: Request, sink: SinkSettings, sleep: Callable[[float], None]
) -> tuple[httpx.Response, int]:
    """The response and the number of attempts; DeliveryError when every attempt failed."""
    error = ""
    for attempt in range(sink.retries + 1):
        if attempt:
            sleep(sink.backoff_seconds * 2 ** (attempt - 1))
        try:
            response = client.request(
                request.method,
                request.url,
                json=request.json,
                headers=request.headers,
                auth=request.auth,
                timeout=sink.timeout_seconds,
            )
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            continue
        if response.status_code >= 500 or response.status_code == 429:
            error = f"HTTP {response.status_code}"
            continue
        if response.status_code >= 400:
            raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response, attempt + 1
    raise DeliveryError(f"gave up after {sink.retries + 1} attempts: {error}")


def _record(
    con: duckdb.DuckDBPyConnection,
    sink: SinkSettings,
    ticket: Mapping[str, Any],
    key: str,
    state: str,
    attempts: int,
    now: datetime,
    remote_ref: str | None = None,
    error: str | None = None,
) -> None:
    params = {
        "sink": sink.name,
        "idempotency_key": key,
        "ticket_id": ticket["id"],
        "status": ticket["status"],
        "severity": ticket["severity"],
        "state": state,
        "attempts": attempts,
        "attempted_at": now,
        "sent_at": now if state == "sent" else None,
        "remote_ref": remote_ref,
        "error": error,
    }
    con.execute(read_sql("tickets_upsert_delivery"), bind("tickets_upsert_delivery", params))


def _history(con: duckdb.DuckDBPyConnection, sink: SinkSettings) -> dict[str, list[dict[str, Any]]]:
    cursor = con.execute(read_sql("tickets_select_deliveries"), {"sink": sink.name})
    columns = [column[0] for column in cursor.description or []]
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for row in cursor.fetchall():
        record = dict(zip(columns, row, strict=True))
        by_ticket.setdefault(record["ticket_id"], []).append(record)
    return by_ticket


def _reason_to_skip(
    sink: SinkSettings, ticket: Mapping[str, Any], key: str, past: list[dict[str, Any]], now: datetime
) -> str | None:
    """None when the event should be sent; else why not (an outcome, or '' for nothing to say)."""
    if SEVERITY_RANK[ticket["severity"]] < SEVERITY_RANK[sink.min_severity]:
        return ""
    same = [row for row in past if row["idempotency_key"] == key]
    if same and same[0]["state"] == "sent":
        return ""
    if same and same[0]["state"] == "pending":
        return "unconfirmed"
    sent = [row for row in past if row["state"] == "sent"]
    last = max(sent, key=lambda row: row["sent_at"]) if sent else None
    if ticket["status"] == "resolved":
        return None if last is not None else ""
    if ticket["status"] == "ongoing" and last is not None and last["severity"] == ticket["severity"]:
        return ""
    if last is not None and now - last["sent_at"] < timedelta(days=sink.cooldown_days):
        return "cooldown"
    return None


def deliver(
    con: duckdb.DuckDBPyConnection,
    sink: SinkSettings,
    tickets: Iterable[Mapping[str, Any]],
    now: datetime,
    *,
    client: httpx.Client | None = None,
    env: Mapping[str, str] | None = None,
    printer: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Send the tickets that need it to one sink (or print them when the sink is disabled)."""
    env = os.environ if env is None else env
    now = now.replace(tzinfo=None) if now.tzinfo is None else now.astimezone(UTC).replace(tzinfo=None)
    con.execute(read_sql("tickets_create_deliveries"))
    history = _history(con, sink)
    own_client = client is None
    http = client or httpx.Client()
    results = []
    try:
        for ticket in tickets:
            key = idempotency_key(sink.name, ticket)
            past = history.get(ticket["id"], [])
            reason = _reason_to_skip(sink, ticket, key, past, now)
            base = Delivery(sink.name, ticket["id"], ticket["status"], ticket["severity"], key, "sent")
            if reason == "":
                continue
            if reason is not None:
                results.append(replace(base, outcome=reason))
                continue
            refs = [row["remote_ref"] for row in past if row["state"] == "sent" and row["remote_ref"]]
            if not sink.enabled:
                request = build_request(sink, ticket, key, refs[0] if refs else None, env, secrets=False)
                printer(f"[dry-run {sink.name}] {request.method} {request.shown_url} {request.json}")
                results.append(replace(base, outcome="dry_run"))
                continue
            results.append(_send(con, sink, ticket, key, refs, env, http, now, sleep, base))
    finally:
        if own_client:
            http.close()
    return results


def _send(
    con: duckdb.DuckDBPyConnection,
    sink: SinkSettings,
    ticket: Mapping[str, Any],
    key: str,
    refs: list[str],
    env: Mapping[str, str],
    http: httpx.Client,
    now: datetime,
    sleep: Callable[[float], None],
    base: Delivery,
) -> Delivery:
    try:
        request = build_request(sink, ticket, key, refs[0] if refs else None, env, secrets=True)
    except DeliveryError as exc:
        return replace(base, outcome="failed", detail=str(exc))
    _record(con, sink, ticket, key, "pending", 0, now)
    try:
        response, attempts = send_with_retries(http, request, sink, sleep)
    except DeliveryError as exc:
        _record(con, sink, ticket, key, "failed", sink.retries + 1, now, error=str(exc))
        return replace(base, outcome="failed", detail=str(exc))
    remote_ref = refs[0] if refs else None
    if sink.kind == "jira" and remote_ref is None:
        try:
            remote_ref = str(response.json().get("key") or "") or None
        except ValueError:
            remote_ref = None
    _record(con, sink, ticket, key, "sent", attempts, now, remote_ref=remote_ref)
    return replace(base, detail=f"{attempts} attempt(s)")
