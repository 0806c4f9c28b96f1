-- Load one day of gpu_samples from stage_dcgm_steps (one row per GPU and step, metrics cleaned, averaged and
-- pivoted into columns by stage_dcgm_steps.sql): the holder labels are those of the step's latest sample.
-- One row per device: a MIG instance (gpu_instance_id, mig_profile) and a vgpu copy are rows of their own.
INSERT INTO gpu_samples BY NAME
SELECT
    CAST($day AS DATE) AS day,
    epoch_ms(s.bucket * ($step_seconds * 1000)) AS ts,
    n.node,
    i.gpu_index,
    n.gpu_uuid,
    m.gpu_model,
    ns.namespace,
    p.pod,
    c.container,
    s.gpu_util,
    s.gr_engine_active,
    s.sm_active,
    s.tensor_active,
    s.dram_active,
    s.fb_used_mib,
    s.fb_free_mib,
    s.power_w,
    s.raw_samples,
    n.gpu_instance_id,
    mp.mig_profile,
    n.vgpu,
    n.cluster
FROM stage_dcgm_steps AS s
JOIN stage_dcgm AS n ON n.series_id = s.node_series
LEFT JOIN stage_dcgm AS i ON i.series_id = s.gpu_index_series
LEFT JOIN stage_dcgm AS m ON m.series_id = s.gpu_model_series
LEFT JOIN stage_dcgm AS ns ON ns.series_id = s.namespace_series
LEFT JOIN stage_dcgm AS p ON p.series_id = s.pod_series
LEFT JOIN stage_dcgm AS c ON c.series_id = s.container_series
LEFT JOIN stage_dcgm AS mp ON mp.series_id = s.mig_profile_series;
