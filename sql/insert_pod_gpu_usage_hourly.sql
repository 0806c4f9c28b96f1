-- Load one day of pod_gpu_usage_hourly from held_gpu_steps: per (hour, pod uid, GPU) the hours observed,
-- used (busy-looking idle steps excluded), idle and busy-looking idle, and mean activity figures, for charts and the hour-of-week heatmap.
INSERT INTO pod_gpu_usage_hourly
SELECT
    CAST($day AS DATE) AS day,
    date_trunc('hour', ts) AS hour,
    uid,
    gpu_uuid,
    arg_max(namespace, ts) AS namespace,
    count(*) * $step_seconds / 3600.0 AS observed_gpu_hours,
    exact_sum(CASE WHEN busy_looking_idle THEN 0 ELSE activity END) * $step_seconds / 3600.0 AS used_gpu_hours,
    count(*) FILTER (WHERE activity < $idle_threshold) * $step_seconds / 3600.0 AS idle_gpu_hours,
    exact_avg(activity) AS mean_activity,
    max(activity) AS max_activity,
    exact_avg(memory_fraction) AS mean_memory_fraction,
    exact_avg(gpu_util) AS mean_gpu_util,
    exact_avg(sm_active) AS mean_sm_active,
    exact_avg(tensor_active) AS mean_tensor_active,
    exact_avg(dram_active) AS mean_dram_active,
    exact_avg(power_w) AS mean_power_w,
    count(*) FILTER (WHERE busy_looking_idle) * $step_seconds / 3600.0 AS busy_looking_idle_gpu_hours
FROM held_gpu_steps
GROUP BY date_trunc('hour', ts), uid, gpu_uuid;
