"""Per-GPU metric values over the window: each pod's activity by behaviour, and the power and memory it implies."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from gpu_reclaim.scenarios.demo import hangs as demo_hangs
from gpu_reclaim.scenarios.demo.model import DemoCluster, Node, Pod, seeded_rng
from gpu_reclaim.scenarios.demo.scenario import IDLE_THRESHOLD, LOW_USE_THRESHOLD, BoolArray, DemoScenario, FloatArray


def _round(values: FloatArray, decimals: int) -> FloatArray:
    scale = 10.0**decimals
    return np.rint(values * scale) / scale  # an integer / 10**k is the double nearest the decimal


def _avoid(values: FloatArray, exact: tuple[float, ...], bump: float) -> FloatArray:
    for threshold in exact:
        values = np.where(values == threshold, threshold + bump, values)
    return values


def profiling_metrics(act: FloatArray, fb_used: FloatArray, fb_total: float) -> dict[str, FloatArray]:
    """The DCGM profiling metrics and framebuffer of a GPU (or MIG instance) whose GR_ENGINE_ACTIVE is `act`, as the
    demo-east and shared-GPU series write them (the main cluster's come from gpu_values)."""
    return {
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE": act,
        "DCGM_FI_PROF_SM_ACTIVE": np.round(act * 0.8, 4),
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE": np.round(act * 0.4, 4),
        "DCGM_FI_PROF_DRAM_ACTIVE": np.round(act * 0.3, 4),
        "DCGM_FI_DEV_FB_USED": fb_used,
        "DCGM_FI_DEV_FB_FREE": fb_total - fb_used,
    }


@dataclass
class _GpuValues:
    """Every DCGM metric of one GPU over the window (rounded), who holds it, and which steps have samples."""

    holder: npt.NDArray[np.int32]  # index into the GPU's holder list, -1 when free
    present: BoolArray
    metrics: dict[str, FloatArray]
    activity: FloatArray  # what the pipeline computes: GR_ENGINE_ACTIVE, or GPU_UTIL / 100 without it


def _hour_of_day(scenario: DemoScenario, steps: npt.NDArray[np.int64]) -> tuple[FloatArray, FloatArray]:
    seconds = steps * scenario.step_seconds
    hours = (seconds % 86400) / 3600.0
    weekday = ((seconds // 86400) + scenario.start.weekday()) % 7
    return hours.astype(np.float64), weekday.astype(np.float64)


def _pod_activity(
    cluster: DemoCluster, pod: Pod, gpu_rank: int, steps: npt.NDArray[np.int64]
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Raw activity (0-1) of one GPU of a pod on `steps`, and overrides of the other metrics (fractions)."""
    sc = cluster.scenario
    rng = seeded_rng(sc.seed, pod.uid, str(gpu_rank))
    m = len(steps)
    hours, weekday = _hour_of_day(sc, steps)
    behaviour = pod.workload.behaviour
    extra: dict[str, FloatArray] = {}
    if behaviour == "busy":
        act = np.clip(0.83 + rng.normal(0, 0.05, m), 0.35, 0.99)
        checkpoint = (steps * sc.step_seconds) % 7200 < 2 * sc.step_seconds
        act = np.where(checkpoint, 0.18 + rng.uniform(0, 0.05, m), act)
        extra["fb"] = np.clip(0.72 + rng.normal(0, 0.01, m), 0.6, 0.9)
    elif behaviour == "late_idle":
        busy_steps = round(pod.params["busy_hours"] * 3600 / sc.step_seconds)
        busy = steps < pod.run_start + busy_steps
        act = np.where(busy, np.clip(0.8 + rng.normal(0, 0.05, m), 0.35, 0.99), rng.uniform(0, 0.004, m))
        extra["fb"] = np.where(busy, 0.7, 0.01 + rng.uniform(0, 0.002, m))
    elif behaviour == "notebook":
        working = (weekday < 5) & (((hours >= 10) & (hours < 11.5)) | ((hours >= 14) & (hours < 15)))
        act = np.where(working, np.clip(0.35 + rng.normal(0, 0.08, m), 0.12, 0.9), 0.0)
        extra["fb"] = np.full(m, 0.22)
    elif behaviour == "serving":
        diurnal = 0.5 - 0.5 * np.cos(2 * np.pi * (hours - 4.0) / 24.0)  # 0 at 04:00, 1 at 16:00
        weekend = np.where(weekday >= 5, 0.5, 1.0)
        act = np.clip(0.09 + 0.55 * diurnal * weekend + rng.normal(0, 0.015, m), 0.06, 0.95)
        extra["fb"] = np.full(m, 0.55)
    elif behaviour == "data":
        act = np.clip(0.52 + rng.normal(0, 0.12, m), 0.15, 0.95)
        extra["fb"] = np.clip(0.4 + rng.normal(0, 0.02, m), 0.2, 0.6)
    elif behaviour == "over_requested":
        if gpu_rank < int(pod.params["active_gpus"]):
            act = np.clip(0.72 + rng.normal(0, 0.06, m), 0.3, 0.99)
            extra["fb"] = np.full(m, 0.65)
        else:
            act = np.zeros(m)
            extra["fb"] = np.full(m, 0.006)  # a CUDA context, nothing more
    elif behaviour == "fake_busy":
        act = 0.97 + rng.uniform(0, 0.025, m)
        extra["util"] = 99.0 + rng.uniform(0, 1.0, m)
        extra["sm"] = 0.008 + rng.uniform(0, 0.004, m)
        extra["tensor"] = np.zeros(m)
        extra["dram"] = rng.uniform(0, 0.0003, m)
        extra["power"] = rng.uniform(0.02, 0.05, m)
        extra["fb"] = np.full(m, 0.02)
    elif behaviour == "held_memory":
        act = np.zeros(m)
        extra["fb"] = np.clip(0.9 + rng.normal(0, 0.01, m), 0.85, 0.95)
    elif behaviour == "idle":
        act = np.zeros(m)
        extra["fb"] = np.full(m, 0.08)
    elif behaviour == "low":
        act = 0.03 + rng.uniform(0, 0.04, m)
        extra["fb"] = np.full(m, 0.15)
    elif behaviour in demo_hangs.BEHAVIOURS:
        act, extra = demo_hangs.activity(cluster, pod, gpu_rank, steps, rng)
    else:  # pragma: no cover - pending pods hold no GPU
        raise ValueError(f"no activity for behaviour {behaviour}")
    return act, extra


def gpu_values(cluster: DemoCluster, node: Node, index: int) -> _GpuValues:
    sc = cluster.scenario
    group = node.group
    n = sc.n_steps
    rng = seeded_rng(sc.seed, node.name, str(index), "free")
    holder = np.full(n, -1, dtype=np.int32)
    present = np.ones(n, dtype=bool)
    act = np.zeros(n)
    util = np.zeros(n)
    sm = np.zeros(n)
    tensor = np.zeros(n)
    dram = np.zeros(n)
    fb_frac = np.zeros(n)
    power_frac = rng.uniform(0.0, 0.02, n)
    for k, pod in enumerate(cluster.holders.get((node.name, index), [])):
        a, b = pod.run_start, pod.run_end
        steps = np.arange(a, b, dtype=np.int64)
        rank = pod.gpu_indexes.index(index)
        pod_act, extra = _pod_activity(cluster, pod, rank, steps)
        prng = seeded_rng(sc.seed, pod.uid, str(rank), "aux")
        holder[a:b] = k
        act[a:b] = pod_act
        if "util" in extra:
            util[a:b] = extra["util"]
        else:
            noisy = np.clip(pod_act * 108.0 + prng.normal(0, 1.5, b - a), 0, 100)
            util[a:b] = np.where(pod_act > 0, noisy, 0.0)
        sm[a:b] = extra.get("sm", pod_act * 0.78)
        tensor[a:b] = extra.get("tensor", pod_act * 0.46)
        dram[a:b] = extra.get("dram", pod_act * 0.33)
        fb_frac[a:b] = extra["fb"]
        power_frac[a:b] = extra.get("power", np.clip(pod_act * 0.88 + prng.normal(0, 0.01, b - a), 0, 1))
        if pod.no_data is not None:
            present[pod.no_data[0] : pod.no_data[1]] = False
    metrics: dict[str, FloatArray] = {}
    if group.has_prof:
        gr = _avoid(_round(act, 4), (IDLE_THRESHOLD, LOW_USE_THRESHOLD), 0.0001)
        metrics["DCGM_FI_DEV_GPU_UTIL"] = _round(util, 1)
        metrics["DCGM_FI_PROF_GR_ENGINE_ACTIVE"] = gr
        metrics["DCGM_FI_PROF_SM_ACTIVE"] = _round(sm, 4)
        metrics["DCGM_FI_PROF_PIPE_TENSOR_ACTIVE"] = _round(tensor, 4)
        metrics["DCGM_FI_PROF_DRAM_ACTIVE"] = _round(dram, 4)
        activity = gr
    else:
        util_pct = _avoid(_round(np.where(holder >= 0, act * 100.0, util), 1), (1.0, 10.0), 0.1)
        metrics["DCGM_FI_DEV_GPU_UTIL"] = util_pct
        activity = util_pct / 100.0
    fb_used = np.rint(fb_frac * group.fb_total_mib)
    metrics["DCGM_FI_DEV_FB_USED"] = fb_used
    metrics["DCGM_FI_DEV_FB_FREE"] = group.fb_total_mib - fb_used
    metrics["DCGM_FI_DEV_POWER_USAGE"] = _round(group.idle_watts + (group.max_watts - group.idle_watts) * power_frac, 1)
    return _GpuValues(holder, present, metrics, activity)
