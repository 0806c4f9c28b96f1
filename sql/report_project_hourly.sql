-- One row per (Project (cluster, namespace) of $workspace, hour of [$window_start, $window_end)): mean GPUs allocated
-- and used in the hour (GPU-hours in one hour). Hours without a row in project_usage_hourly held no GPU: 0.
-- Namespaces: those with usage in the window, and those with a GPU quota on a day they belonged to $workspace.
WITH hours AS (
    SELECT range AS hour FROM range(CAST($window_start AS TIMESTAMP), CAST($window_end AS TIMESTAMP), INTERVAL 1 HOUR)
),
workspace_namespaces AS (
    SELECT cluster, namespace
    FROM project_usage_daily
    WHERE workspace = $workspace AND day >= $window_start AND day < $window_end
    UNION
    -- Projects that reserved GPUs (a quota) and ran nothing: all zeros against their quota
    SELECT q.cluster, q.namespace
    FROM quota_steps AS q
    JOIN namespaces AS n ON n.day = q.day AND n.cluster = q.cluster AND n.namespace = q.namespace AND n.workspace = $workspace
    WHERE q.day >= $window_start AND q.day < $window_end AND q.gpu_hard IS NOT NULL
),
workspace_hourly AS (
    -- only the days on which the namespace belonged to $workspace
    SELECT u.cluster, u.namespace, u.hour, u.allocated_gpu_hours, u.used_gpu_hours
    FROM project_usage_hourly AS u
    JOIN project_usage_daily AS d ON d.day = u.day AND d.cluster = u.cluster AND d.namespace = u.namespace AND d.workspace = $workspace
    WHERE u.day >= $window_start AND u.day < $window_end
)
SELECT
    n.cluster,
    n.namespace,
    h.hour,
    coalesce(u.allocated_gpu_hours, 0) AS allocated_gpus,
    coalesce(u.used_gpu_hours, 0) AS used_gpus
FROM workspace_namespaces AS n
CROSS JOIN hours AS h
LEFT JOIN workspace_hourly AS u ON u.cluster = n.cluster AND u.namespace = n.namespace AND u.hour = h.hour
ORDER BY n.cluster, n.namespace, h.hour;
