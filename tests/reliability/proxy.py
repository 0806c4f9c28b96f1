"""A fault-injecting HTTP proxy on 127.0.0.1 in front of the real VictoriaMetrics (no mock of the server).

Requests pass through unchanged unless a fault is armed. A fault applies to the paths in `fault_paths`
(the export API by default) and is served `fail_times` times (None: every time), then requests pass again.
Modes:
  refuse            close the connection without an answer
  delay             wait `delay_seconds` (interruptibly), then forward
  hold              wait until `release` is set (the test decides when), then forward
  status            answer `status_code` with `status_body`
  cut               forward with chunked framing, stop after `cut_after_bytes` (at a line boundary when
                    `cut_at_line_boundary`), close without the final chunk
  cut_unframed      HTTP/1.0-style body (no Content-Length, no chunks) cut at a line boundary: a truncation
                    that the protocol cannot show
  short_length      announce the full Content-Length, send less, close
  truncated_line    a well-framed 200 whose body ends inside a line (a server that wrote a partial line)
  garbage           a well-framed 200 whose body is not VictoriaMetrics JSON lines
  trickle           forward the body one line every `delay_seconds` (slow but alive)
  kill_upstream     forward `cut_after_bytes`, call `on_cut()` (kills the server), keep forwarding until it fails
  too_large         HTTP 422 for exports with more than `max_selectors` match[] or a span over `max_span_seconds`
                    (not counted by `fail_times`: it answers every such request, like a server limit)
`required_token` makes every request without `Authorization: Bearer <token>` get a 401.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from gpu_reclaim.core.lifecycle import StartsAndStops

from tests.reliability import wire
from tests.reliability.wire import HOP_HEADERS


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    form: dict[str, list[str]]
    faulted: str | None
    finished: threading.Event = field(default_factory=threading.Event)


@dataclass
class FaultState:
    mode: str = "pass"
    fail_times: int | None = None
    after: int = 0  # let this many matching requests pass before the fault starts
    fault_paths: tuple[str, ...] = ("/api/v1/export",)
    delay_seconds: float = 0.0
    status_code: int = 503
    status_body: bytes = b"service unavailable"
    cut_after_bytes: int = 4096
    cut_at_line_boundary: bool = True
    max_selectors: int = 1_000_000
    max_span_seconds: float = 1e12
    required_token: str | None = None
    on_cut: Callable[[], None] | None = None
    release: threading.Event = field(default_factory=threading.Event)
    seen: list[Seen] = field(default_factory=list)


class FaultProxy(StartsAndStops):
    """`with FaultProxy(vm.url) as proxy: proxy.url`; arm faults with `proxy.arm(mode, ...)`."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.state = FaultState()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                return

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> FaultProxy:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        self.state.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def arm(self, mode: str, fail_times: int | None = None, **options: object) -> None:
        """Arm one fault (replacing the previous one); the log of requests seen is kept."""
        with self.lock:
            seen, token = self.state.seen, self.state.required_token
            self.state = FaultState(mode=mode, fail_times=fail_times, seen=seen, required_token=token)
            for key, value in options.items():
                if not hasattr(self.state, key):
                    raise AttributeError(key)
                setattr(self.state, key, value)

    def disarm(self) -> None:
        self.arm("pass")

    def require_token(self, token: str | None) -> None:
        with self.lock:
            self.state.required_token = token

    @property
    def seen(self) -> list[Seen]:
        with self.lock:
            return list(self.state.seen)

    def exports_seen(self) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith("/api/v1/export")]

    # -- the handler -------------------------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        path = handler.path.split("?", 1)[0]
        form = urllib.parse.parse_qs(body.decode("latin-1")) if body else {}
        if "?" in handler.path:
            for key, values in urllib.parse.parse_qs(handler.path.split("?", 1)[1]).items():
                form.setdefault(key, []).extend(values)
        with self.lock:
            state = self.state
            fault: str | None = None
            if state.mode == "too_large" and path in state.fault_paths:
                if wire.too_large(form, state.max_selectors, state.max_span_seconds):
                    fault = "too_large"
            elif state.mode != "pass" and path in state.fault_paths and state.after > 0:
                state.after -= 1
            elif state.mode != "pass" and path in state.fault_paths and state.fail_times != 0:
                fault = state.mode
                if state.fail_times is not None:
                    state.fail_times -= 1
            seen = Seen(handler.command, handler.path, dict(handler.headers.items()), form, fault)
            state.seen.append(seen)
            authorized = state.required_token is None or handler.headers.get("Authorization") == (
                f"Bearer {state.required_token}"
            )
        try:
            self._serve(handler, body, fault, state, authorized)
        finally:
            seen.finished.set()

    def _serve(
        self, handler: BaseHTTPRequestHandler, body: bytes, fault: str | None, state: FaultState, authorized: bool
    ) -> None:
        if not authorized:
            wire.answer(handler, 401, b"Unauthorized")
            return
        if fault == "refuse":
            wire.abort(handler)
            return
        if fault == "status":
            wire.answer(handler, state.status_code, state.status_body)
            return
        if fault == "too_large":
            wire.answer(handler, 422, b"error when exporting data: cannot select more than -search.maxUniqueTimeseries")
            return
        if fault == "garbage":
            wire.answer(handler, 200, b"<html><body>502 Bad Gateway from a middlebox</body></html>\n")
            return
        if fault == "delay" and self.stopping.wait(state.delay_seconds):
            wire.abort(handler)
            return
        if fault == "hold":
            state.release.wait()
            if self.stopping.is_set():
                wire.abort(handler)
                return
        self._forward(handler, body, fault, state)

    def _forward(self, handler: BaseHTTPRequestHandler, body: bytes, fault: str | None, state: FaultState) -> None:
        target = urllib.parse.urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=600)
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        headers["Accept-Encoding"] = "identity"  # bytes on the wire are the JSON lines themselves
        try:
            connection.request(handler.command, handler.path, body=body or None, headers=headers)
            response = connection.getresponse()
        except OSError:
            wire.abort(handler)
            return
        try:
            if fault in ("short_length", "truncated_line", "cut", "cut_unframed"):
                self._send_cut(handler, response, fault, state)
            else:
                self._stream(handler, response, fault, state)
        finally:
            connection.close()

    def _send_cut(
        self, handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse, fault: str, state: FaultState
    ) -> None:
        """The faults that read the whole answer first (so that a cut at a line boundary really is at one), then
        send part of it."""
        if fault in ("short_length", "truncated_line"):
            data = response.read()
            if fault == "truncated_line":
                data = data[: max(1, min(len(data) - 1, state.cut_after_bytes))]
                wire.answer(handler, response.status, data, response.getheader("Content-Type"))
            else:
                wire.send_head(handler, response, {"Content-Length": str(len(data))})
                wire.write(handler, data[: len(data) // 2])
                wire.abort(handler)
            return
        if fault == "cut":  # the whole answer first, so that a cut "at a line boundary" really is at one
            data = response.read()
            cut = wire.cut_point(data, state.cut_after_bytes, state.cut_at_line_boundary)
            wire.send_head(handler, response, {"Transfer-Encoding": "chunked"})
            for at in range(0, cut, 65536):
                wire.chunk(handler, data[at : min(cut, at + 65536)])
            wire.abort(handler)
            return
        if fault == "cut_unframed":
            data = response.read()
            cut = wire.cut_point(data, state.cut_after_bytes, True)
            handler.protocol_version = "HTTP/1.0"
            wire.send_head(handler, response, {"Connection": "close"})
            wire.write(handler, data[:cut])
            wire.abort(handler)

    def _stream(
        self, handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse, fault: str | None, state: FaultState
    ) -> None:
        """Forward the answer chunk by chunk (one line at a time for `trickle`), killing the server mid-way for
        `kill_upstream`."""
        wire.send_head(handler, response, {"Transfer-Encoding": "chunked"})
        sent = 0
        while True:
            try:
                chunk = response.read1(65536) if fault != "trickle" else response.readline()
            except OSError:
                wire.abort(handler)  # upstream died: the client must see a cut stream
                return
            if not chunk:
                break
            if fault == "kill_upstream" and sent + len(chunk) >= state.cut_after_bytes:
                data = chunk
                cut = wire.cut_point(data, state.cut_after_bytes - sent, state.cut_at_line_boundary)
                wire.chunk(handler, data[:cut])
                fault = "killed"
                if state.on_cut is not None:
                    state.on_cut()
                wire.chunk(handler, data[cut:])  # what was already read from the server before it died
                sent += len(data)
                continue
            if fault == "trickle" and self.stopping.wait(state.delay_seconds):
                wire.abort(handler)
                return
            if not wire.chunk(handler, chunk):
                return
            sent += len(chunk)
        if fault == "killed":
            wire.abort(handler)  # the server was killed: never send the final chunk for it
            return
        wire.write(handler, b"0\r\n\r\n")
