-- Cluster overview: the cluster-level tickets (rule 'defragment', filed under workspace 'cluster' with no
-- namespace) of the evaluation dated $evaluated_on, the run the Workspace reports read too.
SELECT *
FROM report_ticket_findings
WHERE evaluated_on = $evaluated_on AND cluster_level
ORDER BY give_back_gpus DESC, give_back_h100_hours_per_week DESC NULLS LAST, workload, finding_id;
