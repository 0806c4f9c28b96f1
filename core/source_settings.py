"""Where the series come from: the VictoriaMetrics connection, the series names and the label keys
(`[victoria_metrics]`, `[metrics]` and `[labels]` of the config; core/config.py's Settings holds them)."""

from __future__ import annotations

from pathlib import Path

from gpu_reclaim.core.matchers import canonical_matchers
from pydantic import BaseModel, ConfigDict, Field, field_validator


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
