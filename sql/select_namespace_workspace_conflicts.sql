-- The namespaces of stage_namespace_workspace_conflicts.sql (for the ingest's one-line warning), by name.
SELECT cluster, namespace, array_to_string(workspaces, ', ') AS workspaces, cluster_values
FROM stage_namespace_workspace_conflicts
ORDER BY cluster, namespace;
