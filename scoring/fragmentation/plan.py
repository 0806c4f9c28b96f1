"""A defragmentation plan over one snapshot: which pods to move where to free whole nodes.

Greedy consolidation inside each Machine Group (moves never cross groups):

1. Candidate *sources* are nodes that hold GPU pods. The least-filled one (least used GPU share, then fewest
   GPU pods, then name) is tried first, because it frees a whole node with the fewest moves.
2. Its GPU pods (largest first) are tentatively placed, best fit, on other nodes of the group that already
   hold GPU work and are not drained: the node left with the least free GPU share (then least free CPU)
   wins. A node with an exempt GPU pod, or a pod that fits nowhere, is not drained and its tentative moves
   are rolled back; it stays available as a target. CPU-only pods stay where they are (they hold no GPU).
   A node that received pods is no longer a source, so a pod moves at most once.
3. Repeat until no source is left (or ``max_moves`` would be exceeded).

Rules every move keeps (and :func:`validate_plan` checks): exempt pods never move; a move never overfills
its target (GPU share on the named GPUs, CPU, memory) and respects the pod's allowed GPU models; source and
target are in the same Machine Group; after every move each serving workload still spreads its replicas over
at least ``min(min_serving_nodes, nodes it spread over before the plan)`` distinct nodes.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from gpu_reclaim.scoring.fragmentation.measure import fragmentation_ratio, placeable_pods, typical_pod_classes
from gpu_reclaim.scoring.fragmentation.model import NodeCapacity, PodClass, PodRequest
from gpu_reclaim.scoring.fragmentation.placement import NodeSlot, assign_slots

MIN_SERVING_NODES = 3


@dataclass(frozen=True)
class Move:
    """One pod of the plan, from its node to the GPUs ``gpu_indexes`` of another (a MIG pod: the GPU whose free
    instances of its profiles it takes)."""

    pod: str
    from_node: str
    to_node: str
    gpu_indexes: tuple[int, ...]


@dataclass(frozen=True)
class DefragPlan:
    moves: tuple[Move, ...]
    nodes_freed: tuple[str, ...]
    placeable_8_before: int
    placeable_8_after: int
    fragmentation_ratio_before: float
    fragmentation_ratio_after: float


_Step = tuple["Move", tuple[int, ...]]  # a move and the GPUs the pod held on its source


class _Spread:
    """Replica spread of serving workloads: workload -> node -> replicas, and the floor each must keep."""

    def __init__(self, pods: Iterable[PodRequest], node_of: dict[str, str], min_nodes: int) -> None:
        self.nodes: dict[str, Counter[str]] = defaultdict(Counter)
        for pod in pods:
            if pod.serving and pod.workload is not None and pod.name in node_of:
                self.nodes[pod.workload][node_of[pod.name]] += 1
        self.floor = {w: min(min_nodes, len(c)) for w, c in self.nodes.items()}

    def allows(self, pod: PodRequest, source: str, target: str) -> bool:
        if not pod.serving or pod.workload is None:
            return True
        counts = self.nodes[pod.workload]
        after = len(counts) - (1 if counts[source] == 1 else 0) + (0 if counts[target] else 1)
        return after >= self.floor.get(pod.workload, 0)

    def move(self, pod: PodRequest, source: str, target: str) -> None:
        if not pod.serving or pod.workload is None:
            return
        counts = self.nodes[pod.workload]
        counts[source] -= 1
        if counts[source] <= 0:
            del counts[source]
        counts[target] += 1


def _gpu_pods(slot: NodeSlot, pods: dict[str, PodRequest]) -> list[PodRequest]:
    return [pods[name] for name in slot.pods if pods[name].num_gpu > 0]


def plan_defragmentation(
    capacities: Sequence[NodeCapacity],
    pods: Sequence[PodRequest],
    classes: Sequence[PodClass] | None = None,
    *,
    machine_groups: Collection[str] | None = None,
    min_serving_nodes: int = MIN_SERVING_NODES,
    max_moves: int | None = None,
) -> DefragPlan:
    """Greedy consolidation (module docstring) of placed ``pods`` on ``capacities``.

    ``classes`` (default: the typical classes of ``pods``) score the fragmentation ratio before and after;
    ``machine_groups`` limits the groups planned (default all). Figures cover every node given.
    """
    if classes is None:
        classes = typical_pod_classes(pods)
    by_name = {pod.name: pod for pod in pods}
    slots, _, _ = assign_slots(capacities, pods)
    before = [slot.snapshot() for slot in slots.values()]
    node_of = {name: node for node, slot in slots.items() for name in slot.pods}
    spread = _Spread(pods, node_of, min_serving_nodes)

    groups: dict[str, list[NodeSlot]] = defaultdict(list)
    for slot in slots.values():
        if machine_groups is None or slot.capacity.machine_group in machine_groups:
            groups[slot.capacity.machine_group].append(slot)

    moves: list[Move] = []
    freed: list[str] = []
    for group in sorted(groups):
        members = groups[group]
        drained: set[str] = set()
        kept: set[str] = set()
        while max_moves is None or len(moves) < max_moves:
            sources = [s for s in members if s.capacity.name not in drained | kept and _gpu_pods(s, by_name)]
            if not sources:
                break
            source = min(
                sources,
                key=lambda s: (s.used_gpu_milli, len(_gpu_pods(s, by_name)), s.capacity.name),
            )
            tentative = _drain(source, members, drained, by_name, spread)
            budget_ok = max_moves is None or len(moves) + len(tentative or []) <= max_moves
            if tentative is None or not budget_ok:
                for step in reversed(tentative or []):
                    _undo(step, slots, by_name, spread)
                kept.add(source.capacity.name)
                continue
            moves.extend(move for move, _ in tentative)
            # A node that received pods is kept: a pod never moves twice.
            kept.update(move.to_node for move, _ in tentative)
            drained.add(source.capacity.name)
            freed.append(source.capacity.name)

    after = [slot.snapshot() for slot in slots.values()]
    return DefragPlan(
        moves=tuple(moves),
        nodes_freed=tuple(freed),
        placeable_8_before=placeable_pods(before, 8),
        placeable_8_after=placeable_pods(after, 8),
        fragmentation_ratio_before=fragmentation_ratio(before, classes),
        fragmentation_ratio_after=fragmentation_ratio(after, classes),
    )


def _drain(
    source: NodeSlot,
    members: Sequence[NodeSlot],
    drained: set[str],
    pods: dict[str, PodRequest],
    spread: _Spread,
) -> list[_Step] | None:
    """Move every GPU pod off ``source`` (mutating the slots); None (after rolling back) when impossible."""
    moving = _gpu_pods(source, pods)
    if not all(pod.movable for pod in moving):
        return None
    moving.sort(key=lambda p: (-p.total_gpu_milli, -p.cpu_milli, p.name))
    done: list[_Step] = []
    slots = {s.capacity.name: s for s in members}
    for pod in moving:
        best: tuple[tuple[int, int, str], NodeSlot, tuple[int, ...]] | None = None
        for target in members:
            name = target.capacity.name
            if target is source or name in drained or target.used_gpu_milli == 0:
                continue
            if not spread.allows(pod, source.capacity.name, name):
                continue
            indexes = target.fit(pod)
            if indexes is None:
                continue
            rank = (sum(target.free) - pod.total_gpu_milli, target.cpu - pod.cpu_milli, name)
            if best is None or rank < best[0]:
                best = (rank, target, indexes)
        if best is None:
            for step in reversed(done):
                _undo(step, slots, pods, spread)
            return None
        _, target, indexes = best
        original = source.pods[pod.name]
        source.remove(pod)
        target.place(pod, indexes)
        spread.move(pod, source.capacity.name, target.capacity.name)
        done.append((Move(pod.name, source.capacity.name, target.capacity.name, indexes), original))
    return done


def _undo(step: _Step, slots: dict[str, NodeSlot], pods: dict[str, PodRequest], spread: _Spread) -> None:
    move, original = step
    pod = pods[move.pod]
    slots[move.to_node].remove(pod)
    slots[move.from_node].place(pod, original)
    spread.move(pod, move.to_node, move.from_node)


def validate_plan(
    capacities: Sequence[NodeCapacity],
    pods: Sequence[PodRequest],
    moves: Sequence[Move],
    *,
    min_serving_nodes: int = MIN_SERVING_NODES,
) -> list[str]:
    """Replay ``moves`` on the snapshot and list every broken rule (empty: the plan is valid)."""
    by_name = {pod.name: pod for pod in pods}
    slots, _, _ = assign_slots(capacities, pods)
    node_of = {name: node for node, slot in slots.items() for name in slot.pods}
    spread = _Spread(pods, node_of, min_serving_nodes)
    problems: list[str] = []
    for number, move in enumerate(moves, 1):
        where = f"move {number} ({move.pod} {move.from_node}->{move.to_node})"
        pod = by_name.get(move.pod)
        source, target = slots.get(move.from_node), slots.get(move.to_node)
        if pod is None or source is None or target is None:
            problems.append(f"{where}: unknown pod or node")
            continue
        if node_of.get(pod.name) != move.from_node:
            problems.append(f"{where}: the pod is on {node_of.get(pod.name)}, not {move.from_node}")
            continue
        if pod.exempt:
            problems.append(f"{where}: the pod is exempt")
        elif not pod.movable:
            problems.append(f"{where}: a MIG pod whose instances or GPU layout are not known")
        if any(target.capacity.mig_layout(i) != pod.mig_layout for i in move.gpu_indexes if pod.mig_profiles):
            problems.append(f"{where}: moves MIG instances to a GPU of another layout")
        if move.from_node == move.to_node:
            problems.append(f"{where}: source and target are the same node")
        if source.capacity.machine_group != target.capacity.machine_group:
            problems.append(f"{where}: crosses Machine Groups")
        if not target.indexes_fit(pod, move.gpu_indexes):
            problems.append(f"{where}: overfills the target or breaks the model constraint")
        if not spread.allows(pod, move.from_node, move.to_node):
            problems.append(f"{where}: serving workload {pod.workload} would spread over too few nodes")
        source.remove(pod)
        target.place(pod, move.gpu_indexes)
        spread.move(pod, move.from_node, move.to_node)
        node_of[pod.name] = move.to_node
    return problems


@dataclass(frozen=True)
class GroupPlan:
    """The consolidation plan of one Machine Group over one snapshot."""

    machine_group: str
    gpu_model: str
    plan: DefragPlan


def plan_machine_groups(
    capacities: Sequence[NodeCapacity], placed: Sequence[PodRequest], classes: Sequence[PodClass]
) -> list[GroupPlan]:
    """One checked plan per Machine Group, sorted by name. A plan its validator rejects raises RuntimeError:
    no plan is better than a wrong one."""
    plans = []
    for group in sorted({capacity.machine_group for capacity in capacities}):
        members = [capacity for capacity in capacities if capacity.machine_group == group]
        names = {capacity.name for capacity in members}
        pods = [pod for pod in placed if pod.node in names]
        plan = plan_defragmentation(members, pods, classes)
        broken = validate_plan(members, pods, plan.moves)
        if broken:
            raise RuntimeError(f"defragmentation plan for {group} breaks rules: {broken[:3]}")
        plans.append(GroupPlan(group, members[0].gpu_model, plan))
    return plans
