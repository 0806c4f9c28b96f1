-- Asset check: Workspaces of one day whose totals differ from the sum of their Projects (should be 0).
SELECT count(*) FROM workspace_usage_daily AS w
JOIN (
    SELECT workspace, sum(allocated_gpu_hours) AS allocated, sum(used_gpu_hours) AS used, sum(idle_gpu_hours) AS idle
    FROM project_usage_daily WHERE day = $day GROUP BY workspace
) AS p USING (workspace)
WHERE w.day = $day AND (
    abs(w.allocated_gpu_hours - p.allocated) > 1e-6
    OR abs(w.used_gpu_hours - p.used) > 1e-6
    OR abs(w.idle_gpu_hours - p.idle) > 1e-6
);
