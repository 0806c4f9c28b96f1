-- Cluster overview: fragmentation per cluster, per Machine Group and for the whole cluster (scope 'cluster', last) over
-- [$window_start, $window_end): snapshots, mean and largest fragmentation_ratio (percent), and at the latest
-- snapshot the ratio, free whole GPUs and how many 8-GPU pods still fit; the fewest 8-GPU slots of the window.
-- Each cluster's Machine Groups, then its whole-cluster row (one cluster '' without labels.cluster_label).
WITH snapshots AS (
    SELECT cluster, 0 AS scope_order, machine_group AS scope, snapshot_ts, gpu_model, gpus, free_whole_gpus,
        placeable_8gpu, stranded_gpus, fragmentation_ratio
    FROM machine_group_fragmentation
    WHERE day >= $window_start AND day < $window_end
    UNION ALL
    SELECT cluster, 1 AS scope_order, 'cluster' AS scope, snapshot_ts, gpu_model, gpus, free_whole_gpus,
        placeable_8gpu, stranded_gpus, fragmentation_ratio
    FROM cluster_fragmentation
    WHERE day >= $window_start AND day < $window_end
)
SELECT
    cluster,
    scope,
    arg_max(gpu_model, snapshot_ts) AS gpu_model,
    arg_max(gpus, snapshot_ts) AS gpus,
    count(*) AS snapshots,
    avg(fragmentation_ratio) AS mean_fragmentation_ratio,
    max(fragmentation_ratio) AS max_fragmentation_ratio,
    max(snapshot_ts) AS latest_snapshot,
    arg_max(fragmentation_ratio, snapshot_ts) AS latest_fragmentation_ratio,
    arg_max(free_whole_gpus, snapshot_ts) AS latest_free_whole_gpus,
    arg_max(stranded_gpus, snapshot_ts) AS latest_stranded_gpus,
    arg_max(placeable_8gpu, snapshot_ts) AS latest_placeable_8gpu,
    min(placeable_8gpu) AS min_placeable_8gpu
FROM snapshots
GROUP BY cluster, scope_order, scope
ORDER BY cluster, scope_order, scope;
