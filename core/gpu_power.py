"""Idle and maximum board power per GPU model (`[[gpu_power]]`): the fake-busy signature's power condition is
relative to them (power < idle + power_headroom × (max − idle)), because one fixed wattage means nothing across
models (a T4 never reaches 150 W; an idle B200 draws more).

Defaults, matched in order: an entry matches when every word of `match` starts a word of the model name
(case-insensitive; '-' and '_' separate words), so the dcgm-exporter `modelName` "NVIDIA A100-SXM4-80GB" and the
node label "NVIDIA-A100-SXM4-80GB" both match "A100", and "NVIDIA A100 80GB PCIe" matches "A100 PCIe":
- max_w: the board power (TDP / max power) of NVIDIA's datasheet for that model: H200 SXM 700 W, H100 SXM5 700 W,
  H100 PCIe 350 W, A100 SXM4 400 W, A100 PCIe 300 W (80 GB), L40S 350 W, L40 300 W, A10 150 W, V100 SXM2 300 W,
  V100 PCIe 250 W, T4 70 W, P100 PCIe 250 W, GB10 (DGX Spark) 140 W (the superchip's TDP).
- idle_w: a GPU at P0 with a CUDA context and nothing running, as public nvidia-smi / DCGM readings report it
  (rounded; the NCCL hang report NVIDIA/nccl#968 puts a hung A100 at ~70 W, above its ~55 W idle). Idle draw varies
  by board, cooling and driver by ±10-20 W: set your fleet's own figures when they differ.
A GPU whose model matches no entry gets idle_w from its own low percentile of power over the window
(`recommendations.fake_busy.idle_power_percentile`, p05) and max_w from the highest power seen on any GPU of the
same model in the window; `power_source` records which ('table' or 'observed_p05').
"""

from __future__ import annotations

import csv
import io
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

DEFAULTS_FILE = "gpu_power_defaults.csv"  # match, idle_w, max_w, source: one row a model, matched in order


class GpuModelPower(BaseModel):
    """One GPU model's idle and maximum board power, in watts, and where the figures come from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    match: str = Field(min_length=1, description="Words that start words of the GPU model name (case-insensitive).")
    idle_w: float = Field(gt=0, le=5000, description="Power of the idle GPU (P0, context loaded), W.")
    max_w: float = Field(gt=0, le=5000, description="Board power limit (datasheet TDP), W.")
    source: str = Field("", description="Where the figures come from (datasheet, measurement).")

    @field_validator("max_w")
    @classmethod
    def _above_idle(cls, value: float, info: ValidationInfo) -> float:
        idle = info.data.get("idle_w")
        if idle is not None and value <= idle:
            raise ValueError(f"must be greater than idle_w ({idle:g} W)")
        return value


def default_gpu_power() -> list[GpuModelPower]:
    """Published defaults (gpu_power_defaults.csv) for every model of the default weights table (and GB10);
    specific variants first."""
    text = resources.files("gpu_reclaim.core").joinpath(DEFAULTS_FILE).read_text(encoding="utf-8")
    return [GpuModelPower.model_validate(row) for row in csv.DictReader(io.StringIO(text))]


def _words(name: str) -> list[str]:
    return name.lower().replace("-", " ").replace("_", " ").split()


def gpu_model_power(table: list[GpuModelPower], gpu_model: str | None) -> GpuModelPower | None:
    """The first entry each of whose words starts a word of `gpu_model` (case-insensitive); None when none does."""
    if gpu_model:
        words = _words(gpu_model)
        for entry in table:
            if all(any(word.startswith(part) for word in words) for part in _words(entry.match)):
                return entry
    return None
