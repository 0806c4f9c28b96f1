-- Write-back series of one day (stage fragmentation): per (hour, Machine Group) capacity, allocation and unmet
-- demand (machine_group_usage_hourly: means over the hour), and the free state of the hour's snapshot
-- (machine_group_fragmentation): free whole GPUs, fragmentation ratio (percent), placeable 8-GPU pods, stranded
-- GPUs, and Pending pods that only consolidation would place (pending_demand; 0 when none were pending; pods
-- not yet bound to a node under machine_group 'unplaced', as pending_demand counts them). Per cluster: its
-- `cluster` column becomes the cluster label ('' none; core/writeback_series.py build_series).
WITH usage AS (
    SELECT hour, cluster, machine_group, gpu_model, capacity_gpus, allocated_gpus, unallocated_gpus, pending_gpus, pending_pods
    FROM machine_group_usage_hourly
    WHERE day = $day
),
snapshots AS (
    SELECT
        date_trunc('hour', f.snapshot_ts) AS hour,
        f.cluster,
        f.machine_group,
        f.gpu_model,
        CAST(f.free_whole_gpus AS DOUBLE) AS free_whole_gpus,
        f.fragmentation_ratio,
        CAST(f.placeable_8gpu AS DOUBLE) AS placeable_8gpu_pods,
        CAST(f.stranded_gpus AS DOUBLE) AS stranded_gpus
    FROM machine_group_fragmentation AS f
    WHERE f.day = $day
),
blocked AS (
    SELECT
        date_trunc('hour', coalesce(f.snapshot_ts, d.snapshot_ts)) AS hour,
        coalesce(f.cluster, d.cluster) AS cluster,
        coalesce(f.machine_group, d.machine_group) AS machine_group,
        coalesce(f.gpu_model, 'unknown') AS gpu_model,
        'pending_pods_blocked_by_fragmentation' AS metric,
        CAST(coalesce(d.blocked_by_fragmentation, 0) AS DOUBLE) AS value
    FROM (SELECT * FROM machine_group_fragmentation WHERE day = $day) AS f
    FULL OUTER JOIN (SELECT * FROM pending_demand WHERE day = $day) AS d
        ON d.snapshot_ts = f.snapshot_ts AND d.cluster = f.cluster AND d.machine_group = f.machine_group
),
usage_long AS (
    UNPIVOT usage
    ON capacity_gpus, allocated_gpus, unallocated_gpus, pending_gpus, pending_pods
    INTO NAME metric VALUE value
),
snapshot_long AS (
    UNPIVOT snapshots
    ON free_whole_gpus, fragmentation_ratio, placeable_8gpu_pods, stranded_gpus
    INTO NAME metric VALUE value
)
SELECT 'gpu_reclaim_machine_group_' || metric AS metric, hour, value, cluster, machine_group, gpu_model
FROM (
    SELECT * FROM usage_long
    UNION ALL BY NAME SELECT * FROM snapshot_long
    UNION ALL BY NAME SELECT * FROM blocked
)
ORDER BY metric, cluster, machine_group, gpu_model, hour;
