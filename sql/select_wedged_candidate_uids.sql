-- The pod uids of the window's workloads that could hold a wedged collective: at some step at least 2 of their GPU
-- steps are busy-looking idle (judged from the per-day busy-looking candidates against the window's power limits,
-- gpu_power_limits, by the one macro). A wedged gang step needs 2 such GPUs at one step, and a gang is a workload
-- or one of its pods, so rules_wedged_gpus.sql finds every wedged run among these workloads' pods (all of them:
-- the gang's other GPUs count too).
WITH gpu_days AS (
    SELECT * FROM rule_gpu_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_rule_gpu_day
),
busy AS (
    SELECT d.cluster, d.namespace, d.workload, s.step.ts
    FROM gpu_days AS d
    CROSS JOIN unnest(d.busy_candidates) AS s(step)
    LEFT JOIN gpu_power_limits AS l ON l.cluster = d.cluster AND l.gpu_uuid = d.gpu_uuid
    WHERE busy_looking_idle(
        s.step.activity, s.step.sm_active, s.step.tensor_active, s.step.dram_active, s.step.power_w,
        l.idle_power_w, l.max_power_w,
        $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    )
),
candidates AS (
    SELECT DISTINCT cluster, namespace, workload FROM busy GROUP BY cluster, namespace, workload, ts HAVING count(*) >= 2
),
workload_days AS (
    SELECT * FROM workload_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_workload_day
)
SELECT coalesce(list_sort(list_distinct(flatten(list(w.uids)))), []) AS uids
FROM workload_days AS w
JOIN candidates AS c ON c.cluster = w.cluster AND c.namespace IS NOT DISTINCT FROM w.namespace AND c.workload IS NOT DISTINCT FROM w.workload;
