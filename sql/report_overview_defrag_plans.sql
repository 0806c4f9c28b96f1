-- Cluster overview: the latest consolidation plan of each Machine Group (per cluster) dated in [$window_start, $window_end)
-- (defrag_plans): moves, whole nodes freed, 8-GPU slots and fragmentation ratio (percent) before and after,
-- and the low-use UTC hours to run it in.
SELECT
    cluster,
    machine_group,
    gpu_model,
    day,
    snapshot_ts,
    moves,
    nodes_freed,
    array_to_string(freed_nodes, ', ') AS freed_nodes,
    placeable_8gpu_before,
    placeable_8gpu_after,
    fragmentation_ratio_before,
    fragmentation_ratio_after,
    low_use_hours_utc
FROM defrag_plans
WHERE day >= $window_start AND day < $window_end
QUALIFY row_number() OVER (PARTITION BY cluster, machine_group ORDER BY day DESC, snapshot_ts DESC) = 1
ORDER BY cluster, machine_group;
