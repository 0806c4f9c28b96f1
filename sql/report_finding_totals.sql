-- Per Workspace (and 'cluster' for the defrag tickets): the totals of the latest evaluation run dated in
-- [$window_start, $window_end), one meaning each, never added together. Exempt and insufficient-data records
-- are left out. held_and_idle_gpu_hours_per_week: GPU-hours per week that reclaim-now tickets give back from
-- GPUs held by running workloads; quota_to_release_*: reserved-but-unused quota (quota_reclaim);
-- *_defrag_frees: whole nodes (and their GPUs) a defrag frees; wasted_gpu_hours: waste reports' waste.
WITH latest AS (
    SELECT max(evaluated_on) AS evaluated_on
    FROM recommendations
    WHERE evaluated_on >= $window_start AND evaluated_on < $window_end
),
findings AS (
    SELECT
        r.workspace,
        r.rule,
        coalesce(json_extract_string(r.ticket, '$.kind'), 'reclaim') AS kind,
        r.gpus_reclaimable,
        r.gpu_hours_recoverable_per_week,
        coalesce(CAST(json_extract(r.ticket, '$.wasted_gpu_hours') AS DOUBLE), 0) AS wasted_gpu_hours,
        coalesce(CAST(json_extract(r.ticket, '$.quota_headroom_gpu_hours') AS DOUBLE), 0) AS quota_headroom,
        coalesce(CAST(json_extract(r.ticket, '$.gpus_freed') AS DOUBLE), 0) AS gpus_freed,
        coalesce(CAST(json_extract(r.ticket, '$.whole_nodes_freed') AS BIGINT), 0) AS whole_nodes_freed
    FROM recommendations AS r
    JOIN latest AS l ON r.evaluated_on = l.evaluated_on
    WHERE NOT r.exempt AND NOT coalesce(CAST(json_extract(r.ticket, '$.insufficient_data') AS BOOLEAN), false)
)
SELECT
    workspace,
    count(*) FILTER (WHERE kind = 'reclaim') AS reclaim_findings,
    count(*) FILTER (WHERE kind = 'waste_report') AS waste_reports,
    coalesce(sum(gpu_hours_recoverable_per_week) FILTER (WHERE kind = 'reclaim'), 0)
        AS held_and_idle_gpu_hours_per_week,
    coalesce(sum(gpus_reclaimable) FILTER (WHERE kind = 'reclaim' AND rule NOT IN ('quota_reclaim', 'defragment')), 0)
        AS held_and_idle_gpus,
    coalesce(sum(quota_headroom) FILTER (WHERE rule = 'quota_reclaim'), 0) AS quota_to_release_gpu_hours,
    coalesce(sum(gpus_reclaimable) FILTER (WHERE rule = 'quota_reclaim'), 0) AS quota_to_release_gpus,
    coalesce(sum(whole_nodes_freed) FILTER (WHERE rule = 'defragment'), 0) AS whole_nodes_defrag_frees,
    coalesce(sum(gpus_freed) FILTER (WHERE rule = 'defragment'), 0) AS gpus_defrag_frees,
    coalesce(sum(wasted_gpu_hours) FILTER (WHERE kind = 'waste_report'), 0) AS wasted_gpu_hours
FROM findings
GROUP BY workspace
ORDER BY workspace;
