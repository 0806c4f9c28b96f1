-- One row per continuous run (gaps and islands) of a GPU held by a pod in which activity < $activity_max and,
-- when $memory_fraction_min > 0, memory_fraction >= $memory_fraction_min. A busy step, a step without
-- activity data or a missing step ends a run. Runs shorter than $min_run_hours are left out.
-- trailing: the run reaches the GPU's last step in the window (idle at the end: late idle). A MIG instance
-- (gpu_instance_id) runs on its own; gpu_fraction is the share of the GPU it or a time-sliced replica stands for.
WITH flagged AS (
    SELECT
        *,
        coalesce(
            activity < $activity_max
            AND ($memory_fraction_min <= 0 OR memory_fraction >= $memory_fraction_min),
            false
        ) AS in_run,
        max(ts) OVER (PARTITION BY cluster, uid, gpu_uuid, gpu_instance_id) AS gpu_last_ts
    FROM rule_gpu_steps
),
islands AS (
    SELECT
        *,
        epoch_ms(ts) // ($step_seconds * 1000)
            - row_number() OVER (PARTITION BY cluster, uid, gpu_uuid, gpu_instance_id ORDER BY ts) AS island
    FROM flagged
    WHERE in_run
)
SELECT
    cluster,
    namespace,
    workload,
    uid,
    any_value(pod) AS pod,
    any_value(node) AS node,
    gpu_uuid,
    any_value(category) AS category,
    any_value(purpose) AS purpose,
    min(ts) AS run_start,
    max(ts) + to_seconds($step_seconds) AS run_end,
    count(*) * $step_seconds / 3600.0 AS run_hours,
    max(ts) = any_value(gpu_last_ts) AS trailing,
    avg(memory_fraction) AS mean_memory_fraction,
    gpu_instance_id,
    max(gpu_fraction) AS gpu_fraction
FROM islands
GROUP BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id, island
HAVING count(*) * $step_seconds / 3600.0 >= $min_run_hours
ORDER BY cluster, namespace, workload, uid, gpu_uuid, run_start;
