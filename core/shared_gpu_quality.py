"""One-line warnings for the MIG and time-slicing bad input a day's ingest counted in data_quality."""

from __future__ import annotations

from datetime import date

from gpu_reclaim.core.warehouse import Warehouse, fetch_records

_MESSAGES = {
    "mig_profile_missing": "{n} MIG instance(s) on {day} have no {metric} label: each counts as a whole GPU, "
    "capped at its pod's request",
    "mig_profile_unknown": "{n} MIG instance(s) on {day} have a {metric} that is not <g>g.<mem>gb: each counts as a "
    "whole GPU, capped at its pod's request",
    "replicas_label_missing": "{n} time-sliced node(s) on {day} have no usable {metric} label: their replicas "
    "count as whole GPUs",
    "mig_resource_unknown": "{n} pod(s) on {day} request a MIG resource ({metric}...) that is not <g>g_<mem>gb: "
    "each instance counts as a whole GPU",
    "mig_model_unknown": "{n} MIG node(s) on {day} have a GPU model ({metric}) not in shared_gpus.mig_slices: "
    "their instances use shared_gpus.default_compute_slices",
}
_STAGES = {
    "dcgm": ("mig_profile_missing", "mig_profile_unknown"),
    "shared_gpus": ("replicas_label_missing", "mig_resource_unknown", "mig_model_unknown"),
}


def shared_gpu_warning_lines(rows: list[dict[str, object]], day: date, stage: str) -> list[str]:
    """The warnings of `stage` for the counted rows (rule, metric, affected) of one day."""
    return [
        _MESSAGES[str(row["rule"])].format(n=row["affected"], day=day, metric=row["metric"])
        for row in rows
        if row["rule"] in _STAGES[stage]
    ]


def shared_gpu_warnings(warehouse: Warehouse, day: date, stage: str) -> list[str]:
    with warehouse.connect(read_only=True) as con:
        rows = fetch_records(con, "select_shared_gpu_data_quality.sql", {"day": day})
    return shared_gpu_warning_lines(rows, day, stage)
