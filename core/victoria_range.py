"""The export's output for a Prometheus-compatible server without the export API (Prometheus, Thanos, Mimir answer
404 to `/api/v1/export`), read through `/api/v1/query_range` (prometheus-api-client).

`last_over_time(selector[step])` evaluated at the last millisecond of every step gives the step's last raw sample
without the 5-minute lookback filling gaps, and the result is written as the same JSON lines as the export, so
everything downstream is the same. It is slower (JSON parsed in Python) and keeps one sample per step.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gpu_reclaim.core.errors import SourceError, one_line
from prometheus_api_client import PrometheusConnect

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


@dataclass(frozen=True)
class RangeSource:
    """Where the range queries go: a prometheus-api-client connection, the URL named in errors, the step, and
    how a server's message is cleaned of secrets."""

    prometheus: PrometheusConnect
    url: str
    step_seconds: int
    redact: Callable[[str], str]


def export_line(series: dict[str, Any], name_match: re.Match[str] | None) -> tuple[bytes, int] | None:
    """One range-query series as an export line and its sample count (None without samples); the series name is
    put back where a server drops it from a function's result."""
    labels = dict(series.get("metric", {}))
    if "__name__" not in labels and name_match:
        labels["__name__"] = name_match.group(1)
    values = [_PROMETHEUS_NUMBER.get(value, value) for _, value in series.get("values", [])]
    stamps = [round(float(stamp) * 1000) for stamp, _ in series.get("values", [])]
    if not stamps:
        return None
    line = {"metric": labels, "values": values, "timestamps": stamps}
    return json.dumps(line, separators=(",", ":")).encode() + b"\n", len(stamps)


def query_range_jsonl(
    source: RangeSource, selectors: list[str], start: datetime, end: datetime, destination: Path
) -> ExportStats:
    """For each selector, `last_over_time(selector[step])` at the last millisecond of every step from the step
    holding `start` to `end` returns the step's last raw sample (none where the step has no sample), and keeps
    every label; written to `destination` as export lines."""
    step = source.step_seconds
    first = math.floor(start.timestamp() / step) * step + step - 0.001
    first_at = datetime.fromtimestamp(first, tz=start.tzinfo)
    # half a step past `end`, so float rounding of the server's evaluation points never drops the last step;
    # the points stay inside their steps (the stage keeps only the day's samples)
    end_at = datetime.fromtimestamp(end.timestamp() + step / 2, tz=end.tzinfo)
    lines = samples = 0
    with destination.open("wb") as sink:
        for selector in selectors:
            name_match = _SELECTOR_NAME.search(selector)
            query = f"last_over_time({selector}[{step}s])"
            try:
                result = source.prometheus.custom_query_range(
                    query,
                    start_time=first_at,
                    end_time=end_at,
                    step=f"{step}s",
                    # prometheus-api-client rounds start/end to whole seconds; these override with ms
                    params={"start": f"{first:.3f}", "end": f"{end_at.timestamp():.3f}", "nocache": "1"},
                )
            except Exception as error:  # prometheus-api-client raises its own and requests' errors
                raise SourceError(
                    f"range query to {source.url} failed: {source.redact(one_line(error))}; "
                    "check the server's health and its query limits"
                ) from None
            for series in result:
                written = export_line(series, name_match)
                if written is not None:
                    sink.write(written[0])
                    lines += 1
                    samples += written[1]
    return ExportStats(series_lines=lines, samples=samples, bytes_read=destination.stat().st_size)
