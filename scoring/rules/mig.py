"""MIG-aware sizing (pure): which MIG profile a device's peak use fits, and the GPU share a smaller one saves.

A device here is a row of sql/rules_gpu_stats.sql: a whole GPU, or one MIG instance (`gpu_instance_id`,
`mig_profile`, `gpu_fraction` = g / `compute_slices`). Its peak use is max activity x its share of the GPU; a profile
of g' slices fits when that peak and the peak memory share both stay within g' / slices less the headroom.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# The compute-slice sizes NVIDIA offers per model size (7 slices: A100, H100, H200, B200; 4: A30).
PROFILE_SLICES = {7: (1, 2, 3, 4, 7), 4: (1, 2, 4)}


@dataclass(frozen=True)
class MigResize:
    """One device that fits `to_slices` of `compute_slices`: `share_saved` of a GPU for `observed_hours`."""

    uid: str
    pod: str
    node: str
    from_share: float
    to_slices: int
    compute_slices: int
    observed_hours: float
    peak_share: float
    from_instance: bool = False

    @property
    def source(self) -> str:
        """What the device is: '<g>g' for a MIG instance, 'a whole GPU' otherwise."""
        return f"{round(self.from_share * self.compute_slices)}g" if self.from_instance else "a whole GPU"

    @property
    def to_share(self) -> float:
        return self.to_slices / self.compute_slices

    @property
    def share_saved(self) -> float:
        return self.from_share - self.to_share


def fitting_slices(peak_share: float, memory_share: float, compute_slices: int, headroom: float) -> int | None:
    """The fewest slices whose share, less `headroom`, holds both peaks; None when no profile of the model does."""
    for slices in PROFILE_SLICES.get(compute_slices, ()):
        room = slices / compute_slices * (1.0 - headroom)
        if peak_share <= room and memory_share <= room:
            return slices
    return None


def mig_resize(device: dict[str, Any], headroom: float, whole_max_slices: int) -> MigResize | None:
    """A smaller MIG profile for one device: a MIG instance whose use fits fewer slices, or a whole GPU whose use
    never needs more than `whole_max_slices`. None when the model has no MIG, data is missing, or nothing smaller
    fits."""
    slices = device.get("compute_slices")
    max_activity = device.get("max_activity")
    memory = device.get("peak_memory_fraction")
    if not slices or max_activity is None or memory is None or max_activity <= 0:
        return None
    share = float(device.get("gpu_fraction") or 1.0)
    is_instance = device.get("gpu_instance_id") is not None
    if not is_instance and share < 1.0:
        return None  # a time-sliced replica: its activity is the whole GPU's
    peak = float(max_activity) * share
    memory_share = float(memory) * share
    fits = fitting_slices(peak, memory_share, int(slices), headroom)
    if fits is None or fits / slices >= share - 1e-9:
        return None
    if not is_instance and fits > whole_max_slices:
        return None
    return MigResize(
        uid=str(device["uid"]),
        pod=str(device["pod"]),
        node=str(device["node"]),
        from_share=share,
        to_slices=fits,
        compute_slices=int(slices),
        observed_hours=float(device["observed_hours"]),
        peak_share=peak,
        from_instance=is_instance,
    )


def device_share(row: dict[str, Any]) -> float:
    """The share of a GPU a device row stands for (1 for a whole GPU; rows without the column are whole)."""
    value = row.get("gpu_fraction")
    return 1.0 if value is None else float(value)


def devices_share(rows: list[dict[str, Any]]) -> float:
    """The GPUs that distinct devices (pod, GPU, MIG instance) of `rows` make."""
    shares = {(row["uid"], row["gpu_uuid"], row.get("gpu_instance_id")): device_share(row) for row in rows}
    return round(sum(shares.values()), 6)
