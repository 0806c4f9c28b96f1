-- One day of cluster_days for stage 'kube_state', from the staged export (stage_ksm): series per value of
-- $cluster_label ('' when a series lacks it).
INSERT INTO cluster_days (day, stage, cluster_label, cluster, series)
SELECT $day, 'kube_state', $cluster_label, coalesce(labels[$cluster_label], '') AS cluster, count(*)
FROM stage_ksm
GROUP BY ALL;
