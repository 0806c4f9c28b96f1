"""The sink tests' helpers (tests/unit/test_tickets_sink*.py): a local HTTP server on 127.0.0.1 that fails as
scripted, then recovers; a migrated in-memory database; a ticket, a sink and a delivery run."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import duckdb
from gpu_reclaim.core.rule_settings import SinkSettings
from gpu_reclaim.core.warehouse import prepare_connection
from gpu_reclaim.delivery.deliver import deliver
from gpu_reclaim.scoring.tickets import Ticket

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


def owned(**fields: Any) -> Ticket:
    return ticket().model_copy(update={"owner": "vision-team", "owner_channel": "#vision-gpus", **fields})


@contextmanager
def serving() -> Iterator[Server]:
    """A running Server, shut down on exit."""
    running = Server()
    running.thread.start()
    try:
        yield running
    finally:
        running.httpd.shutdown()
        running.httpd.server_close()
