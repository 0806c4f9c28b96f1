"""Speed and scale benchmark: `python -m bench.run_benchmark` (`make bench`). Never part of the test suite.

Loads the demo simulator (scaled) into a private local VictoriaMetrics (not timed), then times, side by side:

1. the ceiling: VictoriaMetrics' own export of the same series streamed to /dev/null (JSON lines and CSV), and
   the CSV export loaded by DuckDB's read_csv: the fastest this machine moves these samples;
2. the pipeline's ingest of every daily partition (ingest_dcgm_day + ingest_kube_state_day), in a child process;
3. the naive path: prometheus-api-client `custom_query_range` into a polars DataFrame (a subset: one day);
4. the pipeline end to end (run_pipeline with DAILY_ASSETS and WEEKLY_ASSETS) in a child process, with its peak
   RSS (VmHWM) and the time of every day (day 7 is the steady state: its 7-day window is full), the DuckDB file
   size, and a re-run of an already-loaded day;
5. the long window: the fleet of `--long-window-gpus` (default `--gpus`) for 28 days with
   `report.window_days = 28`, end to end (its day 28 is the steady state of a 28-day window), against the 7-day
   steady state of the same fleet (the main run's, or a 7-day run of that fleet when it differs);
6. `--scaling`: one day end to end at ~1,024, 2,048 and 4,096 GPUs (time per doubling).

Every timed part runs `--repeat` times (default 2) on the same loaded server; figures use the fastest run.
Timings on a shared machine vary by tens of percent between runs; read the ratios, not the last digit.
bench/README.md documents every field of `--json`. The parts: bench/scenario.py (one scenario), bench/children.py
(the child processes), bench/exports.py (the ceiling and the naive path), bench/figures.py and bench/targets.py (the
figures against issue 16's targets), bench/report_rows.py (the printed sections).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from gpu_reclaim.core.warehouse_limits import DEFAULT_MEMORY_LIMIT

from bench.children import CHILDREN
from bench.figures import long_window_figure, main_figures, scaling_figures
from bench.report_rows import report_long_window, report_paths, report_scaling
from bench.scenario import (
    GPUS_PER_SCALE,
    LONG_WINDOW_DAYS,
    SCALING_TARGETS,
    START,
    ScenarioResult,
    run_scenario,
    scale_for,
)
from bench.targets import every_target, planned_doublings, targets_table

__all__ = ["START", "main", "scale_for"]  # bench/profile_day.py imports START and scale_for from here


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run_benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--gpus", type=int, default=1024, help="fleet size; the simulator scale nearest it is used")
    parser.add_argument("--days", type=int, default=7, help="days to simulate (7 covers one report week)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 152 GPUs, 2 days, 1 run, no long window")
    parser.add_argument("--repeat", type=int, default=2, help="runs of every timed part; figures use the fastest")
    parser.add_argument(
        "--long-window", type=int, default=LONG_WINDOW_DAYS, help="days of the long-window row (0: skip it)"
    )
    parser.add_argument(
        "--long-window-gpus",
        type=int,
        help="fleet of the long-window row and of its 7-day reference (default: --gpus; runs even with --no-main)",
    )
    parser.add_argument("--scaling", action="store_true", help="also run ~1,024, 2,048, 4,096 GPUs end to end")
    parser.add_argument("--scaling-days", type=int, default=1, help="days of each scaling run")
    parser.add_argument("--no-main", action="store_true", help="skip the side-by-side run (with --scaling)")
    parser.add_argument(
        "--memory-limit",
        default=DEFAULT_MEMORY_LIMIT,
        help="[warehouse] memory_limit of every pipeline run (DuckDB's; default %(default)s)",
    )
    parser.add_argument("--json", type=Path, help="also write every measurement as JSON here")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def long_window(
    args: argparse.Namespace, main_result: ScenarioResult | None, long_days: int, repeat: int
) -> tuple[ScenarioResult, ScenarioResult, bool]:
    """The long-window scenario and its 7-day reference at the same fleet (the main run when it is that fleet and
    covers a full week); the flag says whether the reference was run for it."""
    scale = scale_for(args.long_window_gpus or args.gpus)
    reference = main_result
    if reference is None or reference.scale != scale or reference.days < 7:
        reference = run_scenario(scale, 7, False, log, repeat, memory_limit=args.memory_limit)
    long = run_scenario(scale, long_days, False, log, repeat, window_days=long_days, memory_limit=args.memory_limit)
    return long, reference, reference is not main_result


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child](json.loads(args.spec))), flush=True)
        return
    gpus, days = (GPUS_PER_SCALE, 2) if args.quick else (args.gpus, args.days)
    repeat = 1 if args.quick else max(1, args.repeat)
    long_days = 0 if args.quick else args.long_window
    log(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; timings vary with other load")
    results: dict[str, Any] = {"machine": {"cores": os.cpu_count(), "load_average_at_start": os.getloadavg()[0]}}
    sections: list[str] = []
    figures: list[dict[str, Any]] = []
    main_result: ScenarioResult | None = None
    if not args.no_main:
        main_result = run_scenario(
            scale_for(gpus), days, full=True, log=log, repeat=repeat, memory_limit=args.memory_limit
        )
        results["main"] = main_result.__dict__
        sections.append(report_paths(main_result))
        figures += main_figures(main_result.__dict__)
    if long_days and (main_result is not None or args.long_window_gpus):
        long, reference, reference_run = long_window(args, main_result, long_days, repeat)
        results["long_window"] = long.__dict__
        if reference_run:
            results["long_window_reference"] = reference.__dict__
        sections.append(report_long_window(long))
        figures.append(long_window_figure(reference.__dict__, long.__dict__))
    if args.scaling:
        targets = (152, 304) if args.quick else SCALING_TARGETS
        scaled = [
            run_scenario(scale_for(t), args.scaling_days, False, log, repeat, memory_limit=args.memory_limit)
            for t in targets
        ]
        results["scaling"] = [s.__dict__ for s in scaled]
        sections.append(report_scaling(scaled))
        figures += scaling_figures(results["scaling"])
    # every target row of issue 16, `not measured` where this run did not measure it
    figures = every_target(figures, planned_doublings([scale_for(t) * GPUS_PER_SCALE for t in SCALING_TARGETS]))
    results["figures"] = figures
    sections.append("Against issue 16's targets:\n" + targets_table(figures))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
    print("\n\n".join(sections))


if __name__ == "__main__":
    main()
