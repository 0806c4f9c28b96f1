"""The CLI's bad-input paths: one clear line, a non-zero exit, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpu_reclaim.core.vmserver import free_port

from tests.cli import run_cli

pytestmark = pytest.mark.e2e


def test_unreachable_server_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    done = run_cli("run", "--vm-url", url, "--start", "2026-11-02", "--end", "2026-11-03",
                   "--db", str(tmp_path / "x.duckdb"), "--out", str(tmp_path / "out"))  # fmt: skip
    assert done.returncode != 0
    assert url in done.stderr
    assert "check that VictoriaMetrics" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-11-05", "2026-11-02", "before --start"),
        ("2099-01-01", "2099-01-02", "in the future"),
        ("yesterday", "2026-11-02", "YYYY-MM-DD"),
    ],
)
def test_bad_date_ranges_are_usage_errors(tmp_path: Path, start: str, end: str, message: str) -> None:
    done = run_cli("run", "--vm-url", "http://127.0.0.1:9", "--start", start, "--end", end,
                   "--db", str(tmp_path / "x.duckdb"))  # fmt: skip
    assert done.returncode == 2
    assert message in done.stderr
    assert not (tmp_path / "x.duckdb").exists()


def test_bad_config_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[usage]\nidle_activity_treshold = 0.02\n", encoding="utf-8")
    done = run_cli("run", "--vm-url", "http://127.0.0.1:9", "--start", "2026-11-02", "--end", "2026-11-02",
                   "--config", str(config), "--db", str(tmp_path / "x.duckdb"))  # fmt: skip
    assert done.returncode == 2
    assert "usage.idle_activity_treshold" in done.stderr
