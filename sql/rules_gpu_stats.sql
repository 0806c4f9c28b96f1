-- One row per (pod uid, GPU) over the window: activity, profiling, memory and power figures, idle hours (activity
-- < $idle_threshold, as in the usage tables), and the hours of activity >= $fake_activity_min (high_util), of those
-- the busy_looking_idle macro could judge (profiled: TRUE or FALSE, not NULL), and of those it judged busy-looking
-- idle (fake_busy). used_gpu_hours leaves fake-busy out.
-- A MIG instance is a row of its own, with its profile, gpu_fraction and its model's compute_slices.
-- Merged from the window's per-day aggregates (rule_gpu_day for the days [$full_first, $full_last] the window
-- covers whole, partial_rule_gpu_day for a part of a day at its edges; sql/stage_rule_gpu_day.sql): sums of exact
-- sums and counts, maxima of maxima. The busy-looking-idle candidates are judged here by the macro against the
-- window's power limits (gpu_power_limits, staged by core/busy_looking.py over the window).
WITH days AS (
    SELECT * FROM rule_gpu_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_rule_gpu_day
),
candidates AS (
    -- every busy-looking-idle candidate step, judged against the window's limits: rows of their own, merged with
    -- their holder's day rows (their other columns NULL, which the day rows' aggregates skip)
    SELECT
        d.cluster,
        d.namespace,
        d.workload,
        d.uid,
        d.gpu_uuid,
        d.gpu_instance_id,
        s.step.activity AS candidate_activity,
        s.step.power_w AS candidate_power_w,
        busy_looking_idle(
            s.step.activity, s.step.sm_active, s.step.tensor_active, s.step.dram_active, s.step.power_w,
            l.idle_power_w, l.max_power_w,
            $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
        ) AS busy
    FROM days AS d
    CROSS JOIN unnest(d.busy_candidates) AS s(step)
    LEFT JOIN gpu_power_limits AS l ON l.cluster = d.cluster AND l.gpu_uuid = d.gpu_uuid
),
merged AS (
    SELECT
        COLUMNS(gpu_holder_key()),
        any_value(COLUMNS(['pod', 'node', 'gpu_model', 'category'])),
        max(gpus_requested) AS gpus_requested,
        sum(steps) AS steps,
        sum(activity_steps) AS activity_steps,
        max(max_activity) AS max_activity,
        sum(activity_sum) AS activity_sum,
        sum(idle_fraction_steps) AS idle_fraction_steps,
        sum(gpu_util_sum) / nullif(sum(gpu_util_steps), 0) AS mean_gpu_util,
        sum(sm_active_sum) / nullif(sum(sm_active_steps), 0) AS mean_sm_active,
        sum(tensor_active_sum) / nullif(sum(tensor_active_steps), 0) AS mean_tensor_active,
        sum(tensor_active_steps) AS tensor_steps,
        sum(dram_active_sum) / nullif(sum(dram_active_steps), 0) AS mean_dram_active,
        max(peak_fb_used_mib) AS peak_fb_used_mib,
        max(fb_total_mib) AS fb_total_mib,
        max(peak_memory_fraction) AS peak_memory_fraction,
        sum(power_sum) / nullif(sum(power_steps), 0) AS mean_power_w,
        sum(high_util_steps) AS high_util_steps,
        sum(high_util_not_busy_steps) AS high_util_not_busy_steps,
        min(first_ts) AS first_ts,
        max(last_ts) AS last_ts,
        any_value(mig_profile) AS mig_profile,
        max(gpu_fraction) AS gpu_fraction,
        any_value(compute_slices) AS compute_slices,
        count(*) FILTER (WHERE busy) AS fake_busy_steps,
        count(*) FILTER (WHERE candidate_activity >= $fake_activity_min AND busy IS NOT NULL) AS high_util_profiled_steps,
        sum(CAST(candidate_activity AS DECIMAL(38, 12))) FILTER (WHERE busy) AS fake_busy_activity_sum,
        round(avg(candidate_power_w) FILTER (WHERE busy), 6) AS fake_busy_mean_power_w
    FROM (SELECT * FROM days UNION ALL BY NAME SELECT * FROM candidates)
    GROUP BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id
)
SELECT
    m.cluster,
    m.namespace,
    m.workload,
    m.uid,
    m.pod,
    m.node,
    m.gpu_uuid,
    m.gpu_model,
    m.category,
    m.gpus_requested,
    m.steps * $step_seconds / 3600.0 AS observed_hours,
    m.activity_steps * $step_seconds / 3600.0 AS activity_hours,
    m.max_activity,
    CAST(m.activity_sum / nullif(m.activity_steps, 0) AS DOUBLE) AS mean_activity,
    CAST(m.activity_sum - coalesce(m.fake_busy_activity_sum, 0) AS DOUBLE) * $step_seconds / 3600.0
        AS used_gpu_hours,
    -- GPU-hours (a MIG instance or a replica counts its share), as idle_gpu_hours in the usage tables
    m.idle_fraction_steps * $step_seconds / 3600.0 AS idle_hours,
    CAST(m.mean_gpu_util AS DOUBLE) AS mean_gpu_util,
    CAST(m.mean_sm_active AS DOUBLE) AS mean_sm_active,
    CAST(m.mean_tensor_active AS DOUBLE) AS mean_tensor_active,
    m.tensor_steps * $step_seconds / 3600.0 AS tensor_hours,
    CAST(m.mean_dram_active AS DOUBLE) AS mean_dram_active,
    m.peak_fb_used_mib,
    m.fb_total_mib,
    m.peak_memory_fraction,
    CAST(m.mean_power_w AS DOUBLE) AS mean_power_w,
    m.high_util_steps * $step_seconds / 3600.0 AS high_util_hours,
    (m.high_util_not_busy_steps + m.high_util_profiled_steps) * $step_seconds / 3600.0
        AS high_util_profiled_hours,
    m.fake_busy_steps * $step_seconds / 3600.0 AS fake_busy_hours,
    m.fake_busy_mean_power_w,
    l.idle_power_w,
    l.max_power_w,
    l.power_source,
    m.first_ts,
    m.last_ts,
    m.gpu_instance_id,
    m.mig_profile,
    m.gpu_fraction,
    m.compute_slices
FROM merged AS m
LEFT JOIN gpu_power_limits AS l ON l.cluster = m.cluster AND l.gpu_uuid = m.gpu_uuid
ORDER BY m.cluster, m.namespace, m.workload, m.uid, m.gpu_uuid, m.gpu_instance_id;
