-- One day of cluster_days for stage 'dcgm', from the exported file at $path (stage_dcgm keeps no raw labels, so
-- the labels are read once more, only when labels.cluster_label is set): series per value of $cluster_label.
INSERT INTO cluster_days (day, stage, cluster_label, cluster, series)
SELECT $day, 'dcgm', $cluster_label, coalesce(metric[$cluster_label], '') AS cluster, count(*)
FROM read_json($path, format = 'newline_delimited', columns = {'metric': 'MAP(VARCHAR, VARCHAR)'})
GROUP BY cluster;
