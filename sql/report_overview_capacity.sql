-- Cluster overview: one row per Machine Group (per cluster) in machine_group_usage_hourly over [$window_start, $window_end):
-- GPU-hours of capacity, allocated, used, unallocated and pending (each hourly mean GPUs summed over the
-- hours), the peak hourly pending GPUs, and from pending_demand the snapshots with Pending GPU pods and the
-- largest number of them that fragmentation blocked (they would fit if the group's free GPUs were packed).
WITH hourly AS (
    SELECT
        cluster,
        machine_group,
        any_value(gpu_model) AS gpu_model,
        count(*) AS hours,
        sum(capacity_gpus) AS capacity_gpu_hours,
        sum(allocated_gpus) AS allocated_gpu_hours,
        sum(used_gpus) AS used_gpu_hours,
        sum(idle_gpus) AS idle_gpu_hours,
        sum(unallocated_gpus) AS unallocated_gpu_hours,
        sum(pending_gpus) AS pending_gpu_hours,
        max(pending_gpus) AS peak_pending_gpus
    FROM machine_group_usage_hourly
    WHERE day >= $window_start AND day < $window_end
    GROUP BY cluster, machine_group
),
demand AS (
    SELECT
        cluster,
        machine_group,
        count(DISTINCT snapshot_ts) FILTER (WHERE pending_pods > 0) AS pending_snapshots,
        coalesce(max(blocked_by_fragmentation), 0) AS peak_blocked_pods
    FROM pending_demand
    WHERE day >= $window_start AND day < $window_end
    GROUP BY cluster, machine_group
)
SELECT
    h.*,
    coalesce(d.pending_snapshots, 0) AS pending_snapshots,
    coalesce(d.peak_blocked_pods, 0) AS peak_blocked_pods
FROM hourly AS h
LEFT JOIN demand AS d USING (cluster, machine_group)
ORDER BY h.machine_group = 'unplaced', h.capacity_gpu_hours DESC, h.machine_group, h.cluster;
