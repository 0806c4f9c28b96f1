-- Cluster overview: values changed or dropped by each cleaning rule in [$window_start, $window_end).
SELECT stage, rule, metric, sum(affected) AS affected
FROM data_quality
WHERE day >= $window_start AND day < $window_end
GROUP BY stage, rule, metric
HAVING sum(affected) > 0
ORDER BY affected DESC, stage, rule, metric;
