"""Node state from allocations: whole and shared GPUs placed on known or free indexes, overcommitment kept and
clamped, and the validation of a pod request."""

from __future__ import annotations

import pytest
from gpu_reclaim.scoring.fragmentation import (
    NodeCapacity,
    PodRequest,
    assign_pods,
)

# -- node state from allocations ------------------------------------------------------------------------------


def test_assign_pods_whole_shared_and_known_indexes() -> None:
    cap = NodeCapacity("n1", "g", "T4", gpus=4, cpu_milli=16000, memory_mib=65536)
    pods = [
        PodRequest("shared-best-fit", cpu_milli=1000, memory_mib=1024, num_gpu=1, gpu_milli=500, node="n1"),
        PodRequest("whole-two", cpu_milli=4000, memory_mib=8192, num_gpu=2, node="n1"),
        PodRequest("shared-on-3", cpu_milli=1000, num_gpu=1, gpu_milli=300, node="n1", gpu_indexes=(3,)),
        PodRequest("whole-on-2", cpu_milli=2000, num_gpu=1, node="n1", gpu_indexes=(2,)),
        PodRequest("pending", num_gpu=1),
    ]
    result = assign_pods([cap], pods)
    # known indexes first: GPU 2 taken whole, GPU 3 has 700 left; the 2-GPU pod takes the lowest fully free
    # GPUs 0 and 1; the 0.5 share goes best fit to the GPU with the least free share that holds it: GPU 3.
    assert result.gpu_indexes == {
        "whole-on-2": (2,),
        "shared-on-3": (3,),
        "whole-two": (0, 1),
        "shared-best-fit": (3,),
    }
    assert result.nodes["n1"].gpu_free_milli == (0, 0, 0, 200)
    assert result.nodes["n1"].cpu_free_milli == 16000 - 8000
    assert result.nodes["n1"].memory_free_mib == 65536 - 9216
    assert result.unplaced == ("pending",)
    assert result.overcommitted == ()


def test_assign_pods_overcommitted_is_kept_and_clamped() -> None:
    cap = NodeCapacity("n1", "g", "T4", gpus=1, cpu_milli=1000, memory_mib=1024)
    pods = [PodRequest("a", num_gpu=1, node="n1"), PodRequest("b", num_gpu=1, gpu_milli=400, node="n1")]
    result = assign_pods([cap], pods)
    assert result.nodes["n1"].gpu_free_milli == (0,)
    assert result.overcommitted == ("b",)


def test_unusable_known_indexes_count_as_unknown() -> None:
    cap = NodeCapacity("n1", "g", "T4", gpus=2, cpu_milli=1000, memory_mib=1024)
    pods = [
        PodRequest("two-named-one", num_gpu=2, node="n1", gpu_indexes=(1,)),
        PodRequest("out-of-range", num_gpu=1, gpu_milli=500, node="n2", gpu_indexes=(7,)),
    ]
    result = assign_pods([cap], pods)
    assert result.gpu_indexes == {"two-named-one": (0, 1)}
    assert result.unplaced == ("out-of-range",)  # n2 is not a known node
    cap2 = NodeCapacity("n2", "g", "T4", gpus=2, cpu_milli=1000, memory_mib=1024)
    # Index 7 does not exist on a 2-GPU node: best fit takes GPU 0.
    assert assign_pods([cap2], pods[1:]).nodes["n2"].gpu_free_milli == (500, 1000)


def test_pod_request_validation() -> None:
    with pytest.raises(ValueError, match="num_gpu == 1"):
        PodRequest("x", num_gpu=2, gpu_milli=500)
    with pytest.raises(ValueError, match=r"1\.\.1000"):
        PodRequest("x", num_gpu=1, gpu_milli=0)
