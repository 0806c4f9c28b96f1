-- Cluster overview: every open ticket, the non-exempt findings of every Workspace (cluster-level ones included)
-- of the evaluation dated $evaluated_on, as the view report_ticket_findings reads them; most give-back first.
SELECT *
FROM report_ticket_findings
WHERE evaluated_on = $evaluated_on AND NOT exempt
ORDER BY give_back_h100_hours_per_week DESC NULLS LAST, idle_gpu_hours DESC NULLS LAST, finding_id;
