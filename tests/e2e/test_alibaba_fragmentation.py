"""The Alibaba trace through the whole pipeline (real VictoriaMetrics, kube-state ingest, fragmentation asset code).

The pipeline's fragmentation of the last snapshot must equal an independent computation of the Weng et al.
(USENIX ATC'23) formula written here from the placement the replay returned, and the day's defragmentation
plan must keep every rule when replayed here on the real placement. Placement at 50% of the cluster's GPUs
requested: best fit leaves one G2 node that the planner can drain (so the plan has moves), first fit none.
Two more best-fit runs make the rules bite: one turns three trace pods into replicas of one serving workload
placed so that the unconstrained plan would break the replica-spread rule, the other marks exempt a pod the
unconstrained plan moves.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from gpu_reclaim.scenarios.alibaba_pipeline import PodMarks, run_alibaba_replay
from gpu_reclaim.scenarios.alibaba_replay import ReplayPlacement, replay
from gpu_reclaim.scoring.fragmentation import plan_defragmentation

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

SHARE = 0.5
COVERAGE = 0.95
MIN_SERVING_NODES = 3
WHOLE = 1000
RUNS = ("first_fit", "best_fit", "best_fit_serving", "best_fit_exempt")


# -- the formula, from scratch ---------------------------------------------------------------------------------


@dataclass
class Node:
    model: str
    gpus: list[int]  # free milli-GPUs per GPU index
    cpu: int  # free milli-cores
    memory: int  # free MiB


def free_state(placement: ReplayPlacement) -> dict[str, Node]:
    """Every node's free GPU share per index, CPU and memory, charged with the replay's own placement."""
    nodes = {n.name: Node(n.gpu_model, [WHOLE] * n.gpus, n.cpu_milli, n.memory_mib) for n in placement.nodes}
    for pod in placement.placed:
        node = nodes[pod.node or ""]
        for index in pod.gpu_indexes or ():
            node.gpus[index] -= pod.gpu_milli
        node.cpu -= pod.cpu_milli
        node.memory -= pod.memory_mib
    return nodes


def typical_classes(placement: ReplayPlacement) -> list[tuple[int, int, int, float]]:
    """(GPU count k, per-GPU share d, CPU, popularity p): most frequent shapes of the pods seen, kept until they
    cover 95% of the pods, p renormalised over the kept ones. Ties: fewer GPUs, smaller share, less CPU first."""
    shapes = Counter(
        (p.num_gpu, p.gpu_milli if p.num_gpu > 0 else 0, p.cpu_milli) for p in placement.placed
    ).most_common()
    shapes.sort(key=lambda item: (-item[1], item[0]))
    kept, covered, total = [], 0, len(placement.placed)
    for shape, count in shapes:
        kept.append((shape, count))
        covered += count
        if covered >= COVERAGE * total:
            break
    return [(k, d, cpu, count / covered) for (k, d, cpu), count in kept]


def node_fragmentation(node: Node, classes: list[tuple[int, int, int, float]]) -> float:
    """F_n = Σ_m p_m f(n, m); f = Σ_{g: r_g < d_m} r_g when a GPU class m fits on n, else R_n (no memory, any
    model). A class that requests no GPU (k = 0) uses no GPU share: f = R_n for it, as Weng et al. publish."""
    total_free = sum(node.gpus)
    fragmented = 0.0
    for k, d, cpu, p in classes:
        fits = k > 0 and cpu <= node.cpu and sum(1 for r in node.gpus if r >= d) >= k
        fragmented += p * (sum(r for r in node.gpus if r < d) if fits else total_free)
    return fragmented


# -- the runs --------------------------------------------------------------------------------------------------


def biting_marks(placement: ReplayPlacement) -> tuple[dict[str, PodMarks], dict[str, PodMarks], str, str]:
    """Marks that make the rules bite. The first pod the unconstrained plan moves (from A to T) becomes, in
    the serving run, a replica of a serving workload with one pod on T and one on a third node, so it may not
    go to T; in the exempt run it is exempt, so it may not move at all. Returns both marks, that pod and T."""
    g2 = [n for n in placement.nodes if n.machine_group == "G2"]
    names = {n.name for n in g2}
    pods = [p for p in placement.placed if p.node in names]
    plan = plan_defragmentation(g2, pods)
    assert plan.moves, "the unconstrained plan should move pods at this share"
    first = plan.moves[0]
    touched = {first.from_node, first.to_node, *(m.to_node for m in plan.moves)}
    on_target = next(p for p in pods if p.node == first.to_node and p.num_gpu > 0)
    third = next(p for p in pods if p.node not in touched and p.num_gpu > 0)
    serving = {name: PodMarks(serving=True, workload="svc-trio") for name in (first.pod, on_target.name, third.name)}
    return serving, {first.pod: PodMarks(exempt=True)}, first.pod, first.to_node


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    workdir = tmp_path_factory.mktemp("alibaba")
    placements = {policy: replay(policy=policy, target_share=SHARE) for policy in ("first_fit", "best_fit")}
    serving, exempt, moved, forbidden = biting_marks(placements["best_fit"])
    marks = {"first_fit": {}, "best_fit": {}, "best_fit_serving": serving, "best_fit_exempt": exempt}
    out: dict[str, dict[str, Any]] = {}
    for run in RUNS:
        policy = "best_fit" if run.startswith("best_fit") else "first_fit"
        result = run_alibaba_replay(
            policy,  # type: ignore[arg-type]
            SHARE,
            workdir=workdir / run,
            steps=61,
            placement=placements[policy],
            marks=marks[run],
        )
        out[run] = {**result, "marks": marks[run], "moved": moved, "forbidden": forbidden}
    yield out


def _records(database: Path, query: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute(query)
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


# -- tests -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("run", RUNS)
def test_cluster_fragmentation_equals_the_formula(runs: dict[str, dict[str, Any]], run: str) -> None:
    result = runs[run]
    placement: ReplayPlacement = result["placement"]
    assert not placement.unplaced and all(p.allowed_models is None for p in placement.placed)
    nodes = free_state(placement)
    classes = typical_classes(placement)
    assert abs(sum(p for *_, p in classes) - 1) < 1e-9
    # The trace's CPU-only pods form typical classes (~15 % of the kept pods), so the published rule for them
    # (all free GPU share is fragment) is what this comparison exercises.
    assert sum(p for k, *_, p in classes if k == 0) > 0.1
    fragmented = {name: node_fragmentation(node, classes) for name, node in nodes.items()}
    free = sum(sum(node.gpus) for node in nodes.values())
    expected_ratio = 100 * sum(fragmented.values()) / free

    cluster = _records(result["database"], "SELECT * FROM cluster_fragmentation ORDER BY snapshot_ts DESC LIMIT 1")[0]
    assert result["snapshots"] == 2
    assert cluster["fragmentation_ratio"] == pytest.approx(expected_ratio, rel=1e-9)
    assert cluster["fragmentation_gpus"] == pytest.approx(sum(fragmented.values()) / WHOLE, rel=1e-9)
    assert cluster["free_gpu_share"] == pytest.approx(free / WHOLE, rel=1e-12)
    assert cluster["free_whole_gpus"] == sum(1 for n in nodes.values() for r in n.gpus if r == WHOLE)
    assert cluster["placeable_8gpu"] == sum(sum(1 for r in n.gpus if r == WHOLE) // 8 for n in nodes.values())
    assert 0 < expected_ratio < 100

    # Per model too (Machine Group = GPU model), from the last snapshot.
    groups = _records(
        result["database"],
        "SELECT machine_group, fragmentation_ratio FROM machine_group_fragmentation "
        "WHERE snapshot_ts = (SELECT max(snapshot_ts) FROM machine_group_fragmentation)",
    )
    by_model: dict[str, list[str]] = defaultdict(list)
    for name, node in nodes.items():
        by_model[node.model].append(name)
    assert {g["machine_group"] for g in groups} == set(by_model)
    for group in groups:
        members = by_model[group["machine_group"]]
        group_free = sum(sum(nodes[n].gpus) for n in members)
        group_ratio = 100 * sum(fragmented[n] for n in members) / group_free if group_free else 0.0
        assert group["fragmentation_ratio"] == pytest.approx(group_ratio, rel=1e-9, abs=1e-9), group


@pytest.mark.parametrize("run", RUNS)
def test_defrag_plan_keeps_every_rule(runs: dict[str, dict[str, Any]], run: str) -> None:
    result = runs[run]
    placement: ReplayPlacement = result["placement"]
    marks: dict[str, PodMarks] = result["marks"]
    database = result["database"]
    moves = _records(database, "SELECT * FROM defrag_moves ORDER BY machine_group, move_order")
    plans = _records(database, "SELECT * FROM defrag_plans ORDER BY machine_group")
    assert sum(p["moves"] for p in plans) == len(moves)
    if run == "best_fit":
        assert moves, "best fit at 50% leaves a node the plan can drain"
    # No DCGM data: every hour has the same (zero) use, so the low-use hours are those with the fewest GPUs
    # allocated. The replayed pods run in hours 0 and 1 only.
    model_of = {n.name: n.gpu_model for n in placement.nodes}
    busy = {model_of[p.node or ""] for p in placement.placed if p.num_gpu > 0}
    assert {p["machine_group"] for p in plans} >= busy
    for plan in plans:
        hours = plan["low_use_hours_utc"]
        assert len(hours) == 3 and (plan["machine_group"] not in busy or not {0, 1} & set(hours)), plan

    nodes = free_state(placement)
    pods = {p.name: p for p in placement.placed}
    where = {p.name: (p.node or "", tuple(p.gpu_indexes or ())) for p in placement.placed}
    replicas: dict[str, Counter[str]] = defaultdict(Counter)
    for name, mark in marks.items():
        if mark.serving and mark.workload:
            replicas[mark.workload][where[name][0]] += 1
    floor = {w: min(MIN_SERVING_NODES, len(c)) for w, c in replicas.items()}

    for move in moves:
        name = move["pod"].split("/", 1)[1]
        pod = pods[name]
        source, target = move["from_node"], move["to_node"]
        assert where[name][0] == source, move
        assert nodes[source].model == nodes[target].model == move["machine_group"], move
        assert source != target
        assert not (name in marks and marks[name].exempt), f"exempt pod moved: {move}"
        # Take the pod off its source, then charge it on the target's named GPUs: nothing may go below zero.
        for index in where[name][1]:
            nodes[source].gpus[index] += pod.gpu_milli
        nodes[source].cpu += pod.cpu_milli
        nodes[source].memory += pod.memory_mib
        indexes = list(move["gpu_indexes"])
        assert len(indexes) == len(set(indexes)) == pod.num_gpu, move
        for index in indexes:
            nodes[target].gpus[index] -= pod.gpu_milli
        nodes[target].cpu -= pod.cpu_milli
        nodes[target].memory -= pod.memory_mib
        assert min(nodes[target].gpus, default=0) >= 0, f"GPU overfilled by {move}"
        assert nodes[target].cpu >= 0 and nodes[target].memory >= 0, f"CPU or memory overfilled by {move}"
        where[name] = (target, tuple(indexes))
        replica = marks.get(name)
        if replica is not None and replica.serving and replica.workload:
            counts = replicas[replica.workload]
            counts[source] -= 1
            counts[target] += 1
            spread = sum(1 for c in counts.values() if c > 0)
            assert spread >= floor[replica.workload], f"{replica.workload} on {spread} nodes after {move}"

    # A freed node holds no GPU pod once the moves are applied.
    freed = [node for plan in plans for node in plan["freed_nodes"]]
    holding = {node for node, indexes in where.values() if indexes}
    assert not set(freed) & holding

    if marks:
        flags = {r["pod"]: r for r in _records(database, "SELECT pod, category, reclaim_exempt FROM pods")}
        assert all(
            flags[n]["reclaim_exempt"] == m.exempt and (flags[n]["category"] == "serving") == m.serving
            for n, m in marks.items()
        )
    if run == "best_fit_serving":
        assert floor == {"svc-trio": 3}
        moved, forbidden = result["moved"], result["forbidden"]
        assert not any(m["pod"].endswith("/" + moved) and m["to_node"] == forbidden for m in moves)
