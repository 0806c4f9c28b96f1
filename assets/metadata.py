"""What the Dagster UI shows of each asset: its owner and kinds, and on every materialisation the row count
(`dagster/row_count`) and a small Markdown preview of the rows written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from dagster import MetadataValue
from gpu_reclaim.core.warehouse import Warehouse, run_sql

OWNERS = ["team:platform"]
KINDS_INGEST = {"victoriametrics", "duckdb"}
KINDS_WAREHOUSE = {"duckdb"}
PREVIEW_ROWS = 5
_CELL_CHARS = 60
_MARKDOWN_SPECIAL = "\\`*_{}[]()#+!|<>"


def _cell(value: object) -> str:
    """One table cell: shortened, on one line, with Markdown and HTML characters escaped (labels are data)."""
    text = "" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)
    text = " ".join(text.split())
    if len(text) > _CELL_CHARS:
        text = text[: _CELL_CHARS - 1] + "…"
    return "".join(f"\\{char}" if char in _MARKDOWN_SPECIAL else char for char in text)


def markdown_table(columns: Sequence[str], rows: Sequence[Sequence[object]], limit: int = PREVIEW_ROWS) -> str:
    """The first `limit` rows as a Markdown table; 'no rows' when there are none."""
    if not rows:
        return "no rows"
    lines = ["| " + " | ".join(_cell(column) for column in columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines.append(f"\n{limit} of {len(rows)} rows")
    return "\n".join(lines)


def preview_metadata(row_count: int, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> dict[str, Any]:
    return {
        "dagster/row_count": MetadataValue.int(row_count),
        "preview": MetadataValue.md(markdown_table(columns, rows)),
    }


def record_preview(row_count: int, records: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> dict[str, Any]:
    """Row count and preview of in-memory records (tickets, deliveries), showing `columns`."""
    return preview_metadata(row_count, columns, [[record.get(column) for column in columns] for record in records])


def day_preview(warehouse: Warehouse, sql_name: str, day: date, row_count: int) -> dict[str, Any]:
    """Row count and preview of one day of a table, from a named preview query (`preview_*.sql`)."""
    with warehouse.connect(read_only=True) as con:
        cursor = run_sql(con, sql_name, {"day": day, "limit": PREVIEW_ROWS})
        columns = [description[0] for description in cursor.description]
        rows = cursor.fetchall()
    return preview_metadata(row_count, columns, rows)
