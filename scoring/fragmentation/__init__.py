"""GPU fragmentation of a cluster snapshot: pure, typed scoring functions (no I/O, no Dagster).

Modules: model (what nodes offer and pods ask), placement (charging pods on nodes), measure (the measure and
the scores), demand (Pending pods), plan (the defragmentation plan). store.fragmentation reads and writes the
tables.

The measure follows Weng et al., "Beware of Fragmentation: Scheduling GPU-Sharing Workloads with Fragmentation
Gradient Descent" (USENIX ATC'23). GPU capacity is counted in *milli-GPUs* (1000 = one whole GPU).

* A node ``n`` has, per GPU ``g``, a free share ``r_g`` in 0..1000; ``R_n = Σ r_g``.
* The workload is summarised as *typical pod classes* ``m`` (:func:`typical_pod_classes`): a request shape
  (CPU, per-GPU share ``d_m``, GPU count ``k_m``, allowed GPU models) and its popularity ``p_m`` (Σ p_m = 1).
* ``f(n, m)`` is the free GPU share of ``n`` that class ``m`` cannot use. If ``m`` fits on ``n``
  (``k_m`` GPUs each with ``r_g >= d_m``, enough free CPU, and memory when the class carries it, the node's
  model allowed) it is ``Σ_{g: r_g < d_m} r_g``; otherwise every free share is lost to ``m``:
  ``f(n, m) = R_n``. A class that requests no GPU (``k_m = 0``) can use none of the free GPU share, so for it
  all of ``R_n`` is fragment, whether it fits the node's CPU or not (as the paper and the authors' simulator,
  hkust-adsl/kubernetes-scheduler-simulator, define it: ``GetNodePodFrag`` gives such a class ``XLSatisfied``
  or ``XRLackCPU``, and both count the node's whole free GPU share).
* ``F_n = Σ_m p_m · f(n, m)`` (milli-GPUs). The fragmentation *amount* of a set of nodes is ``Σ F_n / 1000``
  GPUs and its *ratio* is ``100 · Σ F_n / Σ R_n`` percent (0 when nothing is free).

Node free state is built from allocations by :func:`assign_pods`: whole-GPU pods take whole GPUs (their
known indexes, else the lowest fully free indexes); a shared pod (1 GPU, ``gpu_milli < 1000``) takes its
share on the GPU its annotation names, else on the GPU with the least free share that still holds it
(best fit).
"""

from gpu_reclaim.scoring.fragmentation.demand import PendingFit, PendingGroup, pending_by_group, pending_demand
from gpu_reclaim.scoring.fragmentation.measure import (
    FragmentationSummary,
    NodeFragmentation,
    class_fits,
    class_fragmentation_milli,
    cluster_summary,
    fragmentation_ratio,
    is_stranded,
    machine_group_summaries,
    node_fragmentation_milli,
    placeable_pods,
    score_node,
    score_nodes,
    summarize,
    typical_pod_classes,
)
from gpu_reclaim.scoring.fragmentation.model import (
    CLUSTER_SCOPE,
    PLACEMENT_SIZES,
    UNPLACED,
    WHOLE_GPU_MILLI,
    GpuNode,
    NodeCapacity,
    PodClass,
    PodRequest,
    model_allowed,
)
from gpu_reclaim.scoring.fragmentation.placement import (
    Assignment,
    NodeSlot,
    assign_pods,
    assign_slots,
    choose_gpus,
    node_states,
)
from gpu_reclaim.scoring.fragmentation.plan import (
    DefragPlan,
    GroupPlan,
    Move,
    plan_defragmentation,
    plan_machine_groups,
    validate_plan,
)

__all__ = [
    "CLUSTER_SCOPE",
    "PLACEMENT_SIZES",
    "UNPLACED",
    "WHOLE_GPU_MILLI",
    "Assignment",
    "DefragPlan",
    "FragmentationSummary",
    "GpuNode",
    "GroupPlan",
    "Move",
    "NodeCapacity",
    "NodeFragmentation",
    "NodeSlot",
    "PendingFit",
    "PendingGroup",
    "PodClass",
    "PodRequest",
    "assign_pods",
    "assign_slots",
    "choose_gpus",
    "class_fits",
    "class_fragmentation_milli",
    "cluster_summary",
    "fragmentation_ratio",
    "is_stranded",
    "machine_group_summaries",
    "model_allowed",
    "node_fragmentation_milli",
    "node_states",
    "pending_by_group",
    "pending_demand",
    "placeable_pods",
    "plan_defragmentation",
    "plan_machine_groups",
    "score_node",
    "score_nodes",
    "summarize",
    "typical_pod_classes",
    "validate_plan",
]
