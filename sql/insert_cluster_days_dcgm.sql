-- One day of cluster_days for stage 'dcgm', from the series counted per value of $cluster_label while the raw
-- export lines were staged (stage_cluster_series.sql; stage_dcgm keeps no raw labels).
INSERT INTO cluster_days (day, stage, cluster_label, cluster, series)
SELECT $day, 'dcgm', $cluster_label, cluster, series
FROM stage_cluster_series;
