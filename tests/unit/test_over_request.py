"""One pod's never-active devices (scoring/rules/over_request.py), pure: whole GPUs, MIG instances (each its share
of its GPU, the request per profile) and time-sliced replicas (1/N each, exact only when the GPU was idle)."""

from __future__ import annotations

from typing import Any

import pytest
from gpu_reclaim.scoring.rules.over_request import (
    device_kind,
    devices_requested,
    judge_pod,
    single_strategy,
    smaller_request,
)

ONE_G = 1 / 7


def device(max_activity: float | None, **values: Any) -> dict[str, Any]:
    base = {"uid": "u", "pod": "p-0", "node": "n-1", "gpus_requested": 8.0, "observed_hours": 10.0,
            "gpu_fraction": 1.0, "gpu_instance_id": None, "mig_profile": None}  # fmt: skip
    return {**base, "max_activity": max_activity, **values}


def instance(max_activity: float | None, index: int, profile: str = "1g.10gb", count: int = 4, **values: Any) -> Any:
    g = int(profile.split("g.")[0])
    fields = {"gpu_instance_id": str(index), "mig_profile": profile, "gpu_fraction": g / 7,
              "gpus_requested": count * g / 7, **values}  # fmt: skip
    return device(max_activity, **fields)


def judge(rows: list[dict[str, Any]], min_devices: int = 2, min_hours: float = 1.0) -> Any:
    return judge_pod(rows, min_devices, min_hours, 0.0)


def test_device_kinds() -> None:
    assert device_kind(device(0.5)) == "gpu"
    assert device_kind(instance(0.5, 7)) == "mig"
    assert device_kind(device(0.5, gpu_fraction=0.25)) == "replica"
    assert device_kind({"max_activity": 0.1}) == "gpu"  # rows without the columns are whole GPUs


def test_whole_gpus_count_one_each() -> None:
    pod = judge([device(0.6), device(0.6), *[device(0.0) for _ in range(6)]])
    assert (pod.kind, pod.idle_devices, pod.idle_share, pod.active_devices) == ("gpu", 6, 6.0, 2)
    assert pod.idle_gpu_hours == pytest.approx(60.0)
    assert (pod.devices_requested, pod.no_data_share) == (8, 0.0)


def test_four_1g_instances_two_never_active_give_back_two_sevenths() -> None:
    pod = judge([instance(0.5, 7), instance(0.3, 8), instance(0.0, 9), instance(0.0, 10)])
    assert (pod.kind, pod.devices_requested, pod.idle_devices) == ("mig", 4, 2)
    assert pod.idle_share == pytest.approx(2 * ONE_G)
    assert pod.idle_gpu_hours == pytest.approx(2 * 10.0 * ONE_G)  # hours x share, never whole GPU-hours
    assert pod.active_share == pytest.approx(2 * ONE_G)
    assert pod.active_by_profile == (("1g.10gb", 2),)
    assert pod.gpus_requested == pytest.approx(4 / 7)


def test_an_instance_without_series_is_no_data_not_reclaimable() -> None:
    pod = judge([instance(0.5, 7), instance(0.0, 9), instance(0.0, 10)])  # asked 4, three exported
    assert (pod.devices_requested, pod.idle_devices) == (4, 2)
    assert pod.no_data_share == pytest.approx(ONE_G)
    assert pod.idle_share == pytest.approx(2 * ONE_G)


def test_devices_requested_counts_in_the_smallest_share() -> None:
    assert devices_requested([device(0.5)], 8.0) == 8
    assert devices_requested([instance(0.5, 7)], 4 / 7) == 4
    mixed = [instance(0.5, 1, "3g.40gb", 1), instance(0.0, 7)]  # a 3g and a 1g, 2 x 1g asked beyond: 3/7 + 3/7
    assert devices_requested(mixed, 6 / 7) == 4
    assert devices_requested([], 2.0) == 2


def test_mixed_profiles_keep_the_profiles_that_worked() -> None:
    rows = [instance(0.4, 1, "3g.40gb", gpus_requested=5 / 7), instance(0.2, 7, gpus_requested=5 / 7),
            instance(0.0, 8, gpus_requested=5 / 7), instance(0.0, 9, gpus_requested=5 / 7)]  # fmt: skip
    pod = judge(rows)
    assert pod.active_by_profile == (("1g.10gb", 1), ("3g.40gb", 1))
    assert pod.idle_share == pytest.approx(2 * ONE_G)
    what, change = smaller_request("Job/mix", pod, "NVIDIA-A100-SXM4-80GB")
    assert what == "1 1g.10gb MIG instance(s), 1 3g.40gb MIG instance(s)"
    assert change.endswith("limits:\n    nvidia.com/mig-1g.10gb: 1\n    nvidia.com/mig-3g.40gb: 1\n")


def test_a_single_mig_instance_pod_or_one_under_min_devices_is_not_judged() -> None:
    assert judge([instance(0.0, 7, count=1)]) is None
    assert judge([instance(0.5, 7), instance(0.0, 8)], min_devices=5) is None  # asked 4 < 5
    assert judge([instance(0.5, 7), instance(0.0, 8)], min_devices=4) is not None


def test_nothing_to_give_back() -> None:
    assert judge([instance(0.5, 7), instance(0.5, 8)]) is None  # all worked
    assert judge([instance(0.0, 7), instance(0.0, 8)]) is None  # none worked: idle_allocation's case
    assert judge([instance(0.5, 7), instance(None, 8)]) is None  # no activity figure is not never active
    assert judge([instance(0.5, 7, observed_hours=0.5), instance(0.0, 8, observed_hours=0.5)]) is None  # too short


def test_time_sliced_replicas_count_a_replica_each_only_on_an_idle_gpu() -> None:
    rows = [device(0.0, gpu_fraction=0.25, gpus_requested=0.5), device(0.7, gpu_fraction=0.25, gpus_requested=0.5)]
    pod = judge(rows)
    assert (pod.kind, pod.devices_requested, pod.idle_devices, pod.idle_share) == ("replica", 2, 1, 0.25)
    assert pod.idle_gpu_hours == pytest.approx(2.5)
    what, change = smaller_request("StatefulSet/nb", pod, "NVIDIA-L4")
    assert what == "1 GPU replica(s)" and change.endswith("nvidia.com/gpu: 1\n")


def test_the_change_names_the_resource_the_pod_asks_for() -> None:
    pod = judge([instance(0.5, 7), instance(0.3, 8), instance(0.0, 9), instance(0.0, 10)])
    what, mixed = smaller_request("Job/sweep", pod, "NVIDIA-A100-SXM4-80GB")
    assert what == "2 1g.10gb MIG instance(s)"
    assert (
        mixed == "# Job/sweep: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/mig-1g.10gb: 2\n"
    )
    _, single = smaller_request("Job/sweep", pod, "NVIDIA-A100-SXM4-80GB-MIG-1g.10gb")
    assert single.endswith("limits:\n    nvidia.com/gpu: 2\n")  # single strategy: every device is one 1g
    whole = judge([device(0.6), device(0.6), device(0.0)])
    assert smaller_request("Job/big", whole, "NVIDIA-H100-80GB-HBM3") == (
        "2 GPU(s)",
        "# Job/big: pod template, the GPU container\nresources:\n  limits:\n    nvidia.com/gpu: 2\n",
    )


def test_single_strategy_products() -> None:
    assert single_strategy("NVIDIA-A100-SXM4-80GB-MIG-1g.10gb")
    assert single_strategy("NVIDIA-H100-80GB-HBM3-MIG-3G.40GB")
    assert not single_strategy("NVIDIA-A100-SXM4-80GB")
    assert not single_strategy(None)
