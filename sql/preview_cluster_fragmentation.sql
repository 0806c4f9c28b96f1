-- Preview for the Dagster UI: the cluster's fragmentation at the latest snapshots of one day.
SELECT snapshot_ts, gpus, free_whole_gpus, free_gpu_share, fragmentation_ratio, stranded_gpus, placeable_8gpu
FROM cluster_fragmentation
WHERE day = $day
ORDER BY snapshot_ts DESC
LIMIT $limit
