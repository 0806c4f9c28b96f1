-- One row per Project (cluster, namespace) of $workspace with a GPU quota in [$window_start, $window_end): its reserved
-- GPUs, including Projects that reserved GPUs and ran nothing. Several ResourceQuotas in a namespace all
-- apply, so the effective limit at a step is the smallest hard value; reported are the last and the largest
-- effective limit of the window. A namespace counts on the days it was labelled with $workspace.
WITH workspace_days AS (
    SELECT DISTINCT day, cluster, namespace, project
    FROM namespaces
    WHERE workspace = $workspace AND day >= $window_start AND day < $window_end
),
effective AS (
    SELECT q.cluster, q.namespace, d.project, q.ts, min(q.gpu_hard) AS gpu_hard
    FROM quota_steps AS q
    JOIN workspace_days AS d ON d.day = q.day AND d.cluster = q.cluster AND d.namespace = q.namespace
    WHERE q.day >= $window_start AND q.day < $window_end AND q.gpu_hard IS NOT NULL
    GROUP BY q.cluster, q.namespace, d.project, q.ts
)
SELECT
    cluster,
    namespace,
    arg_max(project, ts) AS project,
    arg_max(gpu_hard, ts) AS reserved_gpus,
    max(gpu_hard) AS max_reserved_gpus
FROM effective
GROUP BY cluster, namespace
ORDER BY cluster, namespace;
