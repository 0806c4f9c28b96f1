-- Asset check: snapshots of one day whose cluster figures differ from the sum of their Machine Groups (should be 0),
-- per cluster.
SELECT count(*) FROM cluster_fragmentation AS c
JOIN (
    SELECT cluster, snapshot_ts, sum(gpus) AS gpus, sum(free_whole_gpus) AS free_whole_gpus,
           sum(fragmentation_gpus) AS fragmentation_gpus
    FROM machine_group_fragmentation WHERE day = $day GROUP BY cluster, snapshot_ts
) AS g USING (cluster, snapshot_ts)
WHERE c.day = $day AND (
    c.gpus <> g.gpus OR c.free_whole_gpus <> g.free_whole_gpus
    OR abs(c.fragmentation_gpus - g.fragmentation_gpus) > 1e-6
);
