-- One Workspace's allocation against use over [$window_start, $window_end): sums of project_usage_daily.
-- Always one row (zeros when the Workspace has no usage in the window). Costs are NULL when no row has a
-- price; cost_rows < usage_rows means some GPU models have no price and the cost is partial.
SELECT
    coalesce(sum(allocated_gpu_hours), 0) AS allocated_gpu_hours,
    coalesce(sum(used_gpu_hours), 0) AS used_gpu_hours,
    coalesce(sum(idle_gpu_hours), 0) AS idle_gpu_hours,
    coalesce(sum(low_use_gpu_hours), 0) AS low_use_gpu_hours,
    coalesce(sum(no_data_gpu_hours), 0) AS no_data_gpu_hours,
    coalesce(sum(busy_looking_idle_gpu_hours), 0) AS busy_looking_idle_gpu_hours,
    coalesce(sum(allocated_h100_equivalent_hours), 0) AS allocated_h100_equivalent_hours,
    coalesce(sum(idle_h100_equivalent_hours), 0) AS idle_h100_equivalent_hours,
    sum(allocated_cost) AS allocated_cost,
    sum(idle_cost) AS idle_cost,
    count(*) AS usage_rows,
    count(allocated_cost) AS cost_rows
FROM project_usage_daily
WHERE workspace = $workspace AND day >= $window_start AND day < $window_end;
