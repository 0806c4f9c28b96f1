"""The validated configuration of gpu-reclaim.

One pydantic model, loaded from TOML or YAML. Unknown keys, wrong types and out-of-range values are rejected
before any work starts, with a one-line message that names the key (see :func:`load_config`). The source's
settings (VictoriaMetrics, series names, label keys) are in core/source_settings.py, re-exported here.
Secrets are never part of this model's values: it only names where they come from (env or file).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from gpu_reclaim.core.gpu_power import GpuModelPower, default_gpu_power
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings
from gpu_reclaim.core.source_settings import LabelKeys as LabelKeys
from gpu_reclaim.core.source_settings import MetricNames as MetricNames
from gpu_reclaim.core.source_settings import VictoriaMetricsConfig as VictoriaMetricsConfig
from gpu_reclaim.core.ticket_settings import TicketRoutingSettings
from gpu_reclaim.core.warehouse_limits import DEFAULT_MEMORY_LIMIT, MEMORY_LIMIT_PATTERN
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class UsageConfig(_Strict):
    idle_activity_threshold: float = Field(0.01, gt=0, lt=1, description="Activity below this is idle.")
    low_use_activity_threshold: float = Field(0.10, gt=0, lt=1, description="Activity below this is low use.")
    coverage_warn_share: float = Field(0.95, ge=0, le=1, description="Warn when DCGM covers less of allocation.")

    @model_validator(mode="after")
    def _ordered(self) -> UsageConfig:
        if self.low_use_activity_threshold < self.idle_activity_threshold:
            raise ValueError("usage.low_use_activity_threshold must be >= usage.idle_activity_threshold")
        return self


class GpuModelWeight(_Strict):
    """How much one GPU-hour of a model is worth, relative to an H100 (1.0), and optionally in money."""

    match: str = Field(min_length=1, description="Case-insensitive substring of the GPU model name.")
    h100_equivalent: float = Field(gt=0, le=10)
    price_per_gpu_hour: float | None = Field(None, ge=0)


def _default_gpu_models() -> list[GpuModelWeight]:
    # Relative dense BF16/FP16 tensor throughput from NVIDIA's public datasheets (H100 SXM ~990 TFLOPS,
    # A100 ~312, L40S ~362, A10 ~125, V100 ~125, T4 ~65, P100 ~19): weight = throughput / H100's, rounded.
    return [
        GpuModelWeight(match="H200", h100_equivalent=1.0),
        GpuModelWeight(match="H100", h100_equivalent=1.0),
        GpuModelWeight(match="A100", h100_equivalent=0.32),
        GpuModelWeight(match="L40", h100_equivalent=0.37),
        GpuModelWeight(match="A10", h100_equivalent=0.13),
        GpuModelWeight(match="V100", h100_equivalent=0.13),
        GpuModelWeight(match="T4", h100_equivalent=0.07),
        GpuModelWeight(match="P100", h100_equivalent=0.02),
    ]


class ReportConfig(_Strict):
    window_days: int = Field(7, ge=1, le=92, description="Days in a report window.")
    currency: str = Field("USD", min_length=1, max_length=8)


class Settings(_Strict):
    victoria_metrics: VictoriaMetricsConfig = VictoriaMetricsConfig()
    metrics: MetricNames = MetricNames()
    labels: LabelKeys = LabelKeys()
    step_seconds: int = Field(60, ge=1, le=3600, description="Analysis step: samples are bucketed to it.")
    usage: UsageConfig = UsageConfig()
    gpu_models: list[GpuModelWeight] = Field(default_factory=_default_gpu_models)
    default_h100_equivalent: float = Field(0.3, gt=0, le=10, description="Weight of an unknown GPU model.")
    gpu_power: list[GpuModelPower] = Field(
        default_factory=default_gpu_power, description="Idle and max power per GPU model (core/gpu_power.py)."
    )
    report: ReportConfig = ReportConfig()
    recommendations: RecommendationSettings = RecommendationSettings()
    exempt_workspaces: list[str] = Field(default_factory=list)
    exempt_projects: list[str] = Field(default_factory=list)
    exempt_workloads: list[str] = Field(
        default_factory=list, description="'namespace/owner_kind/owner_name' of exempt workloads."
    )
    write_back: WriteBackSettings = Field(default_factory=lambda: WriteBackSettings())
    warehouse: WarehouseConfig = Field(default_factory=lambda: WarehouseConfig())
    tickets: TicketRoutingSettings = Field(default_factory=TicketRoutingSettings)
    shared_gpus: SharedGpuSettings = Field(default_factory=SharedGpuSettings)


class ConfigError(ValueError):
    """A config file that cannot be used; the message is one line and names the key."""


def _format_validation_error(error: ValidationError, source: str) -> str:
    first = error.errors()[0]
    key = ".".join(str(part) for part in first["loc"]) or "(top level)"
    if first["type"] == "extra_forbidden":
        return f"{source}: unknown key '{key}'"
    return f"{source}: invalid value for '{key}': {first['msg']}"


def settings_from_mapping(raw: dict[str, Any], source: str = "config") -> Settings:
    try:
        return Settings.model_validate(raw)
    except ValidationError as error:
        raise ConfigError(_format_validation_error(error, source)) from None


def load_config(path: Path | None) -> Settings:
    """Read and validate a TOML or YAML file; `None` gives the defaults."""
    if path is None:
        return Settings()
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found")
    text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(text) or {} if path.suffix.lower() in {".yaml", ".yml"} else tomllib.loads(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f"{path}: cannot parse: {str(error).splitlines()[0]}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a table of keys")
    return settings_from_mapping(raw, str(path))


def gpu_model_weight(settings: Settings, gpu_model: str | None) -> GpuModelWeight | None:
    """The first configured model whose `match` is in `gpu_model` (case-insensitive); None when none is."""
    if gpu_model:
        lowered = gpu_model.lower()
        for model in settings.gpu_models:
            if model.match.lower() in lowered:
                return model
    return None


def h100_equivalent_weight(settings: Settings, gpu_model: str | None) -> float:
    """The weight of the matching configured model, else `default_h100_equivalent`."""
    model = gpu_model_weight(settings, gpu_model)
    return model.h100_equivalent if model else settings.default_h100_equivalent


class WriteBackSettings(_Strict):
    """`[write_back]`: import each day's scores into VictoriaMetrics as gpu_reclaim_* series (core/writeback.py).

    `url` is the import base: a single-node server (`http://vm:8428`, the source's URL when unset) or vminsert's
    `http://vminsert:8480/insert/<accountID>/prometheus`. A re-run deletes the day's series before importing them
    again, through `delete_url` (vmselect's `http://vmselect:8481/delete/<accountID>/prometheus` for a cluster;
    the same as `url` for a single node). Credentials are the write-back's own (env or files, never values here).
    """

    enabled: bool = Field(False, description="Import the scores after each day (or `gpu-reclaim run --write-back`).")
    url: str | None = Field(None, description="Import base URL; defaults to victoria_metrics.url.")
    delete_url: str | None = Field(
        None, description="Base URL of delete_series; defaults to `url` (required when `url` is a vminsert URL)."
    )
    format: str = Field(
        "json",
        pattern="^(json|prometheus)$",
        description="json: /api/v1/import (JSON lines); prometheus: /api/v1/import/prometheus (text).",
    )
    timeout_seconds: float = Field(60.0, gt=0, le=3600, description="Per-request timeout.")
    verify_tls: bool = True
    bearer_token_file: Path | None = Field(
        None, description="File holding a bearer token (or env GPU_RECLAIM_WRITE_BACK_BEARER_TOKEN[_FILE])."
    )
    basic_auth_user: str | None = Field(None, description="Basic-auth user (or env GPU_RECLAIM_WRITE_BACK_USER).")
    basic_auth_password_file: Path | None = Field(
        None, description="File holding the basic-auth password (or env GPU_RECLAIM_WRITE_BACK_PASSWORD[_FILE])."
    )
    delete_auth_key_file: Path | None = Field(
        None, description="File holding the server's -deleteAuthKey (or env GPU_RECLAIM_WRITE_BACK_DELETE_AUTH_KEY)."
    )
    cluster: str | None = Field(None, min_length=1, description="Value of the cluster label on every series.")
    cluster_label: str = Field("cluster", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="Name of that label.")
    efficiency_threshold: float = Field(
        0.3, ge=0, le=1, description="Workspace efficiency below which the 3-day alert fires (written as a series)."
    )
    workspace_efficiency_thresholds: dict[str, float] = Field(
        default_factory=dict, description="Per-Workspace overrides of efficiency_threshold."
    )
    retry_days: int = Field(31, ge=0, le=366, description="How many days back a failed write-back is retried.")

    @model_validator(mode="after")
    def _cluster_delete_url(self) -> WriteBackSettings:
        if self.url and "/insert/" in self.url and not self.delete_url:
            raise ValueError(
                "write_back.delete_url is required with a vminsert url "
                "(vmselect's http://<vmselect>:8481/delete/<accountID>/prometheus)"
            )
        if any(not 0 <= value <= 1 for value in self.workspace_efficiency_thresholds.values()):
            raise ValueError("write_back.workspace_efficiency_thresholds values must be between 0 and 1")
        return self


class WarehouseConfig(_Strict):
    """`[warehouse]`: the DuckDB file, and what DuckDB may use of the machine (README "Performance")."""

    backup_before_migrate: bool = Field(
        True,
        description="Copy the file to <file>.bak-<version> before applying schema migrations; off for large files.",
    )
    memory_limit: str = Field(
        DEFAULT_MEMORY_LIMIT,
        description="DuckDB's memory_limit (e.g. '1GB', '6GiB'): past it DuckDB spills to disk; the process's peak "
        "RSS is about this plus ~0.3 GiB. Raise it with the machine or pod's memory for a fleet of thousands of GPUs.",
    )
    threads: int = Field(0, ge=0, le=1024, description="DuckDB's threads; 0 = DuckDB's default (every core).")

    @field_validator("memory_limit")
    @classmethod
    def _duckdb_size(cls, value: str) -> str:
        if not re.fullmatch(MEMORY_LIMIT_PATTERN, value):
            raise ValueError(f"{value!r} is not a size: write a number and a unit, e.g. '1GB', '512MB' or '6GiB'")
        return value


Settings.model_rebuild()
