-- The Alibaba replay (scenarios/alibaba_pipeline.py): each Machine Group at the day's last fragmentation snapshot,
-- with its defrag plan.
SELECT g.machine_group, g.gpu_model, g.nodes, g.gpus, g.free_whole_gpus, g.free_gpu_share, g.fully_free_nodes,
       g.stranded_gpus, g.placeable_8gpu, g.fragmentation_gpus, g.fragmentation_ratio,
       p.moves, p.nodes_freed, p.placeable_8gpu_after, p.fragmentation_ratio_after
FROM machine_group_fragmentation AS g
LEFT JOIN defrag_plans AS p USING (day, snapshot_ts, machine_group)
WHERE g.day = $day AND g.snapshot_ts = (SELECT max(snapshot_ts) FROM machine_group_fragmentation WHERE day = $day)
ORDER BY g.machine_group;
