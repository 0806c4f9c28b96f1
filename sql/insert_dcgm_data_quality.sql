-- Count, per cleaning rule and metric, the raw DCGM samples of one day that cleaning changed or dropped:
-- non_finite_dropped (±Inf/NaN), clamped_low (below the metric's range), clamped_high (above it),
-- merged_duplicates (extra samples of one GPU and metric within one step, averaged into one).
INSERT INTO data_quality
WITH ranged AS (
    SELECT
        metric_name, value, gpu_uuid, ts_ms,
        CASE WHEN metric_name = $m_gpu_util THEN 100.0
             WHEN metric_name IN ($m_gr_engine_active, $m_sm_active, $m_tensor_active, $m_dram_active) THEN 1.0
             ELSE 'inf'::DOUBLE END AS upper_bound
    FROM stage_dcgm
),
counts AS (
    SELECT metric_name, 'non_finite_dropped' AS rule, count(*) FILTER (WHERE NOT isfinite(value)) AS affected
    FROM ranged GROUP BY metric_name
    UNION ALL
    SELECT metric_name, 'clamped_low', count(*) FILTER (WHERE isfinite(value) AND value < 0)
    FROM ranged GROUP BY metric_name
    UNION ALL
    SELECT metric_name, 'clamped_high', count(*) FILTER (WHERE isfinite(value) AND value > upper_bound)
    FROM ranged GROUP BY metric_name
    UNION ALL
    SELECT metric_name, 'merged_duplicates', sum(n - 1)
    FROM (
        SELECT metric_name, count(*) AS n FROM ranged WHERE isfinite(value)
        GROUP BY metric_name, gpu_uuid, step_start(ts_ms, $step_seconds)
    ) GROUP BY metric_name
)
SELECT CAST($day AS DATE), 'dcgm', rule, metric_name, affected FROM counts WHERE affected > 0;
