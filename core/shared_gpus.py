"""Configuration of partitioned (MIG) and shared (time-sliced) NVIDIA GPUs, and its bound SQL parameters.

A MIG instance of profile `<g>g.<mem>` is g / (its model's compute slices) of a GPU; the slices per model are a
table here (first case-insensitive substring of the GPU product that matches wins). A time-sliced GPU advertises
N replicas (node label); a pod holding one is allocated 1/N. Every label key and resource name is configurable.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MigSlices(_Strict):
    """The compute slices of one GPU model (7 on A100/H100/H200/B200, 4 on A30)."""

    match: str = Field(min_length=1, description="Case-insensitive substring of the GPU product name.")
    compute_slices: int = Field(ge=1, le=64)


def _default_mig_slices() -> list[MigSlices]:
    return [MigSlices(match=model, compute_slices=7) for model in ("A100", "H100", "H200", "B200")] + [
        MigSlices(match="A30", compute_slices=4)
    ]


class SharedGpuSettings(_Strict):
    """`[shared_gpus]`: MIG and time-slicing (README "MIG and time-sliced GPUs")."""

    mig_slices: list[MigSlices] = Field(default_factory=_default_mig_slices)
    default_compute_slices: int = Field(
        7, ge=1, le=64, description="Slices of a MIG GPU whose model is unknown (counted in data_quality)."
    )
    mig_resource_prefix: str = Field(
        "nvidia_com_mig_", min_length=1, description="kube-state-metrics' name of nvidia.com/mig-<g>g.<mem>gb."
    )
    shared_gpu_resource: str = Field("nvidia_com_gpu_shared", min_length=1, description="A renamed replica.")
    gpu_replicas_label: str = Field("label_nvidia_com_gpu_replicas", min_length=1)
    gpu_sharing_strategy_label: str = Field("label_nvidia_com_gpu_sharing_strategy", min_length=1)
    mig_strategy_label: str = Field("label_nvidia_com_mig_strategy", min_length=1)
    dcgm_gpu_instance_id: list[str] = Field(default_factory=lambda: ["GPU_I_ID"])
    dcgm_gpu_instance_profile: list[str] = Field(default_factory=lambda: ["GPU_I_PROFILE"])
    dcgm_vgpu: list[str] = Field(default_factory=lambda: ["vgpu"])


def shared_gpu_params(shared: SharedGpuSettings) -> dict[str, Any]:
    """Bound parameters of the SQL files that read MIG and time-slicing labels."""
    return {
        "mig_slice_matches": [entry.match.lower() for entry in shared.mig_slices],
        "mig_slice_counts": [entry.compute_slices for entry in shared.mig_slices],
        "default_compute_slices": shared.default_compute_slices,
        "mig_resource_prefix": shared.mig_resource_prefix,
        "shared_gpu_resource": shared.shared_gpu_resource,
        "gpu_replicas_key": shared.gpu_replicas_label,
        "gpu_sharing_strategy_key": shared.gpu_sharing_strategy_label,
        "mig_strategy_key": shared.mig_strategy_label,
        "gpu_instance_id_keys": shared.dcgm_gpu_instance_id,
        "gpu_instance_profile_keys": shared.dcgm_gpu_instance_profile,
        "vgpu_keys": shared.dcgm_vgpu,
    }
