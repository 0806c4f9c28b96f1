"""The paths the pipeline's ingest is compared with: VictoriaMetrics' own exports (the ceiling) and the naive
prometheus-api-client path."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.extract import dcgm_selectors, kube_state_selectors
from gpu_reclaim.core.victoria import VictoriaMetricsClient


def export_to(url: str, path: str, form: dict[str, list[str]], destination: str | Path = os.devnull) -> int:
    """Stream one export to `destination` (default /dev/null), uncompressed; returns its bytes."""
    size = 0
    with (
        httpx.Client(base_url=url, timeout=600, headers={"Accept-Encoding": "identity"}) as http,
        http.stream("POST", path, data=form) as response,
        open(destination, "wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_raw(1 << 20):
            size += len(chunk)
            sink.write(chunk)
    return size


def range_form(selectors: list[str], start: datetime, end: datetime) -> dict[str, list[str]]:
    return {
        "match[]": selectors,
        "start": [f"{start.timestamp():.3f}"],
        "end": [f"{(end - timedelta(milliseconds=1)).timestamp():.3f}"],
    }


def csv_format(settings: Settings) -> str:
    labels = settings.labels
    keys: list[str] = []
    for group in (
        labels.dcgm_node,
        labels.dcgm_gpu_index,
        labels.dcgm_gpu_uuid,
        labels.dcgm_gpu_model,
        labels.dcgm_namespace,
        labels.dcgm_pod,
        labels.dcgm_container,
    ):
        keys += [k for k in group if k not in keys]
    return ",".join(["__name__", "__timestamp__:unix_ms", "__value__", *keys])


def measure_ceiling(url: str, settings: Settings, start: datetime, end: datetime, workdir: Path) -> dict[str, Any]:
    """VictoriaMetrics' own exports of the same series, and DuckDB reading the CSV export."""
    dcgm, ksm = dcgm_selectors(settings), kube_state_selectors(settings)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    out["json_bytes"] = export_to(url, "/api/v1/export", range_form(dcgm + ksm, start, end))
    out["json_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["json_dcgm_bytes"] = export_to(url, "/api/v1/export", range_form(dcgm, start, end))
    out["json_dcgm_s"] = time.perf_counter() - t0
    # CSV is ~8× the bytes of the JSON export (a line per sample, labels repeated): its leg covers the first day
    csv_end = min(end, start + timedelta(days=1))
    form = {**range_form(dcgm, start, csv_end), "format": [csv_format(settings)]}
    t0 = time.perf_counter()
    out["csv_bytes"] = export_to(url, "/api/v1/export/csv", form)
    out["csv_s"] = time.perf_counter() - t0
    csv_file = workdir / "dcgm.csv"
    t0 = time.perf_counter()
    export_to(url, "/api/v1/export/csv", form, csv_file)
    out["csv_file_s"] = time.perf_counter() - t0
    names = csv_format(settings).split(",")
    # DuckDB column names are case-insensitive (Hostname/hostname): name the columns by position
    columns = {f"c{k}": "VARCHAR" for k in range(len(names))}
    columns["c1"], columns["c2"] = "BIGINT", "DOUBLE"
    t0 = time.perf_counter()
    with duckdb.connect(":memory:") as con:
        con.execute(
            "CREATE TABLE samples AS SELECT * FROM read_csv($path, header = false, columns = $columns)",
            {"path": str(csv_file), "columns": columns},
        )
        row = con.execute("SELECT count(*) FROM samples").fetchone()
    out["duckdb_read_csv_s"] = time.perf_counter() - t0
    out["csv_rows"] = int(row[0]) if row else 0
    csv_file.unlink()
    return out


def measure_naive(url: str, settings: Settings, day: date, metrics: list[str]) -> dict[str, Any]:
    """What a user would write: custom_query_range per DCGM metric over one day, into a polars DataFrame."""
    import polars as pl

    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1) - timedelta(seconds=settings.step_seconds)
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=url, timeout_seconds=600)) as client:
        prom = client.prometheus()
        samples = 0
        began = time.perf_counter()
        frames = []
        for metric in metrics:
            result = prom.custom_query_range(metric, start_time=start, end_time=end, step=str(settings.step_seconds))
            rows = [
                {**series["metric"], "timestamp": float(ts), "value": float(value)}
                for series in result
                for ts, value in series["values"]
            ]
            frame = pl.DataFrame(rows, infer_schema_length=None)
            samples += frame.height
            frames.append(frame)
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "samples": samples, "metrics": len(metrics), "day": day.isoformat()}
