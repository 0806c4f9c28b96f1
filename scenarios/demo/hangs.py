"""Hangs for the demo cluster (hooked in by layout.py and signals.py): a wedged collective and a memory-bound
job that must not look like one, and the truth of the busy-looking-idle step computed from the values written.

- `vision-ddp-pretrain`: a PyTorchJob of 2 pods × 4 A100s that trains, then wedges for 3 h on day 1
  (02:00-05:00 UTC): one rank (pod 1, its GPU rank 2) dies idle and the seven others spin in an NCCL kernel at
  the published signature (GR_ENGINE_ACTIVE ~1, SM 0.1-0.3, tensor 0, DRAM ~0, power near idle: ~70 W on an A100,
  NVIDIA/nccl#968); then it is restarted from its checkpoint and trains until 09:00.
- `vision-memory-bound`: 2 A100s at ~90 % activity with DRAM at ~0.7 and tensor near 0 (a memory-bound kernel):
  busy-looking, but the DRAM work makes it real; it must not be flagged.

Numbers are fractions as the demo simulator writes them: power is a fraction of (max - idle) above the group's idle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from gpu_reclaim.core.gpu_power import default_gpu_power, gpu_model_power
from gpu_reclaim.core.rule_settings import FakeBusySettings

if TYPE_CHECKING:
    from gpu_reclaim.scenarios.demo.model import DemoCluster, MachineGroup, Pod

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

WEDGED = "wedged"
MEMORY_BOUND = "memory_bound"
BEHAVIOURS = (WEDGED, MEMORY_BOUND)

# Rows of the demo layout (layout.py): namespace, owner kind, name, behaviour, classes, container, Machine Group,
# preferred node per replica, (pods, GPUs each), start and end (day, hour), expected finding, why it is healthy.
LAYOUT: tuple[tuple[Any, ...], ...] = (
    ("vision", "PyTorchJob", "vision-ddp-pretrain", WEDGED, "reserved/training/produce", "trainer",
     "a100-sxm", (4, 2), (2, 4), (0, 6), (1, 9), "wedged_collective", ""),
    ("vision", "Job", "vision-memory-bound", MEMORY_BOUND, "on-demand/training/produce", "trainer",
     "a100-sxm", (3,), (1, 2), (0, 3), (1, 8), "", "memory-bound job (DRAM high): not fake-busy"),
)  # fmt: skip
# Hours from the window start, and which GPU is the odd one out (replica, GPU rank within the pod).
PARAMS: dict[str, tuple[tuple[str, float], ...]] = {
    "vision-ddp-pretrain": (("wedge_from_h", 26.0), ("wedge_to_h", 29.0), ("culprit_replica", 1), ("culprit_rank", 2)),
}


def activity(
    cluster: DemoCluster, pod: Pod, gpu_rank: int, steps: npt.NDArray[np.int64], rng: np.random.Generator
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Raw activity (0-1) of one GPU of a pod of these behaviours on `steps`, and the other metrics' overrides."""
    m = len(steps)
    if pod.workload.behaviour == MEMORY_BOUND:
        act = np.clip(0.9 + rng.normal(0, 0.03, m), 0.8, 0.99)
        return act, {
            "sm": np.clip(0.3 + rng.normal(0, 0.02, m), 0.2, 0.4),
            "tensor": rng.uniform(0.0, 0.01, m),
            "dram": np.clip(0.7 + rng.normal(0, 0.03, m), 0.5, 0.9),
            "power": np.clip(0.5 + rng.normal(0, 0.02, m), 0.3, 0.7),
            "fb": np.full(m, 0.5),
        }
    hours = steps * cluster.scenario.step_seconds / 3600.0
    wedged = (hours >= pod.params["wedge_from_h"]) & (hours < pod.params["wedge_to_h"])
    members = [p for p in cluster.pods if p.workload == pod.workload]
    culprit = members.index(pod) == int(pod.params["culprit_replica"]) and gpu_rank == int(pod.params["culprit_rank"])
    train = np.clip(0.85 + rng.normal(0, 0.04, m), 0.35, 0.99)
    if culprit:  # the dead rank: nothing runs on its GPU, its memory stays held
        spin = {"act": np.zeros(m), "sm": np.zeros(m), "tensor": np.zeros(m), "dram": np.zeros(m),
                "power": rng.uniform(0.0, 0.01, m), "util": np.zeros(m)}  # fmt: skip
    else:  # an NCCL kernel spinning: ~1 block per channel, no tensor or memory work, power near idle
        spin = {"act": 0.985 + rng.uniform(0, 0.015, m), "sm": rng.uniform(0.12, 0.28, m), "tensor": np.zeros(m),
                "dram": rng.uniform(0, 0.002, m), "power": rng.uniform(0.02, 0.05, m),
                "util": np.full(m, 100.0)}  # fmt: skip
    act = np.where(wedged, spin["act"], train)
    return act, {
        "sm": np.where(wedged, spin["sm"], train * 0.78),
        "tensor": np.where(wedged, spin["tensor"], train * 0.46),
        "dram": np.where(wedged, spin["dram"], train * 0.33),
        "power": np.where(wedged, spin["power"], np.clip(train * 0.88, 0, 1)),
        "util": np.where(wedged, spin["util"], np.clip(train * 108.0, 0, 100)),
        "fb": np.full(m, 0.7),
    }


def busy_looking_idle(metrics: dict[str, FloatArray], group: MachineGroup) -> BoolArray:
    """Per step, whether the values written for one GPU are a fake-busy step (the definition of
    sql/create_macros.sql, on the defaults): False where a profiling metric is missing (then it is unknown, and
    unknown steps count as used, like real work)."""
    names = ("DCGM_FI_PROF_GR_ENGINE_ACTIVE", "DCGM_FI_PROF_SM_ACTIVE", "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE")
    power = metrics["DCGM_FI_DEV_POWER_USAGE"]
    entry = gpu_model_power(default_gpu_power(), group.model_name)
    if entry is None or any(name not in metrics for name in (*names, "DCGM_FI_PROF_DRAM_ACTIVE")):
        return np.zeros(len(power), dtype=bool)
    rules = FakeBusySettings()
    limit = entry.idle_w + rules.power_headroom * (entry.max_w - entry.idle_w)
    return np.asarray(
        (metrics["DCGM_FI_PROF_GR_ENGINE_ACTIVE"] >= rules.activity_min)
        & (metrics["DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"] < rules.profiling_max)
        & (metrics["DCGM_FI_PROF_DRAM_ACTIVE"] < rules.profiling_max)
        & (metrics["DCGM_FI_PROF_SM_ACTIVE"] <= rules.sm_active_max)
        & (power < limit),
        dtype=bool,
    )


def annotate_findings(cluster: DemoCluster, findings: list[dict[str, Any]]) -> None:
    """Add the wedge's figures and its odd GPU out to the truth's wedged_collective findings (in place)."""
    for finding in findings:
        if finding["rule"] != "wedged_collective":
            continue
        members = [p for p in cluster.pods if p.workload.ref == finding["workload"] and p.run_end > p.run_start]
        params = members[0].params
        culprit = members[int(params["culprit_replica"])]
        assert culprit.node is not None
        index = culprit.gpu_indexes[int(params["culprit_rank"])]
        finding["gpus_reclaimable"] = 0  # it trained again after the wedge
        finding["wedged_hours"] = params["wedge_to_h"] - params["wedge_from_h"]
        finding["gang_gpus"] = sum(p.gpus for p in members)
        finding["odd_gpu_out"] = {
            "node": culprit.node.name,
            "gpu_index": index,
            "gpu_uuid": culprit.node.gpu_uuid(index),
        }
