-- Series per value of $cluster_label in the staged export lines (only when labels.cluster_label is set), read by
-- insert_cluster_days_dcgm.sql: the DCGM staging keeps no raw labels.
CREATE OR REPLACE TEMP TABLE stage_cluster_series AS
SELECT coalesce(metric[$cluster_label], '') AS cluster, count(*) AS series
FROM stage_export_lines
GROUP BY cluster;
