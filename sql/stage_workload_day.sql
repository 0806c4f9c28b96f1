-- The day's (or a window's part of a day) workload aggregates from rule_pod_steps, one row per workload
-- (staged_workload_day; its class attributes are in stage_workload_values_day.sql); rules_workloads.sql merges them.
-- The key (one list, here and in the merge): cluster, namespace, workload.
CREATE OR REPLACE TEMP TABLE staged_workload_day AS
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
    CAST($range_start AS DATE) AS day,
    s.cluster,
    s.namespace,
    s.workload,
    arg_max(s.workspace, s.ts) AS workspace,
    arg_max(s.project, s.ts) AS project,
    bool_or(s.reclaim_exempt) AS reclaim_exempt,
    list_sort(list(DISTINCT s.pod)) AS pods,
    list_sort(list(DISTINCT s.uid)) AS uids,
    coalesce(list_sort(list(DISTINCT s.node) FILTER (WHERE s.node IS NOT NULL)), []) AS nodes,
    sum(CAST(s.gpus_requested AS DECIMAL(38, 6))) AS gpu_steps,
    any_value(COLUMNS(['gpus_allocated', 'peak_replicas', 'last_replicas', 'last_gpus', 'running_steps'])),
    min(s.ts) AS first_ts,
    max(s.ts) AS last_ts
FROM rule_pod_steps AS s
JOIN peaks AS pk ON pk.cluster = s.cluster AND pk.namespace = s.namespace AND pk.workload = s.workload
GROUP BY s.cluster, s.namespace, s.workload;
