"""Write-back through Debian's real vmauth in front of the session's VictoriaMetrics, with a bearer token: accepted
with it; refused (401) without it, in which case the day still completes with a warning, the failure is recorded,
and the next run writes the missing day."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pytest
from gpu_reclaim.core.vmserver import free_port
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.core.writeback import write_back
from gpu_reclaim.core.writeback_series import STAGES

from tests.writeback.conftest import Written, copy_db, midnight, run_days, series_count, write_config

pytestmark = pytest.mark.e2e

TOKEN = "vmauth-test-token-5f1c"


@pytest.fixture
def vmauth(written: Written, tmp_path: Path) -> Iterator[str]:
    """vmauth on 127.0.0.1 that proxies every path to the server for one bearer token, and refuses the rest."""
    binary = shutil.which("vmauth")
    assert binary, "vmauth is not on PATH (Debian's victoria-metrics package ships it)"
    config = tmp_path / "vmauth.yml"
    config.write_text(f'users:\n  - bearer_token: "{TOKEN}"\n    url_prefix: "{written.url}"\n', encoding="utf-8")
    port = free_port()
    log = (tmp_path / "vmauth.log").open("wb")
    process = subprocess.Popen(
        [binary, f"-auth.config={config}", f"-httpListenAddr=127.0.0.1:{port}", "-loggerLevel=WARN"],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (tmp_path / "vmauth.log").read_text()
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "vmauth did not start"
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def _cluster_series(written: Written, cluster: str) -> int:
    start, end = midnight(written.days[0]), datetime.now(UTC) + timedelta(hours=1)  # last_success is at now
    return series_count(written.url, f'{{__name__=~"gpu_reclaim_.+",cluster="{cluster}"}}', start, end)


def _status(db: Path, day: date) -> dict[str, str]:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT stage, status FROM write_back_status WHERE day = $day", {"day": day}).fetchall()
    return {stage: status for stage, status in rows}


def test_write_back_through_vmauth_with_the_token(
    written: Written, vmauth: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN", TOKEN)
    settings = written.settings()
    config = settings.write_back.model_copy(update={"url": vmauth, "cluster": "vmauth-ok"})
    result = write_back(
        Warehouse(copy_db(written, tmp_path)), settings.model_copy(update={"write_back": config}), written.days[0]
    )
    assert not result.failed and set(result.written) == {(written.days[0], stage) for stage in STAGES}
    assert _cluster_series(written, "vmauth-ok") == result.series + len(STAGES)  # + last_success per stage


def test_without_the_token_the_day_completes_with_a_warning_and_the_next_run_retries(
    written: Written, vmauth: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = written.days[0]
    monkeypatch.delenv("GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN", raising=False)
    db, out = copy_db(written, tmp_path), tmp_path / "out"
    config = (
        write_config(tmp_path / "vmauth.toml", f'url = "{vmauth}"\n')
        .read_text()
        .replace('cluster = "demo"', 'cluster = "vmauth-retry"')
    )
    (tmp_path / "vmauth.toml").write_text(config, encoding="utf-8")
    summary = run_days(written.url, tmp_path / "vmauth.toml", db, out, [day])
    refused = [warning for warning in summary.warnings if "write-back" in warning]
    # the first stage is refused; the others are not attempted against a target that refuses
    assert "HTTP 401" in refused[0] and len(refused) == 2, summary.warnings
    assert refused[1] == f"write-back of {len(STAGES) - 1} more (day, stage) pairs not attempted (retried next run)"
    assert TOKEN not in " ".join(summary.warnings)
    assert _status(db, day) == {stage: "failed" for stage in STAGES}
    assert _cluster_series(written, "vmauth-retry") == 0
    # the day's scoring completed: its tables are there
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT count(*) FROM recommendations WHERE evaluated_on = $d", {"d": day}).fetchone()
    assert row and row[0] > 0
    # the next run (another day) writes the missing day first, now with the token
    monkeypatch.setenv("GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN", TOKEN)
    summary = run_days(written.url, tmp_path / "vmauth.toml", db, out, [written.days[1]])
    assert not [warning for warning in summary.warnings if "write-back" in warning], summary.warnings
    assert _status(db, day) == {stage: "written" for stage in STAGES}
    assert _status(db, written.days[1]) == {stage: "written" for stage in STAGES}
    start, end = midnight(day), midnight(day) + timedelta(days=1)
    assert series_count(written.url, f'{{cluster="vmauth-retry",day="{day.isoformat()}"}}', start, end) > 0
