"""The validated configuration of gpu-reclaim.

One pydantic model, loaded from TOML or YAML. Unknown keys, wrong types and out-of-range values are rejected
before any work starts, with a one-line message that names the key (see :func:`load_config`).
Secrets are never part of this model's values: it only names where they come from (env or file).
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from gpu_reclaim.core.gpu_power import GpuModelPower, default_gpu_power
from gpu_reclaim.core.matchers import canonical_matchers
from gpu_reclaim.core.rule_settings import RecommendationSettings
from gpu_reclaim.core.shared_gpus import SharedGpuSettings
from gpu_reclaim.core.ticket_settings import TicketRoutingSettings
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VictoriaMetricsConfig(_Strict):
    url: str = Field("http://127.0.0.1:8428", description="Base URL of VictoriaMetrics or any Prometheus API.")
    timeout_seconds: float = Field(
        120.0, gt=0, le=3600, description="Per-request timeout: connecting, and each wait for more bytes."
    )
    export_deadline_seconds: float = Field(
        3600.0, gt=0, le=86400, description="Longest one export request may stream (a server that trickles bytes)."
    )
    export_gzip: bool = Field(
        False,
        description="Ask for the export gzip-compressed: ~10x fewer bytes on a slow link, but compressing and "
        "decompressing cost more CPU than the bytes save on a fast one (measured: 4.1 s against 2.0 s for a day).",
    )
    retries: int = Field(3, ge=0, le=10, description="Retries of a failed request, with exponential backoff.")
    backoff_seconds: float = Field(
        1.0, ge=0, le=60, description="First backoff; doubles on each retry, each wait at most 60 s."
    )
    bearer_token_file: Path | None = Field(
        None, description="File holding a bearer token (or env GPU_RECLAIM_VM_BEARER_TOKEN)."
    )
    basic_auth_user: str | None = Field(None, description="User for basic auth (or env GPU_RECLAIM_VM_USER).")
    basic_auth_password_file: Path | None = Field(
        None, description="File holding the basic-auth password (or env GPU_RECLAIM_VM_PASSWORD)."
    )
    verify_tls: bool = True
    matchers: list[str] = Field(
        default_factory=list,
        description="Label matchers added to every query, to limit a run to one cluster: a table "
        '{ cluster = "prod-eu" } or a list [\'cluster="prod-eu"\', \'env=~"prod|staging"\'] (core/matchers.py).',
    )

    @field_validator("matchers", mode="before")
    @classmethod
    def _check_matchers(cls, raw: object) -> list[str]:
        return canonical_matchers(raw)


# The DCGM metrics' roles, in the order the export asks for them (MetricNames holds each one's series name).
DCGM_ROLES = ("gpu_util", "gr_engine_active", "sm_active", "tensor_active", "dram_active", "fb_used", "fb_free",
              "power_usage")  # fmt: skip


class MetricNames(_Strict):
    """Series names; every one can be renamed for a cluster that relabels them."""

    gpu_util: str = "DCGM_FI_DEV_GPU_UTIL"
    gr_engine_active: str = "DCGM_FI_PROF_GR_ENGINE_ACTIVE"
    sm_active: str = "DCGM_FI_PROF_SM_ACTIVE"
    tensor_active: str = "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"
    dram_active: str = "DCGM_FI_PROF_DRAM_ACTIVE"
    fb_used: str = "DCGM_FI_DEV_FB_USED"
    fb_free: str = "DCGM_FI_DEV_FB_FREE"
    power_usage: str = "DCGM_FI_DEV_POWER_USAGE"
    pod_resource_requests: str = "kube_pod_container_resource_requests"
    pod_status_phase: str = "kube_pod_status_phase"
    pod_owner: str = "kube_pod_owner"
    pod_labels: str = "kube_pod_labels"
    pod_annotations: str = "kube_pod_annotations"
    namespace_labels: str = "kube_namespace_labels"
    node_allocatable: str = "kube_node_status_allocatable"
    node_labels: str = "kube_node_labels"
    resource_quota: str = "kube_resourcequota"

    def dcgm(self) -> dict[str, str]:
        """Role -> series name of every DCGM metric."""
        return {role: getattr(self, role) for role in DCGM_ROLES}


class LabelKeys(_Strict):
    """Label keys as kube-state-metrics / dcgm-exporter expose them (CONTRACT.md)."""

    workspace: str = "label_workspace"
    project: str = "label_project"
    provisioning_type: str = "label_provisioning_type"
    category: str = "label_category"
    purpose: str = "label_purpose"
    reclaim_exempt: str = "label_reclaim_exempt"
    reclaim_exempt_annotation: str = "annotation_reclaim_exempt"
    machine_group: str = "label_machine_group"
    gpu_product: str = "label_nvidia_com_gpu_product"
    gpu_share_index_annotation: str = "annotation_alibabacloud_com_gpu_index"
    gpu_resource: str = "nvidia_com_gpu"
    gpu_milli_resource: str = "alibabacloud_com_gpu_milli"
    quota_gpu_resource: str = "requests.nvidia.com/gpu"
    # The external label that tells clusters apart in one VictoriaMetrics (e.g. "cluster"); off by default. When
    # set, each ingested day records which of its values it holds (table cluster_days) and the reports say so.
    cluster_label: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    # dcgm-exporter label variants, first non-empty wins. exported_* come first: after a Prometheus scrape
    # the plain names hold the exporter's own pod, and the GPU holder's move to exported_*.
    dcgm_node: list[str] = Field(default_factory=lambda: ["Hostname", "hostname", "node"])
    dcgm_gpu_index: list[str] = Field(default_factory=lambda: ["gpu"])
    dcgm_gpu_uuid: list[str] = Field(default_factory=lambda: ["UUID", "uuid"])
    dcgm_gpu_model: list[str] = Field(default_factory=lambda: ["modelName"])
    dcgm_namespace: list[str] = Field(default_factory=lambda: ["exported_namespace", "namespace", "pod_namespace"])
    dcgm_pod: list[str] = Field(default_factory=lambda: ["exported_pod", "pod", "pod_name"])
    dcgm_container: list[str] = Field(default_factory=lambda: ["exported_container", "container", "container_name"])


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
    """`[warehouse]`: the DuckDB file."""

    backup_before_migrate: bool = Field(
        True,
        description="Copy the file to <file>.bak-<version> before applying schema migrations; off for large files.",
    )


Settings.model_rebuild()
