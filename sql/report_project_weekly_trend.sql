-- One row per (Project, week) of $workspace over the weeks before $window_end: week 0 is the 7 days ending with
-- $window_end (exclusive), week k the 7 days before week k-1, back to $trend_start. Sums of project_usage_daily;
-- weeks without a row for the Project are absent (reports.trends fills them from the covered days).
SELECT
    namespace,
    any_value(project ORDER BY day DESC) AS project,
    CAST((date_diff('day', day, CAST($window_end AS DATE)) - 1) // 7 AS INTEGER) AS week_index,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours
FROM project_usage_daily
WHERE workspace = $workspace AND day >= $trend_start AND day < $window_end
GROUP BY namespace, week_index
ORDER BY namespace, week_index;
