-- Load one day of pods: a row per pod uid seen in pod_steps that day, with its owning workload
-- (kube_pod_owner; none: Pod/<name>), its classification (kube_pod_labels; missing: 'unknown', lower-cased),
-- its exemption (label or annotation = "true") and its shared-GPU index (annotation).
INSERT INTO pods
WITH seen AS (
    SELECT
        cluster,
        uid,
        arg_max(namespace, ts) AS namespace,
        arg_max(pod, ts) AS pod,
        arg_max(node, ts) FILTER (WHERE node IS NOT NULL) AS node,
        min(ts) AS first_seen,
        max(ts) AS last_seen
    FROM pod_steps
    WHERE day = $day
    GROUP BY cluster, uid
),
owners AS (
    SELECT
        cluster,
        pod_uid(labels) AS uid,
        arg_max(labels['owner_kind'], (list_max(timestamps), CAST(labels AS VARCHAR))) AS owner_kind,
        arg_max(labels['owner_name'], (list_max(timestamps), CAST(labels AS VARCHAR))) AS owner_name
    FROM stage_ksm
    WHERE metric_name = $m_pod_owner AND coalesce(labels['owner_kind'], '') NOT IN ('', '<none>')
    GROUP BY cluster, uid
)
SELECT
    CAST($day AS DATE) AS day,
    s.uid,
    s.namespace,
    s.pod,
    s.node,
    coalesce(o.owner_kind, 'Pod') AS owner_kind,
    coalesce(o.owner_name, s.pod) AS owner_name,
    coalesce(lower(nullif(l.labels[$provisioning_type_key], '')), 'unknown') AS provisioning_type,
    coalesce(lower(nullif(l.labels[$category_key], '')), 'unknown') AS category,
    coalesce(lower(nullif(l.labels[$purpose_key], '')), 'unknown') AS purpose,
    coalesce(lower(l.labels[$exempt_label_key]) = 'true', false)
        OR coalesce(lower(a.labels[$exempt_annotation_key]) = 'true', false) AS reclaim_exempt,
    nullif(a.labels[$gpu_share_index_key], '') AS gpu_share_index,
    s.first_seen,
    s.last_seen,
    s.cluster
FROM seen AS s
LEFT JOIN owners AS o USING (cluster, uid)
LEFT JOIN latest_pod_labels('stage_ksm', $m_pod_labels) AS l USING (cluster, uid)
LEFT JOIN latest_pod_labels('stage_ksm', $m_pod_annotations) AS a USING (cluster, uid);
