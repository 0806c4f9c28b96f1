-- Load one day of workspace_usage_daily: project_usage_daily summed per Workspace over all of its clusters (a
-- Project is (cluster, namespace)); cluster lists the clusters of its Projects, joined by ',' ('' when
-- labels.cluster_label is off).
INSERT INTO workspace_usage_daily
SELECT
    CAST($day AS DATE) AS day,
    workspace,
    count(*) AS projects,
    exact_sum(pods) AS pods,
    exact_sum(COLUMNS(usage_hours())),
    exact_sum(used_gpu_hours) / nullif(exact_sum(allocated_gpu_hours), 0) AS efficiency,
    exact_sum(allocated_h100_equivalent_hours) AS allocated_h100_equivalent_hours,
    exact_sum(idle_h100_equivalent_hours) AS idle_h100_equivalent_hours,
    exact_sum(allocated_cost) AS allocated_cost,
    exact_sum(idle_cost) AS idle_cost,
    exact_sum(busy_looking_idle_gpu_hours) AS busy_looking_idle_gpu_hours,
    string_agg(DISTINCT cluster, ',' ORDER BY cluster) AS cluster
FROM project_usage_daily
WHERE day = $day
GROUP BY workspace;
