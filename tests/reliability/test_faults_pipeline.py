"""Faults around a pipeline run: a day that fails rolls back, earlier days stay, the next run completes it; the
DuckDB file held by another process is waited for, then one clear line; two runs at once take turns."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import SourceError, VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.core.warehouse import Warehouse, WarehouseLockedError
from gpu_reclaim.scenarios.demo import DemoScenario, load_demo

from tests.cli import run_cli
from tests.reliability.conftest import (
    FIRST_DAYS,
    START,
    STEP,
    Demo,
    day_rows,
    run_days,
    write_config,
)
from tests.reliability.proxy import FaultProxy

pytestmark = pytest.mark.e2e

DAY = FIRST_DAYS[1]


# -- the pipeline: a day that fails rolls back, earlier days stay, the next run completes it ----------------------


def test_connection_cut_mid_ingest_rolls_back_and_the_next_run_completes(
    demo: Demo, proxy: FaultProxy, reference: dict[Any, Any], tmp_path: Path
) -> None:
    db, out = tmp_path / "w.duckdb", tmp_path / "out"
    run_days(proxy.url, demo.config, db, out, FIRST_DAYS[:1])
    # day 2: DCGM arrives, then every kube-state export is cut at a line boundary
    proxy.arm("cut", after=1, cut_after_bytes=200_000)
    with pytest.raises(SourceError, match=re.escape(proxy.url)):
        run_days(proxy.url, demo.config, db, out, FIRST_DAYS[1:])
    rows = day_rows(db)
    assert {key: value for key, value in rows.items() if key[1] == FIRST_DAYS[0]} == _of_day(reference, FIRST_DAYS[0])
    partial = {table for table, day in rows if day == DAY}
    assert partial <= {"gpu_samples", "data_quality"}  # the DCGM stage finished whole; nothing of the others
    if "gpu_samples" in partial:
        assert rows[("gpu_samples", DAY)] == reference[("gpu_samples", DAY)]
    proxy.disarm()
    run_days(proxy.url, demo.config, db, out, FIRST_DAYS[1:])
    assert day_rows(db) == reference


def _of_day(rows: dict[Any, Any], day: Any) -> dict[Any, Any]:
    return {key: value for key, value in rows.items() if key[1] == day}


@pytest.mark.slow
def test_victoria_metrics_killed_mid_export_then_restarted(tmp_path: Path) -> None:
    """The real server is killed while it streams day 2; restarted on its data, the next run completes the day and
    the database equals one built without the kill."""
    data_dir = tmp_path / "vm-data"
    config = write_config(tmp_path / "c.toml")
    server = LocalVictoriaMetrics(data_dir=data_dir).start()
    try:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            load_demo(client, DemoScenario(start=START, days=2, step_seconds=STEP), tmp_path / "truth.json")
        # a kill -9 loses what the server has not written to disk yet: a clean stop first makes the data durable
        server.stop()
        server = LocalVictoriaMetrics(data_dir=data_dir).start()
        with FaultProxy(server.url) as proxy:
            db, out = tmp_path / "w.duckdb", tmp_path / "out"
            run_days(proxy.url, config, db, out, FIRST_DAYS[:1])
            proxy.arm("kill_upstream", after=0, cut_after_bytes=100_000, on_cut=server.kill)
            with pytest.raises(SourceError, match=re.escape(proxy.url)):
                run_days(proxy.url, config, db, out, FIRST_DAYS[1:])
            assert {day for _, day in day_rows(db)} == {FIRST_DAYS[0]}
            server = LocalVictoriaMetrics(data_dir=data_dir).start()
            proxy.upstream = server.url
            proxy.disarm()
            run_days(proxy.url, config, db, out, FIRST_DAYS[1:])
            run_days(server.url, config, tmp_path / "clean.duckdb", tmp_path / "clean-out", FIRST_DAYS)
            assert day_rows(db) == day_rows(tmp_path / "clean.duckdb")
    finally:
        server.stop()


# -- the DuckDB file held by another process -------------------------------------------------------------------------


@pytest.fixture
def held_database(tmp_path: Path) -> Iterator[Path]:
    """A DuckDB file held open for writing by another process until the test ends."""
    db = tmp_path / "held.duckdb"
    duckdb.connect(str(db)).close()
    code = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('ready', flush=True); sys.stdin.read()"
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
    try:
        yield db
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()  # filterwarnings = error: an unclosed pipe is a ResourceWarning


def test_a_held_database_is_waited_for_then_a_clear_error(held_database: Path) -> None:
    with pytest.raises(WarehouseLockedError) as raised, Warehouse(held_database, lock_timeout_seconds=1).connect():
        pass
    assert str(held_database) in str(raised.value) and "another process" in str(raised.value)


def test_cli_on_a_held_database_exits_with_one_line(demo: Demo, held_database: Path, tmp_path: Path) -> None:
    done = run_cli("run", "--vm-url", demo.url, "--start", str(DAY), "--end", str(DAY), "--db", str(held_database),
                   "--out", str(tmp_path / "out"), "--config", str(demo.config), "--lock-timeout", "1")  # fmt: skip
    assert done.returncode == 1, done.stderr[-2000:]
    assert str(held_database) in done.stderr and "another process" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.slow
def test_two_runs_at_once_take_turns_and_never_corrupt(demo: Demo, reference: dict[Any, Any], tmp_path: Path) -> None:
    """Two `gpu-reclaim run` of the same two days on one file at once: they take turns at the lock. The ticket
    history only moves forward, so a run that comes to a day after the other moved the history past it stores
    that day's findings and leaves the feed alone (a warning); both succeed, every day table ends complete,
    equal to a run alone."""
    db = tmp_path / "shared.duckdb"
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "pipelines.cli",
                "run",
                "--vm-url",
                demo.url,
                "--start",
                str(FIRST_DAYS[0]),
                "--end",
                str(FIRST_DAYS[1]),
                "--db",
                str(db),
                "--out",
                str(tmp_path / f"out-{index}"),
                "--config",
                str(demo.config),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(2)
    ]
    codes = []
    for process in runs:
        _, stderr = process.communicate(timeout=900)
        codes.append(process.returncode)
        assert process.returncode == 0, stderr[-2000:]
        assert "Traceback" not in stderr
    assert codes == [0, 0]
    assert day_rows(db) == reference
    with duckdb.connect(str(db)) as con:  # opens for writing and checkpoints cleanly
        con.execute("CHECKPOINT")
