-- One row per continuous run (gaps and islands) of a GPU held by a pod in which activity < the idle rule's
-- activity_max ($kind 'idle') or, for 'held', also memory_fraction >= the held-memory rule's fraction_min (the
-- thresholds the days were aggregated with: rule_aggregate_days' fingerprint). A busy step, a step without activity
-- data or a missing step ends a run. Runs shorter than $min_run_hours are left out.
-- trailing: the run reaches the GPU's last step in the window (idle at the end: late idle). A MIG instance
-- (gpu_instance_id) runs on its own; gpu_fraction is the share of the GPU it or a time-sliced replica stands for.
-- Merged from the window's per-day runs (idle_runs_day for the days [$full_first, $full_last], partial_idle_runs_day
-- for a part of a day at the window's edges; sql/stage_idle_runs_day.sql): a run that starts one step after the
-- previous run of its GPU ended (across midnight, or two) continues it.
WITH day_runs AS (
    SELECT * FROM idle_runs_day WHERE kind = $kind AND day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_idle_runs_day WHERE kind = $kind
),
gpu_days AS (
    SELECT * FROM rule_gpu_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_rule_gpu_day
),
gpu_last AS (
    SELECT cluster, uid, gpu_uuid, gpu_instance_id, max(last_ts) AS gpu_last_ts
    FROM gpu_days
    GROUP BY cluster, uid, gpu_uuid, gpu_instance_id
),
chained AS (
    SELECT
        *,
        CASE
            WHEN run_start = lag(run_last_ts) OVER gpu + to_seconds($step_seconds) THEN 0
            ELSE 1
        END AS starts_run
    FROM day_runs
    WINDOW gpu AS (PARTITION BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id ORDER BY run_start)
),
numbered AS (
    SELECT
        *,
        sum(starts_run) OVER (
            PARTITION BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id ORDER BY run_start
            ROWS UNBOUNDED PRECEDING
        ) AS run_number
    FROM chained
)
SELECT
    r.cluster,
    r.namespace,
    r.workload,
    r.uid,
    any_value(r.pod) AS pod,
    any_value(r.node) AS node,
    r.gpu_uuid,
    any_value(r.category) AS category,
    any_value(r.purpose) AS purpose,
    min(r.run_start) AS run_start,
    max(r.run_last_ts) + to_seconds($step_seconds) AS run_end,
    sum(r.steps) * $step_seconds / 3600.0 AS run_hours,
    max(r.run_last_ts) = any_value(g.gpu_last_ts) AS trailing,
    sum(r.memory_fraction_sum) / nullif(sum(r.memory_fraction_steps), 0) AS mean_memory_fraction,
    r.gpu_instance_id,
    max(r.gpu_fraction) AS gpu_fraction
FROM numbered AS r
LEFT JOIN gpu_last AS g
    ON g.cluster = r.cluster
    AND g.uid IS NOT DISTINCT FROM r.uid
    AND g.gpu_uuid IS NOT DISTINCT FROM r.gpu_uuid
    AND g.gpu_instance_id IS NOT DISTINCT FROM r.gpu_instance_id
GROUP BY r.cluster, r.namespace, r.workload, r.uid, r.gpu_uuid, r.gpu_instance_id, r.run_number
HAVING sum(r.steps) * $step_seconds / 3600.0 >= $min_run_hours
ORDER BY r.cluster, r.namespace, r.workload, r.uid, r.gpu_uuid, min(r.run_start);
