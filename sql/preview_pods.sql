-- Preview for the Dagster UI: the first pods of one day.
SELECT namespace, pod, node, owner_kind, owner_name, category, provisioning_type
FROM pods
WHERE day = $day
ORDER BY namespace, pod
LIMIT $limit
