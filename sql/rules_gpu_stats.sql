-- One row per (pod uid, GPU) over the window: activity, profiling, memory and power figures, idle hours (activity
-- < $idle_threshold, as in the usage tables), and the hours of activity >= $fake_activity_min (high_util), of those
-- the busy_looking_idle macro could judge (profiled: TRUE or FALSE, not NULL), and of those it judged busy-looking
-- idle (fake_busy). used_gpu_hours leaves fake-busy out.
-- A MIG instance is a row of its own, with its profile, gpu_fraction and its model's compute_slices.
SELECT
    cluster,
    namespace,
    workload,
    uid,
    any_value(pod) AS pod,
    any_value(node) AS node,
    gpu_uuid,
    any_value(gpu_model) AS gpu_model,
    any_value(category) AS category,
    max(gpus_requested) AS gpus_requested,
    count(*) * $step_seconds / 3600.0 AS observed_hours,
    count(activity) * $step_seconds / 3600.0 AS activity_hours,
    max(activity) AS max_activity,
    avg(activity) AS mean_activity,
    sum(CASE WHEN busy_looking_idle THEN 0 ELSE activity END) * $step_seconds / 3600.0 AS used_gpu_hours,
    -- GPU-hours (a MIG instance or a replica counts its share), as idle_gpu_hours in the usage tables
    coalesce(sum(gpu_fraction) FILTER (WHERE activity < $idle_threshold), 0) * $step_seconds / 3600.0 AS idle_hours,
    avg(gpu_util) AS mean_gpu_util,
    avg(sm_active) AS mean_sm_active,
    avg(tensor_active) AS mean_tensor_active,
    count(tensor_active) * $step_seconds / 3600.0 AS tensor_hours,
    avg(dram_active) AS mean_dram_active,
    max(fb_used_mib) AS peak_fb_used_mib,
    max(fb_used_mib + fb_free_mib) AS fb_total_mib,
    max(memory_fraction) AS peak_memory_fraction,
    avg(power_w) AS mean_power_w,
    count(*) FILTER (WHERE activity >= $fake_activity_min) * $step_seconds / 3600.0 AS high_util_hours,
    count(*) FILTER (
        WHERE activity >= $fake_activity_min AND busy_looking_idle IS NOT NULL
    ) * $step_seconds / 3600.0 AS high_util_profiled_hours,
    count(*) FILTER (WHERE busy_looking_idle) * $step_seconds / 3600.0 AS fake_busy_hours,
    avg(power_w) FILTER (WHERE busy_looking_idle) AS fake_busy_mean_power_w,
    any_value(idle_power_w) AS idle_power_w,
    any_value(max_power_w) AS max_power_w,
    any_value(power_source) AS power_source,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    gpu_instance_id,
    any_value(mig_profile) AS mig_profile,
    max(gpu_fraction) AS gpu_fraction,
    any_value(compute_slices) AS compute_slices
FROM rule_gpu_steps
GROUP BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id
ORDER BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id;
