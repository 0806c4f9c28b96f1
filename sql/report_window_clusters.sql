-- The clusters (values of labels.cluster_label; '' when off or a series lacks it) whose nodes or usage the window
-- [$window_start, $window_end) holds. More than one: the overview's Machine Group, capacity, occupancy,
-- fragmentation and defrag tables show a Cluster column (README "Clusters in one file"); one: as without clusters.
SELECT cluster FROM nodes WHERE day >= $window_start AND day < $window_end
UNION
SELECT cluster FROM pod_usage_daily WHERE day >= $window_start AND day < $window_end
ORDER BY cluster;
