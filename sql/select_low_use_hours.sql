-- Per Machine Group, the UTC hours of the day ranked by GPUs used (lowest first): when a defrag disturbs least.
SELECT machine_group, list(hour(hour) ORDER BY used_gpus, hour) AS hours_by_use
FROM machine_group_usage_hourly
WHERE day = $day
GROUP BY machine_group;
