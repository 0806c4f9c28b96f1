"""One pod's never-active devices (pure; `over_requested` in scoring/rules/efficiency.py sums them per workload).

A device is a row of sql/rules_gpu_stats.sql: a whole GPU, a MIG instance (`gpu_instance_id`, `mig_profile`,
`gpu_fraction` = g / the model's compute slices) or a replica of a time-sliced GPU (`gpu_fraction` = 1/N, no
instance). A device never active in the window gives back its share of a GPU, for its observed hours x that share.

- MIG: each instance is judged on its own activity; the pod keeps the instances that worked, counted per profile.
- Time-sliced: a replica's activity is the whole GPU's, so a replica reads never active only when its GPU was idle
  the whole window (exact, as idle is); it gives back 1/N. Replicas on a GPU that worked are all kept.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from gpu_reclaim.scoring.changes import mig_requests_yaml, request_yaml
from gpu_reclaim.scoring.rules.mig import device_share

# single strategy: the node's gpu.product names the profile every device is (NVIDIA-A100-SXM4-80GB-MIG-1g.10gb)
_SINGLE_STRATEGY = re.compile(r"-MIG-\d+g\.\d+gb$", re.IGNORECASE)
REPLICA_RESOURCE = "nvidia.com/gpu"
DEVICE_NOUNS = {"gpu": "GPU(s)", "mig": "MIG instance(s)", "replica": "GPU replica(s)"}


def device_kind(row: dict[str, Any]) -> str:
    """'mig' for a MIG instance, 'replica' for a replica of a time-sliced GPU, 'gpu' for a whole GPU."""
    if row.get("gpu_instance_id") is not None:
        return "mig"
    return "replica" if device_share(row) < 1.0 else "gpu"


def single_strategy(gpu_model: str | None) -> bool:
    """Whether the node's GPU product is a single-strategy MIG product: its pods ask for `nvidia.com/gpu`."""
    return bool(gpu_model) and _SINGLE_STRATEGY.search(str(gpu_model)) is not None


@dataclass(frozen=True)
class PodOverRequest:
    """A pod some of whose devices never worked: what it asked, what it used, what it gives back."""

    pod: str
    kind: str  # 'gpu', 'mig' or 'replica' (a pod of mixed kinds is judged as its kind of largest share)
    gpus_requested: float  # in GPUs: a 1g of an A100 is 1/7
    devices_requested: int
    idle_devices: int
    idle_share: float  # GPUs the never-active devices make
    idle_gpu_hours: float  # Σ observed hours x share of the never-active devices
    active_share: float  # GPUs the devices that worked make
    no_data_share: float  # GPUs requested without any DCGM series: no data, never reclaimable
    idle_nodes: tuple[str, ...]
    active_by_profile: tuple[tuple[str, int], ...]  # MIG: (profile, instances that worked); else (kind, devices)

    @property
    def active_devices(self) -> int:
        return sum(count for _, count in self.active_by_profile)


def devices_requested(rows: list[dict[str, Any]], gpus_requested: float) -> int:
    """The devices a pod asked for: its observed devices plus what its request holds beyond them, in devices of
    its smallest observed share (a whole-GPU pod: its GPU count)."""
    shares = [device_share(row) for row in rows]
    beyond = max(0.0, gpus_requested - sum(shares))
    return len(rows) + round(beyond / min(shares)) if shares else round(gpus_requested)


def judge_pod(
    rows: list[dict[str, Any]], min_devices: int, min_hours: float, max_activity: float
) -> PodOverRequest | None:
    """The pod's over-request, or None: fewer than `min_devices` devices asked for, observed under `min_hours`,
    or not both a never-active device (max activity ≤ `max_activity`) and one that worked."""
    requested = max(float(row["gpus_requested"]) for row in rows)
    if devices_requested(rows, requested) < min_devices:
        return None
    if max(row["observed_hours"] for row in rows) < min_hours:
        return None
    idle = [row for row in rows if row["max_activity"] is not None and row["max_activity"] <= max_activity]
    active = [row for row in rows if (row["max_activity"] or 0.0) > max_activity]
    if not idle or not active:
        return None
    kinds = Counter[str]()
    for row in rows:
        kinds[device_kind(row)] += round(device_share(row) * 1_000_000)
    kind = kinds.most_common(1)[0][0]
    labels = Counter(str(row.get("mig_profile")) if kind == "mig" else kind for row in active)
    return PodOverRequest(
        pod=str(rows[0]["pod"]),
        kind=kind,
        gpus_requested=requested,
        devices_requested=devices_requested(rows, requested),
        idle_devices=len(idle),
        idle_share=sum(device_share(row) for row in idle),
        idle_gpu_hours=sum(float(row["observed_hours"]) * device_share(row) for row in idle),
        active_share=sum(device_share(row) for row in active),
        no_data_share=max(0.0, requested - sum(device_share(row) for row in rows)),
        idle_nodes=tuple(sorted({str(row["node"]) for row in idle})),
        active_by_profile=tuple(sorted(labels.items())),
    )


def smaller_request(workload: str, pod: PodOverRequest, gpu_model: str | None) -> tuple[str, str]:
    """(what to request, the YAML of it) for the pod's devices that worked: whole GPUs and single-strategy MIG
    instances as `nvidia.com/gpu`, mixed-strategy MIG instances as `nvidia.com/mig-<profile>` per profile,
    replicas as `nvidia.com/gpu` (or the renamed resource the node's device plugin advertises)."""
    count = pod.active_devices
    if pod.kind == "mig":
        what = ", ".join(f"{n} {profile} MIG instance(s)" for profile, n in pod.active_by_profile)
        if single_strategy(gpu_model):
            return what, request_yaml(workload, count)
        return what, mig_requests_yaml(workload, dict(pod.active_by_profile))
    if pod.kind == "replica":
        return f"{count} {DEVICE_NOUNS['replica']}", request_yaml(workload, count, REPLICA_RESOURCE)
    return f"{count} {DEVICE_NOUNS['gpu']}", request_yaml(workload, count)
