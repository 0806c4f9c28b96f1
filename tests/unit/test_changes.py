"""The exact change of each rule's ticket (scoring/changes.py), as a person pastes it."""

from __future__ import annotations

import pytest
from gpu_reclaim.scoring.changes import (
    downsize_yaml,
    drain_commands,
    mig_profile,
    quota_patch,
    release_command,
    request_yaml,
    scale_command,
    scale_target,
)


@pytest.mark.parametrize(
    ("workload", "target"),
    [
        ("ReplicaSet/chat-llm-5d6b7c9f8", "deploy/chat-llm"),
        ("ReplicaSet/odd", "replicaset/odd"),
        ("Deployment/web", "deploy/web"),
        ("StatefulSet/kv-cache-warm", "statefulset/kv-cache-warm"),
        ("Job/train", None),
        ("Pod/jupyter-bob", None),
    ],
)
def test_scale_target(workload: str, target: str | None) -> None:
    assert scale_target(workload) == target


def test_serving_scale_command() -> None:
    assert (
        scale_command("search", "ReplicaSet/ranker-7f9c8d6b5", 7)
        == "kubectl -n search scale deploy/ranker --replicas=7"
    )
    assert scale_command("ml", "Job/train", 1) is None


def test_release_scales_down_by_the_idle_pods_or_ends_a_job_or_pod() -> None:
    assert release_command("nb", "StatefulSet/jupyter-alice", 1, ["jupyter-alice-0"]) == (
        "kubectl -n nb scale statefulset/jupyter-alice --replicas=0"
    )
    assert release_command("ml", "Job/train", 2, ["train-0"]) == "kubectl -n ml delete job/train"
    assert release_command("nb", "Pod/jupyter-bob", 1, ["jupyter-bob"]) == "kubectl -n nb delete pod/jupyter-bob"
    assert release_command("x", "Notebook/a", 2, ["b-1", "a-0"]) == "kubectl -n x delete pod a-0 b-1"


def test_quota_patch_is_a_merge_patch_of_the_hard_limit() -> None:
    assert quota_patch("eval-qa", "gpu-quota", "requests.nvidia.com/gpu", 3) == (
        "kubectl -n eval-qa patch resourcequota gpu-quota --type=merge -p "
        """'{"spec":{"hard":{"requests.nvidia.com/gpu":"3"}}}'"""
    )


def test_request_and_mig_yaml() -> None:
    assert request_yaml("Job/big", 2).endswith("resources:\n  limits:\n    nvidia.com/gpu: 2\n")
    assert [mig_profile(gib) for gib in (4.0, 8.0, 12.0, 30.0, 40.0)] == [
        "1g.10gb",
        "1g.10gb",
        "2g.20gb",
        "3g.40gb",
        None,
    ]
    assert downsize_yaml("Job/small", 1, 4.0) == (
        "# Job/small: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/mig-1g.10gb: 1\n"
    )
    assert downsize_yaml("Job/big", 1, 60.0) is None


def test_defrag_cordons_then_drains_the_nodes_to_empty() -> None:
    assert drain_commands(["n-2", "n-1"]) == (
        "kubectl cordon n-1 n-2 && kubectl drain n-1 --ignore-daemonsets --delete-emptydir-data"
        " && kubectl drain n-2 --ignore-daemonsets --delete-emptydir-data"
    )
