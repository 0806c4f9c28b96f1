-- One row per workload (namespace, owner_kind/owner_name) allocated in the window: identity, class (most
-- common value over its steps), pods, nodes, peak concurrent GPUs and replicas, and allocated GPU-hours.
-- Merged from the window's per-day aggregates (workload_day and workload_values_day for the days [$full_first,
-- $full_last], partial_* for a part of a day at its edges; sql/stage_workload_day.sql): the class is the value
-- with the most steps over the days, Workspace and Project the latest day's, the lists unioned, peaks the maxima
-- of the days' (a step is in one day), the last step's figures the latest day's, steps and GPU-steps summed.
WITH days AS (
    SELECT * FROM workload_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_workload_day
),
value_steps AS (
    SELECT cluster, namespace, workload, attribute, value, sum(steps) AS steps
    FROM (
        SELECT * FROM workload_values_day WHERE day BETWEEN $full_first AND $full_last
        UNION ALL BY NAME
        SELECT * FROM partial_workload_values_day
    )
    GROUP BY cluster, namespace, workload, attribute, value
),
classes AS (
    SELECT
        cluster,
        namespace,
        workload,
        arg_max(value, steps) FILTER (WHERE attribute = 'owner_kind') AS owner_kind,
        arg_max(value, steps) FILTER (WHERE attribute = 'owner_name') AS owner_name,
        arg_max(value, steps) FILTER (WHERE attribute = 'category') AS category,
        arg_max(value, steps) FILTER (WHERE attribute = 'purpose') AS purpose,
        arg_max(value, steps) FILTER (WHERE attribute = 'provisioning_type') AS provisioning_type,
        arg_max(value, steps) FILTER (WHERE attribute = 'machine_group') AS machine_group,
        arg_max(value, steps) FILTER (WHERE attribute = 'gpu_model') AS gpu_model
    FROM value_steps
    GROUP BY cluster, namespace, workload
),
merged AS (
    SELECT
        cluster,
        namespace,
        workload,
        arg_max(workspace, last_ts) AS workspace,
        arg_max(project, last_ts) AS project,
        bool_or(reclaim_exempt) AS reclaim_exempt,
        list_sort(list_distinct(flatten(list(pods)))) AS pods,
        list_sort(list_distinct(flatten(list(nodes)))) AS nodes,
        sum(gpu_steps) AS gpu_steps,
        max(gpus_allocated) AS gpus_allocated,
        max(peak_replicas) AS peak_replicas,
        arg_max(last_replicas, last_ts) AS last_replicas,
        arg_max(last_gpus, last_ts) AS last_gpus,
        sum(running_steps) AS running_steps,
        min(first_ts) AS first_ts,
        max(last_ts) AS last_ts
    FROM days
    GROUP BY cluster, namespace, workload
)
SELECT
    m.cluster,
    m.namespace,
    m.workload,
    c.owner_kind,
    c.owner_name,
    m.workspace,
    m.project,
    c.category,
    c.purpose,
    c.provisioning_type,
    m.reclaim_exempt,
    c.machine_group,
    c.gpu_model,
    m.pods,
    CASE WHEN len(m.nodes) > 0 THEN m.nodes END AS nodes,
    CAST(m.gpu_steps AS DOUBLE) * $step_seconds / 3600.0 AS allocated_gpu_hours,
    m.gpus_allocated,
    m.peak_replicas,
    m.last_replicas,
    m.last_gpus,
    m.running_steps * $step_seconds / 3600.0 AS running_hours,
    m.first_ts,
    m.last_ts
FROM merged AS m
LEFT JOIN classes AS c ON c.cluster = m.cluster AND c.namespace IS NOT DISTINCT FROM m.namespace AND c.workload IS NOT DISTINCT FROM m.workload
ORDER BY m.cluster, m.namespace, m.workload;
