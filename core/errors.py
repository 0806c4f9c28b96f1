"""The metrics source's errors, and how an error is shown to a person: one line."""

from __future__ import annotations

import duckdb


def one_line(error: BaseException) -> str:
    """The first line of the error's message (its type's name when it has none), at most 240 characters."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:240]


def named_one_line(error: BaseException, limit: int) -> str:
    """The error's type name and the first line of its message, at most `limit` characters."""
    lines = str(error).strip().splitlines()
    return f"{type(error).__name__}: {lines[0] if lines else ''}"[:limit]


class SourceError(RuntimeError):
    """The metrics source cannot be used; the message is one line naming the URL and what to check."""


class ExportUnsupportedError(SourceError):
    """The server has no /api/v1/export (it is not VictoriaMetrics): read through query_range instead."""


class TooManySeriesError(SourceError):
    """The server refused a query as too large (HTTP 422, or a 400 naming a -search.max* limit): split it."""


class FatalSourceError(SourceError):
    """A failure that asking again cannot fix (credentials refused, a response whose end cannot be verified)."""


def is_query_interrupt(error: BaseException | None) -> bool:
    """SIGINT as DuckDB surfaces it: `RuntimeError('Query interrupted')` when the signal arrived during a query
    (which was then rolled back), or DuckDB's InterruptException (its own interrupt call)."""
    if isinstance(error, KeyboardInterrupt | duckdb.InterruptException):
        return True
    return isinstance(error, RuntimeError) and str(error) == "Query interrupted"
