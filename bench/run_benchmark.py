"""Speed and scale benchmark: `python -m bench.run_benchmark` (`make bench`). Never part of the test suite.

Loads the demo simulator (scaled) into a private local VictoriaMetrics (not timed), then times, side by side:

1. the ceiling: VictoriaMetrics' own export of the same series streamed to /dev/null (JSON lines and CSV), and
   the CSV export loaded by DuckDB's read_csv: the fastest this machine moves these samples;
2. the pipeline's ingest of every daily partition (ingest_dcgm_day + ingest_kube_state_day), in a child process;
3. the naive path: prometheus-api-client `custom_query_range` into a polars DataFrame (a subset: one day);
4. the pipeline end to end (run_pipeline with DAILY_ASSETS and WEEKLY_ASSETS) in a child process, with its peak
   RSS (VmHWM) after every day, the DuckDB file size, and a re-run of an already-loaded day.

`--scaling` adds a row per fleet size (~256, 512, 1,024, 2,048 GPUs) with end-to-end time and peak memory.
Timings on a shared machine vary by tens of percent between runs; read the ratios, not the last digit.
"""

from __future__ import annotations

import argparse
import json
import math
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

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday: a 7-day run covers one complete report week
GPUS_PER_SCALE = 152  # DemoScenario(scale=1) is 19 nodes / 152 GPUs
SCALING_TARGETS = (256, 512, 1024, 2048)
TARGETS = {
    "ingest_vs_ceiling": 0.5,
    "ingest_vs_naive": 10.0,
    "end_to_end_seconds": 90.0,
    "peak_rss_gib": 1.5,
    "doubling_time_ratio": 2.2,
}
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
        "settings": SettingsResource(vm_url=spec["vm_url"]),
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
    load: dict[str, Any] = field(default_factory=dict)
    ceiling: dict[str, Any] = field(default_factory=dict)
    naive: dict[str, Any] = field(default_factory=dict)
    ingest: dict[str, Any] = field(default_factory=dict)
    e2e: dict[str, Any] = field(default_factory=dict)


def run_scenario(
    scale: int, days: int, full: bool, log: Callable[[str], None], naive_metrics: int = 8
) -> ScenarioResult:
    from gpu_reclaim.scenarios.demo_cluster import DemoScenario, build_cluster, load_demo

    scenario = DemoScenario(start=START, days=days, scale=scale)
    cluster = build_cluster(scenario)
    result = ScenarioResult(scale, cluster.total_gpus, len(cluster.nodes), days)
    del cluster
    settings = Settings()
    day_list = days_between(START.date(), START.date() + timedelta(days=days - 1))
    with tempfile.TemporaryDirectory(prefix="gpu-reclaim-bench-") as tmp, LocalVictoriaMetrics() as vm:
        workdir = Path(tmp)
        log(f"scale {scale}: {result.gpus} GPUs on {result.nodes} nodes, {days} days: loading (not timed)")
        with VictoriaMetricsClient(VictoriaMetricsConfig(url=vm.url, timeout_seconds=600)) as client:
            stats = load_demo(client, scenario, workdir / "truth.json")
        result.load = {"series": stats.series, "samples": stats.samples, "seconds": stats.seconds}
        log(f"  loaded {stats.samples:,} samples in {stats.seconds:.0f}s")
        if full:
            log("  ceiling: VictoriaMetrics export → /dev/null, CSV → DuckDB read_csv")
            result.ceiling = measure_ceiling(vm.url, settings, scenario.start, scenario.end, workdir)
            log("  naive: custom_query_range → polars")
            metrics = list(settings.metrics.dcgm().values())[:naive_metrics]
            result.naive = measure_naive(vm.url, settings, day_list[0], metrics)
            log("  pipeline ingest (child process)")
            result.ingest = run_child(
                "ingest", {"vm_url": vm.url, "db": str(workdir / "ingest.duckdb"), "days": [str(d) for d in day_list]}
            )
        log("  pipeline end to end (child process)")
        result.e2e = run_child(
            "e2e",
            {
                "vm_url": vm.url,
                "db": str(workdir / "e2e.duckdb"),
                "out": str(workdir / "out"),
                "days": [str(d) for d in day_list],
            },
        )
        log(f"  end to end {result.e2e['seconds']:.1f}s, peak RSS {result.e2e['peak_rss'] / 2**30:.2f} GiB")
    return result


# -- the table -------------------------------------------------------------------------------------------------------


def _rate(samples: float, seconds: float) -> str:
    return f"{samples / seconds / 1e6:,.2f} M/s" if seconds > 0 else "-"


def _gib(n: float) -> str:
    return f"{n / 2**30:.2f} GiB"


def _mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    line = "  ".join("-" * w for w in widths)
    fmt = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
        )
        for r in [headers, *rows]
    ]
    return "\n".join([fmt[0], line, *fmt[1:]])


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def report_main(r: ScenarioResult) -> str:
    c, n, i, e = r.ceiling, r.naive, r.ingest, r.e2e
    samples = r.load["samples"]
    dcgm_samples = i["dcgm_samples"]
    rows: list[list[str]] = []
    rows.append(
        [
            "VictoriaMetrics export JSON → /dev/null (all series)",
            f"{c['json_s']:.1f}s",
            _rate(samples, c["json_s"]),
            "",
            f"{_mib(c['json_bytes'])}",
        ]
    )
    rows.append(
        [
            "VictoriaMetrics export JSON → /dev/null (DCGM)",
            f"{c['json_dcgm_s']:.1f}s",
            _rate(dcgm_samples, c["json_dcgm_s"]),
            "",
            f"{_mib(c['json_dcgm_bytes'])}",
        ]
    )
    rows.append(
        [
            "VictoriaMetrics export CSV → /dev/null (DCGM, day 1)",
            f"{c['csv_s']:.1f}s",
            _rate(c["csv_rows"], c["csv_s"]),
            "",
            f"{_mib(c['csv_bytes'])}",
        ]
    )
    csv_total = c["csv_file_s"] + c["duckdb_read_csv_s"]
    rows.append(
        [
            "CSV export → file + DuckDB read_csv (DCGM, day 1)",
            f"{csv_total:.1f}s",
            _rate(c["csv_rows"], csv_total),
            "",
            f"read_csv {c['duckdb_read_csv_s']:.1f}s",
        ]
    )
    rows.append(
        [
            "pipeline ingest, all days (DCGM + kube-state)",
            f"{i['seconds']:.1f}s",
            _rate(i["samples"], i["seconds"]),
            _gib(i["peak_rss"]),
            f"{i['samples']:,} samples",
        ]
    )
    rows.append(["  of which DCGM", f"{i['dcgm_seconds']:.1f}s", _rate(dcgm_samples, i["dcgm_seconds"]), "", ""])
    rows.append(
        ["  of which kube-state", f"{i['ksm_seconds']:.1f}s", _rate(i["ksm_samples"], i["ksm_seconds"]), "", ""]
    )
    rows.append(
        [
            f"naive: custom_query_range → polars ({n['metrics']} metrics, 1 day)",
            f"{n['seconds']:.1f}s",
            _rate(n["samples"], n["seconds"]),
            "",
            f"{n['samples']:,} samples",
        ]
    )
    rows.append(
        [
            f"pipeline end to end ({r.days} days + reports)",
            f"{e['seconds']:.1f}s",
            _rate(samples, e["seconds"]),
            _gib(e["peak_rss"]),
            f"DuckDB {_mib(e['db_bytes'])}",
        ]
    )
    out = [
        f"Scenario: {r.gpus:,} GPUs on {r.nodes} nodes × {r.days} days at 60 s (simulator scale {r.scale}); "
        f"{r.load['series']:,} series, {samples:,} samples (loaded in {r.load['seconds']:.0f}s, not timed)",
        "",
        _table(["path", "wall", "samples/s", "peak RSS", "note"], rows),
        "",
    ]
    ceiling_rate = samples / c["json_s"]
    ingest_rate = i["samples"] / i["seconds"]
    naive_rate = n["samples"] / n["seconds"]
    first_day = i["days"][0]
    first_ingest = first_day["dcgm_s"] + first_day["ksm_s"]
    e2e_days = [s for s in e["steps"] if s["step"].startswith("day ")]
    hwms = [s["hwm_at_start"] for s in e2e_days[1:]] + [e["peak_rss_run"]]
    ratios = [
        [
            "pipeline ingest ÷ ceiling (JSON export)",
            f"{ingest_rate / ceiling_rate:.0%}",
            f"≥ {TARGETS['ingest_vs_ceiling']:.0%}",
            _verdict(ingest_rate / ceiling_rate >= TARGETS["ingest_vs_ceiling"]),
        ],
        ["pipeline ingest ÷ ceiling (CSV + DuckDB)", f"{ingest_rate / (c['csv_rows'] / csv_total):.0%}", "", ""],
        [
            "pipeline ingest ÷ naive",
            f"{ingest_rate / naive_rate:.1f}×",
            f"≥ {TARGETS['ingest_vs_naive']:.0f}×",
            _verdict(ingest_rate / naive_rate >= TARGETS["ingest_vs_naive"]),
        ],
        [
            "end to end",
            f"{e['seconds']:.1f}s",
            f"≤ {TARGETS['end_to_end_seconds']:.0f}s (1,024-GPU week)",
            _verdict(e["seconds"] <= TARGETS["end_to_end_seconds"]),
        ],
        [
            "peak RSS (end-to-end child, VmHWM)",
            _gib(e["peak_rss"]),
            f"≤ {TARGETS['peak_rss_gib']} GiB",
            _verdict(e["peak_rss"] <= TARGETS["peak_rss_gib"] * 2**30),
        ],
        [
            "peak RSS after day 1 … last day",
            " / ".join(f"{h / 2**30:.2f}" for h in hwms) + " GiB",
            "levels off (last 3 days ±5%)",
            _verdict(hwms[-1] <= hwms[max(0, len(hwms) - 3)] * 1.05),
        ],
        [
            "ingest day 1: first load / re-run",
            f"{first_ingest:.1f}s / {i['rerun_first_day_s']:.1f}s",
            "re-run ≤ first",
            _verdict(i["rerun_first_day_s"] <= first_ingest * 1.1),
        ],
        [
            "all daily assets, last day: first / re-run",
            f"{e2e_days[-1]['seconds']:.1f}s / {e['rerun_last_day_s']:.1f}s",
            "re-run ≤ first",
            _verdict(e["rerun_last_day_s"] <= e2e_days[-1]["seconds"] * 1.1),
        ],
    ]
    out += [_table(["ratio", "measured", "target", ""], ratios), ""]
    out.append("end to end per step: " + ", ".join(f"{s['step']} {s['seconds']:.1f}s" for s in e["steps"]))
    return "\n".join(out)


def report_scaling(results: list[ScenarioResult]) -> str:
    rows = []
    previous: ScenarioResult | None = None
    for r in results:
        per_doubling = ""
        if previous is not None:
            time_ratio = r.e2e["seconds"] / previous.e2e["seconds"]
            gpu_ratio = r.gpus / previous.gpus
            factor = time_ratio ** (1 / math.log2(gpu_ratio))
            per_doubling = f"{factor:.2f}× ({_verdict(factor <= TARGETS['doubling_time_ratio'])})"
        rows.append(
            [
                f"{r.gpus:,}",
                str(r.scale),
                str(r.days),
                f"{r.load['samples']:,}",
                f"{r.e2e['seconds']:.1f}s",
                _rate(r.load["samples"], r.e2e["seconds"]),
                _gib(r.e2e["peak_rss"]),
                _mib(r.e2e["db_bytes"]),
                per_doubling,
            ]
        )
        previous = r
    return "Scaling (end to end, child process):\n" + _table(
        ["GPUs", "scale", "days", "samples", "wall", "samples/s", "peak RSS", "DuckDB", "time per doubling"], rows
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run_benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=1024, help="fleet size; the simulator scale nearest it is used")
    parser.add_argument("--days", type=int, default=7, help="days to simulate (7 covers one report week)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 152 GPUs, 2 days")
    parser.add_argument("--scaling", action="store_true", help="also run ~256, 512, 1,024, 2,048 GPUs end to end")
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
    log(f"machine: {os.cpu_count()} cores; timings vary with other load on it")
    results: dict[str, Any] = {}
    sections: list[str] = []
    if not args.no_main:
        main_result = run_scenario(scale_for(gpus), days, full=True, log=log)
        results["main"] = main_result.__dict__
        sections.append(report_main(main_result))
    if args.scaling:
        targets = (152, 304) if args.quick else SCALING_TARGETS
        scaled = [run_scenario(scale_for(t), args.scaling_days, full=False, log=log) for t in targets]
        results["scaling"] = [s.__dict__ for s in scaled]
        sections.append(report_scaling(scaled))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
