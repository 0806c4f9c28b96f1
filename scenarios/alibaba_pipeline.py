"""The Alibaba trace through the whole pipeline: replay, import into VictoriaMetrics, ingest, fragmentation.

:func:`run_alibaba_replay` places the trace's pods (:func:`scenarios.alibaba_replay.replay`), writes the placement
as kube-state-metrics series into a private VictoriaMetrics (:class:`gpu_reclaim.core.vmserver.LocalVictoriaMetrics`)
at a fixed past UTC day, runs the pipeline's stages for that day (kube-state ingest, usage, fragmentation) into
a DuckDB file, and reads the per-model figures back from the fragmentation tables (a Machine Group is a GPU
model in the trace). The placement is held constant over the steps, so every hourly snapshot is the same.

``python -m gpu_reclaim.scenarios.alibaba_pipeline --policy first_fit|best_fit --share 0.9`` prints the figures of both
policies (or of the one given) as a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

from gpu_reclaim.assets.fragmentation import fragmentation_day
from gpu_reclaim.assets.stages import compute_usage_day, ingest_kube_state_day
from gpu_reclaim.core.config import Settings, VictoriaMetricsConfig
from gpu_reclaim.core.victoria import VictoriaMetricsClient, series_json_line
from gpu_reclaim.core.vmserver import LocalVictoriaMetrics
from gpu_reclaim.core.warehouse import Warehouse, fetch_records, run_sql
from gpu_reclaim.scenarios.alibaba_replay import (
    DEFAULT_DATA_DIR,
    DEFAULT_TARGET_SHARE,
    Policy,
    ReplayPlacement,
    replay,
)
from gpu_reclaim.scenarios.alibaba_series import iter_replay_import_lines, namespace_of, pod_uid

REPLAY_DAY = date(2026, 11, 2)  # a fixed past UTC day; the local server keeps 100 years
DEFAULT_STEPS = 61  # one hour and one step at 60 s: two hourly snapshots (00:00 and 01:00)
POLICIES: tuple[Policy, ...] = ("first_fit", "best_fit")
T = TypeVar("T")


@dataclass(frozen=True)
class PodMarks:
    """Extra kube-state-metrics facts for one trace pod: a serving category, an exemption, a shared workload.

    ``workload`` names a ReplicaSet that replaces the pod's own owner, so that several trace pods become
    replicas of one workload (the replica-spread rule of the defragmentation plan applies to them).
    """

    serving: bool = False
    exempt: bool = False
    workload: str | None = None


def marked_import_lines(
    placement: ReplayPlacement,
    marks: Mapping[str, PodMarks],
    at: datetime,
    steps: int,
    step_seconds: int,
    settings: Settings,
) -> Iterator[bytes]:
    """:func:`iter_replay_import_lines`, with the owner of marked pods replaced and their labels added."""
    owner_metric = settings.metrics.pod_owner
    for line in iter_replay_import_lines(placement, at, steps, step_seconds, settings=settings):
        if marks and owner_metric.encode() in line:
            metric = json.loads(line)["metric"]
            mark = marks.get(metric.get("pod", ""))
            if metric.get("__name__") == owner_metric and mark is not None and mark.workload is not None:
                continue
        yield line
    stamps = [int(at.timestamp() * 1000) + i * step_seconds * 1000 for i in range(steps)]
    keys = settings.labels
    for name, mark in sorted(marks.items()):
        ident = {"job": "kube-state-metrics", "namespace": namespace_of(name), "pod": name, "uid": pod_uid(name)}
        if mark.workload is not None:
            owner = {"owner_kind": "ReplicaSet", "owner_name": mark.workload, "owner_is_controller": "true"}
            yield series_json_line({"__name__": owner_metric, **ident, **owner}, [1.0] * steps, stamps)
        labels = {keys.category: "serving" if mark.serving else "batch"}
        if mark.exempt:
            labels[keys.reclaim_exempt] = "true"
        yield series_json_line({"__name__": settings.metrics.pod_labels, **ident, **labels}, [1.0] * steps, stamps)


def _timed(runtimes: dict[str, float], name: str, step: Callable[[], T]) -> T:
    """Run `step`, recording its seconds as runtimes[name]."""
    clock = time.perf_counter()
    result = step()
    runtimes[name] = time.perf_counter() - clock
    return result


def _run_stages(
    warehouse: Warehouse, lines: Iterable[bytes], day: date, step_seconds: int, runtimes: dict[str, float]
) -> tuple[int, dict[str, dict[str, int]], list[str]]:
    """Import `lines` into a private VictoriaMetrics, ingest the day's kube-state series, then usage and
    fragmentation: the series imported, the rows of each stage and their warnings."""
    with LocalVictoriaMetrics() as server:
        settings = Settings(victoria_metrics=VictoriaMetricsConfig(url=server.url), step_seconds=step_seconds)
        with VictoriaMetricsClient(settings.victoria_metrics) as client:
            series = _timed(runtimes, "import", lambda: client.import_jsonl(lines))
            ingest = _timed(
                runtimes, "ingest_kube_state", lambda: ingest_kube_state_day(warehouse, client, settings, day)
            )
    usage = _timed(runtimes, "usage", lambda: compute_usage_day(warehouse, settings, day))
    frag = _timed(runtimes, "fragmentation", lambda: fragmentation_day(warehouse, day))
    stage_rows: dict[str, dict[str, int]] = {}
    warnings: list[str] = []
    for name, result in (("ingest_kube_state", ingest), ("usage", usage), ("fragmentation", frag)):
        stage_rows[name] = dict(result.rows)
        warnings += result.warnings
    return series, stage_rows, warnings


def _figures(warehouse: Warehouse, day: date) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    """The day's Machine Groups at the last snapshot, the cluster's (with plan totals), and the snapshots."""
    params = {"day": day}
    with warehouse.connect(read_only=True) as con:
        models = fetch_records(con, "alibaba_group_figures.sql", params)
        cluster_rows = fetch_records(con, "alibaba_cluster_figures.sql", params)
        moves, freed = run_sql(con, "alibaba_plan_totals.sql", params).fetchone() or (0, 0)
        snapshots = int((run_sql(con, "alibaba_snapshots.sql", params).fetchone() or (0,))[0])
    cluster = {**(cluster_rows[0] if cluster_rows else {}), "moves": int(moves), "nodes_freed": int(freed)}
    return models, cluster, snapshots


def run_alibaba_replay(
    policy: Policy,
    target_share: float = DEFAULT_TARGET_SHARE,
    data_dir: Path = DEFAULT_DATA_DIR,
    workdir: Path | None = None,
    step_seconds: int = 60,
    steps: int = DEFAULT_STEPS,
    *,
    day: date = REPLAY_DAY,
    placement: ReplayPlacement | None = None,
    marks: Mapping[str, PodMarks] | None = None,
) -> dict[str, Any]:
    """Replay the trace by ``policy`` to ``target_share`` and run the pipeline on it; figures from DuckDB.

    Returns ``policy``, ``target_share``, ``day``, ``database`` (the DuckDB file in ``workdir``; a temp dir when
    None, then removed, so read the figures from the result), ``placement`` (the replay's
    :class:`ReplayPlacement`, or the one given), ``models`` (one dict per Machine Group = GPU model, from the
    last snapshot of ``machine_group_fragmentation`` and the day's ``defrag_plans``), ``cluster`` (the last
    ``cluster_fragmentation`` row plus plan totals), ``stage_rows`` and ``runtimes`` (seconds per step).
    ``marks`` (by trace pod name) add serving categories, exemptions and shared workloads to the exported
    series (:class:`PodMarks`).
    """
    if steps < 1 or step_seconds < 1:
        raise ValueError("steps and step_seconds must be positive")
    if steps * step_seconds > 86_400:
        raise ValueError("the replayed steps must fit in one UTC day")
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="gpu-reclaim-alibaba-") as tmp:
            return run_alibaba_replay(
                policy,
                target_share,
                data_dir,
                Path(tmp),
                step_seconds,
                steps,
                day=day,
                placement=placement,
                marks=marks,
            )
    workdir.mkdir(parents=True, exist_ok=True)
    runtimes: dict[str, float] = {}
    started = time.perf_counter()
    if placement is None:
        placement = replay(data_dir, policy=policy, target_share=target_share)
    runtimes["replay"] = time.perf_counter() - started
    database = workdir / f"alibaba-{policy}-{round(target_share * 100)}.duckdb"
    database.unlink(missing_ok=True)
    warehouse = Warehouse(database)
    at = datetime(day.year, day.month, day.day, tzinfo=UTC)
    # the import lines name the metrics of the default settings; only the server URL and the step differ
    lines = marked_import_lines(placement, marks or {}, at, steps, step_seconds, Settings(step_seconds=step_seconds))
    series, stage_rows, warnings = _run_stages(warehouse, lines, day, step_seconds, runtimes)
    runtimes["total"] = time.perf_counter() - started
    models, cluster, snapshots = _figures(warehouse, day)
    return {
        "policy": policy,
        "target_share": target_share,
        "day": day,
        "database": database,
        "placement": placement,
        "series_imported": series,
        "snapshots": snapshots,
        "models": models,
        "cluster": cluster,
        "stage_rows": stage_rows,
        "warnings": warnings,
        "runtimes": runtimes,
    }


_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (heading, key, format)
    ("model", "machine_group", "s"),
    ("nodes", "nodes", "d"),
    ("GPUs", "gpus", "d"),
    ("frag %", "fragmentation_ratio", ".1f"),
    ("frag GPUs", "fragmentation_gpus", ".1f"),
    ("free whole", "free_whole_gpus", "d"),
    ("free share", "free_gpu_share", ".1f"),
    ("stranded", "stranded_gpus", "d"),
    ("8-GPU pods", "placeable_8gpu", "d"),
    ("moves", "moves", "d"),
    ("nodes freed", "nodes_freed", "d"),
    ("8-GPU after", "placeable_8gpu_after", "d"),
)


def figures_table(result: dict[str, Any]) -> str:
    """The per-model figures of one run (and a cluster line) as a markdown table."""
    head = "| policy | " + " | ".join(h for h, _, _ in _COLUMNS) + " |"
    rule = "|---|" + "|".join("---" if f == "s" else "---:" for _, _, f in _COLUMNS) + "|"
    cluster = dict(result["cluster"])
    cluster.setdefault("placeable_8gpu_after", None)
    cluster["machine_group"] = "**cluster**"
    lines = [head, rule]
    for row in [*result["models"], cluster]:
        cells = []
        for _, key, fmt in _COLUMNS:
            value = row.get(key)
            cells.append("" if value is None else format(value, fmt))
        lines.append(f"| {result['policy']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def runtime_line(result: dict[str, Any]) -> str:
    times = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in result["runtimes"].items())
    placement: ReplayPlacement = result["placement"]
    return (
        f"{result['policy']} @ {result['target_share']:.0%} requested: {len(placement.placed)} pods placed, "
        f"{len(placement.unplaced)} unplaced, {placement.allocated_share:.1%} of GPUs allocated; "
        f"{result['series_imported']} series, {result['snapshots']} snapshots; {times}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--policy", choices=[*POLICIES, "both"], default="both")
    parser.add_argument("--share", type=float, default=DEFAULT_TARGET_SHARE, help="target requested GPU share")
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    parser.add_argument("--workdir", type=Path, default=None, help="keep the DuckDB files here")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS)
    parser.add_argument("--step-seconds", type=int, default=60)
    args = parser.parse_args(argv)
    policies: tuple[Policy, ...] = POLICIES if args.policy == "both" else (args.policy,)
    for policy in policies:
        result = run_alibaba_replay(policy, args.share, args.data_dir, args.workdir, args.step_seconds, args.steps)
        print(figures_table(result))
        print()
        print(runtime_line(result))
        for warning in result["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
