-- Load one day of gpu_samples from stage_dcgm: clean each raw sample (rules counted by
-- insert_dcgm_data_quality.sql), bucket it to the analysis step, and pivot the metrics into columns.
-- Several samples of one metric in one step are averaged; the holder is the pod of the step's latest sample.
INSERT INTO gpu_samples
WITH cleaned AS (
    SELECT
        metric_name, node, gpu_index, gpu_uuid, gpu_model, namespace, pod, container, ts_ms,
        CASE
            WHEN metric_name = $m_gpu_util THEN least(greatest(value, 0), 100)
            WHEN metric_name IN ($m_gr_engine_active, $m_sm_active, $m_tensor_active, $m_dram_active)
                THEN least(greatest(value, 0), 1)
            ELSE greatest(value, 0)
        END AS value
    FROM stage_dcgm
    WHERE isfinite(value)
)
SELECT
    CAST($day AS DATE) AS day,
    step_start(ts_ms, $step_seconds) AS ts,
    arg_max(node, ts_ms) AS node,
    arg_max(gpu_index, ts_ms) AS gpu_index,
    gpu_uuid,
    arg_max(gpu_model, ts_ms) AS gpu_model,
    arg_max(namespace, ts_ms) AS namespace,
    arg_max(pod, ts_ms) AS pod,
    arg_max(container, ts_ms) AS container,
    exact_avg(CASE WHEN metric_name = $m_gpu_util THEN value END) AS gpu_util,
    exact_avg(CASE WHEN metric_name = $m_gr_engine_active THEN value END) AS gr_engine_active,
    exact_avg(CASE WHEN metric_name = $m_sm_active THEN value END) AS sm_active,
    exact_avg(CASE WHEN metric_name = $m_tensor_active THEN value END) AS tensor_active,
    exact_avg(CASE WHEN metric_name = $m_dram_active THEN value END) AS dram_active,
    exact_avg(CASE WHEN metric_name = $m_fb_used THEN value END) AS fb_used_mib,
    exact_avg(CASE WHEN metric_name = $m_fb_free THEN value END) AS fb_free_mib,
    exact_avg(CASE WHEN metric_name = $m_power_usage THEN value END) AS power_w,
    count(*) AS raw_samples
FROM cleaned
GROUP BY gpu_uuid, step_start(ts_ms, $step_seconds);
