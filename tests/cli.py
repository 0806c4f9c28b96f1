"""The `gpu-reclaim` command as the tests run it: a subprocess of this interpreter, output captured, never raising."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(
    *args: str | Path, env: dict[str, str] | None = None, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gpu_reclaim.pipelines.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )
