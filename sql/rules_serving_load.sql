-- One row per serving workload: percentiles over steps of its mean per-GPU activity and of its summed
-- activity (busy-GPU equivalents), with the GPUs observed per step.
WITH per_step AS (
    SELECT
        cluster,
        namespace,
        workload,
        ts,
        avg(activity) AS mean_activity,
        sum(activity) AS busy_gpus,
        count(DISTINCT gpu_uuid) AS gpus_observed
    FROM rule_gpu_steps
    WHERE category = 'serving'
    GROUP BY cluster, namespace, workload, ts
)
SELECT
    cluster,
    namespace,
    workload,
    quantile_cont(mean_activity, 0.95) AS p95_activity,
    quantile_cont(busy_gpus, 0.95) AS p95_busy_gpus,
    max(busy_gpus) AS peak_busy_gpus,
    max(gpus_observed) AS max_gpus_observed,
    count(*) * $step_seconds / 3600.0 AS observed_hours
FROM per_step
GROUP BY cluster, namespace, workload
ORDER BY cluster, namespace, workload;
