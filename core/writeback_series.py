"""The gpu_reclaim_* series of the write-back, as pure functions: naming, labels and wire formats.

A day's scores become one series per (metric, labels), one sample per hour, timestamped at the start of the hour
it describes (UTC). Every series of a day carries `day="YYYY-MM-DD"` (and the cluster label when configured):
VictoriaMetrics 1.79 can only delete whole series (`delete_series` refuses start/end), so a day is its own set
of series, and a re-run deletes exactly that set before importing it again (see core/writeback.py).
`gpu_reclaim_last_success_timestamp_seconds{stage}` has no day label: one sample per successful run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime

LAST_SUCCESS = "gpu_reclaim_last_success_timestamp_seconds"
DAY_LABEL = "day"

# stage -> the named SQL files whose rows are its series (sql/writeback_*.sql)
STAGE_QUERIES: dict[str, tuple[str, ...]] = {
    "usage": ("writeback_usage.sql", "writeback_workloads.sql", "writeback_workspace_daily.sql"),
    "fragmentation": ("writeback_machine_groups.sql", "writeback_cluster.sql"),
    "tickets": ("writeback_tickets.sql",),
}

# stage -> every metric name it writes (the delete selector of a day's stage, and the dashboards' vocabulary)
STAGE_METRICS: dict[str, tuple[str, ...]] = {
    "usage": (
        "gpu_reclaim_allocated_gpus",
        "gpu_reclaim_used_gpus",
        "gpu_reclaim_idle_gpus",
        "gpu_reclaim_efficiency",
        "gpu_reclaim_idle_h100_equivalent_gpus",
        "gpu_reclaim_workload_held_gpus",
        "gpu_reclaim_workload_idle_gpus",
        "gpu_reclaim_workspace_daily_efficiency",
        "gpu_reclaim_workspace_efficiency_threshold",
    ),
    "fragmentation": (
        "gpu_reclaim_machine_group_capacity_gpus",
        "gpu_reclaim_machine_group_allocated_gpus",
        "gpu_reclaim_machine_group_unallocated_gpus",
        "gpu_reclaim_machine_group_pending_gpus",
        "gpu_reclaim_machine_group_pending_pods",
        "gpu_reclaim_machine_group_free_whole_gpus",
        "gpu_reclaim_machine_group_fragmentation_ratio",
        "gpu_reclaim_machine_group_placeable_8gpu_pods",
        "gpu_reclaim_machine_group_stranded_gpus",
        "gpu_reclaim_machine_group_pending_pods_blocked_by_fragmentation",
        "gpu_reclaim_cluster_fragmentation_ratio",
        "gpu_reclaim_cluster_free_whole_gpus",
        "gpu_reclaim_cluster_placeable_8gpu_pods",
    ),
    "tickets": ("gpu_reclaim_open_tickets", "gpu_reclaim_recoverable_gpu_hours_per_week"),
}

STAGES = tuple(STAGE_QUERIES)


def metric_names() -> frozenset[str]:
    """Every metric name the write-back can produce."""
    return frozenset(name for names in STAGE_METRICS.values() for name in names) | {LAST_SUCCESS}


@dataclass(frozen=True)
class Series:
    """One series: its labels (`__name__` included) and its samples in time order."""

    labels: tuple[tuple[str, str], ...]
    timestamps_ms: tuple[int, ...]
    values: tuple[float, ...]

    @property
    def name(self) -> str:
        return dict(self.labels)["__name__"]


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch; a naive datetime is UTC (DuckDB TIMESTAMPs are)."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    return round(aware.timestamp() * 1000)


def common_labels(day: date | None, cluster_label: str, cluster: str | None) -> dict[str, str]:
    """The labels every series of a day carries: `day`, and the cluster label when a cluster is configured."""
    labels = {cluster_label: cluster} if cluster else {}
    if day is not None:
        labels[DAY_LABEL] = day.isoformat()
    return labels


def build_series(
    records: Iterable[Mapping[str, object]], extra_labels: Mapping[str, str], cluster_label: str = "cluster"
) -> list[Series]:
    """Long-format rows (`metric`, `hour`, `value`, one column per label) → series.

    A NULL label column is no label; a NULL or non-finite value is no sample (VictoriaMetrics would store NaN
    as a sample). Samples are sorted by time; a (series, hour) given twice is an error, not a silent pick.
    A `cluster` column (labels.cluster_label's value, README "Several clusters") is the label `cluster_label`,
    none when '' (so a run without clusters writes the series it wrote before); `extra_labels` win.
    """
    samples: dict[tuple[tuple[str, str], ...], dict[int, float]] = {}
    for record in records:
        value = record["value"]
        if value is None or not math.isfinite(float(value)):  # type: ignore[arg-type]
            continue
        labels = {key: str(label) for key, label in record.items() if key not in ("metric", "hour", "value")}
        labels = {key: label for key, label in labels.items() if record[key] is not None}
        cluster = labels.pop("cluster", "")
        if cluster:
            labels[cluster_label] = cluster
        labels.update(extra_labels)
        labels["__name__"] = str(record["metric"])
        key = tuple(sorted(labels.items()))
        stamp = epoch_ms(record["hour"])  # type: ignore[arg-type]
        points = samples.setdefault(key, {})
        if stamp in points:
            raise ValueError(f"two values for {labels['__name__']} at {record['hour']}: {dict(key)}")
        points[stamp] = float(value)  # type: ignore[arg-type]
    result = []
    for key, points in sorted(samples.items()):
        stamps = sorted(points)
        result.append(Series(key, tuple(stamps), tuple(points[stamp] for stamp in stamps)))
    return result


def last_success_series(stages: Sequence[str], now: datetime, extra_labels: Mapping[str, str]) -> list[Series]:
    """`gpu_reclaim_last_success_timestamp_seconds{stage}` = now, one sample at now, for each stage given."""
    stamp = epoch_ms(now)
    return [
        Series(
            tuple(sorted({**extra_labels, "__name__": LAST_SUCCESS, "stage": stage}.items())),
            (stamp,),
            (stamp / 1000,),
        )
        for stage in sorted(stages)
    ]


def jsonl_lines(series: Iterable[Series]) -> Iterator[bytes]:
    """VictoriaMetrics' JSON-lines import format (/api/v1/import): one line a series."""
    for one in series:
        line = {"metric": dict(one.labels), "values": list(one.values), "timestamps": list(one.timestamps_ms)}
        yield json.dumps(line, separators=(",", ":"), allow_nan=False).encode()


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def prometheus_lines(series: Iterable[Series]) -> Iterator[bytes]:
    """The Prometheus text exposition format with millisecond timestamps (/api/v1/import/prometheus): one line
    a sample."""
    for one in series:
        labels = ",".join(f'{key}="{_escape(value)}"' for key, value in one.labels if key != "__name__")
        head = f"{one.name}{{{labels}}}" if labels else one.name
        for stamp, value in zip(one.timestamps_ms, one.values, strict=True):
            yield f"{head} {value!r} {stamp}".encode()


def prometheus_text(series: Iterable[Series]) -> str:
    """All of prometheus_lines as one text."""
    return "".join(line.decode() + "\n" for line in prometheus_lines(series))


IMPORT_FORMATS = {
    "json": ("/api/v1/import", jsonl_lines),
    "prometheus": ("/api/v1/import/prometheus", prometheus_lines),
}


def encode(series: Iterable[Series], wire_format: str) -> tuple[str, Iterator[bytes]]:
    """The import path and the lines of `series` in a wire format ('json' or 'prometheus')."""
    path, lines = IMPORT_FORMATS[wire_format]
    return path, lines(series)


def stage_selector(stage: str, day: date, cluster_label: str, cluster: str | None) -> str:
    """The series selector of one stage of one day (of one cluster): what a re-run deletes before importing.

    Without a cluster, `cluster=""` keeps the delete off the series of clusters that do set one.
    """
    names = "|".join(STAGE_METRICS[stage])
    return f'{{__name__=~"{names}",{DAY_LABEL}="{day.isoformat()}",{cluster_label}="{_escape(cluster or "")}"}}'
