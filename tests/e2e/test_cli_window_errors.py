"""Bad combinations of --start/--end/--days, and `report` without its window or database: one clear line, exit 2,
nothing written, nothing contacted (the --vm-url given is a closed port)."""

from __future__ import annotations

from pathlib import Path

import pytest
from gpu_reclaim.core.vmserver import free_port

from tests.cli import run_cli

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "--days", "0"), "--days must be 1 or more (got 0)"),
        (("run", "--days", "-3"), "--days must be 1 or more (got -3)"),
        (("run", "--days", "two"), "--days must be a whole number of days (got 'two')"),
        (("run", "--days", "2", "--start", "2026-11-02", "--end", "2026-11-03"), "--days cannot be combined"),
        (("run", "--start", "2026-11-02"), "--start needs --end too"),
        (("run", "--end", "2026-11-02"), "--end needs --start too"),
        (("report",), "report needs --start and --end"),
        (("report", "--start", "2026-11-02"), "report needs --start and --end"),
        (("report", "--start", "2026-11-02", "--end", "2026-11-01"), "--end 2026-11-01 is before --start 2026-11-02"),
        (("report", "--start", "2026-11-02", "--end", "2026-11-08"), "no such database file"),
    ],
)
def test_bad_windows_are_one_line_usage_errors(tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    vm = ("--vm-url", f"http://127.0.0.1:{free_port()}") if args[0] == "run" else ()
    done = run_cli(*args, *vm, "--db", str(tmp_path / "x.duckdb"), "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert list(tmp_path.iterdir()) == []
