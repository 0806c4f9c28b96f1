-- Load one day of namespaces: every namespace with pods that day or with kube_namespace_labels. Labels give the
-- Workspace and Project; without them the Project is the namespace and the Workspace 'unassigned'. One row per
-- (cluster, namespace): the same namespace in two clusters is two Projects. The latest labels win; on a tie (one
-- namespace seen with two label sets at the same step, e.g. two clusters read with labels.cluster_label off) the
-- larger (Workspace, Project), then the larger label text, so that a re-run, or the same series with other labels,
-- picks the same Workspace (and insert_ticket_labels.sql the same namespace owner).
INSERT INTO namespaces
WITH labelled AS (
    SELECT
        cluster,
        labels['namespace'] AS namespace,
        arg_max(labels, namespace_labels_rank(labels, timestamps, $workspace_key, $project_key)) AS labels
    FROM stage_ksm
    WHERE metric_name = $m_namespace_labels AND coalesce(labels['namespace'], '') <> ''
    GROUP BY 1, 2
),
all_namespaces AS (
    SELECT cluster, namespace FROM labelled
    UNION
    SELECT DISTINCT cluster, namespace FROM pod_steps WHERE day = $day
)
SELECT
    CAST($day AS DATE) AS day,
    a.namespace,
    coalesce(nullif(l.labels[$workspace_key], ''), 'unassigned') AS workspace,
    coalesce(nullif(l.labels[$project_key], ''), a.namespace) AS project,
    coalesce(l.labels[$workspace_key], '') <> '' AS labelled,
    a.cluster
FROM all_namespaces AS a
LEFT JOIN labelled AS l USING (cluster, namespace);
