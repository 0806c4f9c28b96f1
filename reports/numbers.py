"""Numbers written for people: the jinja filters of the report pages, one pure function each.

GPUs are integers, hours whole numbers with thousands separators (one decimal only below 10), shares
percentages with one decimal, money only when prices are set. summary.json and tickets.jsonl keep the full
figures; only the HTML goes through these. Evidence becomes short labelled sentences.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MISSING = "—"
PRICE_HINT = (
    "No prices are set, so no money is shown. To show it, give each GPU model a price per GPU-hour in the "
    'config ([[gpu_models]] match = "H100", h100_equivalent = 1.0, price_per_gpu_hour = 2.5) and set '
    "report.currency."
)


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) or math.isinf(number) else number


def _whole(number: float) -> int:
    """Rounded half away from zero, as people round (2.5 -> 3), not to even."""
    return int(math.copysign(math.floor(abs(number) + 0.5), number))


def gpus(value: float | None) -> str:
    """A GPU count as an integer: 8.0 -> '8'; a fraction of a GPU that rounds to 0 reads '<1'."""
    number = _finite(value)
    if number is None:
        return MISSING
    whole = _whole(number)
    if whole == 0 and number != 0:
        return "<1" if number > 0 else "-<1"
    return f"{whole:,}"


def hours(value: float | None) -> str:
    """Hours: whole numbers with thousands separators ('14,885'), one decimal below 10 ('2.5', '0.3')."""
    number = _finite(value)
    if number is None:
        return MISSING
    if abs(number) < 10:
        text = f"{number:.1f}"
        text = text[:-2] if text.endswith(".0") else text
        return "0" if text in ("0", "-0") else text
    return f"{_whole(number):,}"


def signed_hours(value: float) -> str:
    """A change of hours with its sign: '+295', '-2.5'."""
    text = hours(abs(value))
    if text == "0":
        return "0"
    return ("+" if value > 0 else "-") + text


def share(value: float | None) -> str:
    """A ratio as a percentage with one decimal: 0.4523 -> '45.2%'."""
    number = _finite(value)
    return MISSING if number is None else f"{number * 100:.1f}%"


def percent(value: float | None) -> str:
    """A figure already in percent, one decimal: 18.519 -> '18.5%'."""
    number = _finite(value)
    return MISSING if number is None else f"{number:.1f}%"


def money(value: float | None, currency: str = "") -> str:
    """Money with thousands separators; cents only below 100. Missing (no prices) reads '—'."""
    number = _finite(value)
    if number is None:
        return MISSING
    text = f"{number:,.2f}" if abs(number) < 100 else f"{_whole(number):,}"
    return f"{text} {currency}".strip()


def count(value: int | float | None) -> str:
    """A count with thousands separators."""
    number = _finite(value)
    return MISSING if number is None else f"{_whole(number):,}"


# Evidence keys whose label is not just the key in words, and the kind of figure they hold.
_LABELS: dict[str, str] = {
    "longest_idle_hours": "Longest idle run",
    "longest_idle_start": "Longest idle run from",
    "longest_idle_end": "Longest idle run to",
    "idle_runs": "Idle runs",
    "threshold_hours": "Idle limit",
    "gpus_idle_at_window_end": "GPUs idle at the window's end",
    "idle_since": "Idle since",
    "mean_activity": "Mean activity",
    "p95_activity": "p95 activity",
    "gpu_hard": "Quota (GPUs)",
    "recommended_gpu_hard": "Recommended quota (GPUs)",
    "p95_busy_gpus": "p95 busy GPUs",
    "peak_running_gpus": "Peak running GPUs",
    "mean_power_w": "Mean power",
    "low_use_hours_utc": "Low-use hours (UTC)",
    "placeable_8gpu_before": "8-GPU slots before",
    "placeable_8gpu_after": "8-GPU slots after",
    "fragmentation_ratio_before": "Fragmentation before",
    "fragmentation_ratio_after": "Fragmentation after",
    "gpus_no_data": "GPUs without data",
    "gpu_memory_gib": "GPU memory",
    "peak_memory_gib": "Peak memory",
}
_SHARE_HINTS = ("activity", "fraction", "headroom", "_max", "_min", "target")
_PERCENT_KEYS = ("fragmentation_ratio_before", "fragmentation_ratio_after")


def label(key: str) -> str:
    """An evidence key in words: 'observed_gpu_hours' -> 'Observed GPU-hours'."""
    if key in _LABELS:
        return _LABELS[key]
    words = key.replace("gpu_hours", "GPU-hours").replace("_", " ")
    words = words.replace("gpus", "GPUs").replace("gpu", "GPU").replace("utc", "UTC").replace("p95", "p95")
    return words[:1].upper() + words[1:]


def _number_text(key: str, number: float) -> str:
    if key in _PERCENT_KEYS:
        return percent(number)
    if key.endswith("_gpu_hours"):
        return hours(number)  # the label says GPU-hours
    if key.endswith("_hours"):
        return f"{hours(number)} h"
    if key.endswith("_w"):
        return f"{hours(number)} W"
    if key.endswith("_gib") or "_gib_" in key:
        return f"{hours(number)} GiB"
    if key.endswith("util_min") or key.endswith("gpu_util"):
        return percent(number)  # GPU_UTIL is a percent already
    if "gpus" in key or "replicas" in key:
        return gpus(number)
    if any(hint in key for hint in _SHARE_HINTS) and abs(number) <= 1.5:
        return share(number)
    return count(number) if float(number).is_integer() else hours(number)


def _timestamp_text(text: str) -> str:
    """RFC 3339 '2026-11-20T14:00:00Z' -> '2026-11-20 14:00 UTC'; other text unchanged."""
    if len(text) >= 16 and text[4:5] == "-" and text[10:11] == "T":
        return f"{text[:10]} {text[11:16]} UTC"
    return text


def evidence_value(key: str, value: Any) -> str:
    """One evidence value as a person reads it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return _number_text(key, float(value))
    if isinstance(value, str):
        return _timestamp_text(value)
    if isinstance(value, list):
        if key.endswith("hours_utc"):
            return ", ".join(f"{int(hour):02d}:00" for hour in value) or "none"
        return ", ".join(evidence_value(key, item) for item in value) or "none"
    if isinstance(value, Mapping):
        return "; ".join(f"{name}: {evidence_value(str(name), item)}" for name, item in value.items())
    return json.dumps(value, ensure_ascii=False)


def evidence_sentences(evidence: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The evidence as (label, value) pairs in the ticket's order: 'Longest idle run', '60 h'."""
    return [(label(str(key)), evidence_value(str(key), value)) for key, value in evidence.items()]


FILTERS = {
    "gpus": gpus,
    "hours": hours,
    "pct": share,
    "percent": percent,
    "money": money,
    "count": count,
}
