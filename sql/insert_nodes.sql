-- Load one day of nodes: the latest allocatable GPUs, CPU cores and memory bytes of each node and its labels.
-- Missing GPU model: 'unknown'; missing Machine Group: the GPU model stands in. gpu_allocatable is in GPUs: on a
-- MIG or time-sliced node the advertised devices (gpu_devices_allocatable) times their share
-- (stage_node_gpu_sharing.sql).
INSERT INTO nodes BY NAME
WITH allocatable AS (
    SELECT
        cluster,
        labels['node'] AS node,
        labels['resource'] AS resource,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM stage_ksm
    WHERE metric_name = $m_node_allocatable AND coalesce(labels['node'], '') <> ''
),
capacity AS (
    SELECT
        cluster,
        node,
        coalesce(arg_max(value, ts_ms) FILTER (WHERE resource = $gpu_resource), 0) AS gpus,
        coalesce(arg_max(value, ts_ms) FILTER (WHERE resource = 'cpu'), 0) AS cpu_cores,
        coalesce(arg_max(value, ts_ms) FILTER (WHERE resource = 'memory'), 0) AS memory_bytes
    FROM allocatable
    WHERE isfinite(value)
    GROUP BY cluster, node
),
node_labels AS (
    SELECT cluster, labels['node'] AS node, arg_max(labels, list_max(timestamps)) AS labels
    FROM stage_ksm
    WHERE metric_name = $m_node_labels AND coalesce(labels['node'], '') <> ''
    GROUP BY 1, 2
),
all_nodes AS (
    SELECT cluster, node FROM capacity UNION SELECT cluster, node FROM node_labels
)
SELECT
    CAST($day AS DATE) AS day,
    a.node,
    coalesce(nullif(l.labels[$machine_group_key], ''), nullif(l.labels[$gpu_product_key], ''), 'unknown')
        AS machine_group,
    coalesce(nullif(l.labels[$gpu_product_key], ''), 'unknown') AS gpu_model,
    coalesce(g.gpus, c.gpus, 0) AS gpu_allocatable,
    coalesce(c.cpu_cores, 0) AS cpu_cores_allocatable,
    coalesce(c.memory_bytes, 0) AS memory_bytes_allocatable,
    CASE WHEN g.mig THEN 'mig' WHEN g.time_sliced THEN 'time_sliced' END AS gpu_sharing,
    g.mig_strategy,
    g.replicas AS gpu_replicas,
    coalesce(g.gpu_devices, c.gpus, 0) AS gpu_devices_allocatable,
    a.cluster
FROM all_nodes AS a
LEFT JOIN capacity AS c USING (cluster, node)
LEFT JOIN node_labels AS l USING (cluster, node)
LEFT JOIN node_gpu_sharing AS g USING (cluster, node);
