"""The VictoriaMetrics (or any Prometheus-compatible) source.

Bulk samples move through the JSON-lines export API (`/api/v1/export`) streamed to a file that DuckDB reads
with its own JSON reader: one line a series, labels once, values and timestamps as arrays. That keeps memory
bounded by one line, keeps hostile label values exact (JSON escaping), and is several times faster than
parsing samples in Python. PromQL queries and the connection check go through prometheus-api-client.

A Prometheus-compatible server without the export API (Prometheus, Thanos, Mimir answer 404) is read through
`/api/v1/query_range` instead (prometheus-api-client): `last_over_time(selector[step])` evaluated at the last
millisecond of every step gives the step's last raw sample without the 5-minute lookback filling gaps, and the
result is written as the same JSON lines, so everything downstream is the same. It is slower (JSON parsed in
Python) and keeps one sample per step.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
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
from gpu_reclaim.core.retry import RetryPolicy
from gpu_reclaim.core.series import (
    escape_label_value,
    form,
    sanitize_line,
    series_json_line,
    series_selector,
    server_reason,
)
from prometheus_api_client import PrometheusConnect
from urllib3.util.retry import Retry

log = logging.getLogger(__name__)

_TOO_LARGE = re.compile(
    r"exceeds|too many|cannot select more than|-search\.max(ExportSeries|UniqueTimeseries|SamplesPerQuery|Series)",
    re.IGNORECASE,
)
_SELECTOR_NAME = re.compile(r'__name__="([A-Za-z_:][A-Za-z0-9_:]*)"')
# Prometheus' JSON writes sample values as strings; DuckDB casts these spellings of the special values.
_PROMETHEUS_NUMBER = {"+Inf": "inf", "-Inf": "-inf", "NaN": "nan"}


@dataclass(frozen=True)
class ExportStats:
    """What one export moved. `samples` is None from the export API: its lines are checked for framing only, and
    the stage counts the samples in SQL (check_stage_*.sql); the query_range fallback counts them itself."""

    series_lines: int
    samples: int | None
    bytes_read: int


def _read_secret(env_name: str, file_env_name: str, configured_file: Path | None) -> str | None:
    value = os.environ.get(env_name)
    if value:
        return value.strip()
    file_name = os.environ.get(file_env_name) or (str(configured_file) if configured_file else None)
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as error:
            raise SourceError(f"cannot read the secret file named by {file_env_name}: {error.strerror}") from None
    return None


class VictoriaMetricsClient:
    """A thin client: export, import, PromQL, health. Credentials are read once and never logged."""

    def __init__(self, config: VictoriaMetricsConfig, step_seconds: int = 60) -> None:
        self.config = config
        self.url = config.url.rstrip("/")
        self.step_seconds = step_seconds
        self.export_supported = True  # set False on a 404 from /api/v1/export
        token = _read_secret(
            "GPU_RECLAIM_VM_BEARER_TOKEN", "GPU_RECLAIM_VM_BEARER_TOKEN_FILE", config.bearer_token_file
        )
        user = os.environ.get("GPU_RECLAIM_VM_USER") or config.basic_auth_user
        password = _read_secret(
            "GPU_RECLAIM_VM_PASSWORD", "GPU_RECLAIM_VM_PASSWORD_FILE", config.basic_auth_password_file
        )
        self._headers: dict[str, str] = {}
        self._auth: tuple[str, str] | None = None
        # a server may echo what it was sent (a 401 page quoting the header): never repeat a secret in a message
        self._secrets = [secret for secret in (token, password) if secret]
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif user and password is not None:
            self._auth = (user, password)
        self._http = httpx.Client(
            base_url=self.url,
            headers=self._headers,
            auth=self._auth,
            timeout=httpx.Timeout(config.timeout_seconds, connect=min(config.timeout_seconds, 10.0)),
            verify=config.verify_tls,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> VictoriaMetricsClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text

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
        try:
            self._http.get("/internal/force_flush")
        except httpx.HTTPError as error:
            log.debug("force_flush failed: %s", error)

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
        """The export's output for a server without the export API, through PromQL range queries.

        For each selector, `last_over_time(selector[step])` at the last millisecond of every step from the step
        holding `start` to `end` returns the step's last raw sample (none where the step has no sample), and
        keeps every label; the series name is put back where a server drops it from a function's result.
        """
        step = self.step_seconds
        first = math.floor(start.timestamp() / step) * step + step - 0.001
        first_at = datetime.fromtimestamp(first, tz=start.tzinfo)
        # half a step past `end`, so float rounding of the server's evaluation points never drops the last step;
        # the points stay inside their steps (the stage keeps only the day's samples)
        end_at = datetime.fromtimestamp(end.timestamp() + step / 2, tz=end.tzinfo)
        lines = samples = 0
        prometheus = self.prometheus()
        with destination.open("wb") as sink:
            for selector in selectors:
                name_match = _SELECTOR_NAME.search(selector)
                query = f"last_over_time({selector}[{step}s])"
                try:
                    result = prometheus.custom_query_range(
                        query,
                        start_time=first_at,
                        end_time=end_at,
                        step=f"{step}s",
                        # prometheus-api-client rounds start/end to whole seconds; these override with ms
                        params={"start": f"{first:.3f}", "end": f"{end_at.timestamp():.3f}", "nocache": "1"},
                    )
                except Exception as error:  # prometheus-api-client raises its own and requests' errors
                    raise SourceError(
                        f"range query to {self.url} failed: {self._redact(one_line(error))}; "
                        "check the server's health and its query limits"
                    ) from None
                for series in result:
                    labels = dict(series.get("metric", {}))
                    if "__name__" not in labels and name_match:
                        labels["__name__"] = name_match.group(1)
                    values = [_PROMETHEUS_NUMBER.get(value, value) for _, value in series.get("values", [])]
                    stamps = [round(float(stamp) * 1000) for stamp, _ in series.get("values", [])]
                    if not stamps:
                        continue
                    line = {"metric": labels, "values": values, "timestamps": stamps}
                    sink.write(json.dumps(line, separators=(",", ":")).encode() + b"\n")
                    lines += 1
                    samples += len(stamps)
        return ExportStats(series_lines=lines, samples=samples, bytes_read=destination.stat().st_size)

    # -- import (demo and tests) -----------------------------------------------------------------------------

    def import_jsonl(self, lines: Iterable[bytes], batch_bytes: int = 16 << 20) -> int:
        """POST JSON lines (`{"metric":{..},"values":[..],"timestamps":[..]}`) in batches; then flush."""
        sent = 0
        batch: list[bytes] = []
        size = 0
        for line in lines:
            batch.append(line)
            size += len(line) + 1
            if size >= batch_bytes:
                self._post_import(batch)
                sent += len(batch)
                batch, size = [], 0
        if batch:
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
