"""The VictoriaMetrics (or any Prometheus-compatible) source.

Bulk samples move through the JSON-lines export API (`/api/v1/export`) streamed to a file that DuckDB reads
with its own JSON reader: one line a series, labels once, values and timestamps as arrays. That keeps memory
bounded by one line, keeps hostile label values exact (JSON escaping), and is several times faster than
parsing samples in Python. PromQL queries and the connection check go through prometheus-api-client.

A Prometheus-compatible server without the export API is read through `/api/v1/query_range` instead
(core/victoria_range.py). Credentials and the HTTP client come from core/http_auth.py, shared with the write-back.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import httpx
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.errors import (
    ExportUnsupportedError,
    FatalSourceError,
    SourceError,
    TooManySeriesError,
    one_line,
)
from gpu_reclaim.core.exportstream import ExportChecker
from gpu_reclaim.core.http_auth import force_flush, http_client, read_credentials, redact
from gpu_reclaim.core.lifecycle import ClosesHttp
from gpu_reclaim.core.retry import RetryPolicy
from gpu_reclaim.core.series import (
    byte_batches,
    escape_label_value,
    form,
    sanitize_line,
    series_json_line,
    series_selector,
    server_reason,
)
from gpu_reclaim.core.victoria_range import ExportStats, RangeSource, query_range_jsonl
from prometheus_api_client import PrometheusConnect
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

_TOO_LARGE = re.compile(
    r"exceeds|too many|cannot select more than|-search\.max(ExportSeries|UniqueTimeseries|SamplesPerQuery|Series)",
    re.IGNORECASE,
)


class VictoriaMetricsClient(ClosesHttp):
    """A thin client: export, import, PromQL, health. Credentials are read once and never logged."""

    def __init__(self, config: VictoriaMetricsConfig, step_seconds: int = 60) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self.step_seconds = step_seconds
        self.export_supported = True  # set False on a 404 from /api/v1/export
        credentials = read_credentials("GPU_RECLAIM_VM", config, SourceError)
        self._headers = credentials.headers
        self._auth = credentials.auth
        # a server may echo what it was sent (a 401 page quoting the header): never repeat a secret in a message
        self._secrets = credentials.secrets
        self._http = http_client(credentials, config.timeout_seconds, config.verify_tls, base_url=self.url)

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    def __repr__(self) -> str:  # never shows credentials
        return f"VictoriaMetricsClient(url={self.url!r})"

    # -- health and PromQL ---------------------------------------------------------------------------------

    def prometheus(self, retries: int | None = None) -> PrometheusConnect:
        """A prometheus-api-client connection with this client's URL, credentials, timeout and retries."""
        retry = Retry(
            total=self.config.retries if retries is None else retries,
            backoff_factor=self.config.backoff_seconds,
            status_forcelist=(502, 503, 504),
            allowed_methods=("GET", "POST"),
        )
        return PrometheusConnect(
            url=self.url,
            headers=self._headers or None,
            disable_ssl=not self.config.verify_tls,
            retry=retry,
            auth=self._auth,
            timeout=math.ceil(self.config.timeout_seconds),
        )

    def check(self) -> None:
        """Raise SourceError with one line (URL, what to check) unless the query API answers."""
        try:
            result = self.prometheus(retries=0).custom_query("vector(1)")
        except Exception as error:
            reason = self._redact(str(error).splitlines()[0][:200] if str(error) else type(error).__name__)
            raise SourceError(
                f"cannot query the metrics source at {self.url} ({reason}); check that VictoriaMetrics "
                "(or a Prometheus-compatible API) listens there and that its credentials are set"
            ) from None
        if not isinstance(result, list):
            raise SourceError(f"{self.url} answered vector(1) with something that is not a Prometheus result")

    def force_flush(self) -> None:
        """VictoriaMetrics buffers recent imports; make them visible to queries (a no-op elsewhere)."""
        force_flush(self._http, "/internal/force_flush")

    # -- bulk export -----------------------------------------------------------------------------------------

    def export_jsonl(self, selectors: list[str], start: datetime, end: datetime, destination: Path) -> ExportStats:
        """Stream every series matching `selectors` with samples in [start, end] to `destination`.

        Retries transient failures (connection refused or cut, timeouts, 5xx, a malformed or cut body) up to
        `retries` times with exponential backoff, then raises SourceError. A response cut short is never kept
        partial: the body must be framed (chunked or Content-Length, so a cut connection raises in httpx), every
        line must be a complete export object whose values and timestamps agree, and one attempt may not stream
        for longer than `export_deadline_seconds`. A refusal as too large raises TooManySeriesError (split and
        ask again); refused credentials raise FatalSourceError at once.
        """
        if not self.export_supported:
            return self.query_range_jsonl(selectors, start, end, destination)
        params: list[tuple[str, str | int | float]] = [("match[]", selector) for selector in selectors]
        params += [("start", f"{start.timestamp():.3f}"), ("end", f"{end.timestamp():.3f}")]
        policy = RetryPolicy(self.config.retries, self.config.backoff_seconds)
        attempts = 0

        def warn(error: BaseException, delay: float) -> None:
            reason = self._redact(one_line(error))
            log.warning("export from %s failed (%s); retrying in %.1fs", self.url, reason, delay)

        try:
            for attempt in policy.retrying(_transient_export_error, before_sleep=warn):
                with attempt:
                    attempts += 1
                    try:
                        return self._export_once(params, destination)
                    except BaseException:
                        destination.unlink(missing_ok=True)
                        raise
        except ExportUnsupportedError:
            log.warning("%s has no export API; reading through query_range (slower)", self.url)
            self.export_supported = False
            return self.query_range_jsonl(selectors, start, end, destination)
        except (TooManySeriesError, FatalSourceError):
            raise
        except (httpx.HTTPError, SourceError) as error:
            raise SourceError(
                f"export from {self.url} failed after {attempts} attempts: {self._redact(one_line(error))}; "
                "check the server's health and -search.* limits"
            ) from None
        raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover

    def _export_once(self, params: list[tuple[str, str | int | float]], destination: Path) -> ExportStats:
        read = 0
        deadline = time.monotonic() + self.config.export_deadline_seconds
        # identity unless asked: on a fast link, gzip costs both ends more CPU than its bytes save
        encoding = {"Accept-Encoding": "gzip" if self.config.export_gzip else "identity"}
        with self._http.stream("POST", "/api/v1/export", data=form(params), headers=encoding) as response:
            if response.status_code >= 400:
                response.read()
                reason = self._redact(server_reason(response.text))
                too_large = response.status_code == 400 and _TOO_LARGE.search(response.text)
                if response.status_code == 422 or too_large:
                    raise TooManySeriesError(f"{self.url} refused the export as too large: {reason}")
                if response.status_code in (404, 405, 501):
                    raise ExportUnsupportedError(f"{self.url} has no /api/v1/export (HTTP {response.status_code})")
                if response.status_code in (401, 403):
                    raise FatalSourceError(
                        f"{self.url} answered HTTP {response.status_code} to the export: check the credentials "
                        "(GPU_RECLAIM_VM_BEARER_TOKEN[_FILE] or GPU_RECLAIM_VM_USER/PASSWORD)"
                    )
                raise SourceError(f"{self.url} answered HTTP {response.status_code}: {reason}")
            framing = response.headers.get("transfer-encoding", "").lower()
            if "chunked" not in framing and "content-length" not in response.headers:
                raise FatalSourceError(
                    f"{self.url} answered the export without chunked framing or a Content-Length, so a cut "
                    "stream could not be told from a complete one; check the proxy in front of the server "
                    "(it must speak HTTP/1.1 to this client)"
                )
            checker = ExportChecker()
            with destination.open("wb") as sink:
                # chunks as they arrive (a fixed size would hold a trickle past the deadline), not lines:
                # ExportChecker checks each block of whole lines with a few C-level scans
                for chunk in response.iter_bytes():
                    read += len(chunk)
                    if time.monotonic() > deadline:
                        raise SourceError(
                            f"the export took longer than {self.config.export_deadline_seconds:.0f}s "
                            "(victoria_metrics.export_deadline_seconds)"
                        )
                    sink.write(checker.feed(chunk))
                sink.write(checker.finish())
        return ExportStats(series_lines=checker.lines, samples=None, bytes_read=read)

    def query_range_jsonl(self, selectors: list[str], start: datetime, end: datetime, destination: Path) -> ExportStats:
        """The export's output for a server without the export API, through PromQL range queries
        (core/victoria_range.py)."""
        source = RangeSource(self.prometheus(), self.url, self.step_seconds, self._redact)
        return query_range_jsonl(source, selectors, start, end, destination)

    # -- import (demo and tests) -----------------------------------------------------------------------------

    def import_jsonl(self, lines: Iterable[bytes], batch_bytes: int = 16 << 20) -> int:
        """POST JSON lines (`{"metric":{..},"values":[..],"timestamps":[..]}`) in batches; then flush."""
        sent = 0
        for batch in byte_batches(lines, batch_bytes):
            self._post_import(batch)
            sent += len(batch)
        self.force_flush()
        return sent

    def _post_import(self, batch: list[bytes]) -> None:
        body = b"\n".join(batch) + b"\n"
        response = self._http.post("/api/v1/import", content=body)
        if response.status_code >= 400:
            reason = self._redact(response.text[:200])
            raise SourceError(f"{self.url} refused an import: HTTP {response.status_code} {reason}")


def _transient_export_error(error: BaseException) -> bool:
    """Worth asking again: a cut or refused connection, a timeout, a 5xx, a malformed body (not a refusal)."""
    final = (ExportUnsupportedError, TooManySeriesError, FatalSourceError)
    return isinstance(error, httpx.HTTPError | SourceError) and not isinstance(error, final)


__all__ = [
    "ExportStats",
    "ExportUnsupportedError",
    "FatalSourceError",
    "SourceError",
    "TooManySeriesError",
    "VictoriaMetricsClient",
    "escape_label_value",
    "sanitize_line",
    "series_json_line",
    "series_selector",
]
