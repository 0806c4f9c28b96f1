-- Load one day of project_usage_hourly: per (hour, cluster, namespace) GPU-hours allocated (from pod_steps) and used
-- and idle (from held_gpu_steps).
INSERT INTO project_usage_hourly
WITH allocated AS (
    SELECT date_trunc('hour', ts) AS hour, cluster, namespace, exact_sum(gpus_requested) * $step_seconds / 3600.0 AS gpu_hours
    FROM pod_steps
    WHERE day = $day AND phase = 'Running' AND gpus_requested > 0
    GROUP BY ALL
),
held AS (
    SELECT
        date_trunc('hour', ts) AS hour,
        cluster,
        namespace,
        exact_sum(CASE WHEN busy_looking_idle THEN 0 ELSE used_share END) * $step_seconds / 3600.0 AS used_gpu_hours,
        coalesce(exact_sum(CASE WHEN activity < $idle_threshold THEN gpu_fraction END), 0) * $step_seconds / 3600.0
            AS idle_gpu_hours,
        coalesce(exact_sum(CASE WHEN busy_looking_idle THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS busy_looking_idle_gpu_hours
    FROM held_gpu_steps
    GROUP BY ALL
)
SELECT
    CAST($day AS DATE) AS day,
    a.hour,
    a.namespace,
    a.gpu_hours AS allocated_gpu_hours,
    coalesce(h.used_gpu_hours, 0) AS used_gpu_hours,
    coalesce(h.idle_gpu_hours, 0) AS idle_gpu_hours,
    coalesce(h.busy_looking_idle_gpu_hours, 0) AS busy_looking_idle_gpu_hours,
    a.cluster
FROM allocated AS a
LEFT JOIN held AS h USING (hour, cluster, namespace);
