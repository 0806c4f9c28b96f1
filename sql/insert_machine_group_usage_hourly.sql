-- Load one day of machine_group_usage_hourly: per (hour, cluster, Machine Group) mean GPUs per step of capacity,
-- allocation, use, idle, unallocated capacity and unmet demand (Pending pods' GPU requests).
INSERT INTO machine_group_usage_hourly
WITH groups AS (
    SELECT cluster, machine_group, any_value(gpu_model) AS gpu_model, exact_sum(gpu_allocatable) AS capacity_gpus
    FROM nodes WHERE day = $day GROUP BY cluster, machine_group
),
steps_per_hour AS (
    -- every hour of the day, each with 3600 / step steps (a step without pods counts as zero allocation)
    SELECT hour, 3600.0 / $step_seconds AS steps
    FROM range(CAST($day AS TIMESTAMP), CAST($day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 HOUR) AS t(hour)
),
pod_groups AS (
    SELECT
        p.cluster, p.ts, p.phase, p.gpus_requested,
        coalesce(n.machine_group, CASE WHEN p.node IS NULL THEN 'unplaced' ELSE 'unknown' END) AS machine_group
    FROM pod_steps AS p
    LEFT JOIN nodes AS n ON n.day = p.day AND n.cluster = p.cluster AND n.node = p.node
    WHERE p.day = $day AND p.gpus_requested > 0 AND p.phase IN ('Running', 'Pending')
),
demand AS (
    SELECT
        date_trunc('hour', ts) AS hour,
        cluster,
        machine_group,
        exact_sum(CASE WHEN phase = 'Running' THEN gpus_requested END) AS allocated_gpu_steps,
        exact_sum(CASE WHEN phase = 'Pending' THEN gpus_requested END) AS pending_gpu_steps,
        count(CASE WHEN phase = 'Pending' THEN 1 END) AS pending_pod_steps
    FROM pod_groups
    GROUP BY ALL
),
use AS (
    SELECT
        date_trunc('hour', h.ts) AS hour,
        h.cluster,
        coalesce(n.machine_group, 'unknown') AS machine_group,
        exact_sum(CASE WHEN h.busy_looking_idle THEN 0 ELSE h.used_share END) AS used_gpu_steps,
        coalesce(exact_sum(CASE WHEN h.activity < $idle_threshold THEN h.gpu_fraction END), 0) AS idle_gpu_steps
    FROM held_gpu_steps AS h
    LEFT JOIN nodes AS n ON n.day = $day AND n.cluster = h.cluster AND n.node = h.node
    GROUP BY ALL
),
grid AS (
    SELECT s.hour, s.steps, g.cluster, g.machine_group FROM steps_per_hour AS s
    CROSS JOIN (SELECT cluster, machine_group FROM groups UNION SELECT cluster, machine_group FROM demand) AS g
)
SELECT
    CAST($day AS DATE) AS day,
    grid.hour,
    grid.machine_group,
    coalesce(g.gpu_model, 'unknown') AS gpu_model,
    coalesce(g.capacity_gpus, 0) AS capacity_gpus,
    coalesce(d.allocated_gpu_steps, 0) / grid.steps AS allocated_gpus,
    coalesce(u.used_gpu_steps, 0) / grid.steps AS used_gpus,
    coalesce(u.idle_gpu_steps, 0) / grid.steps AS idle_gpus,
    greatest(coalesce(g.capacity_gpus, 0) - coalesce(d.allocated_gpu_steps, 0) / grid.steps, 0) AS unallocated_gpus,
    coalesce(d.pending_gpu_steps, 0) / grid.steps AS pending_gpus,
    coalesce(d.pending_pod_steps, 0) / grid.steps AS pending_pods,
    grid.cluster
FROM grid
LEFT JOIN groups AS g USING (cluster, machine_group)
LEFT JOIN demand AS d USING (hour, cluster, machine_group)
LEFT JOIN use AS u USING (hour, cluster, machine_group)
WHERE g.capacity_gpus IS NOT NULL OR d.hour IS NOT NULL OR u.hour IS NOT NULL;
