-- Share of one day's allocated GPU-hours that DCGM samples cover (NULL when nothing was allocated).
SELECT sum(observed_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) FROM pod_usage_daily WHERE day = $day;
