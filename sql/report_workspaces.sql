-- Workspaces to report on for the window [$window_start, $window_end): every Workspace with usage in it or
-- a recommendation in the latest evaluation run dated in [$window_start, $window_end). Sorted by name.
-- Cluster-level findings (workspace 'cluster' with no namespace: the defragment tickets) belong to the
-- platform team and are shown on the cluster overview only, so they make no Workspace.
WITH latest AS (
    SELECT max(evaluated_on) AS evaluated_on
    FROM recommendations
    WHERE evaluated_on >= $window_start AND evaluated_on < $window_end
)
SELECT workspace
FROM project_usage_daily
WHERE day >= $window_start AND day < $window_end
UNION
SELECT r.workspace
FROM recommendations AS r
JOIN latest AS l ON r.evaluated_on = l.evaluated_on
WHERE NOT (r.workspace = 'cluster' AND r.namespace = '')
ORDER BY workspace;
