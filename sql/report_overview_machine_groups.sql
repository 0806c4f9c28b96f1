-- Cluster overview: one row per Machine Group (per cluster: the same group name in two clusters is two rows) with pods in [$window_start, $window_end): allocation against
-- use (pod_usage_daily) and capacity, taken as each day's allocatable GPUs of its nodes times 24 hours.
WITH usage AS (
    SELECT
        cluster,
        machine_group,
        string_agg(DISTINCT gpu_model, ', ' ORDER BY gpu_model) AS gpu_models,
        sum(allocated_gpu_hours) AS allocated_gpu_hours,
        sum(used_gpu_hours) AS used_gpu_hours,
        sum(idle_gpu_hours) AS idle_gpu_hours,
        sum(no_data_gpu_hours) AS no_data_gpu_hours
    FROM pod_usage_daily
    WHERE day >= $window_start AND day < $window_end
    GROUP BY cluster, machine_group
),
capacity AS (
    SELECT cluster, machine_group, count(DISTINCT node) AS nodes, sum(gpu_allocatable) * 24 AS capacity_gpu_hours
    FROM nodes
    WHERE day >= $window_start AND day < $window_end
    GROUP BY cluster, machine_group
)
SELECT
    u.cluster,
    u.machine_group,
    u.gpu_models,
    c.nodes,
    c.capacity_gpu_hours,
    u.allocated_gpu_hours,
    u.used_gpu_hours,
    u.idle_gpu_hours,
    u.no_data_gpu_hours
FROM usage AS u
LEFT JOIN capacity AS c ON c.cluster = u.cluster AND c.machine_group = u.machine_group
ORDER BY u.allocated_gpu_hours DESC, u.machine_group, u.cluster;
