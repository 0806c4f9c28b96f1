-- Count one day's namespaces that belong to several Workspaces at once (stage 'namespaces', rule
-- 'namespace_in_several_workspaces', metric = the Workspace label key; README "Several clusters in one
-- VictoriaMetrics"), from stage_namespace_workspace_conflicts.sql: affected = namespaces, per cluster.
INSERT INTO data_quality (day, stage, rule, metric, affected, cluster)
SELECT CAST($day AS DATE), 'namespaces', 'namespace_in_several_workspaces', $workspace_key, count(*), cluster
FROM stage_namespace_workspace_conflicts
GROUP BY cluster;
