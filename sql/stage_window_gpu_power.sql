-- The window's GPU power limits (gpu_power_limits, as sql/stage_gpu_power_limits.sql stages them from gpu_samples,
-- bit for bit) merged from the per-day power histograms: gpu_power_day of [$full_first, $full_last] and the
-- window's edge parts (partial_gpu_power_day). Per GPU: the model of its latest sample naming one, its peak, and,
-- when its model has no entry in the config table (gpu_model_power), quantile_cont of its power at
-- $idle_power_percentile over the summed histogram's values (the interpolation must be DuckDB's own: its
-- compiled lo × (1 - d) + hi × d is not what the same expression computes in SQL). The limits from the merged
-- figures: gpu_power_limits_of (sql/create_macros.sql), as in stage_gpu_power_limits.sql.
CREATE OR REPLACE TEMP TABLE gpu_power_limits AS
WITH power_days AS (
    SELECT * FROM gpu_power_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_gpu_power_day
),
gpus AS (
    SELECT cluster, gpu_uuid, arg_max(gpu_model, model_ts) AS gpu_model, max(peak_power_w) AS peak_power_w
    FROM power_days
    GROUP BY cluster, gpu_uuid
),
untabled AS (
    -- the observed idle power is needed only for a GPU whose model has no entry in the config table
    SELECT g.cluster, g.gpu_uuid
    FROM gpus AS g
    ANTI JOIN gpu_model_power AS t ON t.gpu_model = g.gpu_model
),
merged AS (
    SELECT d.cluster, d.gpu_uuid, h.bin.power_w, sum(h.bin.samples) AS samples
    FROM power_days AS d
    SEMI JOIN untabled AS u ON u.cluster = d.cluster AND u.gpu_uuid = d.gpu_uuid
    CROSS JOIN unnest(d.power) AS h(bin)
    GROUP BY d.cluster, d.gpu_uuid, h.bin.power_w
),
quantiles AS (
    -- every sample again (each power value repeated `samples` times): DuckDB's own quantile_cont, bit for bit
    SELECT m.cluster, m.gpu_uuid, quantile_cont(m.power_w, $idle_power_percentile) AS low_power_w
    FROM merged AS m
    CROSS JOIN range(CAST(m.samples AS BIGINT)) AS r(copy)
    GROUP BY m.cluster, m.gpu_uuid
),
observed AS (
    SELECT g.cluster, g.gpu_uuid, g.gpu_model, q.low_power_w, g.peak_power_w
    FROM gpus AS g
    LEFT JOIN quantiles AS q ON q.cluster = g.cluster AND q.gpu_uuid = g.gpu_uuid
)
FROM gpu_power_limits_of('observed', 'gpu_model_power', $idle_power_percentile);
