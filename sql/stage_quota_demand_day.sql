-- The day's (or a window's part of a day) quota demand (staged_quota_demand_day; rules_quota.sql merges it): per
-- (namespace, resourcequota) with a GPU hard limit, the Project's GPU demand per quota step = the GPUs requested
-- by its Running and Pending pods (Pending with GPU requests is unmet demand, and Kubernetes charges it to the
-- quota), and never less than the quota's own `used`; 0 when no pod ran. Kept as a histogram of the step values.
-- The key (one list, here and in the merge): cluster, namespace, resourcequota.
CREATE OR REPLACE TEMP TABLE staged_quota_demand_day AS
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
histogram AS (
    SELECT cluster, namespace, resourcequota, gpus, count(*) AS steps
    FROM per_step
    GROUP BY cluster, namespace, resourcequota, gpus
)
SELECT
    CAST($range_start AS DATE) AS day,
    p.cluster,
    p.namespace,
    p.resourcequota,
    arg_max(p.gpu_hard, p.ts) AS gpu_hard,
    max(p.ts) AS last_ts,
    any_value(h.demand) AS demand,
    sum(CAST(p.gpus AS DECIMAL(38, 6))) AS demand_sum,
    max(p.running_gpus) AS peak_running_gpus,
    count(*) AS steps
FROM per_step AS p
JOIN (
    SELECT cluster, namespace, resourcequota, list({'gpus': gpus, 'steps': steps} ORDER BY gpus) AS demand
    FROM histogram
    GROUP BY cluster, namespace, resourcequota
) AS h ON h.cluster = p.cluster AND h.namespace = p.namespace AND h.resourcequota = p.resourcequota
GROUP BY p.cluster, p.namespace, p.resourcequota;
