-- Days in [$window_start, $window_end) whose stored rows of a stage were computed by another gpu-reclaim version
-- than $gpu_reclaim_version (the running one): one row per (version, stage), with its days in order.
SELECT
    gpu_reclaim_version,
    stage,
    list(day ORDER BY day) AS days
FROM computed_days
WHERE day >= $window_start AND day < $window_end AND gpu_reclaim_version <> $gpu_reclaim_version
GROUP BY gpu_reclaim_version, stage
ORDER BY gpu_reclaim_version, stage;
