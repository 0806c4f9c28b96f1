-- Write-back series of one day (stage usage): each Workspace's efficiency over the whole day
-- (workspace_usage_daily, the figure of the reports) and its alert threshold, repeated at every hour of the day,
-- so that an alert rule can ask "below its threshold on each of the last 3 days". $thresholds maps a Workspace
-- to its own threshold; the others get $default_threshold.
WITH hours AS (
    SELECT hour FROM range(CAST($day AS TIMESTAMP), CAST($day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 HOUR) AS t(hour)
),
wide AS (
    SELECT
        h.hour,
        u.workspace,
        u.efficiency AS workspace_daily_efficiency,
        coalesce(CAST($thresholds AS MAP(VARCHAR, DOUBLE))[u.workspace], $default_threshold)
            AS workspace_efficiency_threshold
    FROM workspace_usage_daily AS u
    CROSS JOIN hours AS h
    WHERE u.day = $day
)
SELECT 'gpu_reclaim_' || metric AS metric, hour, value, workspace
FROM (UNPIVOT wide ON workspace_daily_efficiency, workspace_efficiency_threshold INTO NAME metric VALUE value)
ORDER BY metric, workspace, hour;
