-- Load one day of project_usage_daily: pod_usage_daily summed per (cluster, namespace) (= Project), with
-- busy-looking idle GPU-hours, H100-equivalent hours (GPU-hours × the model's weight) and cost when a price is configured; usage_estimated when
-- any of its used GPU-hours were split from a time-sliced GPU (estimated_used_gpu_hours of them).
INSERT INTO project_usage_daily BY NAME
SELECT
    CAST($day AS DATE) AS day,
    workspace,
    project,
    namespace,
    count(DISTINCT uid) AS pods,
    exact_sum(COLUMNS(usage_hours())),
    exact_sum(used_gpu_hours) / nullif(exact_sum(allocated_gpu_hours), 0) AS efficiency,
    exact_sum(allocated_gpu_hours * h100_equivalent) AS allocated_h100_equivalent_hours,
    exact_sum(idle_gpu_hours * h100_equivalent) AS idle_h100_equivalent_hours,
    exact_sum(allocated_gpu_hours * price_per_gpu_hour) AS allocated_cost,
    exact_sum(idle_gpu_hours * price_per_gpu_hour) AS idle_cost,
    exact_sum(busy_looking_idle_gpu_hours) AS busy_looking_idle_gpu_hours,
    bool_or(usage_estimated) AS usage_estimated,
    coalesce(exact_sum(CASE WHEN usage_estimated THEN used_gpu_hours END), 0) AS estimated_used_gpu_hours,
    cluster
FROM pod_usage_daily
WHERE day = $day
GROUP BY cluster, workspace, project, namespace;
