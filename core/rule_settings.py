"""Typed, documented settings of the reclamation rules and the ticket sinks (`settings.recommendations`).

Defaults and where they come from:
- Idle timeouts per category follow the idle-workload policies of Run:ai (an idle-GPU timeout per workload
  type: interactive workspaces are reclaimed sooner than training) and Princeton's Job Defense Shield
  (jobs whose GPUs show zero utilisation are cancelled after a grace period); test/QA work gets the shortest.
- `low_efficiency` mirrors Job Defense Shield's low-GPU-efficiency alert (mean utilisation under a threshold,
  only above a minimum of GPU-hours so small jobs are not nagged).
- `quota_reclaim` and `serving_overprovisioned` follow KRR's percentile strategy (size to a high percentile of
  observed use plus a buffer) and Kubecost's request right-sizing (recommend, never below observed peak).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SinkSettings(BaseModel):
    """One destination of the ticket feed. Off by default: a disabled sink prints what it would send.

    Secrets never live here: only the names of the environment variables that hold them.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9_-]{1,64}$", description="Key of this sink in ticket_deliveries.")
    kind: Literal["webhook", "slack", "jira"] = Field(description="Generic JSON webhook, Slack, or Jira REST.")
    enabled: bool = Field(default=False, description="False: dry run, print the requests instead of sending.")
    url: str | None = Field(default=None, description="Webhook URL or Jira base URL (or use url_env).")
    url_env: str | None = Field(
        default=None, description="Env var holding the URL (a Slack incoming-webhook URL is a secret)."
    )
    token_env: str | None = Field(
        default=None, description="Env var of a bearer token; for Jira with user_env, the API token."
    )
    user_env: str | None = Field(default=None, description="Env var of the Jira user for basic auth.")
    jira_project_key: str | None = Field(default=None, description="Jira project of created issues.")
    jira_issue_type: str = Field(default="Task", min_length=1, description="Jira issue type of created issues.")
    min_severity: Literal["low", "medium", "high"] = Field(
        default="low", description="Tickets below this severity are not sent."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=300, description="Per-request timeout.")
    retries: int = Field(default=3, ge=0, le=10, description="Retries on 5xx, 429, timeouts, connect errors.")
    backoff_seconds: float = Field(default=1.0, ge=0, le=60, description="First backoff; doubles per retry.")
    cooldown_days: float = Field(
        default=7.0,
        ge=0,
        le=365,
        description="Days after a send before the same ticket is sent again (resolutions are always sent).",
    )

    @model_validator(mode="after")
    def _check(self) -> SinkSettings:
        if (self.url is None) == (self.url_env is None):
            raise ValueError(f"sink {self.name}: set exactly one of url and url_env")
        if self.kind == "jira" and not self.jira_project_key:
            raise ValueError(f"sink {self.name}: jira needs jira_project_key")
        return self


class _RuleSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class IdleAllocationSettings(_RuleSettings):
    """`[recommendations.idle_allocation]`: GPUs idle continuously for their class's threshold."""

    activity_max: float = Field(
        0.01, gt=0, lt=1, description="A GPU step with activity below this is idle (Job Defense Shield: ~0%)."
    )
    hours_by_category: dict[str, float] = Field(
        default_factory=lambda: {"interactive": 2.0, "training": 4.0, "data": 4.0, "unknown": 4.0},
        description="Hours of continuous idleness that make a finding, per workload category (Run:ai idle "
        "timeouts: interactive sooner than training). Categories not listed use `unknown`.",
    )
    hours_by_purpose: dict[str, float] = Field(
        default_factory=lambda: {"test": 1.0, "qa": 1.0},
        description="Per-purpose override of the idle threshold (test/QA work is reclaimed soonest).",
    )
    never_categories: list[str] = Field(
        default_factory=lambda: ["serving"],
        description="Categories never judged by idle_allocation (serving has lulls by design).",
    )

    @model_validator(mode="after")
    def _check(self) -> IdleAllocationSettings:
        for name, table in (("hours_by_category", self.hours_by_category), ("hours_by_purpose", self.hours_by_purpose)):
            if any(hours <= 0 for hours in table.values()):
                raise ValueError(f"{name}: every threshold must be > 0 hours")
        if "unknown" not in self.hours_by_category:
            raise ValueError("hours_by_category must define 'unknown' (the fallback)")
        return self

    def hours_for(self, category: str, purpose: str) -> float | None:
        """The idle threshold of a workload class; None when the class is never judged."""
        if category in self.never_categories:
            return None
        if purpose in self.hours_by_purpose:
            return self.hours_by_purpose[purpose]
        return self.hours_by_category.get(category, self.hours_by_category["unknown"])

    @property
    def shortest_hours(self) -> float:
        return min([*self.hours_by_category.values(), *self.hours_by_purpose.values()])


class LowEfficiencySettings(_RuleSettings):
    """`[recommendations.low_efficiency]`: low mean activity over the window."""

    mean_activity_max: float = Field(
        0.25, gt=0, lt=1, description="Mean activity at or below this over the window is low efficiency."
    )
    min_allocated_gpu_hours: float = Field(
        50.0, ge=0, description="Only workloads that held more GPU-hours than this in the window are judged."
    )
    target_activity: float = Field(
        0.5, gt=0, le=1, description="Activity the consolidated workload should reach; sets GPUs to keep."
    )
    never_categories: list[str] = Field(
        default_factory=lambda: ["serving"],
        description="Categories not judged (serving is judged by serving_overprovisioned).",
    )


class OverRequestedSettings(_RuleSettings):
    """`[recommendations.over_requested]`: pods of several devices (GPUs, MIG instances, replicas), some idle."""

    min_gpus: int = Field(2, ge=2, le=64, description="Only pods with at least this many devices (GPUs, instances).")
    max_activity: float = Field(
        0.0, ge=0, lt=1, description="A GPU whose max activity over the window is at most this never worked."
    )
    min_hours: float = Field(1.0, ge=0, description="Hours a pod must have been observed before its GPUs are judged.")


class FakeBusySettings(_RuleSettings):
    """`[recommendations.fake_busy]`: the busy-looking-idle step (sql/create_macros.sql `busy_looking_idle`):
    activity (GR_ENGINE_ACTIVE, else GPU_UTIL) high while tensor and DRAM activity stay near zero, SM activity
    stays under what a spinning NCCL kernel occupies, and power stays near the model's idle (core/gpu_power.py).
    The same step counts as busy-looking idle in the usage tables, never as used."""

    activity_min: float = Field(0.8, gt=0, le=1, description="Activity at or above this looks busy.")
    profiling_max: float = Field(
        0.02, gt=0, lt=1, description="Tensor and DRAM activity both below this is no real work."
    )
    sm_active_max: float = Field(
        0.35,
        gt=0,
        lt=1,
        description="SM activity at most this: a spinning NCCL kernel holds ~1 block per channel (0.1-0.3).",
    )
    power_headroom: float = Field(
        0.15, gt=0, lt=1, description="Power below idle + this share of (max - idle) is near idle."
    )
    idle_power_percentile: float = Field(
        0.05, gt=0, lt=0.5, description="Idle power of a GPU model not in gpu_power: this percentile of its own."
    )
    min_hours: float = Field(1.0, gt=0, description="Fake-busy hours on a GPU that make a finding.")


class WedgedCollectiveSettings(_RuleSettings):
    """`[recommendations.wedged_collective]`: the GPUs of one multi-GPU workload busy-looking idle together."""

    min_minutes: float = Field(30.0, gt=0, description="Minutes of consecutive wedged steps that make a finding.")
    max_odd_gpus: int = Field(
        1, ge=0, le=64, description="GPUs of the gang that may lack the signature in a wedged step (the culprits)."
    )
    idle_activity_max: float = Field(
        0.01, gt=0, lt=1, description="An odd GPU out whose mean activity in the run is below this is idle."
    )
    gang_owner_kinds: list[str] = Field(
        default_factory=lambda: ["Job", "PyTorchJob", "MPIJob", "TFJob", "JAXJob", "XGBoostJob", "PaddleJob"],
        description="Owner kinds whose pods form one gang; any other pod is a gang of its own GPUs.",
    )


class IdleHeldMemorySettings(_RuleSettings):
    """`[recommendations.idle_held_memory]`: idle GPUs that keep their memory held."""

    activity_max: float = Field(0.01, gt=0, lt=1, description="A GPU step with activity below this is idle.")
    fraction_min: float = Field(
        0.5, gt=0, le=1, description="fb_used / (fb_used + fb_free) at or above this is memory held."
    )
    min_hours: float = Field(1.0, gt=0, description="Continuous hours idle with memory held that make a finding.")
    never_categories: list[str] = Field(
        default_factory=list,
        description="Categories not judged (none by default: an idle serving cache holding memory is waste too).",
    )


class DownsizeProfileSettings(_RuleSettings):
    """`[recommendations.downsize_profile]`: 80 GB-class GPUs whose work fits a smaller GPU or a MIG slice."""

    gpu_memory_gib_min: float = Field(
        70.0, gt=0, description="GPUs with at least this much memory are the 80 GB class."
    )
    peak_memory_gib_max: float = Field(
        10.0, gt=0, description="Peak memory used below this (GiB) fits a smaller GPU or MIG slice."
    )
    tensor_active_max: float = Field(0.1, gt=0, lt=1, description="Mean tensor-core activity below this is low.")
    min_hours: float = Field(4.0, ge=0, description="Observed GPU hours needed before judging.")
    mig_headroom: float = Field(
        0.2, ge=0, lt=1, description="MIG: a profile fits when peak use and memory stay within its share less this."
    )
    whole_gpu_max_slices: int = Field(
        3, ge=1, le=7, description="MIG: a whole-GPU pod is offered a MIG profile of at most this many slices."
    )


class QuotaReclaimSettings(_RuleSettings):
    """`[recommendations.quota_reclaim]`: Project quotas above a percentile of demand plus headroom (KRR)."""

    percentile: float = Field(0.95, gt=0, le=1, description="Percentile of allocation (KRR: p95).")
    headroom: float = Field(1.2, ge=1, le=10, description="Multiplier on the percentile (20% headroom).")


class ServingOverprovisionedSettings(_RuleSettings):
    """`[recommendations.serving_overprovisioned]`: serving replicas that could be fewer."""

    p95_activity_max: float = Field(
        0.3, gt=0, lt=1, description="Serving whose p95 per-GPU activity is at most this is over-provisioned."
    )
    target_activity: float = Field(
        0.6, gt=0, le=1, description="p95 per-GPU activity the remaining replicas should run at."
    )
    min_replicas: int = Field(3, ge=1, le=100, description="Never recommend fewer replicas (HA: 3).")


class SeveritySettings(_RuleSettings):
    """`[recommendations.severity]`: severity from recoverable GPU-hours per week, for every rule."""

    medium_hours_per_week: float = Field(
        24.0, gt=0, description="Recoverable GPU-hours/week at or above this is medium severity."
    )
    high_hours_per_week: float = Field(
        168.0, gt=0, description="Recoverable GPU-hours/week at or above this is high severity (one GPU)."
    )

    @model_validator(mode="after")
    def _check(self) -> SeveritySettings:
        if self.high_hours_per_week < self.medium_hours_per_week:
            raise ValueError("high_hours_per_week must be >= medium_hours_per_week")
        return self

    def level(self, hours_per_week: float) -> Literal["low", "medium", "high"]:
        if hours_per_week >= self.high_hours_per_week:
            return "high"
        if hours_per_week >= self.medium_hours_per_week:
            return "medium"
        return "low"


class RecommendationSettings(BaseModel):
    """`[recommendations]`: one table per rule, the shared severity scale, overlaps and the ticket sinks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    idle_allocation: IdleAllocationSettings = IdleAllocationSettings()
    low_efficiency: LowEfficiencySettings = LowEfficiencySettings()
    over_requested: OverRequestedSettings = OverRequestedSettings()
    fake_busy: FakeBusySettings = FakeBusySettings()
    wedged_collective: WedgedCollectiveSettings = WedgedCollectiveSettings()
    idle_held_memory: IdleHeldMemorySettings = IdleHeldMemorySettings()
    downsize_profile: DownsizeProfileSettings = DownsizeProfileSettings()
    quota_reclaim: QuotaReclaimSettings = QuotaReclaimSettings()
    serving_overprovisioned: ServingOverprovisionedSettings = ServingOverprovisionedSettings()
    severity: SeveritySettings = SeveritySettings()
    suppressed_by: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "idle_allocation": ["over_requested"],
            "idle_held_memory": ["idle_allocation"],
            "low_efficiency": ["idle_allocation", "over_requested", "fake_busy"],
            "downsize_profile": ["fake_busy", "idle_allocation", "idle_held_memory", "over_requested"],
            "fake_busy": ["wedged_collective"],
        },
        description="rule -> rules whose finding on the same workload makes this rule's finding redundant "
        "(one ticket per workload and cause: asking to downsize a fake-busy job helps nobody).",
    )
    sinks: list[SinkSettings] = Field(
        default_factory=list, description="Where tickets are sent; none by default, each off until enabled."
    )
