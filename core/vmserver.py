"""A local VictoriaMetrics server on 127.0.0.1 for the demo and the tests.

Runs Debian's `victoria-metrics` binary on a free port with its own data directory and a long retention (so a
simulated past week is not dropped), waits for `/health`, and stops it by PID.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
from gpu_reclaim.core.lifecycle import StartsAndStops

INSTALL_HINT = (
    "install it with `sudo apt-get update && sudo apt-get install -y victoria-metrics` "
    "(or run `bash scripts/bootstrap.sh`)"
)


class LocalServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_binary() -> str:
    binary = shutil.which("victoria-metrics") or shutil.which("victoria-metrics-prod")
    if binary is None:
        raise LocalServerError(f"the victoria-metrics binary is not on PATH; {INSTALL_HINT}")
    return binary


def terminate(process: subprocess.Popen[bytes], grace_seconds: float = 10) -> None:
    """Stop a child server: SIGTERM, then SIGKILL after `grace_seconds`; nothing when it has already exited."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class LocalVictoriaMetrics(StartsAndStops):
    """`with LocalVictoriaMetrics() as vm: vm.url` — a private server, removed on exit unless `data_dir` given."""

    def __init__(
        self,
        data_dir: Path | None = None,
        port: int | None = None,
        startup_timeout: float = 30.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.extra_args = extra_args  # more flags, e.g. -search.maxSamplesPerQuery=N for the limit tests
        self._own_dir = data_dir is None
        self.data_dir = Path(tempfile.mkdtemp(prefix="gpu-reclaim-vm-")) if data_dir is None else data_dir
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = self.data_dir / "victoria-metrics.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalVictoriaMetrics:
        binary = find_binary()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log_file:
            self.process = subprocess.Popen(
                [
                    binary,
                    f"-storageDataPath={self.data_dir / 'storage'}",
                    f"-httpListenAddr=127.0.0.1:{self.port}",
                    "-retentionPeriod=100y",
                    "-search.disableCache",
                    "-loggerLevel=WARN",
                    *self.extra_args,
                ],
                stdout=log_file,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log_path.read_text(errors="replace")[-500:]
                raise LocalServerError(f"victoria-metrics exited at start (code {self.process.returncode}): {tail}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise LocalServerError(f"victoria-metrics did not answer /health on {self.url} within {self.startup_timeout}s")

    def stop(self) -> None:
        if self.process is not None:
            terminate(self.process, grace_seconds=15)
        self.process = None
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def kill(self) -> None:
        """Kill without cleanup (fault tests)."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=5)
