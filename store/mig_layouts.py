"""MIG layouts for the defragmentation plan, from the rows of sql/select_mig_instances_of_day.sql (pure).

A MIG GPU's layout is the sorted multiset of its instances' profiles (`('1g.10gb', '1g.10gb', '2g.20gb',
'3g.40gb')`); a GPU with an instance whose profile is not known has no layout. A MIG pod's instances are the ones
DCGM names it the holder of; when they are all on one GPU of a known layout of its node, the pod may move, to free
instances of the same profiles on a GPU of the same layout and model (scoring/fragmentation/placement.py)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from gpu_reclaim.scoring.fragmentation import NodeCapacity, PodRequest

Layouts = dict[str, dict[int, tuple[str, ...]]]  # node -> GPU index -> layout


def mig_layouts(instances: Iterable[Mapping[str, Any]]) -> Layouts:
    """Each node's MIG GPUs and their layouts (an instance's latest profile; unknown profiles drop the GPU)."""
    latest: dict[tuple[str, int, str], Mapping[str, Any]] = {}
    for row in instances:
        key = (str(row["node"]), int(row["gpu_index"]), str(row["gpu_instance_id"]))
        if key not in latest or row["last_ts"] > latest[key]["last_ts"]:
            latest[key] = row
    profiles: dict[tuple[str, int], list[str | None]] = defaultdict(list)
    for (node, index, _), row in latest.items():
        profiles[(node, index)].append(row["mig_profile"])
    layouts: Layouts = defaultdict(dict)
    for (node, index), names in profiles.items():
        if all(names):
            layouts[node][index] = tuple(sorted(str(name) for name in names))
    return dict(layouts)


def with_mig_layouts(capacities: Sequence[NodeCapacity], layouts: Layouts) -> list[NodeCapacity]:
    """The capacities with the layouts of their MIG GPUs (indexes beyond the node's GPUs are left out)."""
    out = []
    for capacity in capacities:
        gpus = layouts.get(capacity.name, {})
        per_gpu = tuple(gpus.get(index, ()) for index in range(capacity.gpus))
        out.append(replace(capacity, mig_layouts=per_gpu) if any(per_gpu) else capacity)
    return out


def with_mig_instances(
    pods: Sequence[PodRequest], instances: Iterable[Mapping[str, Any]], capacities: Sequence[NodeCapacity]
) -> list[PodRequest]:
    """The MIG pods (``mig_profiles == ()``) with the instances DCGM names them holders of: their GPU, profiles,
    that GPU's layout and model. A pod whose instances span GPUs, or sit on a GPU without a known layout, is kept
    as it is: it never moves."""
    nodes = {capacity.name: capacity for capacity in capacities}
    held: dict[tuple[str, str], dict[str, tuple[int, str | None]]] = defaultdict(dict)
    for row in instances:
        if row["pod"]:
            holder = (f"{row['namespace']}/{row['pod']}", str(row["node"]))
            held[holder][str(row["gpu_instance_id"])] = (int(row["gpu_index"]), row["mig_profile"])
    out = []
    for pod in pods:
        mine = held.get((pod.name, pod.node or ""), {})
        capacity = nodes.get(pod.node or "")
        indexes = {index for index, _ in mine.values()}
        if pod.mig_profiles != () or capacity is None or len(indexes) != 1 or pod.num_gpu != 1:
            out.append(pod)
            continue
        [index] = indexes
        layout = capacity.mig_layout(index)
        profiles = tuple(sorted(str(profile) for _, profile in mine.values()))
        if not layout or None in {profile for _, profile in mine.values()}:
            out.append(pod)
            continue
        out.append(
            replace(
                pod,
                gpu_indexes=(index,),
                mig_profiles=profiles,
                mig_layout=layout,
                allowed_models=frozenset({capacity.gpu_model}),
            )
        )
    return out
