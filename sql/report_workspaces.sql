-- Workspaces to report on for the window [$window_start, $window_end): every Workspace with usage in it or
-- a recommendation in the latest evaluation run dated in [$window_start, $window_end]. Sorted by name.
WITH latest AS (
    SELECT max(evaluated_on) AS evaluated_on
    FROM recommendations
    WHERE evaluated_on >= $window_start AND evaluated_on <= $window_end
)
SELECT workspace
FROM project_usage_daily
WHERE day >= $window_start AND day < $window_end
UNION
SELECT r.workspace
FROM recommendations AS r
JOIN latest AS l ON r.evaluated_on = l.evaluated_on
ORDER BY workspace;
