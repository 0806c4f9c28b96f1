-- 0009: several clusters in one VictoriaMetrics (issue 13; README "Several clusters in one VictoriaMetrics").
-- Every table that names a namespace, node, Machine Group, fragmentation scope, finding or ticket carries
-- `cluster`: the value of the configured labels.cluster_label on the series the row comes from; '' when the label
-- is off (the default) or a series lacks it (counted in data_quality, rule missing_cluster_label). A Project is
-- (cluster, namespace), a node (cluster, node); Machine Groups, fragmentation and defrag plans are per cluster.
-- Every old row gets '' and so reads exactly as before: a file written without the label is one cluster ''.
-- The rules' per-day aggregates (0008: rule_gpu_day ... quota_demand_day) are keyed by cluster too (they have no
-- primary key; store/rule_days.py's AGGREGATE_VERSION 2 re-aggregates every stored day under the new keys).
-- ticket_labels is rebuilt: its primary key gains cluster (the same namespace in two clusters has two rows).
ALTER TABLE gpu_samples ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pod_steps ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pods ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE namespaces ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE nodes ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE quota_steps ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE data_quality ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pod_gpu_usage_daily ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pod_usage_daily ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE project_usage_daily ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE workspace_usage_daily ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pod_gpu_usage_hourly ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE project_usage_hourly ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE machine_group_usage_hourly ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE recommendations ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE ticket_history ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE node_fragmentation ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE machine_group_fragmentation ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE cluster_fragmentation ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE typical_pod_classes ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE pending_demand ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE defrag_plans ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE defrag_moves ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE rule_gpu_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE idle_runs_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE workload_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE workload_values_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE workload_activity_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE quota_demand_day ADD COLUMN cluster VARCHAR DEFAULT '';
ALTER TABLE gpu_samples ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pod_steps ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pods ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE namespaces ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE nodes ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE quota_steps ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE data_quality ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pod_gpu_usage_daily ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pod_usage_daily ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE project_usage_daily ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE workspace_usage_daily ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pod_gpu_usage_hourly ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE project_usage_hourly ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE machine_group_usage_hourly ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE recommendations ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE ticket_history ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE node_fragmentation ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE machine_group_fragmentation ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE cluster_fragmentation ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE typical_pod_classes ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE pending_demand ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE defrag_plans ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE defrag_moves ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE rule_gpu_day ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE idle_runs_day ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE workload_day ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE workload_values_day ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE workload_activity_day ALTER COLUMN cluster SET NOT NULL;
ALTER TABLE quota_demand_day ALTER COLUMN cluster SET NOT NULL;
CREATE TABLE ticket_labels_0009 (
    day DATE NOT NULL,
    scope VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    uid VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    owner VARCHAR,
    owner_channel VARCHAR,
    snooze_until VARCHAR,
    cluster VARCHAR NOT NULL DEFAULT '',
    PRIMARY KEY (day, scope, cluster, namespace, uid)
);
INSERT INTO ticket_labels_0009
SELECT day, scope, namespace, uid, pod, owner, owner_channel, snooze_until, '' FROM ticket_labels;
DROP TABLE ticket_labels;
ALTER TABLE ticket_labels_0009 RENAME TO ticket_labels;
