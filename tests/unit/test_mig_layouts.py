"""MIG layouts from the day's gpu_samples (sql/select_mig_instances_of_day.sql, store/mig_layouts.py) into the
defragmentation plan (store.fragmentation.compute_fragmentation), on a hand-built DuckDB (tests/unit/
test_rules_builder.py): a 1g pod moves to a free 1g of a GPU with the same layout, never to another layout."""

from __future__ import annotations

from datetime import date
from typing import Any

from gpu_reclaim.core.warehouse import fetch_records
from gpu_reclaim.store.fragmentation import capacities_from_rows, compute_fragmentation, pods_from_rows
from gpu_reclaim.store.mig_layouts import mig_layouts, with_mig_instances, with_mig_layouts

from tests.unit.test_rules_builder import A100, Cluster
from tests.unit.test_rules_builder import START as BUILDER_START

DAY = date(2026, 11, 2)
CUT = {"1": "3g.40gb", "5": "2g.20gb", "13": "1g.10gb", "14": "1g.10gb"}


def free_instance(cluster: Cluster, node: str, gpu_uuid: str, instance: str, profile: str) -> None:
    """Samples of an instance no pod holds (dcgm-exporter exports it without pod labels)."""
    for ts in cluster._steps(0, 8):
        cluster.rows["gpu_samples"].append(
            {
                "day": ts.date(),
                "ts": ts,
                "node": node,
                "gpu_index": 0,
                "gpu_uuid": gpu_uuid,
                "gpu_model": A100,
                "namespace": None,
                "pod": None,
                "gr_engine_active": 0.0,
                "raw_samples": 1,
                "gpu_instance_id": instance,
                "mig_profile": profile,
            }
        )


def mig_gpu(cluster: Cluster, node: str, holders: dict[str, str], layout: dict[str, str]) -> None:
    """One A100 of `node` cut as `layout` (instance -> profile); `holders` (instance -> pod) hold some."""
    cluster.node(node, gpu_model=A100, machine_group="a100-mig", gpus=1)
    for instance, profile in layout.items():
        pod = holders.get(instance)
        if pod is None:
            free_instance(cluster, node, f"GPU-{node}", instance, profile)
            continue
        cluster.mig_pod("ml", pod, f"Job/{pod}", profile, 1, category="training", node=node)
        cluster.mig_instance("ml", pod, f"GPU-{node}", instance, profile, activity=0.5)


def plan(cluster: Cluster) -> dict[str, list[dict[str, Any]]]:
    return compute_fragmentation(cluster.load(), DAY)


def test_a_1g_pod_moves_to_the_free_1g_of_a_gpu_cut_the_same_way() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    mig_gpu(cluster, "mig-1", {"13": "lone"}, CUT)
    mig_gpu(cluster, "mig-2", {"1": "serve", "5": "etl", "13": "nb"}, CUT)
    rows = plan(cluster)
    moves = [(m["pod"], m["from_node"], m["to_node"], m["gpu_indexes"]) for m in rows["defrag_moves"]]
    assert moves == [("ml/lone", "mig-1", "mig-2", [0])]
    [group] = rows["defrag_plans"]
    assert (group["machine_group"], group["nodes_freed"], group["freed_nodes"]) == ("a100-mig", 1, ["mig-1"])


def test_never_to_a_gpu_of_another_layout() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    mig_gpu(cluster, "mig-1", {"13": "lone"}, CUT)
    seven = {str(7 + i): "1g.10gb" for i in range(7)}  # 7 x 1g, five of them free
    mig_gpu(cluster, "mig-2", {"7": "a", "8": "b"}, seven)
    rows = plan(cluster)
    assert rows["defrag_moves"] == []
    assert [p["nodes_freed"] for p in rows["defrag_plans"]] == [0]


def test_the_loader_reads_each_gpus_layout_and_each_pods_instance() -> None:
    cluster = Cluster()
    cluster.namespace("ml")
    mig_gpu(cluster, "mig-1", {"13": "lone"}, CUT)
    con = cluster.load()
    instances = fetch_records(con, "select_mig_instances_of_day.sql", {"day": DAY})
    assert {(r["gpu_instance_id"], r["pod"], r["mig_profile"]) for r in instances} == {
        ("1", "", "3g.40gb"), ("5", "", "2g.20gb"), ("13", "lone", "1g.10gb"), ("14", "", "1g.10gb"),
    }  # fmt: skip
    layouts = mig_layouts(instances)
    assert layouts == {"mig-1": {0: ("1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb")}}
    capacities = with_mig_layouts(capacities_from_rows(fetch_records(con, "select_nodes_of_day.sql", {"day": DAY})),
                                  layouts)  # fmt: skip
    steps = fetch_records(con, "select_pod_steps_at.sql", {"day": DAY, "snapshot_ts": BUILDER_START})
    [pod] = with_mig_instances(pods_from_rows(steps), instances, capacities)
    assert (pod.name, pod.gpu_indexes, pod.mig_profiles, pod.mig_layout) == (
        "ml/lone", (0,), ("1g.10gb",), ("1g.10gb", "1g.10gb", "2g.20gb", "3g.40gb"),
    )  # fmt: skip
    assert pod.movable and pod.allowed_models == frozenset({A100})


def test_an_instance_without_a_profile_leaves_its_gpu_without_a_layout() -> None:
    rows = [
        {"node": "n", "gpu_index": 0, "gpu_instance_id": "1", "pod": "", "mig_profile": "3g.40gb", "last_ts": 1},
        {"node": "n", "gpu_index": 0, "gpu_instance_id": "2", "pod": "", "mig_profile": None, "last_ts": 1},
        {"node": "n", "gpu_index": 1, "gpu_instance_id": "0", "pod": "", "mig_profile": "4g.40gb", "last_ts": 1},
        {"node": "n", "gpu_index": 1, "gpu_instance_id": "0", "pod": "", "mig_profile": "7g.80gb", "last_ts": 2},
    ]
    assert mig_layouts(rows) == {"n": {1: ("7g.80gb",)}}  # GPU 1 recut in the day: its latest profile
