"""A Dagster deployment on 127.0.0.1 for tests: `dagster-daemon run` and `dagster-webserver` from the installed
package's venv, with deploy/dagster.yaml and deploy/workspace.yaml in a temp DAGSTER_HOME, and a GraphQL client."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx

from tests.installed import REPO, InstalledPackage

LOCATION = "gpu_reclaim"
REPOSITORY = "__repository__"
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, interval: float = 1.0) -> T:
    """Call `probe` until it returns something other than None; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = probe()
        if result is not None:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


@dataclass
class DagsterService:
    url: str
    home: Path
    logs: Path
    client: httpx.Client

    def graphql(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": dict(variables or {})})
        response.raise_for_status()
        body = response.json()
        if body.get("errors"):
            raise AssertionError(f"GraphQL errors: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data

    def log_tail(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(encoding='utf-8', errors='replace')[-3000:]}"
            for path in sorted(self.logs.glob("*.log"))
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started here and the code servers it spawned (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):  # children left behind in the group
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def dagster_service(package: InstalledPackage, workdir: Path, env: Mapping[str, str]) -> Iterator[DagsterService]:
    """Serve the installed code location with the deployment's own instance and workspace files."""
    home, logs = workdir / "dagster_home", workdir / "logs"
    home.mkdir()
    logs.mkdir()
    shutil.copy(REPO / "deploy" / "dagster.yaml", home / "dagster.yaml")
    workspace = home / "workspace.yaml"
    shutil.copy(REPO / "deploy" / "workspace.yaml", workspace)
    port = free_port()
    process_env = package.env({**env, "DAGSTER_HOME": str(home)})
    commands = {
        "daemon": [str(package.bin("dagster-daemon")), "run", "-w", str(workspace)],
        "webserver": [str(package.bin("dagster-webserver")), "-h", "127.0.0.1", "-p", str(port), "-w", str(workspace)],
    }
    # create the instance's storage once, before two processes race to create it (as `dagster instance migrate`
    # before the first start in the README; the Helm chart runs the same as its migrate job)
    migrate = subprocess.run(
        [str(package.bin("dagster")), "instance", "migrate"],
        cwd=workdir,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert migrate.returncode == 0, f"dagster instance migrate failed: {migrate.stderr[-2000:]}"
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=workdir,
                        env=process_env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            yield DagsterService(f"http://127.0.0.1:{port}", home, logs, client)
    finally:
        for process in processes:
            _stop(process)
