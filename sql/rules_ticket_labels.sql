-- The owner, Slack channel and snooze date of the window's workloads and namespaces (ticket_labels): one row per
-- (namespace, workload) of the window's workload aggregates from its pods' rows of the same days (scope 'pod';
-- workload_day for the days [$full_first, $full_last], partial_workload_day for a part of a day at the window's
-- edges), and one per namespace (scope 'namespace', workload ''). The latest day with a value wins, per column.
WITH workload_uids AS (
    SELECT day, cluster, namespace, workload, unnest(uids) AS uid
    FROM (
        SELECT * FROM workload_day WHERE day BETWEEN $full_first AND $full_last
        UNION ALL BY NAME
        SELECT * FROM partial_workload_day
    )
),
pod_rows AS (
    SELECT DISTINCT w.cluster, w.namespace, w.workload, t.day, t.owner, t.owner_channel, t.snooze_until
    FROM workload_uids AS w
    JOIN ticket_labels AS t ON t.day = w.day AND t.scope = 'pod' AND t.cluster = w.cluster AND t.uid = w.uid
)
SELECT
    'pod' AS scope,
    cluster,
    namespace,
    workload,
    arg_max(owner, day) FILTER (WHERE owner IS NOT NULL) AS owner,
    arg_max(owner_channel, day) FILTER (WHERE owner_channel IS NOT NULL) AS owner_channel,
    arg_max(snooze_until, day) FILTER (WHERE snooze_until IS NOT NULL) AS snooze_until
FROM pod_rows
GROUP BY cluster, namespace, workload
UNION ALL
SELECT
    'namespace' AS scope,
    cluster,
    namespace,
    '' AS workload,
    arg_max(owner, day) FILTER (WHERE owner IS NOT NULL) AS owner,
    arg_max(owner_channel, day) FILTER (WHERE owner_channel IS NOT NULL) AS owner_channel,
    NULL AS snooze_until
FROM ticket_labels
WHERE scope = 'namespace'
  AND day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
GROUP BY cluster, namespace
ORDER BY scope, cluster, namespace, workload;
