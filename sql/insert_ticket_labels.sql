-- Load one day of ticket_labels: per pod uid seen in pod_steps that day, its owner and channel labels
-- (kube_pod_labels) and its snooze annotation (kube_pod_annotations); per namespace with kube_namespace_labels,
-- its owner and channel labels. The latest series of the day wins; first_label takes the first non-empty key.
INSERT INTO ticket_labels
WITH seen AS (
    SELECT cluster, uid, arg_max(namespace, ts) AS namespace, arg_max(pod, ts) AS pod
    FROM pod_steps
    WHERE day = $day
    GROUP BY cluster, uid
),
namespace_labels AS (
    -- the label set insert_namespaces.sql takes the Workspace from: the latest, on a tie the larger (Workspace,
    -- Project), then the larger label text (a namespace of two clusters read with labels.cluster_label off)
    SELECT
        cluster,
        labels['namespace'] AS namespace,
        arg_max(labels, namespace_labels_rank(labels, timestamps, $workspace_key, $project_key)) AS labels
    FROM stage_ksm
    WHERE metric_name = $m_namespace_labels AND coalesce(labels['namespace'], '') <> ''
    GROUP BY cluster, namespace
),
rows AS (
    SELECT
        'pod' AS scope,
        s.cluster,
        s.namespace,
        s.uid,
        s.pod,
        first_label(l.labels, $owner_keys) AS owner,
        first_label(l.labels, $channel_keys) AS owner_channel,
        nullif(trim(a.labels[$snooze_key]), '') AS snooze_until
    FROM seen AS s
    LEFT JOIN latest_pod_labels('stage_ksm', $m_pod_labels) AS l USING (cluster, uid)
    LEFT JOIN latest_pod_labels('stage_ksm', $m_pod_annotations) AS a USING (cluster, uid)
    UNION ALL
    SELECT
        'namespace' AS scope,
        cluster,
        namespace,
        '' AS uid,
        '' AS pod,
        first_label(labels, $owner_keys) AS owner,
        first_label(labels, $channel_keys) AS owner_channel,
        NULL AS snooze_until
    FROM namespace_labels
)
SELECT CAST($day AS DATE) AS day, scope, namespace, uid, pod, owner, owner_channel, snooze_until, cluster
FROM rows
WHERE owner IS NOT NULL OR owner_channel IS NOT NULL OR snooze_until IS NOT NULL;
