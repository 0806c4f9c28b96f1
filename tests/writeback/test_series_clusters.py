"""The write-back series of several clusters (README "Several clusters"): a row's `cluster` column becomes the
cluster label, so the same Machine Group name in two clusters is two series; '' is no label, so a run without
clusters writes exactly the series it wrote before."""

from __future__ import annotations

from datetime import datetime

import pytest
from gpu_reclaim.core.writeback_series import build_series

HOUR = datetime(2026, 11, 23, 5)


def _row(cluster: str, value: float) -> dict[str, object]:
    return {"metric": "gpu_reclaim_machine_group_allocated_gpus", "hour": HOUR, "value": value,
            "cluster": cluster, "machine_group": "h100-sxm", "gpu_model": "H100"}  # fmt: skip


def test_the_same_machine_group_in_two_clusters_is_two_series() -> None:
    series = build_series([_row("demo-west", 6.0), _row("demo-east", 8.0)], {"day": "2026-11-23"})
    assert [(dict(s.labels)["cluster"], s.values) for s in series] == [("demo-east", (8.0,)), ("demo-west", (6.0,))]


def test_cluster_empty_is_no_label_and_the_label_name_is_configurable() -> None:
    (plain,) = build_series([_row("", 6.0)], {"day": "2026-11-23"})
    assert dict(plain.labels) == {
        "__name__": "gpu_reclaim_machine_group_allocated_gpus", "day": "2026-11-23", "machine_group": "h100-sxm",
        "gpu_model": "H100",
    }  # fmt: skip
    (named,) = build_series([_row("demo-east", 6.0)], {}, cluster_label="k8s_cluster")
    assert dict(named.labels)["k8s_cluster"] == "demo-east" and "cluster" not in dict(named.labels)
    # a configured write_back.cluster (one fixed value on every series) wins over the row's
    (fixed,) = build_series([_row("demo-east", 6.0)], {"cluster": "prod"})
    assert dict(fixed.labels)["cluster"] == "prod"


def test_one_cluster_given_twice_is_still_an_error() -> None:
    with pytest.raises(ValueError, match="two values"):
        build_series([_row("demo-east", 6.0), _row("demo-east", 8.0)], {})
