-- Cluster overview: the cluster-level tickets (rule 'defragment', filed under workspace 'cluster' with no
-- namespace) of the latest evaluation run dated in [$window_start, $window_end); the same run as the
-- Workspace reports use. Action, summary and evidence come from the ticket.
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
    r.workload,
    r.exempt,
    r.gpu_model,
    r.gpus_reclaimable,
    r.gpu_hours_recoverable_per_week,
    coalesce(CAST(json_extract(r.ticket, '$.gpus_freed') AS DOUBLE), 0) AS gpus_freed,
    coalesce(CAST(json_extract(r.ticket, '$.whole_nodes_freed') AS BIGINT), 0) AS whole_nodes_freed,
    json_extract_string(r.ticket, '$.change') AS change,
    json_extract_string(r.ticket, '$.owner') AS owner,
    coalesce(CAST(json_extract(r.ticket, '$.acknowledged') AS BOOLEAN), false) AS acknowledged,
    json_extract_string(r.ticket, '$.action') AS action,
    json_extract_string(r.ticket, '$.summary') AS summary,
    CAST(json_extract(r.ticket, '$.evidence') AS VARCHAR) AS evidence_json
FROM recommendations AS r
JOIN latest AS l ON r.evaluated_on = l.evaluated_on
WHERE r.rule = 'defragment' AND r.workspace = 'cluster' AND r.namespace = ''
ORDER BY gpus_freed DESC, r.gpu_hours_recoverable_per_week DESC NULLS LAST, r.workload, r.finding_id;
