-- One row per (ISO weekday 1=Mon..7=Sun, UTC hour of day) in which GPUs of $workspace's namespaces were
-- observed during [$window_start, $window_end): GPU-hours observed and used. used / observed is the
-- mean activity. A namespace belongs to the Workspace it was labelled with on that day.
SELECT
    isodow(h.hour) AS weekday,
    hour(h.hour) AS hour_of_day,
    sum(h.observed_gpu_hours) AS observed_gpu_hours,
    sum(h.used_gpu_hours) AS used_gpu_hours
FROM pod_gpu_usage_hourly AS h
JOIN namespaces AS n ON n.day = h.day AND n.cluster = h.cluster AND n.namespace = h.namespace
WHERE n.workspace = $workspace AND h.day >= $window_start AND h.day < $window_end
GROUP BY ALL
ORDER BY weekday, hour_of_day;
