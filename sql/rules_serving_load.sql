-- One row per serving workload: percentiles over steps of its mean per-GPU activity and of its summed
-- activity (busy-GPU equivalents), with the GPUs observed per step.
-- Merged from the window's per-day step values (workload_activity_day for the days [$full_first, $full_last],
-- partial_workload_activity_day for a part of a day at its edges; sql/stage_workload_activity_day.sql): the
-- percentiles over the days' steps are the same as over the window's.
WITH days AS (
    SELECT * FROM workload_activity_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_workload_activity_day
),
steps AS (
    SELECT cluster, namespace, workload, unnest(mean_activity) AS mean_activity, unnest(busy_gpus) AS busy_gpus
    FROM days
),
percentiles AS (
    SELECT
        cluster,
        namespace,
        workload,
        quantile_cont(mean_activity, 0.95) AS p95_activity,
        quantile_cont(busy_gpus, 0.95) AS p95_busy_gpus
    FROM steps
    GROUP BY cluster, namespace, workload
)
SELECT
    d.cluster,
    d.namespace,
    d.workload,
    any_value(p.p95_activity) AS p95_activity,
    any_value(p.p95_busy_gpus) AS p95_busy_gpus,
    max(d.peak_busy_gpus) AS peak_busy_gpus,
    max(d.max_gpus_observed) AS max_gpus_observed,
    sum(d.steps) * $step_seconds / 3600.0 AS observed_hours
FROM days AS d
LEFT JOIN percentiles AS p ON p.cluster = d.cluster AND p.namespace IS NOT DISTINCT FROM d.namespace AND p.workload IS NOT DISTINCT FROM d.workload
GROUP BY d.cluster, d.namespace, d.workload
ORDER BY d.cluster, d.namespace, d.workload;
