-- Write-back series of one day (stage fragmentation): the cluster-wide fragmentation of each hour's snapshot
-- (cluster_fragmentation): a ratio over every node, which no sum of the Machine Groups' ratios gives.
WITH snapshots AS (
    SELECT
        date_trunc('hour', snapshot_ts) AS hour,
        cluster,
        fragmentation_ratio,
        CAST(free_whole_gpus AS DOUBLE) AS free_whole_gpus,
        CAST(placeable_8gpu AS DOUBLE) AS placeable_8gpu_pods
    FROM cluster_fragmentation
    WHERE day = $day
)
SELECT 'gpu_reclaim_cluster_' || metric AS metric, hour, value, cluster
FROM (UNPIVOT snapshots ON fragmentation_ratio, free_whole_gpus, placeable_8gpu_pods INTO NAME metric VALUE value)
ORDER BY metric, cluster, hour;
