-- $workspace's recommendations from the latest evaluation run dated in [$window_start, $window_end) (the run
-- dated a day evaluates the window ending with it). Action, summary and evidence come from the ticket.
-- Cluster-level findings (workspace 'cluster', no namespace) are never a Workspace's: see the overview.
WITH latest AS (
    SELECT max(evaluated_on) AS evaluated_on
    FROM recommendations
    WHERE evaluated_on >= $window_start AND evaluated_on < $window_end
)
SELECT
    r.finding_id,
    r.evaluated_on,
    r.rule,
    r.severity,
    r.project,
    r.namespace,
    r.workload,
    r.exempt,
    r.gpu_model,
    r.gpus_allocated,
    r.gpus_reclaimable,
    r.idle_gpu_hours,
    r.gpu_hours_recoverable_per_week,
    json_extract_string(r.ticket, '$.action') AS action,
    json_extract_string(r.ticket, '$.summary') AS summary,
    CAST(json_extract(r.ticket, '$.evidence') AS VARCHAR) AS evidence_json,
    r.workspace,
    r.cluster,
    TRY_CAST(json_extract_string(r.ticket, '$.evidence.h100_equivalent_hours_recoverable_per_week') AS DOUBLE)
        AS h100_equivalent_hours_recoverable_per_week,
    TRY_CAST(json_extract_string(r.ticket, '$.evidence.cost_recoverable_per_week') AS DOUBLE)
        AS cost_recoverable_per_week,
    -- issue 14's ticket fields, NULL in tickets written before them
    json_extract_string(r.ticket, '$.kind') AS kind,
    json_extract_string(r.ticket, '$.owner') AS owner,
    json_extract_string(r.ticket, '$.owner_channel') AS owner_channel,
    TRY_CAST(json_extract_string(r.ticket, '$.acknowledged_until') AS DATE) AS acknowledged_until,
    TRY_CAST(json_extract_string(r.ticket, '$.acknowledged') AS BOOLEAN) AS acknowledged,
    json_extract_string(r.ticket, '$.change') AS change,
    TRY_CAST(json_extract_string(r.ticket, '$.quota_headroom_gpu_hours') AS DOUBLE) AS quota_headroom_gpu_hours,
    TRY_CAST(json_extract_string(r.ticket, '$.gpus_freed') AS DOUBLE) AS gpus_freed,
    TRY_CAST(json_extract_string(r.ticket, '$.whole_nodes_freed') AS DOUBLE) AS whole_nodes_freed,
    TRY_CAST(json_extract_string(r.ticket, '$.wasted_gpu_hours') AS DOUBLE) AS wasted_gpu_hours
FROM recommendations AS r
JOIN latest AS l ON r.evaluated_on = l.evaluated_on
WHERE r.workspace = $workspace AND NOT (r.workspace = 'cluster' AND r.namespace = '')
ORDER BY r.exempt, coalesce(json_extract_string(r.ticket, '$.kind'), 'reclaim'), r.gpu_hours_recoverable_per_week DESC NULLS LAST, r.idle_gpu_hours DESC NULLS LAST,
    r.finding_id;
