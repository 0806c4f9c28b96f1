-- Stage how each node of one day shares its GPUs (from stage_ksm; read by insert_pod_steps.sql, insert_nodes.sql and
-- insert_shared_gpu_data_quality.sql): one row per (cluster, node) with GPU labels or allocatable GPU devices.
--   mig_strategy     label_nvidia_com_mig_strategy ('mixed', 'single', or NULL)
--   single_profile   single strategy: the profile the node's gpu.product ends in ('-MIG-1g.10gb' -> '1g.10gb')
--   compute_slices   the model's compute slices (shared_gpus.mig_slices; a model not in the table:
--                    shared_gpus.default_compute_slices, and model_known is false)
--   replicas         label_nvidia_com_gpu_replicas (NULL when missing or not a whole number >= 1)
--   time_sliced      the node shares GPUs by time-slicing: replicas > 1, the sharing-strategy label says so, or it
--                    advertises the renamed resource (nvidia_com_gpu_shared)
--   gpu_devices      the devices it advertises: whole GPUs, MIG instances or replicas (latest allocatable)
--   gpus             the same in GPUs: replicas / N, instances x g / slices (free slices not cut into instances are
--                    not capacity); a device whose share is unknown counts as a whole GPU (and as bad input)
CREATE OR REPLACE TEMP TABLE node_gpu_sharing AS
WITH labelled AS (
    SELECT cluster, labels['node'] AS node, arg_max(labels, list_max(timestamps)) AS labels
    FROM stage_ksm
    WHERE metric_name = $m_node_labels AND coalesce(labels['node'], '') <> ''
    GROUP BY 1, 2
),
allocatable AS (
    SELECT cluster, labels['node'] AS node, labels['resource'] AS resource, arg_max(value, ts_ms) AS devices
    FROM (
        SELECT cluster, labels, unnest("values") AS value, unnest(timestamps) AS ts_ms
        FROM stage_ksm
        WHERE metric_name = $m_node_allocatable AND coalesce(labels['node'], '') <> ''
    )
    WHERE isfinite(value)
      AND (labels['resource'] IN ($gpu_resource, $shared_gpu_resource) OR starts_with(labels['resource'], $mig_resource_prefix))
    GROUP BY 1, 2, 3
),
nodes AS (
    SELECT cluster, node FROM labelled UNION SELECT cluster, node FROM allocatable
),
described AS (
    SELECT
        n.cluster,
        n.node,
        nullif(lower(l.labels[$mig_strategy_key]), '') AS mig_strategy,
        nullif(regexp_extract(coalesce(l.labels[$gpu_product_key], ''), '-MIG-([0-9]+g\.[0-9]+gb)$', 1), '')
            AS single_profile,
        coalesce(mig_slices(l.labels[$gpu_product_key], $mig_slice_matches, $mig_slice_counts), $default_compute_slices)
            AS compute_slices,
        mig_slices(l.labels[$gpu_product_key], $mig_slice_matches, $mig_slice_counts) IS NOT NULL AS model_known,
        CASE WHEN TRY_CAST(l.labels[$gpu_replicas_key] AS INTEGER) >= 1
             THEN TRY_CAST(l.labels[$gpu_replicas_key] AS INTEGER) END AS replicas,
        coalesce(lower(l.labels[$gpu_sharing_strategy_key]) = 'time-slicing', false) AS sharing_label,
        l.labels[$gpu_replicas_key] IS NOT NULL AND l.labels[$gpu_replicas_key] <> '' AS has_replicas_label
    FROM nodes AS n
    LEFT JOIN labelled AS l USING (cluster, node)
),
devices AS (
    SELECT
        d.cluster,
        d.node,
        exact_sum(CASE WHEN a.resource = $gpu_resource THEN a.devices END) AS whole_devices,
        exact_sum(CASE WHEN a.resource = $shared_gpu_resource THEN a.devices END) AS shared_devices,
        exact_sum(CASE WHEN starts_with(a.resource, $mig_resource_prefix) THEN a.devices END) AS mig_devices,
        exact_sum(CASE WHEN starts_with(a.resource, $mig_resource_prefix) THEN a.devices * coalesce(
            mig_profile_slices(mig_resource_profile(a.resource, $mig_resource_prefix)) / d.compute_slices, 1.0
        ) END) AS mig_gpus,
        count(*) FILTER (
            WHERE starts_with(a.resource, $mig_resource_prefix) AND a.devices > 0
              AND mig_profile_slices(mig_resource_profile(a.resource, $mig_resource_prefix)) IS NULL
        ) AS unknown_mig_resources
    FROM described AS d
    LEFT JOIN allocatable AS a USING (cluster, node)
    GROUP BY d.cluster, d.node
)
SELECT
    d.cluster,
    d.node,
    d.mig_strategy,
    d.single_profile,
    d.compute_slices,
    d.model_known,
    mig_profile_slices(d.single_profile) / d.compute_slices AS single_fraction,
    d.replicas,
    d.replicas > 1 OR d.sharing_label OR coalesce(v.shared_devices, 0) > 0 AS time_sliced,
    d.has_replicas_label,
    coalesce(v.whole_devices, 0) + coalesce(v.shared_devices, 0) + coalesce(v.mig_devices, 0) AS gpu_devices,
    CASE
        WHEN d.replicas > 1 THEN (coalesce(v.whole_devices, 0) + coalesce(v.shared_devices, 0)) / d.replicas
        WHEN mig_profile_slices(d.single_profile) IS NOT NULL
            THEN coalesce(v.whole_devices, 0) * mig_profile_slices(d.single_profile) / d.compute_slices
        ELSE coalesce(v.whole_devices, 0) + coalesce(v.shared_devices, 0)
    END + coalesce(v.mig_gpus, 0) AS gpus,
    coalesce(v.unknown_mig_resources, 0) AS unknown_mig_resources,
    coalesce(v.mig_devices, 0) > 0 OR d.single_profile IS NOT NULL AS mig
FROM described AS d
LEFT JOIN devices AS v USING (cluster, node);
