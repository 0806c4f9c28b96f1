-- Cluster overview's occupancy map: one row per node at the window's last fragmentation snapshot in
-- [$window_start, $window_end): its GPUs, the whole GPUs no pod holds (free), the GPUs pods hold (allocated, a
-- partly shared GPU counts as allocated), and of those the GPUs whose mean activity in the snapshot's hour was
-- below $idle_threshold (allocated but idle; pod_gpu_usage_hourly, GPUs mapped to nodes by that day's samples).
-- A node is (cluster, node): the same node name in two clusters is two nodes.
WITH latest AS (
    SELECT max(snapshot_ts) AS snapshot_ts
    FROM node_fragmentation
    WHERE day >= $window_start AND day < $window_end
),
snapshot_nodes AS (
    SELECT f.cluster, f.node, f.machine_group, f.gpu_model, f.gpus, f.free_whole_gpus, f.snapshot_ts
    FROM node_fragmentation AS f
    JOIN latest AS l ON f.snapshot_ts = l.snapshot_ts
),
gpu_nodes AS (
    SELECT DISTINCT s.cluster, s.gpu_uuid, s.node
    FROM gpu_samples AS s, latest AS l
    WHERE s.day = CAST(l.snapshot_ts AS DATE)
),
idle AS (
    SELECT g.cluster, g.node, count(DISTINCT h.gpu_uuid) AS idle_gpus
    FROM pod_gpu_usage_hourly AS h
    JOIN gpu_nodes AS g ON g.cluster = h.cluster AND g.gpu_uuid = h.gpu_uuid
    JOIN latest AS l ON h.day = CAST(l.snapshot_ts AS DATE) AND h.hour = date_trunc('hour', l.snapshot_ts)
    WHERE h.mean_activity IS NOT NULL AND h.mean_activity < $idle_threshold
    GROUP BY g.cluster, g.node
)
SELECT
    n.cluster,
    n.machine_group,
    n.gpu_model,
    n.node,
    n.snapshot_ts,
    n.gpus,
    n.free_whole_gpus AS free_gpus,
    n.gpus - n.free_whole_gpus AS allocated_gpus,
    least(coalesce(i.idle_gpus, 0), n.gpus - n.free_whole_gpus) AS allocated_idle_gpus
FROM snapshot_nodes AS n
LEFT JOIN idle AS i ON i.cluster = n.cluster AND i.node = n.node
ORDER BY n.cluster, n.machine_group, n.node;
