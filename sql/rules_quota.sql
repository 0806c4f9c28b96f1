-- One row per (namespace, resourcequota) with a GPU hard limit in the window: the latest hard limit and the
-- $percentile and peak of the Project's GPU demand per quota step. Demand = the GPUs requested by its Running
-- and Pending pods (Pending with GPU requests is unmet demand, and Kubernetes charges it to the quota), and
-- never less than the quota's own `used`; 0 when no pod ran. quantile_disc keeps it an observed value.
WITH quota AS (
    SELECT cluster, namespace, resourcequota, ts, gpu_hard, gpu_used
    FROM quota_steps
    WHERE gpu_hard IS NOT NULL
      AND day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
      AND ts >= $window_start
      AND ts < $window_end
),
demand AS (
    SELECT
        cluster,
        namespace,
        ts,
        coalesce(sum(gpus_requested) FILTER (WHERE phase = 'Running'), 0) AS running_gpus,
        sum(gpus_requested) AS requested_gpus
    FROM pod_steps
    WHERE phase IN ('Running', 'Pending')
      AND gpus_requested > 0
      AND day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
      AND ts >= $window_start
      AND ts < $window_end
    GROUP BY cluster, namespace, ts
),
per_step AS (
    SELECT
        q.cluster,
        q.namespace,
        q.resourcequota,
        q.ts,
        q.gpu_hard,
        coalesce(d.running_gpus, 0) AS running_gpus,
        greatest(coalesce(d.requested_gpus, 0), coalesce(q.gpu_used, 0)) AS gpus
    FROM quota AS q
    LEFT JOIN demand AS d ON d.cluster = q.cluster AND d.namespace = q.namespace AND d.ts = q.ts
),
labels AS (
    SELECT cluster, namespace, arg_max(workspace, day) AS workspace, arg_max(project, day) AS project
    FROM namespaces
    WHERE day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
    GROUP BY cluster, namespace
)
SELECT
    p.cluster,
    p.namespace,
    p.resourcequota,
    coalesce(any_value(l.workspace), 'unassigned') AS workspace,
    coalesce(any_value(l.project), p.namespace) AS project,
    arg_max(p.gpu_hard, p.ts) AS gpu_hard,
    quantile_disc(p.gpus, $percentile) AS percentile_gpus,
    max(p.gpus) AS peak_gpus,
    avg(p.gpus) AS mean_gpus,
    max(p.running_gpus) AS peak_running_gpus,
    count(*) * $step_seconds / 3600.0 AS observed_hours
FROM per_step AS p
LEFT JOIN labels AS l ON l.cluster = p.cluster AND l.namespace = p.namespace
GROUP BY p.cluster, p.namespace, p.resourcequota
ORDER BY p.cluster, p.namespace, p.resourcequota;
