-- Preview for the Dagster UI: the Workspaces of one day, most allocated GPU-hours first.
SELECT workspace, projects, pods, allocated_gpu_hours, used_gpu_hours, idle_gpu_hours, efficiency
FROM workspace_usage_daily
WHERE day = $day
ORDER BY allocated_gpu_hours DESC, workspace
LIMIT $limit
