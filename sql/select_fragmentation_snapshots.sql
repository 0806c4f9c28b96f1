-- The snapshot steps of one day for fragmentation: the first step of every hour that kube-state-metrics saw.
SELECT min(ts) AS snapshot_ts FROM pod_steps WHERE day = $day GROUP BY date_trunc('hour', ts) ORDER BY 1;
