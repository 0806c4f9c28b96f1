"""The wire format of series: PromQL selectors with escaped label values, and the JSON lines of VictoriaMetrics'
export and import APIs (checked, made valid JSON, framed)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence

from gpu_reclaim.core.errors import SourceError

VALUES_MARK = b'},"values":['
TIMESTAMPS_MARK = b'],"timestamps":['
LINE_START = b'{"metric":{'
_LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # Prometheus' label names: ASCII only (str.isalnum is not)
# What VictoriaMetrics (and vmselect) say when a query selects too many series or samples: HTTP 422, or HTTP 400
# ("the number of matching timeseries exceeds N", "cannot select more than -search.maxSamplesPerQuery=N samples").
# VictoriaMetrics writes +Inf/-Inf as bare tokens, which are not JSON. Quoted, DuckDB casts them to DOUBLE.
_NON_JSON_NUMBERS = ((b"+Inf", b'"inf"'), (b"-Inf", b'"-inf"'), (b"NaN", b'"nan"'))


def escape_label_value(value: str) -> str:
    """Escape a value for a double-quoted PromQL/MetricsQL label matcher."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def series_selector(metric_name: str, labels: dict[str, str] | None = None, extra: Sequence[str] = ()) -> str:
    """`{__name__="m",k="v"}` with every value escaped; names are checked, never escaped into validity.

    ``extra`` are matchers already checked and rendered (core.matchers: the configured ``matchers``), appended
    as they are, e.g. `cluster="prod-eu"` or `cluster=~"prod-.*"`."""
    matchers = {"__name__": metric_name, **(labels or {})}
    for key in matchers:
        if not _LABEL_NAME.fullmatch(key):
            raise ValueError(f"not a valid label name: {key!r}")
    body = ",".join([*(f'{key}="{escape_label_value(value)}"' for key, value in matchers.items()), *extra])
    return "{" + body + "}"


def sanitize_line(line: bytes) -> bytes:
    """Make one export line valid JSON: quote the non-JSON number tokens after the label object.

    Label values are JSON strings in which a quote is always escaped, so the first `},"values":[` is the end
    of the label object; only what follows it is rewritten.
    """
    cut = line.find(VALUES_MARK)
    if cut < 0:
        raise SourceError(f"malformed export line from the metrics source (no values array): {excerpt(line)}")
    tail = line[cut:]
    if b"Inf" in tail or b"NaN" in tail:
        for token, quoted in _NON_JSON_NUMBERS:
            tail = tail.replace(token, quoted)
        return line[:cut] + tail
    return line


def form(params: list[tuple[str, str | int | float]]) -> dict[str, list[str]]:
    form: dict[str, list[str]] = {}
    for key, value in params:
        form.setdefault(key, []).append(str(value))
    return form


def iter_lines(chunks: Iterator[bytes]) -> Iterator[bytes]:
    pending = b""
    for chunk in chunks:
        pending += chunk
        parts = pending.split(b"\n")
        pending = parts.pop()
        yield from parts
    if pending:
        yield pending


def byte_batches(lines: Iterable[bytes], max_bytes: int) -> Iterator[list[bytes]]:
    """The lines in order, in batches that close once they reach `max_bytes` (a newline counted per line)."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line) + 1
        if size >= max_bytes:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def server_reason(text: str) -> str:
    """The useful part of a VictoriaMetrics error body (it starts with the client address and the request URI)."""
    at = text.find("error when")
    reason = " ".join((text[at:] if at >= 0 else text).split())
    # the limit that was hit is named at the end, after the (long) filters
    return reason if len(reason) <= 300 else f"{reason[:100]} … {reason[-200:]}"


def excerpt(line: bytes) -> str:
    return repr(line[:80])


def series_json_line(labels: dict[str, str], values: Iterable[float], timestamps_ms: Iterable[int]) -> bytes:
    """One import line; values are written with repr precision (json)."""
    return json.dumps(
        {"metric": labels, "values": list(values), "timestamps": list(timestamps_ms)}, separators=(",", ":")
    ).encode()
