-- One row per GPU sampled in [$range_start, $range_end): the idle and max power its busy-looking-idle steps are
-- judged against. From the config table (gpu_model_power) when its model is there (power_source 'table'); else
-- idle = the GPU's own $idle_power_percentile of power over the range and max = the highest power any GPU of its
-- model drew in the range (power_source 'observed_p05' for the 5th percentile). No power samples: NULLs (the
-- power condition is then unknown: insufficient data). The rule itself: gpu_power_limits_of (sql/create_macros.sql).
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
)
FROM gpu_power_limits_of('observed', 'gpu_model_power', $idle_power_percentile);
