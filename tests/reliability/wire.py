"""What the fault proxy (proxy.py) writes on the wire: whole answers, heads copied from the upstream answer, raw
and chunked writes, an abort without a final chunk, and where a cut falls."""

from __future__ import annotations

import contextlib
import http.client
import socket
from http.server import BaseHTTPRequestHandler

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


def too_large(form: dict[str, list[str]], max_selectors: int, max_span_seconds: float) -> bool:
    selectors = form.get("match[]", [])
    try:
        span = float(form["end"][0]) - float(form["start"][0])
    except (KeyError, ValueError, IndexError):
        span = float("inf")
    return len(selectors) > max_selectors or span > max_span_seconds


def cut_point(data: bytes, wanted: int, at_line_boundary: bool) -> int:
    wanted = max(0, min(wanted, len(data) - 1))
    if not at_line_boundary:
        return max(1, wanted)
    newline = data.rfind(b"\n", 0, wanted)
    return newline + 1 if newline >= 0 else 0


def send_head(handler: BaseHTTPRequestHandler, response: http.client.HTTPResponse, extra: dict[str, str]) -> None:
    handler.send_response(response.status)
    for key, value in response.getheaders():
        if key.lower() not in HOP_HEADERS:
            handler.send_header(key, value)
    for key, value in extra.items():
        handler.send_header(key, value)
    handler.end_headers()


def answer(handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None = None) -> None:
    try:
        handler.send_response(status)
        handler.send_header("Content-Type", content_type or "text/plain")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)
        handler.wfile.flush()
    except OSError:
        handler.close_connection = True


def write(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
    try:
        handler.wfile.write(data)
        handler.wfile.flush()
        return True
    except OSError:
        handler.close_connection = True
        return False


def chunk(handler: BaseHTTPRequestHandler, data: bytes) -> bool:
    if not data:
        return True
    return write(handler, f"{len(data):x}\r\n".encode() + data + b"\r\n")


def abort(handler: BaseHTTPRequestHandler) -> None:
    """Close the client's connection at once (no final chunk, no answer)."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.wfile.flush()
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)
