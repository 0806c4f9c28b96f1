"""The glossary: every figure the report pages show, in one sentence each (reports/glossary.html, one page
linked from every report)."""

from __future__ import annotations

import re


def term_id(term: str) -> str:
    """The glossary anchor of a term: 'Give-back value' -> 'give-back-value' (glossary.html#give-back-value)."""
    return re.sub(r"[^a-z0-9]+", "-", term.lower()).strip("-")


# Every figure of a Workspace's pages, in one sentence each; `{currency}`, `{idle_threshold}` and
# `{low_use_threshold}` are filled in by glossary() (str.format).
WORKSPACE_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("GPU-hour", "One GPU held for one hour. Two GPUs for 30 minutes is also one GPU-hour."),
    (
        "Allocated GPU-hours",
        "GPUs requested by Running pods, times the hours they ran: what the Workspace held.",
    ),
    (
        "Used GPU-hours",
        "Allocated GPU-hours weighted by GPU activity (graphics-engine active, or GPU utilisation when "
        "profiling metrics are missing): a GPU 40% active for an hour used 0.4 GPU-hours.",
    ),
    (
        "Idle GPU-hours",
        "Allocated GPU-hours observed with activity below {idle_threshold:.0%}: held but unused. This is the "
        "only meaning of idle on every page.",
    ),
    (
        "Busy-looking but idle GPU-hours",
        "GPU-hours where GPU utilisation looked high but the profiling counters show no real work (a busy "
        "loop holding the GPU, rule fake_busy); shown apart and never counted as used, when the data has them.",
    ),
    (
        "Low-use GPU-hours",
        "Allocated GPU-hours observed with activity below {low_use_threshold:.0%} (idle ones included).",
    ),
    (
        "No-data GPU-hours",
        "Allocated GPU-hours with no DCGM sample naming the pod; counted neither as used nor as idle.",
    ),
    ("Efficiency", "Used ÷ allocated GPU-hours. Shown as a percentage; summary.json holds the ratio."),
    (
        "H100-equivalent hours",
        "GPU-hours weighted by each GPU model's throughput relative to an H100 (H100 = 1.0, A100 ≈ 0.32, "
        "per the config), so different generations add up.",
    ),
    (
        "Cost",
        "GPU-hours times the configured price per GPU-hour, in {currency}; shown only when prices are "
        "configured, marked partial when some GPU models have none.",
    ),
    (
        "Recoverable GPU-hours per week",
        "GPU-hours a week that a ticket would give back from GPUs its workload holds; summary.json keeps the "
        "sum over the non-exempt tickets. The pages show the totals apart instead, never added together:",
    ),
    (
        "Held and idle GPU-hours per week",
        "What the reclaim-now tickets give back: GPUs that running workloads hold now and leave idle or "
        "underused, in GPU-hours per week.",
    ),
    (
        "Waste reports GPU-hours",
        "GPU-hours wasted in the window by workloads that have ended or stopped wasting: nothing to release now, "
        "the fix for next time.",
    ),
    (
        "Quota to release GPU-hours",
        "Reserved quota (ResourceQuota) that no pod requested, in GPU-hours over the window: what the quota cuts "
        "give back.",
    ),
    (
        "Whole nodes a defrag frees",
        "Nodes that the cluster-level defrag tickets empty by moving pods within their Machine Group (overview only).",
    ),
    (
        "Give-back value",
        "One figure that ranks every ticket, in H100-equivalent GPU-hours per week (money when prices are set): "
        "a reclaim-now ticket's recoverable H100-equivalent hours; a quota cut's unused quota GPU-hours per week, "
        "weighted by the GPUs its Project held in the window (1.0 when it held none); a defrag's freed GPUs "
        "times the 168 hours of a week, weighted by their GPU model; 0 for a waste report.",
    ),
    (
        "GPUs to give back",
        "The GPUs of a ticket whatever its rule: GPUs a workload releases, quota GPUs a quota cut releases, "
        "GPUs on the nodes a defrag frees.",
    ),
    (
        "What to give back",
        "The top tickets to act on now, ranked by give-back value, each with who acts, the one-line action and "
        "the exact change to apply.",
    ),
    (
        "Reclaim now / waste report",
        "A reclaim-now ticket is about GPUs a running workload holds now; a waste report is about waste by a "
        "workload that has ended or stopped wasting: no release, the fix for next time.",
    ),
    ("Owner", "Who acts on a ticket: from a namespace or pod label or annotation, or the config's contacts."),
    (
        "Acknowledged",
        "A ticket its team snoozed until a date: still listed, not in the box of actions, no sink notifies.",
    ),
    (
        "Quota headroom GPU-hours",
        "Reserved quota (ResourceQuota) no pod requested, in GPU-hours: what a quota cut gives back.",
    ),
    (
        "Trends",
        "Allocated, used and idle GPU-hours per Project for each of the last 8 weeks ending with the window; "
        "a week without any data in the DuckDB file is a gap, not a zero.",
    ),
    (
        "Reserved GPUs",
        "The Project's GPU quota (ResourceQuota hard limit on requests.nvidia.com/gpu) at the end of the window.",
    ),
    (
        "Peak / p95 GPUs",
        "Largest and 95th-percentile hourly mean of GPUs allocated to the Project in the window; a quota "
        "far above p95 is reserved but rarely needed.",
    ),
    (
        "Activity (heatmap)",
        "Used ÷ observed GPU-hours in each UTC hour of the week, averaged over the window.",
    ),
    (
        "Recommendation",
        "A reclamation rule's finding about one workload, with the figures that justify it; the same "
        "finding keeps its id across runs.",
    ),
    (
        "Exempt",
        "A workload marked reclaim_exempt or allow-listed in the config: counted, never reclaimed.",
    ),
    (
        "Previous window",
        "The same number of days just before this window; changes compare the two only when it holds data, "
        "otherwise the page says 'no previous data'.",
    ),
    (
        "Numbers",
        "GPUs are whole numbers, hours whole numbers (one decimal below 10), shares one decimal; summary.json "
        "and tickets.jsonl keep the full figures.",
    ),
)


def glossary(currency: str, idle_threshold: float, low_use_threshold: float) -> list[tuple[str, str]]:
    """Every figure the pages show, in one sentence each (WORKSPACE_GLOSSARY with the run's currency and thresholds)."""
    figures = {"currency": currency, "idle_threshold": idle_threshold, "low_use_threshold": low_use_threshold}
    return [(term, text.format(**figures)) for term, text in WORKSPACE_GLOSSARY]


OVERVIEW_GLOSSARY = [
    (
        "Capacity",
        "Allocatable GPUs of a Machine Group's nodes; capacity GPU-hours sum the hourly means over the window.",
    ),
    (
        "Unallocated GPU-hours",
        "Capacity that no Running pod requested: free in the shared pool, never counted as any team's idle.",
    ),
    (
        "Pending (unmet demand)",
        "GPUs requested by Pending pods. 'unplaced' holds Pending pods not yet bound to a node, so to no "
        "Machine Group.",
    ),
    (
        "Fragmentation ratio",
        "Share of the free GPU capacity that the typical pods of the cluster cannot use, because it is scattered "
        "over nodes (Weng et al., USENIX ATC '23); 0% when every free GPU is usable.",
    ),
    ("Free whole GPUs", "GPUs that no pod holds at all at the snapshot."),
    (
        "Occupancy map",
        "Every node of a Machine Group at the window's last snapshot, one square per GPU: free, allocated and "
        "working, or allocated but idle (activity below the idle threshold in that hour).",
    ),
    (
        "Waiting pods",
        "Pending GPU pods of a Workspace and Project: the GPU-hours they asked for while waiting and the most "
        "that waited at once.",
    ),
    (
        "Placeable 8-GPU pods",
        "How many pods of 8 whole GPUs still fit on free GPUs at the snapshot (GPUs only): room for gang jobs.",
    ),
    (
        "Blocked by fragmentation",
        "Pending pods that no single node can take, but that would fit if the group's free GPUs were packed.",
    ),
    (
        "Defrag plan",
        "Moves of running pods within a Machine Group that empty the most whole nodes with the fewest moves, to "
        "run in its low-use UTC hours; a defragment ticket carries it.",
    ),
]
