-- Load one day of pod_gpu_usage_hourly from held_gpu_steps: per (hour, pod uid, GPU) the hours observed, used
-- (busy-looking idle steps excluded), idle and busy-looking idle, and mean activity figures, for charts and the
-- hour-of-week heatmap (a MIG instance: a row of its own; GPU-hours weighted by gpu_fraction as in
-- insert_pod_gpu_usage_daily.sql).
INSERT INTO pod_gpu_usage_hourly BY NAME
SELECT
    CAST($day AS DATE) AS day,
    date_trunc('hour', ts) AS hour,
    uid,
    gpu_uuid,
    arg_max(namespace, ts) AS namespace,
    exact_sum(gpu_fraction) * $step_seconds / 3600.0 AS observed_gpu_hours,
    exact_sum(CASE WHEN busy_looking_idle THEN 0 ELSE used_share END) * $step_seconds / 3600.0 AS used_gpu_hours,
    coalesce(exact_sum(CASE WHEN activity < $idle_threshold THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS idle_gpu_hours,
    exact_avg(activity) AS mean_activity,
    max(activity) AS max_activity,
    exact_avg(memory_fraction) AS mean_memory_fraction,
    exact_avg(gpu_util) AS mean_gpu_util,
    exact_avg(sm_active) AS mean_sm_active,
    exact_avg(tensor_active) AS mean_tensor_active,
    exact_avg(dram_active) AS mean_dram_active,
    exact_avg(power_w) AS mean_power_w,
    coalesce(exact_sum(CASE WHEN busy_looking_idle THEN gpu_fraction END), 0) * $step_seconds / 3600.0
        AS busy_looking_idle_gpu_hours,
    gpu_instance_id,
    max(gpu_fraction) AS gpu_fraction,
    bool_or(usage_estimated) AS usage_estimated,
    cluster
FROM held_gpu_steps
GROUP BY date_trunc('hour', ts), cluster, uid, gpu_uuid, gpu_instance_id;
