-- Write-back series of one day (stage usage): per (hour, Workspace, Project, namespace, Machine Group, GPU model)
-- the mean GPUs allocated to Running pods (as project_usage_hourly counts them, from pod_steps), used (sum of
-- activity) and idle (from pod_gpu_usage_hourly), efficiency (used / allocated) and H100-equivalent idle GPUs.
-- Long format: one row per (metric, labels, hour); efficiency is left out where nothing is allocated.
WITH node_groups AS (
    SELECT cluster, node, machine_group, gpu_model FROM nodes WHERE day = $day
),
allocated AS (
    SELECT
        date_trunc('hour', p.ts) AS hour,
        p.cluster,
        p.namespace,
        coalesce(n.machine_group, 'unknown') AS machine_group,
        coalesce(n.gpu_model, 'unknown') AS gpu_model,
        exact_sum(p.gpus_requested) * $step_seconds / 3600.0 AS allocated_gpus
    FROM pod_steps AS p
    LEFT JOIN node_groups AS n ON n.cluster = p.cluster AND n.node = p.node
    WHERE p.day = $day AND p.phase = 'Running' AND p.gpus_requested > 0
    GROUP BY ALL
),
held AS (
    SELECT
        h.hour,
        h.cluster,
        h.namespace,
        coalesce(n.machine_group, 'unknown') AS machine_group,
        coalesce(n.gpu_model, 'unknown') AS gpu_model,
        exact_sum(h.used_gpu_hours) AS used_gpus,
        exact_sum(h.idle_gpu_hours) AS idle_gpus
    FROM pod_gpu_usage_hourly AS h
    JOIN pod_gpu_usage_daily AS d
        ON d.day = h.day AND d.cluster = h.cluster AND d.uid = h.uid AND d.gpu_uuid = h.gpu_uuid
       AND d.gpu_instance_id IS NOT DISTINCT FROM h.gpu_instance_id  -- a MIG instance is a row of its own
    LEFT JOIN node_groups AS n ON n.cluster = d.cluster AND n.node = d.node
    WHERE h.day = $day
    GROUP BY ALL
),
wide AS (
    SELECT
        a.hour,
        a.cluster,
        coalesce(s.workspace, 'unassigned') AS workspace,
        coalesce(s.project, a.namespace) AS project,
        a.namespace,
        a.machine_group,
        a.gpu_model,
        a.allocated_gpus,
        coalesce(h.used_gpus, 0) AS used_gpus,
        coalesce(h.idle_gpus, 0) AS idle_gpus,
        coalesce(h.used_gpus, 0) / nullif(a.allocated_gpus, 0) AS efficiency,
        coalesce(h.idle_gpus, 0) * coalesce(w.h100_equivalent, $default_h100_equivalent) AS idle_h100_equivalent_gpus
    FROM allocated AS a
    LEFT JOIN held AS h USING (hour, cluster, namespace, machine_group, gpu_model)
    LEFT JOIN namespaces AS s ON s.day = $day AND s.cluster = a.cluster AND s.namespace = a.namespace
    LEFT JOIN gpu_model_weights AS w ON w.gpu_model = a.gpu_model
)
SELECT 'gpu_reclaim_' || metric AS metric, hour, value, cluster, workspace, project, namespace, machine_group, gpu_model
FROM (
    UNPIVOT wide
    ON allocated_gpus, used_gpus, idle_gpus, efficiency, idle_h100_equivalent_gpus
    INTO NAME metric VALUE value
)
ORDER BY metric, cluster, workspace, project, namespace, machine_group, gpu_model, hour;
