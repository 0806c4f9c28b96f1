-- Load one day of pod_steps: a row per (step, pod uid) in which the pod had a phase (kube_pod_status_phase
-- value 1; the latest phase of the step wins), with its requests summed over containers. A pod's requests are
-- the latest value of each (container, resource) that day; its node the latest non-empty `node` label
-- (a Pending pod has one once it is bound).
-- Pods are identified by (cluster, uid); a series without uid falls back to namespace/pod.
-- On a MIG or time-sliced node (stage_node_gpu_sharing.sql) gpus_requested is the share of GPUs: 1/N a replica,
-- g / slices a MIG instance (mixed strategy: nvidia_com_mig_<g>g_<mem>gb; single: nvidia_com_gpu on a -MIG- node).
INSERT INTO pod_steps BY NAME
WITH phase_samples AS (
    SELECT
        cluster,
        pod_uid(labels) AS uid,
        labels['namespace'] AS namespace,
        labels['pod'] AS pod,
        labels['phase'] AS phase,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM stage_ksm
    WHERE metric_name = $m_pod_status_phase
),
phase_steps AS (
    SELECT
        step_start(ts_ms, $step_seconds) AS ts,
        cluster,
        uid,
        arg_max(namespace, ts_ms) AS namespace,
        arg_max(pod, ts_ms) AS pod,
        arg_max(phase, ts_ms) AS phase
    FROM phase_samples
    WHERE value = 1 AND ts_ms >= $day_start_ms AND ts_ms < $day_end_ms
    GROUP BY ALL
),
request_samples AS (
    SELECT
        cluster,
        pod_uid(labels) AS uid,
        coalesce(labels['container'], '') AS container,
        labels['resource'] AS resource,
        nullif(labels['node'], '') AS node,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM stage_ksm
    WHERE metric_name = $m_pod_resource_requests
),
latest_requests AS (
    SELECT cluster, uid, container, resource, arg_max(value, ts_ms) AS value
    FROM request_samples
    WHERE isfinite(value) AND value >= 0
    GROUP BY ALL
),
pod_nodes AS (
    SELECT cluster, uid, arg_max(node, ts_ms) AS node
    FROM request_samples
    WHERE node IS NOT NULL
    GROUP BY cluster, uid
),
shared_gpu_requests AS (
    -- a pod's GPUs: whole GPUs as requested; on a shared node a replica is 1/N GPU and a MIG instance g / slices
    -- (README "MIG and time-sliced GPUs"); a share that cannot be known counts whole (and in data_quality)
    SELECT
        q.cluster,
        q.uid,
        exact_sum(CASE
            WHEN q.resource IN ($gpu_resource, $shared_gpu_resource) AND s.time_sliced AND s.replicas >= 1
                THEN q.value / s.replicas
            WHEN q.resource = $gpu_resource AND s.single_profile IS NOT NULL
                THEN q.value * coalesce(s.single_fraction, 1.0)
            WHEN q.resource IN ($gpu_resource, $shared_gpu_resource) THEN q.value
            ELSE q.value * coalesce(
                mig_profile_slices(mig_resource_profile(q.resource, $mig_resource_prefix))
                    / coalesce(s.compute_slices, $default_compute_slices),
                1.0)
        END) AS gpus,
        CASE WHEN bool_or(starts_with(q.resource, $mig_resource_prefix) OR s.single_profile IS NOT NULL) THEN 'mig'
             WHEN bool_or(coalesce(s.time_sliced, false) OR q.resource = $shared_gpu_resource) THEN 'time_sliced'
        END AS gpu_sharing,
        string_agg(DISTINCT coalesce(
            mig_resource_profile(q.resource, $mig_resource_prefix), s.single_profile
        ), ',' ORDER BY coalesce(mig_resource_profile(q.resource, $mig_resource_prefix), s.single_profile))
            AS mig_profile
    FROM latest_requests AS q
    LEFT JOIN pod_nodes AS n USING (cluster, uid)
    LEFT JOIN node_gpu_sharing AS s USING (cluster, node)
    WHERE q.resource IN ($gpu_resource, $shared_gpu_resource) OR starts_with(q.resource, $mig_resource_prefix)
    GROUP BY q.cluster, q.uid
),
pod_requests AS (
    SELECT
        cluster,
        uid,
        coalesce(sum(value) FILTER (WHERE resource = $gpu_milli_resource), 0) AS gpu_milli,
        coalesce(sum(value) FILTER (WHERE resource = 'cpu'), 0) AS cpu_cores,
        coalesce(sum(value) FILTER (WHERE resource = 'memory'), 0) AS memory_bytes
    FROM latest_requests
    GROUP BY cluster, uid
)
SELECT
    CAST($day AS DATE) AS day,
    s.ts,
    s.uid,
    s.namespace,
    s.pod,
    n.node,
    s.phase,
    coalesce(g.gpus, 0) + coalesce(r.gpu_milli, 0) / 1000.0 AS gpus_requested,
    coalesce(r.gpu_milli, 0) AS gpu_milli_requested,
    coalesce(r.cpu_cores, 0) AS cpu_cores_requested,
    coalesce(r.memory_bytes, 0) AS memory_bytes_requested,
    g.gpu_sharing,
    g.mig_profile,
    s.cluster
FROM phase_steps AS s
LEFT JOIN pod_requests AS r USING (cluster, uid)
LEFT JOIN pod_nodes AS n USING (cluster, uid)
LEFT JOIN shared_gpu_requests AS g USING (cluster, uid);
