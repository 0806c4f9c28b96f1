-- Count, per cleaning rule and metric, the raw DCGM samples of one day that cleaning changed or dropped:
-- non_finite_dropped (±Inf/NaN), clamped_low (below the metric's range), clamped_high (above it),
-- merged_duplicates (extra samples of one GPU and metric within one step, averaged into one: the samples
-- stage_dcgm_steps.sql counted per GPU, step and metric, less one for each step that had any),
-- fb_total_inconsistent (steps whose FB_USED + FB_FREE is more than 1 % away from that GPU's median total of
-- the day: counted, not changed; each step's memory fraction uses its own total).
INSERT INTO data_quality (day, stage, rule, metric, affected)
WITH raw AS (
    SELECT metric_name, metric_code, unnest("values") AS value, unnest(timestamps) AS ts_ms
    FROM stage_dcgm
),
ranged AS (
    SELECT
        metric_name, value,
        CASE WHEN metric_code = 0 THEN 100.0
             WHEN metric_code IN (1, 2, 3, 4) THEN 1.0
             ELSE 'inf'::DOUBLE END AS upper_bound
    FROM raw
    WHERE ts_ms >= $day_start_ms AND ts_ms < $day_end_ms
),
per_metric AS (
    SELECT
        metric_name,
        count(*) FILTER (WHERE NOT isfinite(value)) AS non_finite_dropped,
        count(*) FILTER (WHERE isfinite(value) AND value < 0) AS clamped_low,
        count(*) FILTER (WHERE isfinite(value) AND value > upper_bound) AS clamped_high
    FROM ranged
    GROUP BY metric_name
),
merged AS (
    SELECT metric_name, sum(n) - count(*) FILTER (WHERE n > 0) AS affected
    FROM (
        SELECT
            unnest([$m_gpu_util, $m_gr_engine_active, $m_sm_active, $m_tensor_active, $m_dram_active, $m_fb_used,
                    $m_fb_free, $m_power_usage]) AS metric_name,
            unnest([n_gpu_util, n_gr_engine_active, n_sm_active, n_tensor_active, n_dram_active, n_fb_used,
                    n_fb_free, n_power_usage]) AS n
        FROM stage_dcgm_steps
    )
    GROUP BY metric_name
),
fb_totals AS (
    SELECT gpu_id, fb_used_mib + fb_free_mib AS total,
           median(fb_used_mib + fb_free_mib) OVER (PARTITION BY gpu_id) AS median_total
    FROM stage_dcgm_steps
    WHERE fb_used_mib IS NOT NULL AND fb_free_mib IS NOT NULL
),
fb_inconsistent AS (
    SELECT count(*) FILTER (WHERE abs(total - median_total) > 0.01 * median_total) AS steps FROM fb_totals
),
counts AS (
    SELECT
        metric_name,
        unnest(['non_finite_dropped', 'clamped_low', 'clamped_high']) AS rule,
        unnest([non_finite_dropped, clamped_low, clamped_high]) AS affected
    FROM per_metric
    UNION ALL
    SELECT metric_name, 'merged_duplicates', affected FROM merged
    UNION ALL
    SELECT $m_fb_used, 'fb_total_inconsistent', steps FROM fb_inconsistent
)
SELECT CAST($day AS DATE), 'dcgm', rule, metric_name, affected FROM counts WHERE affected > 0;
