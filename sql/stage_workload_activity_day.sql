-- The day's (or a window's part of a day) serving load from rule_gpu_steps: per serving workload, each step's mean
-- per-GPU activity and summed activity (busy-GPU equivalents) in step order, its peak and most GPUs observed
-- (staged_workload_activity_day; rules_serving_load.sql merges it).
-- The key (one list, here and in the merge): cluster, namespace, workload.
CREATE OR REPLACE TEMP TABLE staged_workload_activity_day AS
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
    CAST($range_start AS DATE) AS day,
    cluster,
    namespace,
    workload,
    list(mean_activity ORDER BY ts) AS mean_activity,
    list(busy_gpus ORDER BY ts) AS busy_gpus,
    max(busy_gpus) AS peak_busy_gpus,
    max(gpus_observed) AS max_gpus_observed,
    count(*) AS steps
FROM per_step
GROUP BY cluster, namespace, workload;
