"""A private VictoriaMetrics for one module or session, loaded before the test reads it: import lines, or the demo
simulator (with its truth file). Real servers on 127.0.0.1, never a mock."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gpu_reclaim.core.config import VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics, find_binary
from gpu_reclaim.scenarios.demo import DemoScenario, load_demo


@contextmanager
def server_with_lines(lines: Iterable[bytes]) -> Iterator[LocalVictoriaMetrics]:
    """A fresh server holding these /api/v1/import lines, flushed so that every query sees them."""
    find_binary()
    with LocalVictoriaMetrics() as server:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            client.import_jsonl(lines)
            client.force_flush()
        yield server


@contextmanager
def server_with_demo(scenario: DemoScenario, truth: Path) -> Iterator[LocalVictoriaMetrics]:
    """A fresh server holding the demo `scenario`; its ground truth is written to `truth`."""
    find_binary()
    with LocalVictoriaMetrics() as server:
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=server.url)) as client:
            load_demo(client, scenario, truth)
        yield server
