-- Load one day of pod_gpu_usage_daily from held_gpu_steps: per (pod uid, GPU), hours observed, used
-- (Σ activity × step), idle (activity < $idle_threshold), low use (< $low_use_threshold), and the
-- distribution of activity, memory, tensor/DRAM/SM activity and power. A row per device the pod held: a MIG instance
-- (gpu_instance_id) is a row of its own, and hours are GPU-hours: a step counts gpu_fraction of an hour (its used
-- share for used_gpu_hours), so idle and low use are judged on the instance's or replica's own activity.
-- Busy-looking idle steps (held_gpu_steps.busy_looking_idle) count in busy_looking_idle_gpu_hours and add nothing to
-- used_gpu_hours.
INSERT INTO pod_gpu_usage_daily BY NAME
SELECT
    CAST($day AS DATE) AS day,
    uid,
    gpu_uuid,
    arg_max(namespace, ts) AS namespace,
    arg_max(pod, ts) AS pod,
    arg_max(node, ts) AS node,
    arg_max(gpu_model, ts) AS gpu_model,
    CASE WHEN count(DISTINCT activity_source) = 1 THEN any_value(activity_source) ELSE 'mixed' END
        AS activity_source,
    exact_sum(gpu_fraction) * $step_seconds / 3600.0 AS observed_gpu_hours,
    exact_sum(CASE WHEN busy_looking_idle THEN 0 ELSE used_share END) * $step_seconds / 3600.0 AS used_gpu_hours,
    coalesce(exact_sum(CASE WHEN activity < $idle_threshold THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS idle_gpu_hours,
    coalesce(exact_sum(CASE WHEN activity < $low_use_threshold THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS low_use_gpu_hours,
    exact_avg(activity) AS mean_activity,
    quantile_cont(activity, 0.5) AS p50_activity,
    quantile_cont(activity, 0.95) AS p95_activity,
    max(activity) AS max_activity,
    exact_avg(gpu_util) AS mean_gpu_util,
    exact_avg(sm_active) AS mean_sm_active,
    exact_avg(tensor_active) AS mean_tensor_active,
    exact_avg(dram_active) AS mean_dram_active,
    exact_avg(memory_fraction) AS mean_memory_fraction,
    max(memory_fraction) AS peak_memory_fraction,
    max(fb_used_mib) AS peak_fb_used_mib,
    exact_avg(power_w) AS mean_power_w,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    max(ts) FILTER (WHERE activity >= $idle_threshold) AS last_active_ts,
    coalesce(exact_sum(CASE WHEN busy_looking_idle THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS busy_looking_idle_gpu_hours,
    any_value(idle_power_w) AS idle_power_w,
    any_value(max_power_w) AS max_power_w,
    any_value(power_source) AS power_source,
    gpu_instance_id,
    arg_max(mig_profile, ts) AS mig_profile,
    max(gpu_fraction) AS gpu_fraction,
    bool_or(usage_estimated) AS usage_estimated,
    cluster
FROM held_gpu_steps
GROUP BY cluster, uid, gpu_uuid, gpu_instance_id;
