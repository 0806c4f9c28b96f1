"""The base of the report pages' pydantic models: how figures are rounded, the window's coverage and the usage
figures every page shows. Every figure is rounded to `DECIMALS` places when a model is built, so the HTML page and
`summary.json` show the same numbers.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

DECIMALS = 3
CLUSTER_SCOPE = "cluster"  # the whole cluster in fragmentation tables; the pseudo-workspace of cluster tickets
UNPLACED = "unplaced"  # Pending pods not yet bound to a node, in machine_group_usage_hourly and pending_demand


def rounded(value: float | None) -> float | None:
    """A figure as reports show it: `DECIMALS` places, -0.0 folded to 0.0, None kept."""
    if value is None:
        return None
    return round(float(value), DECIMALS) + 0.0


def rounded_hours(value: float | None) -> float:
    """Like :func:`rounded` for sums that are never missing (None counts as 0)."""
    return round(float(value or 0.0), DECIMALS) + 0.0


# A figure rounded when the model is built from a query row: None kept, or None counted as 0.
Figure = Annotated[float | None, BeforeValidator(rounded)]
Hours = Annotated[float, BeforeValidator(rounded_hours)]
Count = Annotated[int, BeforeValidator(int)]
CountOrZero = Annotated[int, BeforeValidator(lambda value: int(value or 0))]  # None counted as 0
Flag = Annotated[bool, BeforeValidator(bool)]  # None counted as False


class PageModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WindowCoverage(PageModel):
    """How many days of a report window hold data, of the days a full window has (`report.window_days`)."""

    expected_days: int
    covered_days: int

    @property
    def partial(self) -> bool:
        return self.covered_days < self.expected_days

    @property
    def label(self) -> str:
        """A partial window reads '3 of 7 days', a full one '7 days'."""
        if self.partial:
            return f"{self.covered_days} of {self.expected_days} days"
        return f"{self.expected_days} days"

    def document(self) -> dict[str, object]:
        """The coverage as summary.json states it."""
        return {
            "window_days": self.expected_days,
            "covered_days": self.covered_days,
            "partial": self.partial,
            "coverage": self.label,
        }


class UsageFigures(PageModel):
    """Allocation against use of a Workspace or Project over one window, in GPU-hours."""

    allocated_gpu_hours: float
    used_gpu_hours: float
    idle_gpu_hours: float
    low_use_gpu_hours: float
    no_data_gpu_hours: float
    # fake-busy steps (migration 0004): observed, never used; shown as "busy-looking but idle"; None in rows
    # written before 0004
    busy_looking_idle_gpu_hours: float | None = None
    efficiency: float | None
    allocated_h100_equivalent_hours: float
    idle_h100_equivalent_hours: float
    gpu_hours_recoverable_per_week: float
    allocated_cost: float | None = None
    idle_cost: float | None = None
    cost_complete: bool = True  # every usage row had a price (not a figure: left out of summary.json's)


# The usage figures summary.json states for a Workspace and each Project, in the model's order.
SUMMARY_FIGURES = tuple(name for name in UsageFigures.model_fields if name != "cost_complete")
