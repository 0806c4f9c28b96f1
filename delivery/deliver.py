"""Send ticket events to the configured sinks, each event once.

Only events worth a message are sent: a new ticket, a severity change of an ongoing one (or an ongoing ticket
the sink never heard of), and a resolution of a ticket it was told about. A ticket sent less than
`cooldown_days` ago is not sent again, except for its resolution.

Each event has an idempotency key per (sink, ticket, first_seen, status, severity). It is recorded in
ticket_deliveries as `pending` before the request and as `sent` or `failed` after. A `pending` row left by a
crash is never re-posted (reported as `unconfirmed`), so a crash cannot double-post; a `failed` one is retried on
the next run. Requests carry the key in an `Idempotency-Key` header. Retries (core.retry's policy) on 5xx, 429,
timeouts and connection errors; other 4xx fail at once. Secrets come from environment variables only.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb
import httpx
from gpu_reclaim.core.retry import RetryPolicy
from gpu_reclaim.core.rule_settings import SinkSettings
from gpu_reclaim.core.warehouse import fetch_records, run_sql
from gpu_reclaim.delivery.sinks import DeliveryError, Request, Sink, sink_for
from gpu_reclaim.scoring.findings import SEVERITY_RANK, rfc3339
from gpu_reclaim.scoring.tickets import Ticket, naive_utc
from gpu_reclaim.store.tickets import latest_tickets


@dataclass(frozen=True)
class Delivery:
    """What happened to one ticket event at one sink."""

    sink: str
    ticket_id: str
    status: str
    severity: str
    idempotency_key: str
    outcome: str  # sent, dry_run, failed, unconfirmed, cooldown, acknowledged
    detail: str = ""


def idempotency_key(sink: str, ticket: Ticket) -> str:
    """Per (sink, ticket, lifecycle, status, severity): a ticket re-opened later (new first_seen) is a new event."""
    parts = [sink, ticket.id, rfc3339(ticket.first_seen), ticket.status, ticket.severity]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:32]


class _RetryableResponseError(DeliveryError):
    """A 5xx or 429: worth asking again."""


def send_with_retries(
    client: httpx.Client, request: Request, sink: SinkSettings, sleep: Callable[[float], None]
) -> tuple[httpx.Response, int]:
    """The response and the number of attempts; DeliveryError when every attempt failed."""
    policy = RetryPolicy(sink.retries, sink.backoff_seconds)
    attempts = 0

    def transient(error: BaseException) -> bool:
        return isinstance(error, httpx.TimeoutException | httpx.TransportError | _RetryableResponseError)

    try:
        for attempt in policy.retrying(transient, sleep=sleep):
            with attempt:
                attempts += 1
                response = client.request(request.method, request.url, json=request.json, headers=request.headers,
                                          auth=request.auth, timeout=sink.timeout_seconds)  # fmt: skip
                if response.status_code >= 500 or response.status_code == 429:
                    raise _RetryableResponseError(f"HTTP {response.status_code}")
                if response.status_code >= 400:
                    raise DeliveryError(f"HTTP {response.status_code}: {response.text[:200]}")
                return response, attempts
    except (httpx.TimeoutException, httpx.TransportError, _RetryableResponseError) as exc:
        reason = str(exc) if isinstance(exc, _RetryableResponseError) else f"{type(exc).__name__}: {exc}"
        raise DeliveryError(f"gave up after {attempts} attempts: {reason}") from None
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


def _record(con: duckdb.DuckDBPyConnection, sink: SinkSettings, ticket: Ticket, key: str, state: str,
            attempts: int, now: datetime, remote_ref: str | None = None, error: str | None = None) -> None:  # fmt: skip
    params = {
        "sink": sink.name,
        "idempotency_key": key,
        "ticket_id": ticket.id,
        "status": ticket.status,
        "severity": ticket.severity,
        "state": state,
        "attempts": attempts,
        "attempted_at": now,
        "sent_at": now if state == "sent" else None,
        "remote_ref": remote_ref,
        "error": error,
    }
    run_sql(con, "tickets_upsert_delivery.sql", params)


def _past_deliveries(con: duckdb.DuckDBPyConnection, sink: SinkSettings) -> dict[str, list[dict[str, Any]]]:
    by_ticket: dict[str, list[dict[str, Any]]] = {}
    for record in fetch_records(con, "tickets_select_deliveries.sql", {"sink": sink.name}):
        by_ticket.setdefault(record["ticket_id"], []).append(record)
    return by_ticket


def reason_to_skip(
    sink: SinkSettings, ticket: Ticket, key: str, past: list[dict[str, Any]], now: datetime
) -> str | None:
    """None when the event should be sent; else why not (an outcome, or '' for nothing to say). An acknowledged
    ticket is never sent (outcome `acknowledged`); once its date has passed it is judged like any other."""
    if SEVERITY_RANK[ticket.severity] < SEVERITY_RANK[sink.min_severity]:
        return ""
    if ticket.acknowledged:
        return "acknowledged"
    same = [row for row in past if row["idempotency_key"] == key]
    if same and same[0]["state"] == "sent":
        return ""
    if same and same[0]["state"] == "pending":
        return "unconfirmed"
    sent = [row for row in past if row["state"] == "sent"]
    last = max(sent, key=lambda row: row["sent_at"]) if sent else None
    if ticket.status == "resolved":
        return None if last is not None else ""
    if ticket.status == "ongoing" and last is not None and last["severity"] == ticket.severity:
        return ""
    if last is not None and now - last["sent_at"] < timedelta(days=sink.cooldown_days):
        return "cooldown"
    return None


@dataclass(frozen=True)
class _Context:
    con: duckdb.DuckDBPyConnection
    sink: Sink
    env: Mapping[str, str]
    http: httpx.Client
    now: datetime
    sleep: Callable[[float], None]


def _send(context: _Context, ticket: Ticket, key: str, refs: list[str], base: Delivery) -> Delivery:
    settings, con, now = context.sink.settings, context.con, context.now
    remote_ref = refs[0] if refs else None
    try:
        request = context.sink.request(ticket, key, remote_ref, context.env, secrets=True)
    except DeliveryError as exc:
        return replace(base, outcome="failed", detail=str(exc))
    _record(con, settings, ticket, key, "pending", 0, now)
    try:
        response, attempts = send_with_retries(context.http, request, settings, context.sleep)
    except DeliveryError as exc:
        _record(con, settings, ticket, key, "failed", settings.retries + 1, now, error=str(exc))
        return replace(base, outcome="failed", detail=str(exc))
    remote_ref = remote_ref or context.sink.remote_ref(response)
    _record(con, settings, ticket, key, "sent", attempts, now, remote_ref=remote_ref)
    return replace(base, detail=f"{attempts} attempt(s)")


def deliver(
    con: duckdb.DuckDBPyConnection,
    sink: SinkSettings,
    tickets: Iterable[Ticket],
    now: datetime,
    *,
    client: httpx.Client | None = None,
    env: Mapping[str, str] | None = None,
    printer: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Delivery]:
    """Send the tickets that need it to one sink (or print them when the sink is disabled)."""
    history = _past_deliveries(con, sink)
    http = client or httpx.Client()
    context = _Context(con, sink_for(sink), os.environ if env is None else env, http, naive_utc(now), sleep)
    results = []
    try:
        for ticket in tickets:
            key = idempotency_key(sink.name, ticket)
            past = history.get(ticket.id, [])
            reason = reason_to_skip(sink, ticket, key, past, context.now)
            base = Delivery(sink.name, ticket.id, ticket.status, ticket.severity, key, "sent")
            if reason is not None:
                if reason:
                    results.append(replace(base, outcome=reason))
                continue
            refs = [row["remote_ref"] for row in past if row["state"] == "sent" and row["remote_ref"]]
            if not sink.enabled:
                request = context.sink.request(ticket, key, refs[0] if refs else None, context.env, secrets=False)
                printer(f"[dry-run {sink.name}] {request.method} {request.shown_url} {request.json}")
                results.append(replace(base, outcome="dry_run"))
                continue
            results.append(_send(context, ticket, key, refs, base))
    finally:
        if client is None:
            http.close()
    return results


def deliver_evaluation(
    con: duckdb.DuckDBPyConnection,
    sinks: Sequence[SinkSettings],
    now: datetime,
    **options: Any,
) -> dict[str, list[Delivery]]:
    """Deliver the latest evaluation's tickets, read from ticket_history, to every sink."""
    tickets = latest_tickets(con) if sinks else []
    return {sink.name: deliver(con, sink, tickets, now, **options) for sink in sinks}
