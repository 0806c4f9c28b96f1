-- Remove one day partition of pod_gpu_usage_hourly before it is loaded again (same transaction as the insert).
DELETE FROM pod_gpu_usage_hourly WHERE day = $day;
