-- One row per workload (namespace, owner_kind/owner_name) allocated in the window: identity, class (most
-- common value over its steps), pods, nodes, peak concurrent GPUs and replicas, and allocated GPU-hours.
WITH per_step AS (
    SELECT cluster, namespace, workload, ts, sum(gpus_requested) AS gpus, count(DISTINCT uid) AS replicas
    FROM rule_pod_steps
    GROUP BY cluster, namespace, workload, ts
),
peaks AS (
    SELECT
        cluster,
        namespace,
        workload,
        max(gpus) AS gpus_allocated,
        max(replicas) AS peak_replicas,
        arg_max(replicas, ts) AS last_replicas,
        arg_max(gpus, ts) AS last_gpus,
        count(*) AS running_steps
    FROM per_step
    GROUP BY cluster, namespace, workload
)
SELECT
    s.cluster,
    s.namespace,
    s.workload,
    mode(s.owner_kind) AS owner_kind,
    mode(s.owner_name) AS owner_name,
    arg_max(s.workspace, s.ts) AS workspace,
    arg_max(s.project, s.ts) AS project,
    mode(s.category) AS category,
    mode(s.purpose) AS purpose,
    mode(s.provisioning_type) AS provisioning_type,
    bool_or(s.reclaim_exempt) AS reclaim_exempt,
    mode(s.machine_group) AS machine_group,
    mode(s.node_gpu_model) AS gpu_model,
    list_sort(list(DISTINCT s.pod)) AS pods,
    list_sort(list(DISTINCT s.node) FILTER (WHERE s.node IS NOT NULL)) AS nodes,
    sum(s.gpus_requested) * $step_seconds / 3600.0 AS allocated_gpu_hours,
    any_value(pk.gpus_allocated) AS gpus_allocated,
    any_value(pk.peak_replicas) AS peak_replicas,
    any_value(pk.last_replicas) AS last_replicas,
    any_value(pk.last_gpus) AS last_gpus,
    any_value(pk.running_steps) * $step_seconds / 3600.0 AS running_hours,
    min(s.ts) AS first_ts,
    max(s.ts) AS last_ts
FROM rule_pod_steps AS s
JOIN peaks AS pk ON pk.cluster = s.cluster AND pk.namespace = s.namespace AND pk.workload = s.workload
GROUP BY s.cluster, s.namespace, s.workload
ORDER BY s.cluster, s.namespace, s.workload;
