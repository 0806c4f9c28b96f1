-- The owner, Slack channel and snooze date of the window's workloads and namespaces (ticket_labels): one row per
-- (namespace, workload) of rule_pod_steps from its pods' rows (scope 'pod'), and one per namespace (scope
-- 'namespace', workload ''). The latest day with a value wins, per column.
WITH pod_rows AS (
    SELECT DISTINCT s.cluster, s.namespace, s.workload, t.day, t.owner, t.owner_channel, t.snooze_until
    FROM rule_pod_steps AS s
    JOIN ticket_labels AS t ON t.day = s.day AND t.scope = 'pod' AND t.cluster = s.cluster AND t.uid = s.uid
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
