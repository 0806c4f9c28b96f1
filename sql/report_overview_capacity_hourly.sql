-- Cluster overview, time charts: one row per (cluster, Machine Group, hour of [$window_start, $window_end)) for every
-- group in machine_group_usage_hourly in the window: mean GPUs of capacity, allocated, used, idle,
-- unallocated (no pod holds them) and pending (requested by Pending pods: unmet demand). 'unplaced' holds
-- Pending pods not bound to a node; it has rows only in hours with such pods, so an hour without a row is 0.
WITH hours AS (
    SELECT range AS hour FROM range(CAST($window_start AS TIMESTAMP), CAST($window_end AS TIMESTAMP), INTERVAL 1 HOUR)
),
window_rows AS (
    SELECT cluster, machine_group, hour, gpu_model, capacity_gpus, allocated_gpus, used_gpus, idle_gpus, unallocated_gpus,
        pending_gpus, pending_pods
    FROM machine_group_usage_hourly
    WHERE day >= $window_start AND day < $window_end
),
groups AS (
    SELECT cluster, machine_group, arg_max(gpu_model, hour) AS gpu_model
    FROM window_rows
    GROUP BY cluster, machine_group
)
SELECT
    g.cluster,
    g.machine_group,
    h.hour,
    g.gpu_model,
    coalesce(COLUMNS(u.* EXCLUDE (cluster, machine_group, hour, gpu_model)), 0)
FROM groups AS g
CROSS JOIN hours AS h
LEFT JOIN window_rows AS u ON u.cluster = g.cluster AND u.machine_group = g.machine_group AND u.hour = h.hour
ORDER BY g.cluster, g.machine_group, h.hour;
