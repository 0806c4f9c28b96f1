-- One row per (namespace, resourcequota) with a GPU hard limit in the window: the latest hard limit and the
-- $percentile and peak of the Project's allocation per quota step (sum of gpus_requested of Running pods,
-- 0 when none ran). quantile_disc keeps the percentile an observed value.
WITH quota AS (
    SELECT namespace, resourcequota, ts, gpu_hard
    FROM quota_steps
    WHERE gpu_hard IS NOT NULL
      AND day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
      AND ts >= $window_start
      AND ts < $window_end
),
allocation AS (
    SELECT namespace, ts, sum(gpus_requested) AS gpus
    FROM rule_pod_steps
    GROUP BY namespace, ts
),
per_step AS (
    SELECT q.namespace, q.resourcequota, q.ts, q.gpu_hard, coalesce(a.gpus, 0) AS gpus
    FROM quota AS q
    LEFT JOIN allocation AS a ON a.namespace = q.namespace AND a.ts = q.ts
),
labels AS (
    SELECT namespace, arg_max(workspace, day) AS workspace, arg_max(project, day) AS project
    FROM namespaces
    WHERE day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
    GROUP BY namespace
)
SELECT
    p.namespace,
    p.resourcequota,
    coalesce(any_value(l.workspace), 'unassigned') AS workspace,
    coalesce(any_value(l.project), p.namespace) AS project,
    arg_max(p.gpu_hard, p.ts) AS gpu_hard,
    quantile_disc(p.gpus, $percentile) AS percentile_gpus,
    max(p.gpus) AS peak_gpus,
    avg(p.gpus) AS mean_gpus,
    count(*) * $step_seconds / 3600.0 AS observed_hours
FROM per_step AS p
LEFT JOIN labels AS l ON l.namespace = p.namespace
GROUP BY p.namespace, p.resourcequota
ORDER BY p.namespace, p.resourcequota;
