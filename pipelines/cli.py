"""`gpu-reclaim`: run the pipeline once (the last complete day, the last N days or any days) against a real
VictoriaMetrics or the built-in demo cluster, and rebuild the reports of any window from the DuckDB file.

One function per command; what they share is in pipelines/cli_common.py."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.victoria import SourceError, VictoriaMetricsClient
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.pipelines.cli_common import (
    DEFAULT_DB,
    FEED_FILE,
    ConfigOption,
    DbOption,
    LockTimeoutOption,
    OutOption,
    WriteBackOption,
    announce,
    console,
    day_range,
    days_option,
    execute,
    fail,
    load_settings,
    one_line_errors,
    print_outputs,
)
from gpu_reclaim.pipelines.upgrade import rescore_days, upgrade_database
from gpu_reclaim.pipelines.window import required_days, resolve_days, utc_today

app = typer.Typer(
    help="Find and reclaim wasted GPUs: allocation vs usage, fragmentation, tickets and weekly reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.command()
def run(
    vm_url: Annotated[str, typer.Option("--vm-url", envvar="GPU_RECLAIM_VM_URL", help="VictoriaMetrics URL.")],
    start: Annotated[str | None, typer.Option(help="First UTC day to evaluate (YYYY-MM-DD), with --end.")] = None,
    end: Annotated[str | None, typer.Option(help="Last UTC day to evaluate, included (YYYY-MM-DD).")] = None,
    days: Annotated[
        str | None, typer.Option("--days", metavar="N", help="Evaluate the last N complete UTC days.")
    ] = None,
    db: DbOption = DEFAULT_DB,
    out: OutOption = Path("out"),
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 120.0,
    write_back: WriteBackOption = None,
) -> None:
    """Run every stage for each day against an existing VictoriaMetrics server: the last complete UTC day by
    default (what a daily cron job wants), the last N complete days with --days N, or START to END. Then write
    the reports of the report.window_days days ending with the last day (partial when the data covers fewer).

    Credentials come from the environment (GPU_RECLAIM_VM_BEARER_TOKEN[_FILE], GPU_RECLAIM_VM_USER and
    GPU_RECLAIM_VM_PASSWORD[_FILE]) and are never printed.
    """
    count = days_option(days)
    window = day_range(lambda: resolve_days(start, end, count, utc_today()))
    settings = load_settings(config, vm_url)
    try:
        with VictoriaMetricsClient(settings.victoria_metrics) as client:
            client.check()
    except SourceError as error:
        raise fail(str(error)) from None
    with one_line_errors():
        upgrade_database(db, settings, lock_timeout, announce=announce)
        summary, seconds = execute(config, vm_url, db, out, window.days, lock_timeout, write_back)
    console.print(f"[green]done[/] {window} in {seconds:.1f}s", highlight=False, soft_wrap=True)
    print_outputs(db, out / FEED_FILE if summary.feed_written else None, summary.reports)


@app.command()
def report(
    start: Annotated[str | None, typer.Option(help="First UTC day of the window (YYYY-MM-DD).")] = None,
    end: Annotated[str | None, typer.Option(help="Last UTC day of the window, included (YYYY-MM-DD).")] = None,
    db: Annotated[Path, typer.Option(help="DuckDB database file to read.")] = Path("data/gpu_reclaim.duckdb"),
    out: OutOption = Path("out"),
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 120.0,
) -> None:
    """Rebuild the reports and the ticket feed of the days START to END from the DuckDB file alone:
    VictoriaMetrics is not contacted. The feed is the one the daily run of the window's last evaluated day
    wrote (replayed from the stored evaluations); it replaces OUT/tickets.jsonl, so give another --out to keep
    the live feed."""
    window = day_range(lambda: required_days(start, end, utc_today()))
    settings = load_settings(config, None)
    if not db.is_file():
        raise fail(f"--db {db}: no such database file (`gpu-reclaim run` creates it)")
    from gpu_reclaim.pipelines.rebuild import rebuild_window

    started = time.monotonic()
    interrupted = "interrupted: every file is written whole or not at all; run the same command again"
    with one_line_errors(interrupted):
        upgrade_database(db, settings, lock_timeout, announce=announce)
    with one_line_errors(interrupted), console.status(f"rebuilding the reports of {window}"):
        rebuilt = rebuild_window(
            Warehouse.configured(db, lock_timeout, settings.warehouse),
            settings,
            out,
            out / FEED_FILE,
            window.first,
            window.last,
        )
    console.print(
        f"[green]done[/] {window} from {db} in {time.monotonic() - started:.1f}s", highlight=False, soft_wrap=True
    )
    evaluated = rebuilt.feed.evaluated_on
    note = f" ({len(rebuilt.feed.tickets)} tickets, as of the evaluation of {evaluated})" if evaluated else ""
    print_outputs(None, rebuilt.feed_path, rebuilt.reports, note or " (empty: no evaluation in the window)")


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the database, reports/ and tickets.jsonl.")] = Path("out"),
    days: Annotated[int, typer.Option(min=1, max=28, help="Days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed of the simulated cluster.")] = 7,
    step: Annotated[int, typer.Option(min=10, max=600, help="Scrape step of the simulation, in seconds.")] = 60,
    config: ConfigOption = None,
    write_back: WriteBackOption = None,
) -> None:
    """Start a private VictoriaMetrics on 127.0.0.1, load a simulated week of a multi-tenant GPU cluster,
    run every stage for every day, and write the reports and the ticket feed under OUT."""
    from gpu_reclaim.core.vmserver import LocalServerError, LocalVictoriaMetrics
    from gpu_reclaim.pipelines.runner import days_between

    try:
        from gpu_reclaim.scenarios.demo import DemoScenario, default_demo_start, load_demo
    except ModuleNotFoundError as error:
        raise fail(str(error)) from None  # numpy comes with the demo extra only

    settings = load_settings(config, None)
    if settings.step_seconds != step:
        settings = settings.model_copy(update={"step_seconds": step})
    out.mkdir(parents=True, exist_ok=True)
    db = out / "gpu_reclaim.duckdb"
    db.unlink(missing_ok=True)
    scenario = DemoScenario(start=default_demo_start(utc_today()), days=days, step_seconds=step, seed=seed)
    started = time.monotonic()
    with one_line_errors("interrupted"):
        try:
            with LocalVictoriaMetrics() as vm:
                console.print(f"VictoriaMetrics on {vm.url} (data in {vm.data_dir})")
                with VictoriaMetricsClient(settings.victoria_metrics.model_copy(update={"url": vm.url})) as client:
                    with console.status("simulating and importing the demo cluster"):
                        stats = load_demo(client, scenario, out / "demo_truth.json")
                    console.print(f"loaded {stats.series} series, {stats.samples:,} samples in {stats.seconds:.1f}s")
                config_for_run = _write_step_config(out, config, step)
                first = scenario.start.date()
                run_days = days_between(first, first + timedelta(days=days - 1))
                summary, seconds = execute(config_for_run, vm.url, db, out, run_days, write_back=write_back)
        except LocalServerError as error:
            raise fail(str(error)) from None
    console.print(f"[green]demo done[/] in {time.monotonic() - started:.1f}s (pipeline {seconds:.1f}s)")
    console.print(f"ground truth: {out / 'demo_truth.json'}", highlight=False, soft_wrap=True)
    print_outputs(db, out / FEED_FILE if summary.feed_written else None, summary.reports)


def _write_step_config(out: Path, config: Path | None, step: int) -> Path | None:
    """The demo's step and its example contacts (scenarios/demo/owners.py) reach the pipeline through a config
    beside the outputs; with --config, that file is used as it is."""
    from gpu_reclaim.scenarios.demo.owners import config_toml

    if config is not None:
        if step != Settings().step_seconds:
            raise fail("--step other than 60 with --config: set step_seconds in the config file instead")
        return config
    path = out / "demo_config.toml"
    path.write_text(config_toml(step), encoding="utf-8")
    return path


@app.command()
def rescore(
    start: Annotated[str, typer.Option(help="First UTC day to recompute (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last UTC day to recompute, included (YYYY-MM-DD).")],
    db: DbOption = DEFAULT_DB,
    out: OutOption = Path("out"),
    config: ConfigOption = None,
    lock_timeout: LockTimeoutOption = 120.0,
) -> None:
    """Recompute usage, fragmentation, findings and the ticket feed of START to END with this gpu-reclaim version,
    from the samples stored in --db (VictoriaMetrics is not read), then the reports of every complete week.

    After an upgrade the findings of old days stay as the old version computed them (the reports name it); this
    recomputes them. The file is upgraded first (after a backup, unless [warehouse] backup_before_migrate = false).
    """
    window = day_range(lambda: required_days(start, end, utc_today()))
    if not db.is_file():
        raise fail(f"{db}: no such database file; rescore recomputes days stored in an existing one")
    settings = load_settings(config, None)
    started = time.monotonic()
    with one_line_errors():
        upgrade_database(db, settings, lock_timeout, announce=announce)
        with console.status("rescoring") as status:
            summary = rescore_days(
                config, db, out, window.days, lock_timeout, on_step=lambda s: status.update(f"rescoring: {s}")
            )
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"[green]rescored[/] {window} in {time.monotonic() - started:.1f}s", highlight=False, soft_wrap=True)
    print_outputs(db, out / FEED_FILE if summary.feed_written else None, summary.reports)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
