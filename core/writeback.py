"""Write-back: each day's scores from DuckDB into VictoriaMetrics as gpu_reclaim_* series.

Re-running a day must leave each series with that run's values. VictoriaMetrics 1.79 keeps every sample it is
sent: two imports at the same timestamps leave both (a query then shows either one), and only a server started
with -dedup.minScrapeInterval keeps one (which one is the server's choice, and the flag is not ours to set).
`/api/v1/admin/tsdb/delete_series` deletes whole series only (1.79 answers 400 to start/end). So every series
of a day carries `day="YYYY-MM-DD"`, and writing a stage of a day first deletes that stage's series of that day
(and cluster), then imports them: the documented delete-and-reimport, scoped to one day (tests/writeback prove it
on the real server). A stage whose delete or import fails is recorded 'failed' in write_back_status and retried by
the next run; the day's scoring never fails because of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import duckdb
import httpx
from gpu_reclaim.core.config import Settings, WriteBackSettings
from gpu_reclaim.core.http_auth import Credentials, force_flush, http_client, read_credentials, read_secret, redact
from gpu_reclaim.core.lifecycle import ClosesHttp
from gpu_reclaim.core.retry import RetryPolicy
from gpu_reclaim.core.series import byte_batches
from gpu_reclaim.core.warehouse import Warehouse, fetch_records, run_sql
from gpu_reclaim.core.writeback_series import (
    LAST_SUCCESS,
    STAGE_QUERIES,
    STAGES,
    Series,
    build_series,
    common_labels,
    encode,
    last_success_series,
    stage_selector,
)

BATCH_BYTES = 8 << 20
ATTEMPTS = 2  # per request and run; the next run retries what still failed
RETRY_WAIT_SECONDS = 0.5


class WriteBackError(RuntimeError):
    """The write-back target refused or could not be reached; one line naming the URL and what to check."""


def _credentials(settings: Settings) -> Credentials:
    """The write-back's own credentials (GPU_RECLAIM_WRITE_BACK_*), or the source's (GPU_RECLAIM_VM_*) when the
    write-back goes to the source's URL and has none of its own."""
    config = settings.write_back
    own = read_credentials("GPU_RECLAIM_WRITE_BACK", config, WriteBackError)
    if own.token or own.user or config.url:
        return own
    return read_credentials("GPU_RECLAIM_VM", settings.victoria_metrics, WriteBackError)


class _ServerBusyError(Exception):
    """A 5xx answer, asked again once."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _transient(error: BaseException) -> bool:
    return isinstance(error, httpx.HTTPError | _ServerBusyError)


class WriteBackClient(ClosesHttp):
    """Import, delete and flush against the write-back target; credentials read once, never logged."""

    def __init__(self, settings: Settings) -> None:
        config: WriteBackSettings = settings.write_back
        self.url = (config.url or settings.victoria_metrics.url).rstrip("/")
        self.delete_url = (config.delete_url or self.url).rstrip("/")
        self.single_node = "/insert/" not in self.url
        credentials = _credentials(settings)
        self._auth_key = read_secret(
            "GPU_RECLAIM_WRITE_BACK_DELETE_AUTH_KEY",
            "GPU_RECLAIM_WRITE_BACK_DELETE_AUTH_KEY_FILE",
            config.delete_auth_key_file,
            WriteBackError,
        )
        self._secrets = [*credentials.secrets, *([self._auth_key] if self._auth_key else [])]
        self._http = http_client(credentials, config.timeout_seconds, config.verify_tls)

    def __repr__(self) -> str:
        return f"WriteBackClient(url={self.url!r})"

    def _redact(self, text: str) -> str:
        return " ".join(redact(text, self._secrets).split())[:200]

    def _send(self, method: str, url: str, kwargs: dict[str, object]) -> httpx.Response:
        response = self._http.request(method, url, **kwargs)  # type: ignore[arg-type]
        if response.status_code >= 500:
            raise _ServerBusyError(response)
        return response

    def _request(self, method: str, url: str, what: str, **kwargs: object) -> httpx.Response:
        """One request, asked again once (after RETRY_WAIT_SECONDS) when the connection fails or the answer is a
        5xx; a refusal raises WriteBackError in one line."""
        policy = RetryPolicy(retries=ATTEMPTS - 1, backoff_seconds=RETRY_WAIT_SECONDS)
        try:
            for attempt in policy.retrying(_transient):
                with attempt:
                    response = self._send(method, url, kwargs)
        except httpx.HTTPError as error:
            reason = self._redact(str(error) or type(error).__name__)
            raise WriteBackError(f"{what} at {url} failed: {reason}; check that the server listens there") from None
        except _ServerBusyError as busy:
            response = busy.response
        if response.status_code in (401, 403):
            raise WriteBackError(
                f"{url} refused the {what} (HTTP {response.status_code}): check the write-back credentials "
                "(GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN[_FILE] or GPU_RECLAIM_WRITE_BACK_USER/PASSWORD[_FILE])"
            )
        if response.status_code >= 400:
            raise WriteBackError(f"{url} refused the {what}: HTTP {response.status_code} {self._redact(response.text)}")
        return response

    def delete(self, selector: str) -> None:
        """Delete every series matching `selector` (whole series: VictoriaMetrics has no ranged delete)."""
        params = {"match[]": selector, **({"authKey": self._auth_key} if self._auth_key else {})}
        self._request("POST", f"{self.delete_url}/api/v1/admin/tsdb/delete_series", "delete", params=params)

    def import_series(self, series: Iterable[Series], wire_format: str = "json") -> None:
        """POST the series to the import API of their wire format, in batches of at most BATCH_BYTES."""
        path, lines = encode(series, wire_format)
        for batch in byte_batches(lines, BATCH_BYTES):
            self._post(path, batch)

    def _post(self, path: str, batch: list[bytes]) -> None:
        body = b"\n".join(batch) + b"\n"
        self._request("POST", f"{self.url}{path}", "import", content=body)

    def flush(self) -> None:
        """Make the imports visible to queries now (a single node buffers them for a second or two)."""
        if self.single_node:
            force_flush(self._http, f"{self.url}/internal/force_flush")


@dataclass
class WriteBackResult:
    """What one write-back run wrote: per (day, stage) the series and samples, and warnings for failures."""

    written: dict[tuple[date, str], tuple[int, int]] = field(default_factory=dict)
    failed: dict[tuple[date, str], str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def series(self) -> int:
        return sum(series for series, _ in self.written.values())

    @property
    def samples(self) -> int:
        return sum(samples for _, samples in self.written.values())


def stage_series(con: duckdb.DuckDBPyConnection, settings: Settings, day: date, stage: str) -> list[Series]:
    """Every series of one stage of one day, from its named SQL files."""
    config = settings.write_back
    params = {
        "day": day,
        "step_seconds": settings.step_seconds,
        "default_h100_equivalent": settings.default_h100_equivalent,
        "default_threshold": config.efficiency_threshold,
        "thresholds": dict(config.workspace_efficiency_thresholds),
    }
    labels = common_labels(day, config.cluster_label, config.cluster)
    series: list[Series] = []
    for name in STAGE_QUERIES[stage]:
        series += build_series(fetch_records(con, name, params), labels, config.cluster_label)
    return series


def days_to_write(con: duckdb.DuckDBPyConnection, settings: Settings, day: date) -> list[date]:
    """The scored days of the last `retry_days` whose write-back failed or never happened (oldest first), then
    `day`."""
    params = {"since": day - timedelta(days=settings.write_back.retry_days), "day": day, "stages": len(STAGES)}
    return [*(row["day"] for row in fetch_records(con, "writeback_status_missing_days.sql", params)), day]


def _record(
    con: duckdb.DuckDBPyConnection, day: date, stage: str, counts: tuple[int, int] | None, error: str | None
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None)
    run_sql(
        con,
        "writeback_status_upsert.sql",
        {
            "day": day,
            "stage": stage,
            "status": "written" if error is None else "failed",
            "series": counts[0] if counts else 0,
            "samples": counts[1] if counts else 0,
            "error": error,
            "attempted_at": now,
            "written_at": now if error is None else None,
        },
    )


def write_stage(client: WriteBackClient, settings: Settings, day: date, stage: str, series: list[Series]) -> None:
    """Replace one stage of one day: delete its series of that day, then import them."""
    config = settings.write_back
    client.delete(stage_selector(stage, day, config.cluster_label, config.cluster))
    client.import_series(series, config.format)


def write_back(warehouse: Warehouse, settings: Settings, day: date, now: datetime | None = None) -> WriteBackResult:
    """Write `day` (after every missing or failed day of the last `retry_days`) back; never raises for the
    target's failures. Once the target refuses or cannot be reached, the rest is recorded as failed without
    asking again (a run does not wait out one timeout per day and stage); the next run retries all of it.

    `now` stamps gpu_reclaim_last_success_timestamp_seconds (the wall clock unless given).
    """
    result = WriteBackResult()
    config = settings.write_back
    with warehouse.connect() as con, WriteBackClient(settings) as client:
        refused: WriteBackError | None = None
        for one_day in days_to_write(con, settings, day):
            for stage in STAGES:
                if refused is not None:
                    _record(con, one_day, stage, None, f"not attempted after: {refused}")
                    result.failed[(one_day, stage)] = str(refused)
                    continue
                try:
                    series = stage_series(con, settings, one_day, stage)
                    counts = (len(series), sum(len(one.values) for one in series))
                    write_stage(client, settings, one_day, stage, series)
                except Exception as error:  # recorded and retried; a day never fails because of its write-back
                    reason = str(error) if isinstance(error, WriteBackError) else f"{type(error).__name__}: {error}"
                    refused = error if isinstance(error, WriteBackError) else None
                    result.failed[(one_day, stage)] = reason
                    result.warnings.append(f"write-back of {stage} for {one_day} failed (retried next run): {reason}")
                    _record(con, one_day, stage, None, reason)
                    continue
                result.written[(one_day, stage)] = counts
                _record(con, one_day, stage, counts, None)
        skipped = len(result.failed) - len(result.warnings)
        if skipped:
            result.warnings.append(f"write-back of {skipped} more (day, stage) pairs not attempted (retried next run)")
        succeeded = sorted({stage for _, stage in result.written})
        if succeeded:
            moment = now or datetime.now(UTC)
            labels = common_labels(None, config.cluster_label, config.cluster)
            try:
                client.import_series(last_success_series(succeeded, moment, labels), config.format)
            except WriteBackError as error:
                result.warnings.append(f"write-back of {LAST_SUCCESS} failed: {error}")
        client.flush()
    return result
