-- One row per GPU sampled in [$range_start, $range_end) (one day, or the part of a day a window covers): what
-- sql/stage_window_gpu_power.sql merges over the window. power: each distinct power_w and its samples (exact: the
-- window's quantile is read from the summed histograms), in power order; gpu_model: the model of the GPU's latest
-- sample naming one (arg_max by ts), model_ts that sample's ts (the window's model is the latest day's).
CREATE OR REPLACE TEMP TABLE staged_gpu_power_day AS
WITH samples AS (
    SELECT cluster, gpu_uuid, gpu_model, ts, power_w
    FROM gpu_samples
    WHERE day BETWEEN CAST($range_start AS DATE) AND CAST($range_end AS DATE)
      AND ts >= $range_start AND ts < $range_end
),
gpus AS (
    SELECT
        cluster,
        gpu_uuid,
        arg_max(gpu_model, ts) AS gpu_model,
        max(ts) FILTER (WHERE gpu_model IS NOT NULL) AS model_ts,
        max(power_w) AS peak_power_w
    FROM samples
    GROUP BY cluster, gpu_uuid
),
counted AS (
    SELECT cluster, gpu_uuid, power_w, count(*) AS samples
    FROM samples
    WHERE power_w IS NOT NULL
    GROUP BY cluster, gpu_uuid, power_w
),
histograms AS (
    SELECT cluster, gpu_uuid, list({'power_w': power_w, 'samples': samples} ORDER BY power_w) AS power
    FROM counted
    GROUP BY cluster, gpu_uuid
)
SELECT
    CAST($range_start AS DATE) AS day,
    g.cluster,
    g.gpu_uuid,
    g.gpu_model,
    g.model_ts,
    g.peak_power_w,
    coalesce(h.power, []) AS power
FROM gpus AS g
LEFT JOIN histograms AS h ON h.cluster = g.cluster AND h.gpu_uuid = g.gpu_uuid;
