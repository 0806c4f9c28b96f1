-- Cluster overview: unmet demand tied to who waits. One row per (Workspace, Project, Machine Group) whose GPU pods
-- were Pending in [$window_start, $window_end): the GPU-hours they requested while waiting (GPUs × $step_seconds
-- per step, as machine_group_usage_hourly's pending GPUs), the most GPUs waiting at once, the pods and their
-- workloads. A Pending pod bound to no node is 'unplaced', as in machine_group_usage_hourly.
WITH pending AS (
    SELECT
        p.ts,
        p.uid,
        p.namespace,
        p.gpus_requested,
        coalesce(ns.workspace, 'unassigned') AS workspace,
        coalesce(ns.project, p.namespace) AS project,
        coalesce(n.machine_group, CASE WHEN p.node IS NULL THEN 'unplaced' ELSE 'unknown' END) AS machine_group
    FROM pod_steps AS p
    LEFT JOIN namespaces AS ns ON ns.day = p.day AND ns.cluster = p.cluster AND ns.namespace = p.namespace
    LEFT JOIN nodes AS n ON n.day = p.day AND n.cluster = p.cluster AND n.node = p.node
    WHERE p.day >= $window_start AND p.day < $window_end AND p.phase = 'Pending' AND p.gpus_requested > 0
),
per_step AS (
    SELECT workspace, project, namespace, machine_group, ts, sum(gpus_requested) AS gpus
    FROM pending
    GROUP BY ALL
),
steps AS (
    SELECT
        workspace, project, namespace, machine_group,
        sum(gpus) * $step_seconds / 3600.0 AS pending_gpu_hours,
        max(gpus) AS peak_pending_gpus,
        min(ts) AS first_waiting,
        max(ts) AS last_waiting
    FROM per_step
    GROUP BY ALL
),
workloads AS (
    SELECT
        w.workspace, w.project, w.namespace, w.machine_group,
        count(DISTINCT w.uid) AS pods,
        string_agg(DISTINCT o.owner_kind || '/' || o.owner_name, ', ' ORDER BY o.owner_kind || '/' || o.owner_name)
            AS workloads
    FROM pending AS w
    LEFT JOIN (SELECT DISTINCT uid, owner_kind, owner_name FROM pods
               WHERE day >= $window_start AND day < $window_end) AS o ON o.uid = w.uid
    GROUP BY ALL
)
SELECT s.*, k.pods, k.workloads
FROM steps AS s
JOIN workloads AS k USING (workspace, project, namespace, machine_group)
ORDER BY s.pending_gpu_hours DESC, s.workspace, s.project, s.machine_group;
