-- One row per Project (cluster, namespace) of a Workspace with usage in [$window_start, $window_end): its sums.
-- The same namespace in two clusters is two rows.
SELECT
    cluster,
    project,
    namespace,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(low_use_gpu_hours) AS low_use_gpu_hours,
    sum(no_data_gpu_hours) AS no_data_gpu_hours,
    coalesce(sum(busy_looking_idle_gpu_hours), 0) AS busy_looking_idle_gpu_hours,
    sum(allocated_h100_equivalent_hours) AS allocated_h100_equivalent_hours,
    sum(idle_h100_equivalent_hours) AS idle_h100_equivalent_hours,
    sum(allocated_cost) AS allocated_cost,
    sum(idle_cost) AS idle_cost,
    count(*) AS usage_rows,
    count(allocated_cost) AS cost_rows,
    coalesce(sum(estimated_used_gpu_hours), 0) AS estimated_used_gpu_hours
FROM project_usage_daily
WHERE workspace = $workspace AND day >= $window_start AND day < $window_end
GROUP BY cluster, project, namespace
ORDER BY sum(allocated_gpu_hours) DESC, project, namespace, cluster;
