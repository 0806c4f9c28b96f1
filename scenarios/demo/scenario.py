"""The demo's scenario: its window, step and scale, and the constants the simulator and its truth share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

PHASES = ("Pending", "Running", "Succeeded", "Failed", "Unknown")
PHASE_PENDING, PHASE_RUNNING, PHASE_SUCCEEDED = 0, 1, 2
PENDING_PRELUDE_STEPS = 2
SUCCEEDED_TAIL_STEPS = 5
IDLE_THRESHOLD = 0.01
LOW_USE_THRESHOLD = 0.10
GIB = 1024**3

DCGM_METRICS = (
    "DCGM_FI_DEV_GPU_UTIL",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    "DCGM_FI_PROF_SM_ACTIVE",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    "DCGM_FI_PROF_DRAM_ACTIVE",
    "DCGM_FI_DEV_FB_USED",
    "DCGM_FI_DEV_FB_FREE",
    "DCGM_FI_DEV_POWER_USAGE",
)
PCI_BUSES = (0x18, 0x2A, 0x3A, 0x5D, 0x9A, 0xAB, 0xBA, 0xDB)


# -- scenario ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoScenario:
    start: datetime  # UTC midnight of the first day (a Monday by default, see default_demo_start)
    days: int = 7
    step_seconds: int = 60
    seed: int = 7
    scale: int = 1  # multiplies the node count of every Machine Group, and the workloads with it
    # When True, the exported_* group also carries the exporter pod's own namespace/pod/container labels, as a
    # real Prometheus scrape without honor_labels does (the pipeline must then prefer exported_*).
    scrape_target_labels: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.start.utcoffset() != timedelta(0):
            raise ValueError("DemoScenario.start must be timezone-aware UTC")
        if (self.start.hour, self.start.minute, self.start.second, self.start.microsecond) != (0, 0, 0, 0):
            raise ValueError("DemoScenario.start must be a UTC midnight")
        if self.days < 1:
            raise ValueError("DemoScenario.days must be >= 1")
        if self.step_seconds < 1 or 86400 % self.step_seconds:
            raise ValueError("DemoScenario.step_seconds must divide a day")
        if self.scale < 1:
            raise ValueError("DemoScenario.scale must be >= 1")

    @property
    def steps_per_day(self) -> int:
        return 86400 // self.step_seconds

    @property
    def n_steps(self) -> int:
        return self.days * self.steps_per_day

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    @property
    def dcgm_offset_seconds(self) -> int:
        return self.step_seconds // 20

    @property
    def ksm_offset_seconds(self) -> int:
        return self.step_seconds // 8


def default_demo_start(today: date) -> datetime:
    """Monday 00:00 UTC of the last complete Monday-Sunday week before `today`."""
    this_monday = today - timedelta(days=today.weekday())
    monday = this_monday - timedelta(days=7)
    return datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
