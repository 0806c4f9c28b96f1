"""tickets.jsonl: written atomically from `Ticket`s (a temp file in the same directory, fsync, os.replace)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from gpu_reclaim.scoring.tickets import Ticket


def _umask() -> int:
    """The process umask, read without changing it (os.umask would, for every thread, for a moment)."""
    with contextlib.suppress(OSError, ValueError), open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


def write_feed(path: Path, tickets: Iterable[Ticket]) -> None:
    """Write tickets.jsonl atomically: a temp file in the same directory, fsync, then os.replace."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed below, before the rename
        mode="w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False
    )
    try:
        with handle:
            for ticket in tickets:
                handle.write(ticket.feed_line() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        # NamedTemporaryFile creates 0600; the feed is for other tools to read, like any file written with umask
        os.chmod(handle.name, 0o666 & ~_umask())
        os.replace(handle.name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(handle.name)
        raise
    with contextlib.suppress(OSError):
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
