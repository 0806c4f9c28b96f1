"""The ingest's SQL on small DuckDB fixtures: the arrays checked in SQL (check_stage_export_lines.sql), and a day
ingested twice gives bit-identical tables (the exact DECIMAL sums in stage_dcgm_steps.sql)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb
import pytest
from gpu_reclaim.assets.stages import load_dcgm_export
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.errors import SourceError
from gpu_reclaim.core.extract import DayWindow

from tests.sql.helpers import DAY, STEP, DayFixture

TABLES = ("gpu_samples", "data_quality", "pod_steps", "pods", "nodes", "pod_gpu_usage_daily", "pod_usage_daily")


def settings() -> Settings:
    return Settings(step_seconds=STEP)


@pytest.mark.parametrize(
    "bad",
    [
        b'{"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","UUID":"GPU-9"},"values":[1,2],"timestamps":[1762041600000]}',
        b'{"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","UUID":"GPU-9"},"values":[1]}',
    ],
    ids=["arrays-differ", "no-timestamps"],
)
def test_lines_with_bad_arrays_are_refused_before_any_change(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, bad: bytes
) -> None:
    day = DayFixture()
    day.gpu("DCGM_FI_DEV_GPU_UTIL", [50.0] * 10, list(range(10)))
    good = tmp_path / "good.jsonl"
    good.write_bytes(b"".join(line + b"\n" for line in day.dcgm))
    assert load_dcgm_export(con, settings(), DayWindow(DAY), good) == 10
    bad_file = tmp_path / "bad.jsonl"
    bad_file.write_bytes(good.read_bytes() + bad + b"\n")
    with pytest.raises(SourceError, match=r"1 of 2 series lines .* \(first: 'DCGM_FI_DEV_GPU_UTIL'\)"):
        load_dcgm_export(con, settings(), DayWindow(DAY), bad_file)
    assert con.execute("SELECT count(*) FROM gpu_samples").fetchone() == (10,)  # the earlier load stands


def table_hashes(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str]]:
    """Per table: its row count and a hash of its rows sorted (every column, full precision)."""
    out = {}
    for table in TABLES:
        rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()  # names from this test
        digest = hashlib.sha256(json.dumps(rows, default=repr).encode()).hexdigest()
        out[table] = (len(rows), digest)
    return out


def test_the_same_day_ingested_twice_gives_bit_identical_tables(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    day = DayFixture()
    minutes = list(range(0, 1440))
    for gpu in range(16):
        # values whose float sums depend on their order: a parallel DOUBLE sum would differ in the last bits
        values = [((gpu * 7919 + m * 104729) % 1000) / 7.0 + 1e-9 * m for m in minutes]
        labels = {"UUID": f"GPU-{gpu}", "gpu": str(gpu % 8), "pod": f"p-{gpu % 4}", "namespace": "team-a"}
        day.gpu("DCGM_FI_DEV_GPU_UTIL", values, minutes, **labels)
        day.gpu("DCGM_FI_DEV_GPU_UTIL", values[::-1], minutes, **{**labels, "container": "dup"})
        day.gpu("DCGM_FI_DEV_POWER_USAGE", [v * 3.1 for v in values], minutes, **labels)
    for pod in range(4):
        day.running_pod(f"uid-{pod}", f"p-{pod}", minutes, gpus=4)
    con.execute("SET threads = 2")
    day.load(con, settings(), tmp_path)
    first = table_hashes(con)
    assert first["gpu_samples"][0] == 16 * 1440
    day.load(con, settings(), tmp_path)
    assert table_hashes(con) == first
