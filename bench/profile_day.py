"""Where a day's time goes: `python -m bench.profile_day` (never part of the test suite).

Loads the demo simulator (or uses `--vm-url`, a server already holding it), then runs the daily assets day by day
(`run_pipeline`, one day each, as the schedule does) and times every named SQL statement the pipeline executes
(`run_sql`, `fetch_records`, and `query_relation` where its relation is read, wrapped in every gpu_reclaim module
that imported them) and the export requests (`VictoriaMetricsClient._export_once`, in the export thread: it
overlaps the loads). What no statement accounts for (Python, Dagster, polars) is reported per day as `other`.

Prints, per day, the day's seconds and its statements, largest first; then each statement's growth from the first
day to the last. `--json FILE` writes every figure. `--repeat R` runs the whole sequence R times on fresh
databases and keeps, per day and statement, the fastest run (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

EXPORT = "[export, in the export thread] _export_once"


@contextmanager
def statement_timer(totals: dict[str, float]) -> Iterator[None]:
    """Add each named SQL statement's seconds (and the exports') to `totals` while inside."""
    import gpu_reclaim.core.victoria as victoria
    import gpu_reclaim.core.warehouse as warehouse

    originals: dict[str, Callable[..., Any]] = {
        "run_sql": warehouse.run_sql,
        "fetch_records": warehouse.fetch_records,
    }

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(con: Any, name: str, *args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return function(con, name, *args, **kwargs)
            finally:
                totals[name] += time.perf_counter() - began

        return timed

    wrapped = {key: wrap(function) for key, function in originals.items()}
    # query_relation returns a lazy relation: time the statement where it runs (its arrow/polars reads)
    relation_of = warehouse.query_relation

    class TimedRelation:
        def __init__(self, relation: Any, name: str) -> None:
            self._relation, self._name = relation, name

        def __getattr__(self, attribute: str) -> Any:
            value = getattr(self._relation, attribute)
            if not callable(value):
                return value

            def timed(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return value(*args, **kwargs)
                finally:
                    totals[self._name] += time.perf_counter() - began

            return timed

    def timed_relation(con: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        return TimedRelation(relation_of(con, name, *args, **kwargs), name)

    originals["query_relation"] = relation_of
    wrapped["query_relation"] = timed_relation
    patched: list[tuple[Any, str, Any]] = []
    for module in list(sys.modules.values()):
        if not getattr(module, "__name__", "").startswith("gpu_reclaim"):
            continue
        for key, function in originals.items():
            if getattr(module, key, None) is function:
                patched.append((module, key, function))
                setattr(module, key, wrapped[key])
    export_once = victoria.VictoriaMetricsClient._export_once

    def timed_export(self: Any, *args: Any) -> Any:
        began = time.perf_counter()
        try:
            return export_once(self, *args)
        finally:
            totals[EXPORT] += time.perf_counter() - began

    victoria.VictoriaMetricsClient._export_once = timed_export  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        victoria.VictoriaMetricsClient._export_once = export_once  # type: ignore[method-assign]
        for module, key, function in patched:
            setattr(module, key, function)


def profile_days(vm_url: str, days: list[date], workdir: Path, config: str | None) -> list[dict[str, Any]]:
    """Run the daily assets of each day in turn on a fresh database; per day its seconds and statements."""
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
    from gpu_reclaim.pipelines.runner import run_pipeline

    resources = {
        "settings": SettingsResource(vm_url=vm_url, config_path=config),
        "warehouse": WarehouseResource(database=str(workdir / "profile.duckdb")),
        "outputs": OutputsResource(out_dir=str(workdir / "out")),
    }
    workdir.mkdir(parents=True, exist_ok=True)
    out = []
    for day in days:
        totals: dict[str, float] = defaultdict(float)
        began = time.perf_counter()
        with statement_timer(totals):
            run_pipeline(DAILY_ASSETS, [], resources, [day])  # type: ignore[arg-type]
        seconds = time.perf_counter() - began
        in_sql = sum(v for k, v in totals.items() if k != EXPORT)
        out.append({"day": day.isoformat(), "seconds": seconds, "statements": dict(totals), "other": seconds - in_sql})
    return out


def fastest_days(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Per day and per statement, the fastest of the runs."""
    out = []
    for per_day in zip(*runs, strict=True):
        names = {name for day in per_day for name in day["statements"]}
        out.append(
            {
                "day": per_day[0]["day"],
                "seconds": min(day["seconds"] for day in per_day),
                "other": min(day["other"] for day in per_day),
                "statements": {n: min(day["statements"].get(n, 0.0) for day in per_day) for n in sorted(names)},
            }
        )
    return out


def report(days: list[dict[str, Any]], top: int) -> str:
    lines = []
    for day in days:
        ranked = sorted(day["statements"].items(), key=lambda item: -item[1])
        shown = ", ".join(f"{name} {seconds:.2f}" for name, seconds in ranked[:top] if seconds >= 0.05)
        lines.append(f"{day['day']}: {day['seconds']:.1f} s (other {day['other']:.1f} s): {shown}")
    first, last = days[0]["statements"], days[-1]["statements"]
    growth = sorted(((last.get(n, 0.0) - first.get(n, 0.0), n) for n in set(first) | set(last)), reverse=True)
    lines.append(f"\nGrowth {days[0]['day']} → {days[-1]['day']} (seconds, first → last):")
    for delta, name in growth[:top]:
        if abs(delta) >= 0.05:
            lines.append(f"  {name}: {first.get(name, 0.0):.2f} → {last.get(name, 0.0):.2f} (+{delta:.2f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from bench.run_benchmark import START, scale_for

    parser = argparse.ArgumentParser(prog="python -m bench.profile_day", description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=1024)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--window-days", type=int, default=7, help="report.window_days (the rules' window)")
    parser.add_argument("--vm-url", help="a server already holding the demo (from START, --gpus, --days)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    days = [START.date() + timedelta(days=k) for k in range(args.days)]
    with tempfile.TemporaryDirectory(prefix="gpu-reclaim-profile-") as tmp:
        workdir = Path(tmp)
        config = None
        if args.window_days != 7:
            config_file = workdir / "gpu-reclaim.toml"
            config_file.write_text(f"[report]\nwindow_days = {int(args.window_days)}\n")
            config = str(config_file)
        if args.vm_url:
            runs = [profile_days(args.vm_url, days, workdir / f"run-{k}", config) for k in range(args.repeat)]
        else:
            from gpu_reclaim.core.config import VictoriaMetricsConfig
            from gpu_reclaim.core.victoria import VictoriaMetricsClient
            from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
            from gpu_reclaim.scenarios.demo import DemoScenario, load_demo

            scenario = DemoScenario(start=START, days=args.days, scale=scale_for(args.gpus))
            with LocalVictoriaMetrics() as vm:
                with VictoriaMetricsClient(VictoriaMetricsConfig(url=vm.url, timeout_seconds=600)) as client:
                    load_demo(client, scenario, workdir / "truth.json")
                runs = [profile_days(vm.url, days, workdir / f"run-{k}", config) for k in range(args.repeat)]
    best = fastest_days(runs)
    if args.json:
        args.json.write_text(json.dumps({"runs": runs, "fastest": best}, indent=1) + "\n")
    print(report(best, args.top))


if __name__ == "__main__":
    main()
