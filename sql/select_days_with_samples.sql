-- The UTC days whose ingested samples are stored (DCGM or kube-state-metrics): the days rescore can recompute.
SELECT DISTINCT day FROM gpu_samples
UNION
SELECT DISTINCT day FROM pod_steps
ORDER BY day;
