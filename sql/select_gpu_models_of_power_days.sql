-- The DCGM model names of the GPUs of a window's power aggregates (gpu_power_day of [$full_first, $full_last] and
-- the edge parts, partial_gpu_power_day): the models whose configured power sql/stage_window_gpu_power.sql uses.
SELECT DISTINCT gpu_model
FROM (
    SELECT gpu_model FROM gpu_power_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL
    SELECT gpu_model FROM partial_gpu_power_day
)
WHERE gpu_model IS NOT NULL
ORDER BY gpu_model;
