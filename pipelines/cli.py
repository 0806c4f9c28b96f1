"""`gpu-reclaim`: run the pipeline once, on the built-in demo cluster or against a real VictoriaMetrics."""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from gpu_reclaim.core.config import ConfigError, Settings, load_config
from gpu_reclaim.core.migrations import MigrationError, SchemaError
from gpu_reclaim.core.victoria import SourceError, VictoriaMetricsClient
from gpu_reclaim.core.warehouse import WarehouseLockedError
from gpu_reclaim.pipelines.runner import days_between, run_pipeline
from gpu_reclaim.pipelines.upgrade import NothingStoredError, rescore_days, upgrade_database
from rich.console import Console

app = typer.Typer(
    help="Find and reclaim wasted GPUs: allocation vs usage, fragmentation, tickets and weekly reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)


INTERRUPTED = (
    "interrupted: every stage that finished is kept and the one running was rolled back; "
    "run the same command again to complete the remaining days"
)


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:400]


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _resources(
    settings_path: Path | None, vm_url: str | None, db: Path, out: Path, lock_timeout: float = 120.0
) -> dict[str, object]:
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

    return {
        "settings": SettingsResource(config_path=str(settings_path) if settings_path else None, vm_url=vm_url),
        "warehouse": WarehouseResource(database=str(db), lock_timeout_seconds=lock_timeout),
        "outputs": OutputsResource(out_dir=str(out)),
    }


def _execute(
    settings_path: Path | None,
    vm_url: str | None,
    db: Path,
    out: Path,
    days: list[date],
    lock_timeout: float = 120.0,
) -> float:
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS

    started = time.monotonic()
    with console.status("running the pipeline") as status:
        summary = run_pipeline(
            DAILY_ASSETS,
            WEEKLY_ASSETS,
            _resources(settings_path, vm_url, db, out, lock_timeout),  # type: ignore[arg-type]
            days,
            on_step=lambda step: status.update(f"running the pipeline: {step}"),
        )
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    return time.monotonic() - started


def _load_settings(config: Path | None, vm_url: str | None) -> Settings:
    try:
        settings = load_config(config)
    except ConfigError as error:
        raise fail(str(error)) from None
    if vm_url:
        vm = settings.victoria_metrics.model_copy(update={"url": vm_url})
        settings = settings.model_copy(update={"victoria_metrics": vm})
    return settings


def _print_outputs(out: Path, db: Path) -> None:
    console.print(f"database:     {db}")
    console.print(f"ticket feed:  {out / 'tickets.jsonl'}")
    console.print(f"reports:      {out / 'reports' / 'index.html'}")


@app.command()
def run(
    vm_url: Annotated[str, typer.Option("--vm-url", envvar="GPU_RECLAIM_VM_URL", help="VictoriaMetrics URL.")],
    start: Annotated[str, typer.Option(help="First UTC day to evaluate (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last UTC day to evaluate, included (YYYY-MM-DD).")],
    db: Annotated[Path, typer.Option(help="DuckDB database file.")] = Path("data/gpu_reclaim.duckdb"),
    out: Annotated[Path, typer.Option(help="Folder for reports/ and tickets.jsonl.")] = Path("out"),
    config: Annotated[Path | None, typer.Option(help="TOML or YAML config file.")] = None,
    lock_timeout: Annotated[
        float, typer.Option(min=0.1, max=86400, help="Seconds to wait for another process writing --db.")
    ] = 120.0,
) -> None:
    """Run every stage for each day from START to END against an existing VictoriaMetrics server.

    Credentials come from the environment (GPU_RECLAIM_VM_BEARER_TOKEN[_FILE], GPU_RECLAIM_VM_USER and
    GPU_RECLAIM_VM_PASSWORD[_FILE]) and are never printed.
    """
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        raise fail(f"--start/--end must be dates as YYYY-MM-DD ({error})") from None
    if last < first:
        raise fail(f"--end {last} is before --start {first}")
    today = datetime.now(UTC).date()
    if first > today:
        raise fail(f"--start {first} is in the future (today is {today} UTC)")
    if last > today:
        raise fail(
            f"--end {last} is in the future (today is {today} UTC); "
            f"the last complete day is {today - timedelta(days=1)}"
        )
    settings = _load_settings(config, vm_url)
    try:
        with VictoriaMetricsClient(settings.victoria_metrics) as client:
            client.check()
    except SourceError as error:
        raise fail(str(error)) from None
    try:
        upgrade_database(db, settings, lock_timeout, announce=_announce)
        seconds = _execute(config, vm_url, db, out, days_between(first, last), lock_timeout)
    except (SourceError, WarehouseLockedError, SchemaError, MigrationError) as error:
        raise fail(str(error), code=1) from None
    except KeyboardInterrupt:
        raise fail(INTERRUPTED, code=130) from None
    except Exception as error:
        if os.environ.get("GPU_RECLAIM_DEBUG"):
            raise
        raise fail(f"{_one_line(error)} (set GPU_RECLAIM_DEBUG=1 to see the traceback)", code=1) from None
    console.print(f"[green]done[/] in {seconds:.1f}s")
    _print_outputs(out, db)


@app.command()
def demo(
    out: Annotated[Path, typer.Option(help="Folder for the database, reports/ and tickets.jsonl.")] = Path("out"),
    days: Annotated[int, typer.Option(min=1, max=28, help="Days to simulate.")] = 7,
    seed: Annotated[int, typer.Option(help="Seed of the simulated cluster.")] = 7,
    step: Annotated[int, typer.Option(min=10, max=600, help="Scrape step of the simulation, in seconds.")] = 60,
    config: Annotated[Path | None, typer.Option(help="TOML or YAML config file.")] = None,
) -> None:
    """Start a private VictoriaMetrics on 127.0.0.1, load a simulated week of a multi-tenant GPU cluster,
    run every stage for every day, and write the reports and the ticket feed under OUT."""
    from gpu_reclaim.core.vmserver import LocalServerError, LocalVictoriaMetrics
    from gpu_reclaim.scenarios.demo_cluster import DemoScenario, default_demo_start, load_demo

    settings = _load_settings(config, None)
    if settings.step_seconds != step:
        settings = settings.model_copy(update={"step_seconds": step})
    out.mkdir(parents=True, exist_ok=True)
    db = out / "gpu_reclaim.duckdb"
    db.unlink(missing_ok=True)
    scenario = DemoScenario(start=default_demo_start(datetime.now(UTC).date()), days=days, step_seconds=step, seed=seed)
    started = time.monotonic()
    try:
        with LocalVictoriaMetrics() as vm:
            console.print(f"VictoriaMetrics on {vm.url} (data in {vm.data_dir})")
            with VictoriaMetricsClient(settings.victoria_metrics.model_copy(update={"url": vm.url})) as client:
                with console.status("simulating and importing the demo cluster"):
                    stats = load_demo(client, scenario, out / "demo_truth.json")
                console.print(f"loaded {stats.series} series, {stats.samples:,} samples in {stats.seconds:.1f}s")
            config_for_run = _write_step_config(out, config, step)
            first = scenario.start.date()
            seconds = _execute(config_for_run, vm.url, db, out, days_between(first, first + timedelta(days=days - 1)))
    except LocalServerError as error:
        raise fail(str(error)) from None
    except (SourceError, WarehouseLockedError) as error:
        raise fail(str(error), code=1) from None
    except KeyboardInterrupt:
        raise fail("interrupted", code=130) from None
    except typer.Exit:
        raise
    except Exception as error:
        if os.environ.get("GPU_RECLAIM_DEBUG"):
            raise
        raise fail(f"{_one_line(error)} (set GPU_RECLAIM_DEBUG=1 to see the traceback)", code=1) from None
    console.print(f"[green]demo done[/] in {time.monotonic() - started:.1f}s (pipeline {seconds:.1f}s)")
    console.print(f"ground truth: {out / 'demo_truth.json'}")
    _print_outputs(out, db)


def _write_step_config(out: Path, config: Path | None, step: int) -> Path | None:
    """The demo's step must reach the pipeline: write it into a config beside the outputs when it differs."""
    if step == Settings().step_seconds:
        return config
    if config is not None:
        raise fail("--step other than 60 with --config: set step_seconds in the config file instead")
    path = out / "demo_config.toml"
    path.write_text(f"step_seconds = {int(step)}\n", encoding="utf-8")
    return path


@app.command()
def rescore(
    start: Annotated[str, typer.Option(help="First UTC day to recompute (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option(help="Last UTC day to recompute, included (YYYY-MM-DD).")],
    db: Annotated[Path, typer.Option(help="DuckDB database file.")] = Path("data/gpu_reclaim.duckdb"),
    out: Annotated[Path, typer.Option(help="Folder for reports/ and tickets.jsonl.")] = Path("out"),
    config: Annotated[Path | None, typer.Option(help="TOML or YAML config file.")] = None,
    lock_timeout: Annotated[
        float, typer.Option(min=0.1, max=86400, help="Seconds to wait for another process writing --db.")
    ] = 120.0,
) -> None:
    """Recompute usage, fragmentation, findings and the ticket feed of START to END with this gpu-reclaim version,
    from the samples stored in --db (VictoriaMetrics is not read), then the reports of every complete week.

    After an upgrade the findings of old days stay as the old version computed them (the reports name it); this
    recomputes them. The file is upgraded first (after a backup, unless [warehouse] backup_before_migrate = false).
    """
    try:
        first, last = date.fromisoformat(start), date.fromisoformat(end)
    except ValueError as error:
        raise fail(f"--start/--end must be dates as YYYY-MM-DD ({error})") from None
    if last < first:
        raise fail(f"--end {last} is before --start {first}")
    if not db.is_file():
        raise fail(f"{db}: no such database file; rescore recomputes days stored in an existing one")
    settings = _load_settings(config, None)
    started = time.monotonic()
    try:
        upgrade_database(db, settings, lock_timeout, announce=_announce)
        with console.status("rescoring") as status:
            summary = rescore_days(
                config,
                db,
                out,
                days_between(first, last),
                lock_timeout,
                on_step=lambda s: status.update(f"rescoring: {s}"),
            )
    except (SchemaError, MigrationError, NothingStoredError, WarehouseLockedError) as error:
        raise fail(str(error), code=1) from None
    except KeyboardInterrupt:
        raise fail(INTERRUPTED, code=130) from None
    except Exception as error:
        if os.environ.get("GPU_RECLAIM_DEBUG"):
            raise
        raise fail(f"{_one_line(error)} (set GPU_RECLAIM_DEBUG=1 to see the traceback)", code=1) from None
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False)
    console.print(f"[green]rescored[/] {len(summary.days)} days in {time.monotonic() - started:.1f}s")
    _print_outputs(out, db)


def _announce(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
