-- One row per (pod uid, GPU) over the window: activity, profiling, memory and power figures, and the hours of
-- GPU_UTIL >= $fake_util_min (high_util), of those with SM, tensor and DRAM data (profiled), and of those
-- where all three stay below $fake_profiling_max with power below $fake_power_max_w or unknown (fake_busy).
-- A MIG instance is a row of its own, with its profile, gpu_fraction and its model's compute_slices.
SELECT
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
    sum(activity) * $step_seconds / 3600.0 AS used_gpu_hours,
    avg(gpu_util) AS mean_gpu_util,
    avg(sm_active) AS mean_sm_active,
    avg(tensor_active) AS mean_tensor_active,
    count(tensor_active) * $step_seconds / 3600.0 AS tensor_hours,
    avg(dram_active) AS mean_dram_active,
    max(fb_used_mib) AS peak_fb_used_mib,
    max(fb_used_mib + fb_free_mib) AS fb_total_mib,
    max(memory_fraction) AS peak_memory_fraction,
    avg(power_w) AS mean_power_w,
    count(*) FILTER (WHERE gpu_util >= $fake_util_min) * $step_seconds / 3600.0 AS high_util_hours,
    count(*) FILTER (
        WHERE gpu_util >= $fake_util_min
          AND sm_active IS NOT NULL AND tensor_active IS NOT NULL AND dram_active IS NOT NULL
    ) * $step_seconds / 3600.0 AS high_util_profiled_hours,
    count(*) FILTER (
        WHERE gpu_util >= $fake_util_min
          AND sm_active < $fake_profiling_max
          AND tensor_active < $fake_profiling_max
          AND dram_active < $fake_profiling_max
          AND (power_w IS NULL OR power_w < $fake_power_max_w)
    ) * $step_seconds / 3600.0 AS fake_busy_hours,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    gpu_instance_id,
    any_value(mig_profile) AS mig_profile,
    max(gpu_fraction) AS gpu_fraction,
    any_value(compute_slices) AS compute_slices
FROM rule_gpu_steps
GROUP BY namespace, workload, uid, gpu_uuid, gpu_instance_id
ORDER BY namespace, workload, uid, gpu_uuid, gpu_instance_id;
