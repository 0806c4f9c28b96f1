-- Per (cluster, Machine Group), the UTC hours of the day ranked by GPUs used (lowest first): when a defrag disturbs
-- least. Ties (equal use, e.g. no DCGM data) go to the hour with fewer GPUs allocated, then the earlier hour.
SELECT cluster, machine_group, list(hour(hour) ORDER BY used_gpus, allocated_gpus, hour) AS hours_by_use
FROM machine_group_usage_hourly
WHERE day = $day
GROUP BY cluster, machine_group;
