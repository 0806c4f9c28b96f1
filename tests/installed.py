"""Session fixtures for the tests of the installed package: the wheel built and installed by deploy/install.sh into
a fresh virtualenv outside the checkout, and a private VictoriaMetrics loaded with two days of the demo cluster.

tests/conftest.py imports them, so tests/packaging and tests/deploy share one install and one loaded server.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics, find_binary
from gpu_reclaim.scenarios.demo import DemoScenario, load_demo

REPO = Path(__file__).resolve().parents[1]
DEMO_START = datetime(2026, 11, 9, tzinfo=UTC)  # a Monday
DEMO_DAYS = (DEMO_START.date(), DEMO_START.date() + timedelta(days=1))
DEMO_STEP = 300
INSTALL_TIMEOUT = 600


@dataclass(frozen=True)
class InstalledPackage:
    """gpu-reclaim installed from its wheel into `venv`; `wheel` is the file that was installed."""

    venv: Path
    wheel: Path
    seconds: float

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of a user of the venv: its bin/ first on PATH, nothing of the checkout on PYTHONPATH."""
        env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "GPU_RECLAIM_"))}
        env["PATH"] = os.pathsep.join([str(self.venv / "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
        env["VIRTUAL_ENV"] = str(self.venv)
        env.pop("DAGSTER_HOME", None)
        return {**env, **(extra or {})}


@dataclass(frozen=True)
class DemoMetrics:
    """A private VictoriaMetrics with DEMO_DAYS of the demo cluster at a DEMO_STEP-second step."""

    url: str
    config: Path  # a gpu-reclaim config file with that step


def _outside_checkout(path: Path) -> Path:
    if path.resolve().is_relative_to(REPO):
        raise RuntimeError(f"{path} is inside the checkout {REPO}; the installed package must be tested outside it")
    return path


@pytest.fixture(scope="session")
def installed_package(tmp_path_factory: pytest.TempPathFactory) -> InstalledPackage:
    """deploy/install.sh (the Dockerfile's install step) into a new venv, with the `demo` extra."""
    root = _outside_checkout(tmp_path_factory.mktemp("installed"))
    venv, wheels = root / "venv", root / "wheel"
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        "GPU_RECLAIM_WHEEL_DIR": str(wheels),
    }
    started = time.monotonic()
    done = subprocess.run(
        ["bash", str(REPO / "deploy" / "install.sh"), str(venv), "demo"],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"deploy/install.sh failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    (wheel,) = wheels.glob("gpu_reclaim-*.whl")
    return InstalledPackage(venv, wheel, time.monotonic() - started)


@pytest.fixture(scope="session")
def demo_metrics(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoMetrics]:
    find_binary()
    workdir = tmp_path_factory.mktemp("demo-metrics")
    config = workdir / "config.toml"
    config.write_text(f"step_seconds = {DEMO_STEP}\n", encoding="utf-8")
    scenario = DemoScenario(start=DEMO_START, days=len(DEMO_DAYS), step_seconds=DEMO_STEP)
    with LocalVictoriaMetrics() as server:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            load_demo(client, scenario, workdir / "truth.json")
        yield DemoMetrics(server.url, config)


def iso_days(days: tuple[date, ...] = DEMO_DAYS) -> list[str]:
    return [day.isoformat() for day in days]
