"""`gpu-reclaim run --write-back/--no-write-back` as a user runs it: the flag overrides [write_back] enabled."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from tests.writeback.conftest import Written, copy_db, midnight, series_count, write_config

pytestmark = pytest.mark.e2e


def _run(written: Written, tmp_path: Path, config: Path, flag: str) -> subprocess.CompletedProcess[str]:
    day = written.days[0].isoformat()
    return subprocess.run(
        [sys.executable, "-m", "gpu_reclaim.pipelines.cli", "run", "--vm-url", written.url, "--start", day,
         "--end", day, "--db", str(copy_db(written, tmp_path)), "--out", str(tmp_path / "out"),
         "--config", str(config), flag],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def _series(written: Written, cluster: str) -> int:
    start = midnight(written.days[0])
    return series_count(written.url, f'{{cluster="{cluster}"}}', start, start + timedelta(days=1))


def test_write_back_flag_turns_it_on(written: Written, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml")
    config.write_text(config.read_text().replace("enabled = true", "enabled = false").replace('"demo"', '"cli-on"'))
    run = _run(written, tmp_path, config, "--write-back")
    assert run.returncode == 0, run.stderr
    assert "write-back" not in run.stderr
    assert _series(written, "cli-on") > 0


def test_no_write_back_flag_turns_it_off(written: Written, tmp_path: Path) -> None:
    config = write_config(tmp_path / "c.toml")
    config.write_text(config.read_text().replace('"demo"', '"cli-off"'))
    run = _run(written, tmp_path, config, "--no-write-back")
    assert run.returncode == 0, run.stderr
    assert _series(written, "cli-off") == 0
