"""Layout-aware defragmentation (pure): a MIG pod moves only to a free instance of its profile on a GPU of the same
layout and model; no whole-GPU or other shared pod lands on a MIG GPU; validate_plan says which rule a move breaks."""

from __future__ import annotations

from gpu_reclaim.scoring.fragmentation import Move, NodeCapacity, NodeSlot, PodClass, PodRequest, plan_defragmentation
from gpu_reclaim.scoring.fragmentation.plan import validate_plan

A100 = "NVIDIA-A100-SXM4-80GB"
CUT = ("1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb")  # 1 + 1 + 2 + 3 of 7 slices
SEVEN = ("1g.10gb",) * 7
MILLI = {"1g.10gb": 143, "2g.20gb": 286, "3g.40gb": 429, "7g.80gb": 1000}
CLASSES = [PodClass(cpu_milli=0, gpu_milli_per_gpu=143, num_gpu=1)]


def mig_node(name: str, *layouts: tuple[str, ...], model: str = A100) -> NodeCapacity:
    return NodeCapacity(name, "a100-mig", model, len(layouts), 64000, 262144, mig_layouts=layouts)


def plain_node(name: str, gpus: int = 1) -> NodeCapacity:
    return NodeCapacity(name, "a100-mig", A100, gpus, 64000, 262144)


def mig_pod(name: str, node: NodeCapacity, profile: str, index: int = 0) -> PodRequest:
    """A pod holding one instance of `profile` on GPU `index` of `node` (as store.mig_layouts gives it)."""
    milli = MILLI[profile]
    return PodRequest(name, cpu_milli=1000, memory_mib=1024, num_gpu=1, gpu_milli=milli, node=node.name,
                      gpu_indexes=(index,), mig_profiles=(profile,), mig_layout=node.mig_layout(index),
                      allowed_models=frozenset({node.gpu_model}))  # fmt: skip


def whole_pod(name: str, node: str) -> PodRequest:
    return PodRequest(name, cpu_milli=1000, memory_mib=1024, num_gpu=1, node=node)


def test_a_1g_pod_moves_to_a_free_1g_on_a_gpu_of_the_same_layout() -> None:
    lone, full = mig_node("mig-1", CUT), mig_node("mig-2", CUT)
    pods = [mig_pod("a", lone, "1g.10gb"), mig_pod("b", full, "3g.40gb"), mig_pod("c", full, "2g.20gb"),
            mig_pod("d", full, "1g.10gb")]  # fmt: skip
    plan = plan_defragmentation([lone, full], pods, CLASSES)
    assert plan.moves == (Move("a", "mig-1", "mig-2", (0,)),)  # mig-1 is the least filled: drained
    assert plan.nodes_freed == ("mig-1",)
    assert validate_plan([lone, full], pods, plan.moves) == []


def test_never_between_gpus_of_different_layouts() -> None:
    lone, other = mig_node("mig-1", CUT), mig_node("mig-2", SEVEN)  # 7 x 1g: free 1g instances, another layout
    pods = [mig_pod("a", lone, "1g.10gb"), *(mig_pod(f"o{i}", other, "1g.10gb") for i in range(3))]
    plan = plan_defragmentation([lone, other], pods, CLASSES)
    assert plan.moves == () and plan.nodes_freed == ()
    assert validate_plan([lone, other], pods, [Move("a", "mig-1", "mig-2", (0,))]) == [
        "move 1 (a mig-1->mig-2): moves MIG instances to a GPU of another layout",
        "move 1 (a mig-1->mig-2): overfills the target or breaks the model constraint",
    ]


def test_same_layout_but_no_free_instance_of_the_profile_or_another_model() -> None:
    lone, full = mig_node("mig-1", CUT), mig_node("mig-2", CUT)
    taken = [mig_pod("a", lone, "1g.10gb"), mig_pod("d", full, "1g.10gb"), mig_pod("e", full, "1g.10gb")]
    assert plan_defragmentation([lone, full], taken, CLASSES).moves == ()  # both 1g of mig-2 are held
    h100 = mig_node("mig-h", CUT, model="NVIDIA-H100-80GB-HBM3")  # the same profile names on another model
    pods = [mig_pod("a", lone, "1g.10gb"), mig_pod("h", h100, "3g.40gb")]
    assert plan_defragmentation([lone, h100], pods, CLASSES).moves == ()


def test_a_whole_gpu_pod_never_lands_on_a_mig_gpu() -> None:
    plain = plain_node("plain")
    mig = mig_node("mig-1", SEVEN, ("7g.80gb",))  # GPU 1: one 7g instance nobody holds (1000 milli free)
    pods = [whole_pod("w", "plain"), mig_pod("a", mig, "1g.10gb")]
    plan = plan_defragmentation([plain, mig], pods, [PodClass(cpu_milli=0, gpu_milli_per_gpu=1000, num_gpu=1)])
    assert plan.moves == ()
    assert validate_plan([plain, mig], pods, [Move("w", "plain", "mig-1", (1,))]) == [
        "move 1 (w plain->mig-1): overfills the target or breaks the model constraint"
    ]


def test_a_mig_pod_never_lands_on_a_whole_gpu() -> None:
    mig, plain = mig_node("mig-1", CUT), plain_node("plain", 2)
    pods = [mig_pod("a", mig, "1g.10gb"), whole_pod("w", "plain")]
    plan = plan_defragmentation([mig, plain], pods, CLASSES)
    assert all(move.pod != "a" for move in plan.moves)


def test_a_mig_pod_without_its_instances_or_layout_never_moves() -> None:
    lone, full = mig_node("mig-1", CUT), mig_node("mig-2", CUT)
    unknown = PodRequest("a", cpu_milli=1000, num_gpu=1, gpu_milli=143, node="mig-1", mig_profiles=())
    pods = [unknown, mig_pod("b", full, "3g.40gb")]
    assert not unknown.movable
    assert plan_defragmentation([lone, full], pods, CLASSES).moves == ()
    assert validate_plan([lone, full], pods, [Move("a", "mig-1", "mig-2", (0,))])[0].endswith(
        "a MIG pod whose instances or GPU layout are not known"
    )


def test_node_slot_counts_free_instances_by_profile() -> None:
    node = mig_node("mig-1", CUT)
    slot = NodeSlot.empty(node)
    one = mig_pod("a", node, "1g.10gb")
    replica = PodRequest("r", num_gpu=1, gpu_milli=250, node="mig-1")  # a time-sliced replica is not an instance
    assert slot.gpu_open(one, 0) and not slot.gpu_open(replica, 0)
    slot.place(one, (0,))
    slot.place(mig_pod("b", node, "1g.10gb"), (0,))
    assert slot.mig_free[0]["1g.10gb"] == 0 and slot.fit(mig_pod("c", node, "1g.10gb")) is None
    assert slot.fit(mig_pod("d", node, "2g.20gb")) == (0,)
    slot.remove(one)
    assert slot.mig_free[0]["1g.10gb"] == 1 and slot.free == [1000 - 143]


def test_all_free_share_fragment_reads_100_percent_not_a_rounding_over() -> None:
    from gpu_reclaim.scoring.fragmentation import GpuNode
    from gpu_reclaim.scoring.fragmentation.measure import fragmentation_ratio, node_fragmentation_milli

    node = GpuNode("mig-0", "a100-mig", A100, (142, 0), 64000, 262144)  # a free 1g (rounded to 142 milli)
    shares = (0.1036265627122147, 0.20013725256866574, 0.10505795727319929, 0.18833747117394958,
              0.03928411868951342, 0.058798873930021804, 0.20142868102131328, 0.1033290826311224)  # fmt: skip
    classes = [PodClass(cpu_milli=0, gpu_milli_per_gpu=143, num_gpu=1, popularity=p) for p in shares]
    assert sum(p * 142 for p in shares) > 142  # popularities that sum to 1 add up a rounding over the free share
    assert node_fragmentation_milli(node, classes) == 142.0
    assert fragmentation_ratio([node], classes) == 100.0
