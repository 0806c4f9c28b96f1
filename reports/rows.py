"""From query rows to the page models: validation by the models' field types, the window's parameters, and the
figures computed from two columns."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

import duckdb
from gpu_reclaim.core.warehouse import run_sql
from gpu_reclaim.reports.model_base import rounded
from gpu_reclaim.reports.numbers import evidence_sentences, evidence_value
from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


def from_row(model: type[ModelT], row: Mapping[str, Any], **overrides: Any) -> ModelT:
    """A page model validated from one query row (the columns it has fields for), then `overrides`; the
    model's field types round the figures."""
    fields = model.model_fields
    return model.model_validate({**{key: value for key, value in row.items() if key in fields}, **overrides})


def window_params(window_start: date, window_end: date) -> dict[str, Any]:
    return {"window_start": window_start, "window_end": window_end}


def window_clusters(con: duckdb.DuckDBPyConnection, window_start: date, window_end: date) -> list[str]:
    """The clusters whose nodes or usage the window holds ('' for no cluster label); more than one: the overview's
    Machine Group, capacity, occupancy, fragmentation and defrag tables show a Cluster column."""
    rows = run_sql(con, "report_window_clusters.sql", window_params(window_start, window_end)).fetchall()
    return [str(row[0]) for row in rows]


def efficiency(used: float | None, allocated: float | None) -> float | None:
    """used / allocated, None when nothing was allocated."""
    if not allocated or allocated <= 0:
        return None
    return rounded((used or 0.0) / allocated)


def percentile(values: Sequence[float], share: float) -> float:
    """Linear-interpolated percentile (as DuckDB's quantile_cont); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    position = share * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


# Evidence keys the pages show in their own columns (and never as "none" when prices are not set).
_SHOWN_ELSEWHERE = ("h100_equivalent_hours_recoverable_per_week", "cost_recoverable_per_week")


def evidence_labels(raw: str | None) -> dict[str, str]:
    """The ticket's evidence as short labelled sentences, label -> value as a person reads it
    ('Longest idle run' -> '60 h'); the recoverable H100-equivalent hours and money have their own columns."""
    if not raw:
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        return {"Evidence": evidence_value("evidence", parsed)}
    shown = {key: value for key, value in parsed.items() if key not in _SHOWN_ELSEWHERE}
    return dict(evidence_sentences(shown))
