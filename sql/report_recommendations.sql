-- $workspace's findings of the evaluation dated $evaluated_on (report_latest_evaluation.sql), as the view
-- report_ticket_findings reads them. Cluster-level findings (workspace 'cluster', no namespace) are never a
-- Workspace's: see the overview. Active first, reclaim-now before waste reports, most give-back first.
SELECT *
FROM report_ticket_findings
WHERE evaluated_on = $evaluated_on AND workspace = $workspace AND NOT cluster_level
ORDER BY exempt, finding_kind, give_back_h100_hours_per_week DESC NULLS LAST, idle_gpu_hours DESC NULLS LAST,
    finding_id;
