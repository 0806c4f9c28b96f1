"""What the `gpu-reclaim` commands (pipelines/cli.py) share: the options declared once, settings, one-line errors
and exit codes, the in-process run, and the lines naming what was written."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from gpu_reclaim.core.config import ConfigError, Settings, load_config
from gpu_reclaim.core.errors import is_query_interrupt, named_one_line
from gpu_reclaim.core.migrations import MigrationError, SchemaError
from gpu_reclaim.core.victoria import SourceError
from gpu_reclaim.core.warehouse import WarehouseLockedError
from gpu_reclaim.pipelines.upgrade import NothingStoredError
from gpu_reclaim.pipelines.window import DayRange, WindowError
from gpu_reclaim.reports.models import ReportIndex
from rich.console import Console

if TYPE_CHECKING:  # the runner imports Dagster: loaded by the commands that run, not for --help or a usage error
    from gpu_reclaim.pipelines.runner import RunSummary

console = Console(stderr=True)
FEED_FILE = "tickets.jsonl"  # = assets.reclamation.FEED_NAME, which imports Dagster (a test keeps them equal)


# The options several commands share, declared once.
DbOption = Annotated[Path, typer.Option("--db", help="DuckDB database file.")]
OutOption = Annotated[Path, typer.Option("--out", help="Folder for reports/ and tickets.jsonl.")]
ConfigOption = Annotated[Path | None, typer.Option("--config", help="TOML or YAML config file.")]
LockTimeoutOption = Annotated[
    float, typer.Option("--lock-timeout", min=0.1, max=86400, help="Seconds to wait for another process writing --db.")
]
WriteBackOption = Annotated[
    bool | None,
    typer.Option(
        "--write-back/--no-write-back",
        help="Import each day's scores into VictoriaMetrics (default: [write_back] enabled in the config).",
    ),
]
DEFAULT_DB = Path("data/gpu_reclaim.duckdb")


INTERRUPTED = (
    "interrupted: every stage that finished is kept and the one running was rolled back; "
    "run the same command again to complete the remaining days"
)


def fail(message: str, code: int = 2) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def one_line_errors(interrupted: str = INTERRUPTED) -> Iterator[None]:
    """A command's failures as one line and an exit code: 1 for a source, lock or stage error, 130 for Ctrl-C."""
    try:
        yield
    except typer.Exit:
        raise
    except (SourceError, WarehouseLockedError, SchemaError, MigrationError, NothingStoredError) as error:
        raise fail(str(error), code=1) from None
    except KeyboardInterrupt:
        raise fail(interrupted, code=130) from None
    except Exception as error:
        if is_query_interrupt(error):  # Ctrl-C during a query outside a Dagster step (migrations, reports)
            raise fail(interrupted, code=130) from None
        if os.environ.get("GPU_RECLAIM_DEBUG"):
            raise
        raise fail(f"{named_one_line(error, 400)} (set GPU_RECLAIM_DEBUG=1 to see the traceback)", code=1) from None


def day_range(resolve: Callable[[], DayRange]) -> DayRange:
    """The days a command evaluates, or a one-line usage error."""
    try:
        return resolve()
    except WindowError as error:
        raise fail(str(error)) from None


def days_option(value: str | None) -> int | None:
    """--days N as an integer; anything else is a one-line usage error."""
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise fail(f"--days must be a whole number of days (got {value!r})") from None


def resources(
    settings_path: Path | None,
    vm_url: str | None,
    db: Path,
    out: Path,
    lock_timeout: float = 120.0,
    write_back: bool | None = None,
) -> dict[str, object]:
    from gpu_reclaim.pipelines.resources import OutputsResource, SettingsResource, WarehouseResource

    return {
        "settings": SettingsResource(
            config_path=str(settings_path) if settings_path else None, vm_url=vm_url, write_back=write_back
        ),
        "warehouse": WarehouseResource(
            database=str(db),
            lock_timeout_seconds=lock_timeout,
            config_path=str(settings_path) if settings_path else None,
        ),
        "outputs": OutputsResource(out_dir=str(out)),
    }


def execute(
    settings_path: Path | None,
    vm_url: str | None,
    db: Path,
    out: Path,
    days: list[date],
    lock_timeout: float = 120.0,
    write_back: bool | None = None,
) -> tuple[RunSummary, float]:
    """Every daily stage for each day, then the reports of the window ending with the last day."""
    from gpu_reclaim.pipelines.definitions import DAILY_ASSETS, WEEKLY_ASSETS
    from gpu_reclaim.pipelines.runner import run_pipeline

    started = time.monotonic()
    with console.status("running the pipeline") as status:
        summary = run_pipeline(
            DAILY_ASSETS,
            WEEKLY_ASSETS,
            resources(settings_path, vm_url, db, out, lock_timeout, write_back),  # type: ignore[arg-type]
            days,
            on_step=lambda step: status.update(f"running the pipeline: {step}"),
        )
    for warning in summary.warnings:
        console.print(f"[yellow]warning:[/] {warning}", highlight=False, soft_wrap=True)
    return summary, time.monotonic() - started


def load_settings(config: Path | None, vm_url: str | None) -> Settings:
    try:
        settings = load_config(config)
    except ConfigError as error:
        raise fail(str(error)) from None
    if vm_url:
        vm = settings.victoria_metrics.model_copy(update={"url": vm_url})
        settings = settings.model_copy(update={"victoria_metrics": vm})
    return settings


def span(index: ReportIndex) -> str:
    last = index.window_end - timedelta(days=1)
    return f"{index.window_start}" if last == index.window_start else f"{index.window_start} to {last}"


def window_text(index: ReportIndex) -> str:
    coverage = index.coverage
    return f"{span(index)}, partial: {coverage.label}" if coverage and coverage.partial else span(index)


def print_outputs(db: Path | None, feed: Path | None, reports: ReportIndex | None, feed_note: str = "") -> None:
    """Where the outputs are: only files this command wrote and that exist now (None: not written)."""
    if reports is not None and reports.coverage is not None and reports.coverage.covered_days == 0:
        console.print(
            f"[yellow]no data[/] in the window {span(reports)}: none of its days holds usage, nodes or pods; "
            "wrote an empty report",
            highlight=False,
            soft_wrap=True,
        )
    if db is not None and db.is_file():
        console.print(f"database:     {db}", highlight=False, soft_wrap=True)
    if feed is not None and feed.is_file():
        console.print(f"ticket feed:  {feed}{feed_note}", highlight=False, soft_wrap=True)
    if reports is not None and reports.overview_html.is_file():
        console.print(
            f"reports:      {reports.overview_html} ({window_text(reports)})", highlight=False, soft_wrap=True
        )


def announce(line: str) -> None:
    console.print(line, highlight=False, markup=False, soft_wrap=True)
