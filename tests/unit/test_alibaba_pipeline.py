"""The Alibaba pipeline scenario's pure parts: marked import lines and the figures table."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from gpu_reclaim.core.config import Settings
from gpu_reclaim.scenarios.alibaba_pipeline import PodMarks, figures_table, marked_import_lines
from gpu_reclaim.scenarios.alibaba_replay import ReplayPlacement
from gpu_reclaim.scenarios.alibaba_series import pod_uid
from gpu_reclaim.scoring.fragmentation import NodeCapacity, PodRequest

PLACEMENT = ReplayPlacement(
    policy="best_fit",
    target_share=0.9,
    nodes=(NodeCapacity("n0", "G2", "G2", 2, 8000, 1024),),
    placed=(
        PodRequest("a", cpu_milli=1000, num_gpu=1, node="n0", gpu_indexes=(0,)),
        PodRequest("b", cpu_milli=1000, num_gpu=1, gpu_milli=500, node="n0", gpu_indexes=(1,)),
    ),
    unplaced=(),
    qos={"a": "LS", "b": "BE"},
    requested_gpu_milli=1500,
    reached=True,
)


def test_marks_replace_the_owner_and_add_labels() -> None:
    settings = Settings()
    marks = {"a": PodMarks(serving=True, workload="svc"), "b": PodMarks(exempt=True)}
    at = datetime(2026, 11, 2, tzinfo=UTC)
    lines = [json.loads(line) for line in marked_import_lines(PLACEMENT, marks, at, 2, 60, settings)]
    owners = {
        m["metric"]["pod"]: m["metric"]["owner_name"] for m in lines if m["metric"]["__name__"] == "kube_pod_owner"
    }
    assert owners == {"a": "svc", "b": "b-job"}  # one owner series per pod: a's own ReplicaSet is gone
    labels = {m["metric"]["pod"]: m["metric"] for m in lines if m["metric"]["__name__"] == "kube_pod_labels"}
    assert labels["a"]["label_category"] == "serving" and "label_reclaim_exempt" not in labels["a"]
    assert labels["b"]["label_category"] == "batch" and labels["b"]["label_reclaim_exempt"] == "true"
    assert labels["a"]["uid"] == pod_uid("a")
    assert all(m["timestamps"] == lines[0]["timestamps"] for m in lines)
    # Without marks the lines are the replay's own.
    plain = [json.loads(line) for line in marked_import_lines(PLACEMENT, {}, at, 2, 60, settings)]
    assert not any(m["metric"]["__name__"] == "kube_pod_labels" for m in plain)
    assert len(plain) == len(lines) - 2


def test_figures_table() -> None:
    result = {
        "policy": "first_fit",
        "models": [
            {
                "machine_group": "G2",
                "nodes": 1,
                "gpus": 8,
                "fragmentation_ratio": 12.345,
                "fragmentation_gpus": 0.5,
                "free_whole_gpus": 3,
                "free_gpu_share": 4.0,
                "stranded_gpus": 0,
                "placeable_8gpu": 0,
                "moves": 2,
                "nodes_freed": 1,
                "placeable_8gpu_after": 1,
            }
        ],
        "cluster": {"nodes": 1, "gpus": 8, "moves": 2, "nodes_freed": 1, "day": date(2026, 11, 2)},
    }
    table = figures_table(result).splitlines()
    assert table[0].startswith("| policy | model | nodes |")
    assert table[2] == "| first_fit | G2 | 1 | 8 | 12.3 | 0.5 | 3 | 4.0 | 0 | 0 | 2 | 1 | 1 |"
    assert table[3].startswith("| first_fit | **cluster** | 1 | 8 |")
