-- The clusters the ingested data of [$window_start, $window_end) covers (cluster_days): per label and value, the
-- days it was seen on, ordered by label and value. Empty when labels.cluster_label was off.
SELECT cluster_label, cluster, count(DISTINCT day) AS days
FROM cluster_days
WHERE day >= $window_start AND day < $window_end
GROUP BY cluster_label, cluster
ORDER BY cluster_label, cluster;
