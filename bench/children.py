"""The pipeline parts the benchmark times in a child process, where their memory can be measured alone."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig, load_config
from gpu_reclaim.core.victoria import VictoriaMetricsClient

REPO = Path(__file__).resolve().parents[1]


def vm_hwm_bytes() -> int:
    """This process's peak resident set (VmHWM), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def child_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """Ingest every day (DCGM + kube-state) into a fresh DuckDB, then re-run the first day."""
    from gpu_reclaim.assets.stages import ingest_dcgm_day, ingest_kube_state_day
    from gpu_reclaim.core.warehouse import Warehouse

    settings = Settings(victoria_metrics=VictoriaMetricsConfig(url=spec["vm_url"]))
    config = spec.get("config")
    warehouse = Warehouse.configured(spec["db"], 60.0, load_config(Path(config) if config else None).warehouse)
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


def child_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """run_pipeline over every day (daily assets) and the reports of the window ending with the last day; then
    re-run the last day."""
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource
    from gpu_reclaim.pipelines.runner import run_pipeline

    resources = {
        "settings": SettingsResource(vm_url=spec["vm_url"], config_path=spec.get("config")),
        "warehouse": WarehouseResource(database=spec["db"], config_path=spec.get("config")),
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


CHILDREN = {"ingest": child_ingest, "e2e": child_e2e}


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
