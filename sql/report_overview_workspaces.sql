-- Cluster overview: one row per Workspace with usage or recommendations in [$window_start, $window_end):
-- its sums and the GPU-hours per week recoverable by its non-exempt recommendations of the evaluation dated
-- $evaluated_on (report_latest_evaluation.sql).
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
recoverable AS (
    SELECT
        workspace,
        count(*) FILTER (WHERE NOT exempt) AS recommendations,
        coalesce(sum(gpu_hours_recoverable_per_week) FILTER (WHERE NOT exempt), 0) AS gpu_hours_recoverable_per_week
    FROM report_ticket_findings
    WHERE evaluated_on = $evaluated_on AND NOT cluster_level
    GROUP BY workspace
)
SELECT
    coalesce(u.workspace, r.workspace) AS workspace,
    coalesce(COLUMNS(u.* EXCLUDE (workspace)), 0),
    coalesce(COLUMNS(r.* EXCLUDE (workspace)), 0)
FROM usage AS u
FULL OUTER JOIN recoverable AS r ON r.workspace = u.workspace
ORDER BY idle_gpu_hours DESC, gpu_hours_recoverable_per_week DESC, workspace;
