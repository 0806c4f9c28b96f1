"""One benchmark scenario: the simulator loaded into a private VictoriaMetrics, then every timed part run
`repeat` times on it."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.core.warehouse_limits import DEFAULT_MEMORY_LIMIT
from gpu_reclaim.pipelines.runner import days_between

from bench.children import run_child
from bench.exports import measure_ceiling, measure_naive
from bench.figures import fastest

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: a 7-day run covers one complete report week
GPUS_PER_SCALE = 152  # DemoScenario(scale=1) is 19 nodes / 152 GPUs
SCALING_TARGETS = (1024, 2048, 4096)
LONG_WINDOW_DAYS = 28


def scale_for(gpus: int) -> int:
    """The simulator scale whose GPU count is nearest `gpus`."""
    return max(1, round(gpus / GPUS_PER_SCALE))


@dataclass
class ScenarioResult:
    scale: int
    gpus: int
    nodes: int
    days: int
    window_days: int = 7
    repeat: int = 1
    memory_limit: str = DEFAULT_MEMORY_LIMIT
    load: dict[str, Any] = field(default_factory=dict)
    # the fastest run of each part (the figures use these); every run is kept in `runs`
    ceiling: dict[str, Any] = field(default_factory=dict)
    naive: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def fastest_ceiling(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Field by field: each timing is its fastest run's (the byte and row counts are the same in every run)."""
    best = dict(runs[0])
    for key in best:
        if key.endswith("_s"):
            best[key] = min(float(run[key]) for run in runs)
    return best


def window_config(workdir: Path, window_days: int, memory_limit: str = DEFAULT_MEMORY_LIMIT) -> str | None:
    """A config file setting `report.window_days` and `warehouse.memory_limit`, or None for the defaults."""
    if window_days == 7 and memory_limit == DEFAULT_MEMORY_LIMIT:
        return None
    config_file = workdir / "gpu-reclaim.toml"
    limit = json.dumps(memory_limit)  # a TOML basic string
    config_file.write_text(f"[report]\nwindow_days = {int(window_days)}\n\n[warehouse]\nmemory_limit = {limit}\n")
    return str(config_file)


def run_scenario(
    scale: int,
    days: int,
    full: bool,
    log: Callable[[str], None],
    repeat: int = 1,
    window_days: int = 7,
    naive_metrics: int = 8,
    memory_limit: str = DEFAULT_MEMORY_LIMIT,
) -> ScenarioResult:
    """`full`: the ceiling, the naive path and the ingest as well as the end-to-end run (else end to end only)."""
    from gpu_reclaim.scenarios.demo import DemoScenario, build_cluster, load_demo

    scenario = DemoScenario(start=START, days=days, scale=scale)
    cluster = build_cluster(scenario)
    result = ScenarioResult(scale, cluster.total_gpus, len(cluster.nodes), days, window_days, repeat, memory_limit)
    del cluster
    settings = Settings()
    day_list = [str(d) for d in days_between(START.date(), START.date() + timedelta(days=days - 1))]
    runs: dict[str, list[dict[str, Any]]] = {"ceiling": [], "naive": [], "ingest": [], "e2e": []}
    with tempfile.TemporaryDirectory(prefix="gpu-reclaim-bench-") as tmp, LocalVictoriaMetrics() as vm:
        workdir = Path(tmp)
        config = window_config(workdir, window_days, memory_limit)
        log(f"scale {scale}: {result.gpus} GPUs on {result.nodes} nodes, {days} days: loading (not timed)")
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=vm.url, timeout_seconds=600)) as client:
            stats = load_demo(client, scenario, workdir / "truth.json")
        result.load = {"series": stats.series, "samples": stats.samples, "seconds": stats.seconds}
        log(f"  loaded {stats.samples:,} samples in {stats.seconds:.0f}s")
        for run in range(1, repeat + 1):
            if full:
                log(f"  run {run}/{repeat}: ceiling (VictoriaMetrics export → /dev/null, CSV → DuckDB read_csv)")
                runs["ceiling"].append(measure_ceiling(vm.url, settings, scenario.start, scenario.end, workdir))
                log(f"  run {run}/{repeat}: naive (custom_query_range → polars)")
                metrics = list(settings.metrics.dcgm().values())[:naive_metrics]
                runs["naive"].append(measure_naive(vm.url, settings, date.fromisoformat(day_list[0]), metrics))
                log(f"  run {run}/{repeat}: pipeline ingest (child process)")
                db = workdir / f"ingest-{run}.duckdb"
                ingest_spec = {"vm_url": vm.url, "db": str(db), "days": day_list, "config": config}
                runs["ingest"].append(run_child("ingest", ingest_spec))
                db.unlink(missing_ok=True)
                log(f"    ingest {runs['ingest'][-1]['seconds']:.1f}s")
            log(f"  run {run}/{repeat}: pipeline end to end (child process)")
            db = workdir / f"e2e-{run}.duckdb"
            spec = {"vm_url": vm.url, "db": str(db), "out": str(workdir / f"out-{run}"), "days": day_list}
            runs["e2e"].append(run_child("e2e", {**spec, "config": config}))
            db.unlink(missing_ok=True)
            e2e = runs["e2e"][-1]
            log(f"    end to end {e2e['seconds']:.1f}s, peak RSS {e2e['peak_rss'] / 2**30:.2f} GiB")
    result.runs = runs
    if full:
        result.ceiling = fastest_ceiling(runs["ceiling"])
        result.naive = fastest(runs["naive"], "seconds")
        result.ingest = fastest(runs["ingest"], "seconds")
    result.e2e = fastest(runs["e2e"], "seconds")
    return result
