"""The exact change a ticket asks for, as text a person pastes: a kubectl command, a ResourceQuota patch or the
YAML of a smaller request (pure; each rule picks one, tests/unit/test_changes.py checks each)."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping

# a ReplicaSet made by a Deployment is named <deployment>-<pod-template-hash> (digits and consonants, 5-10 long)
_TEMPLATE_HASH = re.compile(r"^(?P<deployment>.+)-[0-9bcdfghjklmnpqrstvwxz]{5,10}$")
GPU_RESOURCE = "nvidia.com/gpu"
# MIG profiles of the 80 GB A100/H100, smallest first: (profile, memory GiB)
MIG_PROFILES = (("1g.10gb", 10.0), ("2g.20gb", 20.0), ("3g.40gb", 40.0))
MIG_HEADROOM = 1.25


def _kubectl(namespace: str, *args: str) -> str:
    return shlex.join(["kubectl", "-n", namespace, *args])


def scale_target(workload: str) -> str | None:
    """What `kubectl scale` acts on for a workload (`deploy/x` for a Deployment's ReplicaSet), or None when the
    kind has no replicas to scale (a Job, a bare Pod)."""
    kind, _, name = workload.partition("/")
    if kind == "ReplicaSet":
        match = _TEMPLATE_HASH.match(name)
        return f"deploy/{match['deployment']}" if match else f"replicaset/{name}"
    if kind == "Deployment":
        return f"deploy/{name}"
    if kind == "StatefulSet":
        return f"statefulset/{name}"
    return None


def scale_command(namespace: str, workload: str, replicas: int) -> str | None:
    """`kubectl -n ns scale deploy/x --replicas=N`, or None for a kind that does not scale."""
    target = scale_target(workload)
    return None if target is None else _kubectl(namespace, "scale", target, f"--replicas={max(replicas, 0)}")


def release_command(namespace: str, workload: str, replicas: int, pods: list[str]) -> str:
    """Give back the GPUs of `pods` (of a workload with `replicas` pods): scale down by that many, end a Job or a
    bare Pod, and delete the pods of any other kind."""
    kind, _, name = workload.partition("/")
    scaled = scale_command(namespace, workload, replicas - len(pods)) if kind != "Job" else None
    if scaled is not None:
        return scaled
    if kind == "Job":
        return _kubectl(namespace, "delete", f"job/{name}")
    if kind == "Pod":
        return _kubectl(namespace, "delete", f"pod/{name}")
    return _kubectl(namespace, "delete", "pod", *sorted(pods))


def restart_pods_command(namespace: str, pods: list[str]) -> str:
    """Delete a hung gang's pods so that its controller (Job, PyTorchJob, MPIJob...) starts them again."""
    return _kubectl(namespace, "delete", "pod", *sorted(pods))


def quota_patch(namespace: str, resourcequota: str, resource: str, hard: int) -> str:
    """`kubectl patch resourcequota` setting the hard limit of `resource` (e.g. requests.nvidia.com/gpu)."""
    patch = json.dumps({"spec": {"hard": {resource: str(hard)}}}, separators=(",", ":"))
    return _kubectl(namespace, "patch", "resourcequota", resourcequota, "--type=merge", "-p", patch)


def limits_yaml(workload: str, limits: Mapping[str, int]) -> str:
    """The GPU resources of the workload's pod template, as YAML (extended resources are set by their limit)."""
    lines = "".join(f"    {resource}: {count}\n" for resource, count in limits.items())
    return f"# {workload}: pod template, the GPU container\nresources:\n  limits:\n{lines}"


def request_yaml(workload: str, gpus_per_pod: int, resource: str = GPU_RESOURCE) -> str:
    """The GPU request of the workload's pod template, as YAML (extended resources are set by their limit)."""
    return limits_yaml(workload, {resource: gpus_per_pod})


def mig_requests_yaml(workload: str, instances: Mapping[str, int]) -> str:
    """The request of MIG instances per profile (mixed strategy: `nvidia.com/mig-<profile>`), as YAML."""
    return limits_yaml(workload, {f"nvidia.com/mig-{profile}": count for profile, count in instances.items()})


def mig_profile(peak_memory_gib: float) -> str | None:
    """The smallest MIG profile whose memory holds the peak with 25 % headroom, or None when none does."""
    for profile, memory in MIG_PROFILES:
        if peak_memory_gib * MIG_HEADROOM <= memory:
            return profile
    return None


def downsize_yaml(workload: str, gpus_per_pod: int, peak_memory_gib: float) -> str | None:
    """The request of a MIG slice that holds the workload's peak memory, as YAML; None when no slice does."""
    profile = mig_profile(peak_memory_gib)
    return None if profile is None else request_yaml(workload, gpus_per_pod, f"nvidia.com/mig-{profile}")


def mig_request_yaml(workload: str, slices: int) -> str:
    """The request of one MIG instance of `slices` compute slices (the A100/H100-80GB profile of that size)."""
    profile = next((name for name, _ in MIG_PROFILES if name.startswith(f"{slices}g.")), f"{slices}g")
    return request_yaml(workload, 1, f"nvidia.com/mig-{profile}")


def drain_commands(nodes: list[str]) -> str:
    """Cordon the nodes to empty, then drain them: their pods are rescheduled onto the others."""
    ordered = sorted(nodes)
    cordon = shlex.join(["kubectl", "cordon", *ordered])
    drains = [
        shlex.join(["kubectl", "drain", node, "--ignore-daemonsets", "--delete-emptydir-data"]) for node in ordered
    ]
    return " && ".join([cordon, *drains])
