-- Cluster overview, time charts: fragmentation of free GPU capacity at each snapshot of
-- [$window_start, $window_end), per Machine Group (machine_group_fragmentation) and for the whole cluster
-- (cluster_fragmentation, scope 'cluster'), of each cluster. fragmentation_ratio is in percent of the free GPU share.
WITH snapshots AS (
    SELECT 0 AS scope_order, machine_group AS scope, * FROM machine_group_fragmentation
    UNION ALL BY NAME
    SELECT 1 AS scope_order, 'cluster' AS scope, * FROM cluster_fragmentation
)
SELECT cluster, scope_order, scope, snapshot_ts, gpu_model, gpus, free_whole_gpus, placeable_8gpu, stranded_gpus,
    fully_free_nodes, fragmentation_ratio
FROM snapshots
WHERE day >= $window_start AND day < $window_end
ORDER BY cluster, scope_order, scope, snapshot_ts;
