-- Per Workspace (and 'cluster' for the defrag tickets) and Project (cluster, namespace: the same namespace in
-- two clusters is two Projects, never added together): the totals of the evaluation dated
-- $evaluated_on, one meaning each, never added together; the GPUs are the view's give_back_gpus. Exempt and insufficient-data records are left out.
-- held_and_idle_gpu_hours_per_week: GPU-hours per week that reclaim-now tickets give back from GPUs held by
-- running workloads; quota_to_release_*: reserved-but-unused quota (quota_reclaim); *_defrag_frees: whole
-- nodes (and their GPUs) a defrag frees; wasted_gpu_hours: waste reports' waste.
SELECT
    workspace,
    cluster,
    namespace,
    count(*) FILTER (WHERE finding_kind = 'reclaim') AS reclaim_findings,
    count(*) FILTER (WHERE finding_kind = 'waste_report') AS waste_reports,
    coalesce(sum(gpu_hours_recoverable_per_week) FILTER (
        WHERE finding_kind = 'reclaim' AND rule NOT IN ('quota_reclaim', 'defragment')
    ), 0) AS held_and_idle_gpu_hours_per_week,
    coalesce(sum(give_back_gpus) FILTER (
        WHERE finding_kind = 'reclaim' AND rule NOT IN ('quota_reclaim', 'defragment')
    ), 0) AS held_and_idle_gpus,
    coalesce(sum(quota_headroom_gpu_hours) FILTER (WHERE rule = 'quota_reclaim'), 0) AS quota_to_release_gpu_hours,
    coalesce(sum(give_back_gpus) FILTER (WHERE rule = 'quota_reclaim'), 0) AS quota_to_release_gpus,
    coalesce(sum(whole_nodes_freed) FILTER (WHERE rule = 'defragment'), 0) AS whole_nodes_defrag_frees,
    coalesce(sum(give_back_gpus) FILTER (WHERE rule = 'defragment'), 0) AS gpus_defrag_frees,
    coalesce(sum(wasted_gpu_hours) FILTER (WHERE finding_kind = 'waste_report'), 0) AS wasted_gpu_hours
FROM report_ticket_findings
WHERE evaluated_on = $evaluated_on AND NOT exempt AND NOT insufficient_data
GROUP BY workspace, cluster, namespace
ORDER BY workspace, cluster, namespace;
