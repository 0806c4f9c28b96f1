-- One day's namespaces whose kube_namespace_labels series name several Workspaces at once (README "Several
-- clusters in one VictoriaMetrics"): two label sets of one (cluster, namespace) with different $workspace_key
-- values whose samples overlap in time, e.g. the same namespace in two clusters read with labels.cluster_label
-- off (both cluster ''). A relabelled namespace (one label set ends, the next begins) is not one.
-- insert_namespaces.sql keeps one label set (the latest; on a tie the larger (Workspace, Project)), so the
-- Project's usage all counts under that Workspace. cluster_values: the distinct values of a `cluster` label on
-- the overlapping series (2 or more: the series tell two clusters apart, labels.cluster_label would keep them).
CREATE OR REPLACE TEMP TABLE stage_namespace_workspace_conflicts AS
WITH label_sets AS (
    SELECT
        cluster,
        labels['namespace'] AS namespace,
        coalesce(nullif(labels[$workspace_key], ''), 'unassigned') AS workspace,
        coalesce(labels['cluster'], '') AS cluster_value,
        list_min(timestamps) AS first_ts,
        list_max(timestamps) AS last_ts
    FROM stage_ksm
    WHERE metric_name = $m_namespace_labels AND coalesce(labels['namespace'], '') <> '' AND len(timestamps) > 0
),
overlapping AS (
    SELECT a.cluster, a.namespace, a.workspace, a.cluster_value, b.workspace AS other, b.cluster_value AS other_value
    FROM label_sets AS a
    JOIN label_sets AS b
        ON a.cluster = b.cluster AND a.namespace = b.namespace AND a.workspace < b.workspace
        AND a.first_ts <= b.last_ts AND b.first_ts <= a.last_ts
)
SELECT
    cluster,
    namespace,
    list_sort(list_distinct(flatten(list([workspace, other])))) AS workspaces,
    len(list_distinct(list_filter(flatten(list([cluster_value, other_value])), lambda v: v <> ''))) AS cluster_values
FROM overlapping
GROUP BY cluster, namespace;
