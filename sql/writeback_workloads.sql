-- Write-back series of one day (stage usage): per (hour, workload) the GPUs it held and left idle, for the
-- Workspace dashboard's top idle workloads. A workload is owner_kind/owner_name in its namespace
-- (pod_usage_daily); GPUs are GPU-hours in the hour (pod_gpu_usage_hourly), so held = observed by DCGM.
WITH workloads AS (
    SELECT DISTINCT cluster, uid, workspace, project, namespace, workload FROM pod_usage_daily WHERE day = $day
),
wide AS (
    SELECT
        h.hour,
        w.cluster,
        w.workspace,
        w.project,
        w.namespace,
        w.workload,
        exact_sum(h.observed_gpu_hours) AS held_gpus,
        exact_sum(h.idle_gpu_hours) AS idle_gpus
    FROM pod_gpu_usage_hourly AS h
    JOIN workloads AS w USING (cluster, uid)
    WHERE h.day = $day
    GROUP BY ALL
)
SELECT 'gpu_reclaim_workload_' || metric AS metric, hour, value, cluster, workspace, project, namespace, workload
FROM (UNPIVOT wide ON held_gpus, idle_gpus INTO NAME metric VALUE value)
ORDER BY metric, cluster, workspace, project, namespace, workload, hour;
