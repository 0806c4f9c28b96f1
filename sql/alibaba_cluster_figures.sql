-- The Alibaba replay (scenarios/alibaba_pipeline.py): the cluster at the day's last fragmentation snapshot.
SELECT snapshot_ts, nodes, gpus, free_whole_gpus, free_gpu_share, fully_free_nodes, stranded_gpus, placeable_8gpu,
       fragmentation_gpus, fragmentation_ratio
FROM cluster_fragmentation WHERE day = $day ORDER BY snapshot_ts DESC LIMIT 1;
