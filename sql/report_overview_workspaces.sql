-- Cluster overview: one row per Workspace with usage or recommendations in [$window_start, $window_end):
-- its sums and the GPU-hours per week recoverable by its non-exempt recommendations of the latest run.
-- Cluster-level findings (workspace 'cluster', no namespace: defragment) are listed on their own, not ranked.
WITH usage AS (
    SELECT
        workspace,
        count(DISTINCT namespace) AS projects,
        sum(allocated_gpu_hours) AS allocated_gpu_hours,
        sum(used_gpu_hours) AS used_gpu_hours,
        sum(idle_gpu_hours) AS idle_gpu_hours,
        sum(no_data_gpu_hours) AS no_data_gpu_hours,
        sum(allocated_h100_equivalent_hours) AS allocated_h100_equivalent_hours,
        sum(idle_h100_equivalent_hours) AS idle_h100_equivalent_hours
    FROM project_usage_daily
    WHERE day >= $window_start AND day < $window_end
    GROUP BY workspace
),
latest AS (
    SELECT max(evaluated_on) AS evaluated_on
    FROM recommendations
    WHERE evaluated_on >= $window_start AND evaluated_on < $window_end
),
recoverable AS (
    SELECT
        r.workspace,
        count(*) FILTER (WHERE NOT r.exempt) AS recommendations,
        coalesce(sum(r.gpu_hours_recoverable_per_week) FILTER (WHERE NOT r.exempt), 0)
            AS gpu_hours_recoverable_per_week
    FROM recommendations AS r
    JOIN latest AS l ON r.evaluated_on = l.evaluated_on
    WHERE NOT (r.workspace = 'cluster' AND r.namespace = '')
    GROUP BY r.workspace
)
SELECT
    coalesce(u.workspace, r.workspace) AS workspace,
    coalesce(u.projects, 0) AS projects,
    coalesce(u.allocated_gpu_hours, 0) AS allocated_gpu_hours,
    coalesce(u.used_gpu_hours, 0) AS used_gpu_hours,
    coalesce(u.idle_gpu_hours, 0) AS idle_gpu_hours,
    coalesce(u.no_data_gpu_hours, 0) AS no_data_gpu_hours,
    coalesce(u.allocated_h100_equivalent_hours, 0) AS allocated_h100_equivalent_hours,
    coalesce(u.idle_h100_equivalent_hours, 0) AS idle_h100_equivalent_hours,
    coalesce(r.recommendations, 0) AS recommendations,
    coalesce(r.gpu_hours_recoverable_per_week, 0) AS gpu_hours_recoverable_per_week
FROM usage AS u
FULL OUTER JOIN recoverable AS r ON r.workspace = u.workspace
ORDER BY idle_gpu_hours DESC, gpu_hours_recoverable_per_week DESC, workspace;
