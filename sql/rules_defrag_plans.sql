-- The latest defragmentation plans (one per Machine Group) inside the window, with their moves.
SELECT
    p.cluster, p.machine_group, p.gpu_model, p.snapshot_ts, p.moves, p.nodes_freed, p.freed_nodes,
    p.placeable_8gpu_before, p.placeable_8gpu_after, p.fragmentation_ratio_before, p.fragmentation_ratio_after,
    p.low_use_hours_utc,
    coalesce(
        (SELECT list(m.pod ORDER BY m.move_order) FROM defrag_moves AS m
         WHERE m.day = p.day AND m.cluster = p.cluster AND m.machine_group = p.machine_group), []
    ) AS pods,
    coalesce(
        (SELECT list(DISTINCT m.from_node) FROM defrag_moves AS m
         WHERE m.day = p.day AND m.cluster = p.cluster AND m.machine_group = p.machine_group), []
    ) AS from_nodes
FROM defrag_plans AS p
WHERE p.day = (
    SELECT max(day) FROM defrag_plans WHERE snapshot_ts >= $window_start AND snapshot_ts < $window_end
)
ORDER BY p.cluster, p.machine_group;
