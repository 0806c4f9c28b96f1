"""The simulated cluster's objects: Machine Groups, nodes, namespaces, workloads and pods (plain dataclasses)."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from gpu_reclaim.scenarios.demo.scenario import PHASE_PENDING, PHASE_RUNNING, PHASE_SUCCEEDED, DemoScenario


@dataclass(frozen=True)
class MachineGroup:
    name: str
    gpu_product: str  # node label label_nvidia_com_gpu_product
    model_name: str  # DCGM modelName
    base_nodes: int
    fb_total_mib: int
    idle_watts: float
    max_watts: float
    has_prof: bool  # emits DCGM_FI_PROF_*
    host_label: str  # "Hostname" or "hostname"
    pod_label_prefix: str  # "" or "exported_"
    cpu_cores: int
    memory_bytes: int


@dataclass(frozen=True)
class Node:
    name: str
    group: MachineGroup
    gpus: int = 8

    def gpu_uuid(self, index: int) -> str:
        return "GPU-" + str(stable_uuid("gpu", self.name, str(index)))


@dataclass(frozen=True)
class Namespace:
    name: str
    workspace: str | None
    project: str | None
    quota_hard: int | None  # None: no ResourceQuota; 0: "tight" (hard = peak used)

    @property
    def workspace_or_unassigned(self) -> str:
        return self.workspace or "unassigned"

    @property
    def project_or_namespace(self) -> str:
        return self.project or self.name


@dataclass(frozen=True)
class Workload:
    namespace: str
    kind: str | None  # Job, ReplicaSet, StatefulSet; None = bare pod (no kube_pod_owner series)
    name: str
    behaviour: str
    provisioning_type: str | None
    category: str | None
    purpose: str | None
    container: str
    exempt: bool = False
    expect: str | None = None  # finding rule expected, or None for healthy/neutral
    why: str = ""

    @property
    def ref(self) -> str:
        return f"{self.kind or 'Pod'}/{self.name}"


@dataclass
class Pod:
    namespace: str
    name: str
    uid: str
    workload: Workload
    gpus: int
    cpu_cores: float
    memory_bytes: int
    exist_start: int
    run_start: int
    run_end: int
    exist_end: int
    node: Node | None = None
    gpu_indexes: tuple[int, ...] = ()
    params: dict[str, float] = field(default_factory=dict)
    no_data: tuple[int, int] | None = None  # steps [a, b) with no DCGM sample on its GPUs
    sidecar: bool = False

    @property
    def key(self) -> str:
        return f"{self.namespace}/{self.name}/{self.uid}"

    def phase_codes(self) -> npt.NDArray[np.int8]:
        codes = np.full(self.exist_end - self.exist_start, PHASE_PENDING, dtype=np.int8)
        codes[self.run_start - self.exist_start : self.run_end - self.exist_start] = PHASE_RUNNING
        codes[self.run_end - self.exist_start :] = PHASE_SUCCEEDED
        if self.run_start == self.run_end:  # never ran: Pending throughout
            codes[:] = PHASE_PENDING
        return codes


@dataclass
class DemoCluster:
    scenario: DemoScenario
    groups: list[MachineGroup]
    nodes: list[Node]
    namespaces: list[Namespace]
    workloads: list[Workload]
    pods: list[Pod]
    holders: dict[tuple[str, int], list[Pod]]  # (node, gpu index) -> pods holding it, by run_start

    def namespace(self, name: str) -> Namespace:
        return next(ns for ns in self.namespaces if ns.name == name)

    @property
    def total_gpus(self) -> int:
        return sum(node.gpus for node in self.nodes)


def stable_uuid(*parts: str) -> uuid.UUID:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def name_suffix(*parts: str) -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    number = int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:8], "big")
    out = []
    for _ in range(5):
        number, digit = divmod(number, len(alphabet))
        out.append(alphabet[digit])
    return "".join(out)


def seeded_rng(seed: int, *parts: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32("/".join(parts).encode())])


def hashed_uuid(text: str) -> str:
    """The UUID made of sha256(`text`)'s first 16 bytes as they are (no version bits, unlike stable_uuid): the ids
    of the demo-east and shared-GPU pods and GPUs."""
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode()).digest()[:16]))


class NamedWorkload:
    """A pod of the demo-east or shared-GPU layouts: its workload is `kind/owner`."""

    kind: str
    owner: str

    @property
    def workload(self) -> str:
        return f"{self.kind}/{self.owner}"
