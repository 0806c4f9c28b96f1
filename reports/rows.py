"""From query rows to the page models: validation by the models' field types, the window's parameters, and the
figures computed from two columns."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from gpu_reclaim.reports.models import rounded
from pydantic import BaseModel

ModelT = TypeVar("ModelT", bound=BaseModel)


def from_row(model: type[ModelT], row: Mapping[str, Any], **overrides: Any) -> ModelT:
    """A page model validated from one query row (the columns it has fields for), then `overrides`; the
    model's field types round the figures."""
    fields = model.model_fields
    return model.model_validate({**{key: value for key, value in row.items() if key in fields}, **overrides})


def window_params(window_start: date, window_end: date) -> dict[str, Any]:
    return {"window_start": window_start, "window_end": window_end}


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


def evidence_labels(raw: str | None) -> dict[str, str]:
    """The ticket's evidence as label -> printable value (nested values as compact JSON)."""
    if not raw:
        return {}
    parsed = json.loads(raw)
    if not isinstance(parsed, dict):
        return {"evidence": json.dumps(parsed, ensure_ascii=False)}
    return {
        str(key): value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        for key, value in parsed.items()
    }
