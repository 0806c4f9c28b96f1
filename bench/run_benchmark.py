"""Speed and scale benchmark: `python -m bench.run_benchmark` (`make bench`). Never part of the test suite.

Loads the demo simulator (scaled) into a private local VictoriaMetrics (not timed), then times, side by side:

1. the ceiling: VictoriaMetrics' own export of the same series streamed to /dev/null (JSON lines and CSV), and
   the CSV export loaded by DuckDB's read_csv: the fastest this machine moves these samples;
2. the pipeline's ingest of every daily partition (ingest_dcgm_day + ingest_kube_state_day), in a child process;
3. the naive path: prometheus-api-client `custom_query_range` into a polars DataFrame (a subset: one day);
4. the pipeline end to end (run_pipeline with DAILY_ASSETS and WEEKLY_ASSETS) in a child process, with its peak
   RSS (VmHWM) and the time of every day (day 7 is the steady state: its 7-day window is full), the DuckDB file
   size, and a re-run of an already-loaded day;
5. the long window: the same fleet for 28 days with `report.window_days = 28`, end to end (its day 28 is the
   steady state of a 28-day window);
6. `--scaling`: one day end to end at ~1,024, 2,048 and 4,096 GPUs (time per doubling).

Every timed part runs `--repeat` times (default 2) on the same loaded server; figures use the fastest run.
Timings on a shared machine vary by tens of percent between runs; read the ratios, not the last digit.
bench/README.md documents every field of `--json`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.extract import dcgm_selectors, kube_state_selectors
from gpu_reclaim.core.victoria import VictoriaMetricsClient
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.pipelines.runner import days_between

from bench.figures import (
    fastest,
    long_window_figure,
    main_figures,
    min_day_seconds,
    scaling_figures,
    table,
    targets_table,
)

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: a 7-day run covers one complete report week
GPUS_PER_SCALE = 152  # DemoScenario(scale=1) is 19 nodes / 152 GPUs
SCALING_TARGETS = (1024, 2048, 4096)
LONG_WINDOW_DAYS = 28
REPO = Path(__file__).resolve().parents[1]


def scale_for(gpus: int) -> int:
    """The simulator scale whose GPU count is nearest `gpus`."""
    return max(1, round(gpus / GPUS_PER_SCALE))


def vm_hwm_bytes() -> int:
    """This process's peak resident set (VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- child processes: the pipeline runs where its memory can be measured alone -----------------------------------


def _child_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest every day (DCGM + kube-state) into a fresh DuckDB, then re-run the first day."""
    from gpu_reclaim.assets.stages import ingest_dcgm_day, ingest_kube_state_day
    from gpu_reclaim.core.warehouse import Warehouse

    settings = Settings(victoria_metrics=VictoriaMetricsConfig(url=spec["vm_url"]))
    warehouse = Warehouse(spec["db"])
    days = [date.fromisoformat(d) for d in spec["days"]]
    out: dict[str, Any] = {"days": [], "samples": 0, "dcgm_samples": 0, "ksm_samples": 0}
    with VictoriaMetricsClient(settings.victoria_metrics) as client:
        began = time.perf_counter()
        dcgm_seconds = ksm_seconds = 0.0
        for day in days:
            t0 = time.perf_counter()
            dcgm = ingest_dcgm_day(warehouse, client, settings, day)
            t1 = time.perf_counter()
            ksm = ingest_kube_state_day(warehouse, client, settings, day)
            t2 = time.perf_counter()
            dcgm_seconds += t1 - t0
            ksm_seconds += t2 - t1
            out["dcgm_samples"] += dcgm.samples_read
            out["ksm_samples"] += ksm.samples_read
            out["days"].append({"day": day.isoformat(), "dcgm_s": t1 - t0, "ksm_s": t2 - t1, "hwm": vm_hwm_bytes()})
        out["seconds"] = time.perf_counter() - began
        out["dcgm_seconds"], out["ksm_seconds"] = dcgm_seconds, ksm_seconds
        out["samples"] = out["dcgm_samples"] + out["ksm_samples"]
        t0 = time.perf_counter()
        ingest_dcgm_day(warehouse, client, settings, days[0])
        ingest_kube_state_day(warehouse, client, settings, days[0])
        out["rerun_first_day_s"] = time.perf_counter() - t0
    out["peak_rss"] = vm_hwm_bytes()
    return out


def _child_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """run_pipeline over every day (daily assets) and the reports of the window ending with the last day; then
    re-run the last day."""
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
    from gpu_reclaim.pipelines.runner import run_pipeline

    resources = {
        "settings": SettingsResource(vm_url=spec["vm_url"], config_path=spec.get("config")),
        "warehouse": WarehouseResource(database=spec["db"]),
        "outputs": OutputsResource(out_dir=spec["out"]),
    }
    days = [date.fromisoformat(d) for d in spec["days"]]
    marks: list[tuple[str, float, int]] = []

    def on_step(step: str) -> None:
        marks.append((step, time.perf_counter(), vm_hwm_bytes()))

    began = time.perf_counter()
    summary = run_pipeline(DAILY_ASSETS, WEEKLY_ASSETS, resources, days, on_step=on_step)  # type: ignore[arg-type]
    seconds = time.perf_counter() - began
    ended = time.perf_counter()
    steps = [
        {"step": name, "seconds": (marks[i + 1][1] if i + 1 < len(marks) else ended) - at, "hwm_at_start": hwm}
        for i, (name, at, hwm) in enumerate(marks)
    ]
    hwm_after_run = vm_hwm_bytes()
    t0 = time.perf_counter()
    # the last day: the ticket history refuses to evaluate a day before the latest one it has seen
    run_pipeline(DAILY_ASSETS, [], resources, days[-1:])  # type: ignore[arg-type]
    rerun = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "steps": steps,
        "day_seconds": [s["seconds"] for s in steps if str(s["step"]).startswith("day ")],
        "report_window": summary.reports.coverage.label if summary.reports and summary.reports.coverage else None,
        "peak_rss_run": hwm_after_run,
        "peak_rss": vm_hwm_bytes(),
        "rerun_last_day_s": rerun,
        "db_bytes": Path(spec["db"]).stat().st_size,
    }


def run_child(kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    """Run `kind` in a fresh interpreter; its result is the last stdout line (JSON)."""
    began = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run_benchmark", "--child", kind, "--spec", json.dumps(spec)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-4000:])
        raise RuntimeError(f"benchmark child {kind!r} failed with code {proc.returncode}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["wall_with_startup"] = wall
    # Peak memory is the child's own VmHWM (read at its end and after every day), not RUSAGE_CHILDREN: that is the
    # maximum over every child ever waited for, and a child started from a large parent (after the naive path's
    # DataFrames) reports the parent's resident pages for the instant before exec.
    return result


# -- the ceiling and the naive path --------------------------------------------------------------------------------


def _export_to_devnull(url: str, path: str, form: dict[str, list[str]]) -> int:
    size = 0
    with (
        httpx.Client(base_url=url, timeout=600, headers={"Accept-Encoding": "identity"}) as http,
        http.stream("POST", path, data=form) as response,
        open(os.devnull, "wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_raw(1 << 20):
            size += len(chunk)
            sink.write(chunk)
    return size


def _export_to_file(url: str, path: str, form: dict[str, list[str]], destination: Path) -> int:
    size = 0
    with (
        httpx.Client(base_url=url, timeout=600, headers={"Accept-Encoding": "identity"}) as http,
        http.stream("POST", path, data=form) as response,
        destination.open("wb") as sink,
    ):
        response.raise_for_status()
        for chunk in response.iter_raw(1 << 20):
            size += len(chunk)
            sink.write(chunk)
    return size


def _range_form(selectors: list[str], start: datetime, end: datetime) -> dict[str, list[str]]:
    return {
        "match[]": selectors,
        "start": [f"{start.timestamp():.3f}"],
        "end": [f"{(end - timedelta(milliseconds=1)).timestamp():.3f}"],
    }


def csv_format(settings: Settings) -> str:
    labels = settings.labels
    keys: list[str] = []
    for group in (
        labels.dcgm_node,
        labels.dcgm_gpu_index,
        labels.dcgm_gpu_uuid,
        labels.dcgm_gpu_model,
        labels.dcgm_namespace,
        labels.dcgm_pod,
        labels.dcgm_container,
    ):
        keys += [k for k in group if k not in keys]
    return ",".join(["__name__", "__timestamp__:unix_ms", "__value__", *keys])


def measure_ceiling(url: str, settings: Settings, start: datetime, end: datetime, workdir: Path) -> dict[str, Any]:
    """VictoriaMetrics' own exports of the same series, and DuckDB reading the CSV export."""
    dcgm, ksm = dcgm_selectors(settings), kube_state_selectors(settings)
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    out["json_bytes"] = _export_to_devnull(url, "/api/v1/export", _range_form(dcgm + ksm, start, end))
    out["json_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    out["json_dcgm_bytes"] = _export_to_devnull(url, "/api/v1/export", _range_form(dcgm, start, end))
    out["json_dcgm_s"] = time.perf_counter() - t0
    # CSV is ~8× the bytes of the JSON export (a line per sample, labels repeated): its leg covers the first day
    csv_end = min(end, start + timedelta(days=1))
    form = {**_range_form(dcgm, start, csv_end), "format": [csv_format(settings)]}
    t0 = time.perf_counter()
    out["csv_bytes"] = _export_to_devnull(url, "/api/v1/export/csv", form)
    out["csv_s"] = time.perf_counter() - t0
    csv_file = workdir / "dcgm.csv"
    t0 = time.perf_counter()
    _export_to_file(url, "/api/v1/export/csv", form, csv_file)
    out["csv_file_s"] = time.perf_counter() - t0
    names = csv_format(settings).split(",")
    # DuckDB column names are case-insensitive (Hostname/hostname): name the columns by position
    columns = {f"c{k}": "VARCHAR" for k in range(len(names))}
    columns["c1"], columns["c2"] = "BIGINT", "DOUBLE"
    t0 = time.perf_counter()
    with duckdb.connect(":memory:") as con:
        con.execute(
            "CREATE TABLE samples AS SELECT * FROM read_csv($path, header = false, columns = $columns)",
            {"path": str(csv_file), "columns": columns},
        )
        row = con.execute("SELECT count(*) FROM samples").fetchone()
    out["duckdb_read_csv_s"] = time.perf_counter() - t0
    out["csv_rows"] = int(row[0]) if row else 0
    csv_file.unlink()
    return out


def measure_naive(url: str, settings: Settings, day: date, metrics: list[str]) -> dict[str, Any]:
    """What a user would write: custom_query_range per DCGM metric over one day, into a polars DataFrame."""
    import polars as pl

    start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
    end = start + timedelta(days=1) - timedelta(seconds=settings.step_seconds)
    with VictoriaMetricsClient(VictoriaMetricsConfig(url=url, timeout_seconds=600)) as client:
        prom = client.prometheus()
        samples = 0
        began = time.perf_counter()
        frames = []
        for metric in metrics:
            result = prom.custom_query_range(metric, start_time=start, end_time=end, step=str(settings.step_seconds))
            rows = [
                {**series["metric"], "timestamp": float(ts), "value": float(value)}
                for series in result
                for ts, value in series["values"]
            ]
            frame = pl.DataFrame(rows, infer_schema_length=None)
            samples += frame.height
            frames.append(frame)
        seconds = time.perf_counter() - began
    return {"seconds": seconds, "samples": samples, "metrics": len(metrics), "day": day.isoformat()}


# -- one scenario ----------------------------------------------------------------------------------------------------


@dataclass
class ScenarioResult:
    scale: int
    gpus: int
    nodes: int
    days: int
    window_days: int = 7
    repeat: int = 1
    load: dict[str, Any] = field(default_factory=dict)
    # the fastest run of each part (the figures use these); every run is kept in `runs`
    ceiling: dict[str, Any] = field(default_factory=dict)
    naive: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _fastest_ceiling(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Field by field: each timing is its fastest run's (the byte and row counts are the same in every run)."""
    best = dict(runs[0])
    for key in best:
        if key.endswith("_s"):
            best[key] = min(float(run[key]) for run in runs)
    return best


def run_scenario(
    scale: int,
    days: int,
    full: bool,
    log: Callable[[str], None],
    repeat: int = 1,
    window_days: int = 7,
    naive_metrics: int = 8,
) -> ScenarioResult:
    from gpu_reclaim.scenarios.demo import DemoScenario, build_cluster, load_demo

    scenario = DemoScenario(start=START, days=days, scale=scale)
    cluster = build_cluster(scenario)
    result = ScenarioResult(scale, cluster.total_gpus, len(cluster.nodes), days, window_days, repeat)
    del cluster
    settings = Settings()
    day_list = [str(d) for d in days_between(START.date(), START.date() + timedelta(days=days - 1))]
    runs: dict[str, list[dict[str, Any]]] = {"ceiling": [], "naive": [], "ingest": [], "e2e": []}
    with tempfile.TemporaryDirectory(prefix="gpu-reclaim-bench-") as tmp, LocalVictoriaMetrics() as vm:
        workdir = Path(tmp)
        config: str | None = None
        if window_days != 7:
            config_file = workdir / "gpu-reclaim.toml"
            config_file.write_text(f"[report]\nwindow_days = {int(window_days)}\n")
            config = str(config_file)
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
                runs["ingest"].append(run_child("ingest", {"vm_url": vm.url, "db": str(db), "days": day_list}))
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
        result.ceiling = _fastest_ceiling(runs["ceiling"])
        result.naive = fastest(runs["naive"], "seconds")
        result.ingest = fastest(runs["ingest"], "seconds")
    result.e2e = fastest(runs["e2e"], "seconds")
    return result


# -- the tables ------------------------------------------------------------------------------------------------------


def _rate(samples: float, seconds: float) -> str:
    return f"{samples / seconds / 1e6:,.2f} M/s" if seconds > 0 else "-"


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def report_paths(r: ScenarioResult) -> str:
    """The side-by-side paths of the main scenario (fastest run of each)."""
    c, n, i, e = r.ceiling, r.naive, r.ingest, r.e2e
    samples = r.load["samples"]
    dcgm_samples = i["dcgm_samples"]
    csv_total = c["csv_file_s"] + c["duckdb_read_csv_s"]
    rows = [
        ["VictoriaMetrics export JSON → /dev/null (all series)", f"{c['json_s']:.1f}s", _rate(samples, c["json_s"]),
         "", _mib(c["json_bytes"])],
        ["VictoriaMetrics export JSON → /dev/null (DCGM)", f"{c['json_dcgm_s']:.1f}s",
         _rate(dcgm_samples, c["json_dcgm_s"]), "", _mib(c["json_dcgm_bytes"])],
        ["VictoriaMetrics export CSV → /dev/null (DCGM, day 1)", f"{c['csv_s']:.1f}s", _rate(c["csv_rows"], c["csv_s"]),
         "", _mib(c["csv_bytes"])],
        ["CSV export → file + DuckDB read_csv (DCGM, day 1)", f"{csv_total:.1f}s", _rate(c["csv_rows"], csv_total),
         "", f"read_csv {c['duckdb_read_csv_s']:.1f}s"],
        ["pipeline ingest, all days (DCGM + kube-state)", f"{i['seconds']:.1f}s", _rate(i["samples"], i["seconds"]),
         _gib(i["peak_rss"]), f"{i['samples']:,} samples"],
        ["  of which DCGM", f"{i['dcgm_seconds']:.1f}s", _rate(dcgm_samples, i["dcgm_seconds"]), "", ""],
        ["  of which kube-state", f"{i['ksm_seconds']:.1f}s", _rate(i["ksm_samples"], i["ksm_seconds"]), "", ""],
        [f"naive: custom_query_range → polars ({n['metrics']} metrics, 1 day)", f"{n['seconds']:.1f}s",
         _rate(n["samples"], n["seconds"]), "", f"{n['samples']:,} samples"],
        [f"pipeline end to end ({r.days} days + reports)", f"{e['seconds']:.1f}s", _rate(samples, e["seconds"]),
         _gib(e["peak_rss"]), f"DuckDB {_mib(e['db_bytes'])}"],
    ]  # fmt: skip
    first_day = i["days"][0]
    days = min_day_seconds(r.runs["e2e"])
    lines = [
        f"Scenario: {r.gpus:,} GPUs on {r.nodes} nodes × {r.days} days at 60 s (simulator scale {r.scale}); "
        f"{r.load['series']:,} series, {samples:,} samples (loaded in {r.load['seconds']:.0f}s, not timed); "
        f"fastest of {r.repeat} run(s)",
        "",
        table(["path", "wall", "samples/s", "peak RSS", "note"], rows),
        "",
        f"ingest day 1: first {first_day['dcgm_s'] + first_day['ksm_s']:.1f}s, re-run {i['rerun_first_day_s']:.1f}s; "
        f"last day's daily assets: first {days[-1]:.1f}s, re-run {e['rerun_last_day_s']:.1f}s",
        "daily assets per day (min of runs): " + ", ".join(f"{d:.1f}" for d in days) + " s",
        "peak RSS after each day: "
        + " / ".join(f"{s['hwm_at_start'] / 2**30:.2f}" for s in e["steps"][1:])
        + f" / {e['peak_rss_run'] / 2**30:.2f} GiB",
    ]
    return "\n".join(lines)


def report_long_window(r: ScenarioResult) -> str:
    days = min_day_seconds(r.runs["e2e"])
    return (
        f"Long window: {r.gpus:,} GPUs × {r.days} days, report.window_days = {r.window_days}, end to end "
        f"{r.e2e['seconds']:.1f}s (fastest of {r.repeat}), peak RSS {_gib(r.e2e['peak_rss'])}, "
        f"DuckDB {_mib(r.e2e['db_bytes'])}\n  daily assets per day: " + ", ".join(f"{d:.1f}" for d in days) + " s"
    )


def report_scaling(results: list[ScenarioResult]) -> str:
    rows = []
    factors = scaling_figures([r.__dict__ for r in results])
    for k, r in enumerate(results):
        e2e = r.e2e
        rows.append(
            [
                f"{r.gpus:,}",
                str(r.scale),
                str(r.days),
                f"{r.load['samples']:,}",
                f"{e2e['seconds']:.1f}s",
                _rate(r.load["samples"], e2e["seconds"]),
                _gib(max(run["peak_rss"] for run in r.runs["e2e"])),
                _mib(e2e["db_bytes"]),
                "" if k == 0 else f"{factors[k - 1]['shown']} ({'met' if factors[k - 1]['met'] else 'MISSED'})",
            ]
        )
    return "Scaling (end to end, child process, fastest run):\n" + table(
        ["GPUs", "scale", "days", "samples", "wall", "samples/s", "peak RSS", "DuckDB", "time per doubling"], rows
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=1024, help="fleet size; the simulator scale nearest it is used")
    parser.add_argument("--days", type=int, default=7, help="days to simulate (7 covers one report week)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 152 GPUs, 2 days, 1 run, no long window")
    parser.add_argument("--repeat", type=int, default=2, help="runs of every timed part; figures use the fastest")
    parser.add_argument(
        "--long-window", type=int, default=LONG_WINDOW_DAYS, help="days of the long-window row (0: skip it)"
    )
    parser.add_argument("--scaling", action="store_true", help="also run ~1,024, 2,048, 4,096 GPUs end to end")
    parser.add_argument("--scaling-days", type=int, default=1, help="days of each scaling run")
    parser.add_argument("--no-main", action="store_true", help="skip the side-by-side run (with --scaling)")
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    parser.add_argument("--child", choices=("ingest", "e2e"), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        worker = _child_ingest if args.child == "ingest" else _child_e2e
        print(json.dumps(worker(json.loads(args.spec))), flush=True)
        return

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    gpus, days = (GPUS_PER_SCALE, 2) if args.quick else (args.gpus, args.days)
    repeat = 1 if args.quick else max(1, args.repeat)
    long_days = 0 if args.quick else args.long_window
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; timings vary with other load")
    results: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]}}
    sections: list[str] = []
    figures: list[dict[str, Any]] = []
    main_result: ScenarioResult | None = None
    if not args.no_main:
        main_result = run_scenario(scale_for(gpus), days, full=True, log=log, repeat=repeat)
        results["main"] = main_result.__dict__
        sections.append(report_paths(main_result))
        figures += main_figures(main_result.__dict__)
    if long_days and main_result is not None:
        long = run_scenario(main_result.scale, long_days, False, log, repeat, window_days=long_days)
        results["long_window"] = long.__dict__
        sections.append(report_long_window(long))
        figures.append(long_window_figure(main_result.__dict__, long.__dict__))
    if args.scaling:
        targets = (152, 304) if args.quick else SCALING_TARGETS
        scaled = [run_scenario(scale_for(t), args.scaling_days, False, log, repeat) for t in targets]
        results["scaling"] = [s.__dict__ for s in scaled]
        sections.append(report_scaling(scaled))
        figures += scaling_figures(results["scaling"])
    results["figures"] = figures
    if figures:
        sections.append("Against issue 16's targets:\n" + targets_table(figures))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
