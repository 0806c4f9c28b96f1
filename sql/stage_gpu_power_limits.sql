-- One row per GPU sampled in [$range_start, $range_end): the idle and max power its busy-looking-idle steps are
-- judged against. From the config table (gpu_model_power) when its model is there (power_source 'table'); else
-- idle = the GPU's own $idle_power_percentile of power over the range and max = the highest power any GPU of its
-- model drew in the range (power_source 'observed_p05' for the 5th percentile). No power samples: NULLs (the
-- power condition is then unknown: insufficient data).
CREATE OR REPLACE TEMP TABLE gpu_power_limits AS
WITH observed AS (
    SELECT
        cluster,
        gpu_uuid,
        arg_max(gpu_model, ts) AS gpu_model,
        quantile_cont(power_w, $idle_power_percentile) AS low_power_w,
        max(power_w) AS peak_power_w
    FROM gpu_samples
    WHERE day BETWEEN CAST($range_start AS DATE) AND CAST($range_end AS DATE)
      AND ts >= $range_start AND ts < $range_end
    GROUP BY cluster, gpu_uuid
),
model_peak AS (
    SELECT gpu_model, max(peak_power_w) AS peak_power_w FROM observed GROUP BY gpu_model
)
SELECT
    o.cluster,
    o.gpu_uuid,
    coalesce(t.idle_w, o.low_power_w) AS idle_power_w,
    coalesce(t.max_w, m.peak_power_w) AS max_power_w,
    CASE
        WHEN t.gpu_model IS NOT NULL THEN 'table'
        WHEN o.low_power_w IS NOT NULL THEN printf('observed_p%02d', CAST(round($idle_power_percentile * 100) AS INTEGER))
    END AS power_source
FROM observed AS o
LEFT JOIN gpu_model_power AS t ON t.gpu_model = o.gpu_model
LEFT JOIN model_peak AS m ON m.gpu_model IS NOT DISTINCT FROM o.gpu_model;
