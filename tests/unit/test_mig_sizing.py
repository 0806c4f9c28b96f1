"""MIG sizing (scoring/rules/mig.py), pure: the profile a device's peak fits, and what a smaller one gives back."""

from __future__ import annotations

from typing import Any

import pytest
from gpu_reclaim.scoring.rules.mig import devices_share, fitting_slices, mig_resize


def device(**values: Any) -> dict[str, Any]:
    base = {"uid": "u", "pod": "p", "node": "n", "gpu_uuid": "GPU-0", "observed_hours": 10.0,
            "compute_slices": 7, "max_activity": 0.1, "peak_memory_fraction": 0.05, "gpu_fraction": 1.0,
            "gpu_instance_id": None}  # fmt: skip
    return {**base, **values}


def test_fitting_slices_takes_the_fewest_with_headroom() -> None:
    assert fitting_slices(0.10, 0.05, 7, 0.2) == 1  # 1/7 * 0.8 = 0.114
    assert fitting_slices(0.12, 0.05, 7, 0.2) == 2
    assert fitting_slices(0.30, 0.05, 7, 0.2) == 3
    assert fitting_slices(0.05, 0.40, 7, 0.2) == 4  # memory decides
    assert fitting_slices(0.30, 0.05, 4, 0.2) == 2  # A30: 2/4 * 0.8
    assert fitting_slices(0.90, 0.05, 7, 0.2) is None
    assert fitting_slices(0.10, 0.05, 5, 0.2) is None  # no such model


def test_a_7g_instance_whose_use_fits_a_1g_gives_back_six_sevenths() -> None:
    resize = mig_resize(device(gpu_instance_id="0", max_activity=0.11), 0.2, 3)
    assert resize is not None
    assert (resize.source, resize.to_slices, resize.share_saved) == ("7g", 1, pytest.approx(6 / 7))


def test_a_whole_gpu_gets_a_mig_profile_only_up_to_3g() -> None:
    small = mig_resize(device(max_activity=0.3), 0.2, 3)
    assert small is not None and (small.source, small.to_slices) == ("a whole GPU", 3)
    assert small.share_saved == pytest.approx(4 / 7)
    assert mig_resize(device(max_activity=0.4), 0.2, 3) is None  # needs a 4g: left as a whole GPU


def test_nothing_to_offer() -> None:
    assert mig_resize(device(compute_slices=None), 0.2, 3) is None  # a model without MIG
    assert mig_resize(device(max_activity=0.0), 0.2, 3) is None  # idle: the idle rules' case
    assert mig_resize(device(max_activity=None), 0.2, 3) is None  # no data
    assert mig_resize(device(gpu_fraction=0.25), 0.2, 3) is None  # a time-sliced replica
    one_g = device(gpu_instance_id="7", gpu_fraction=1 / 7, max_activity=0.5)
    assert mig_resize(one_g, 0.2, 3) is None  # a 1g has nothing smaller


def test_devices_share_counts_each_instance_once() -> None:
    rows = [device(gpu_instance_id="1", gpu_fraction=3 / 7), device(gpu_instance_id="1", gpu_fraction=3 / 7),
            device(gpu_instance_id="13", gpu_fraction=1 / 7), device(gpu_uuid="GPU-1")]  # fmt: skip
    assert devices_share(rows) == pytest.approx(4 / 7 + 1)
    assert devices_share([{"uid": "u", "gpu_uuid": "GPU-0"}]) == 1.0  # rows without the columns are whole GPUs
