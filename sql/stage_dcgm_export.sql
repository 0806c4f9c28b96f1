-- Stage one day of exported DCGM series (the lines in stage_export_lines): one row per series line, its
-- label variants normalised once, its samples still as lists (stage_dcgm_steps.sql unnests them, streaming).
-- series_id numbers the lines; metric_code names the metric's role (0 gpu_util, 1 gr_engine_active, 2 sm_active,
-- 3 tensor_active, 4 dram_active, 5 fb_used, 6 fb_free, 7 power_usage). Integer keys keep the per-sample work on
-- fixed-width columns, and memory with them. The lines are stored in GPU order: the export comes metric by metric,
-- and aggregating per GPU and step over rows in GPU order keeps each GPU's groups together (several times faster).
-- A MIG instance (GPU_I_ID) and a time-sliced GPU's copy per holder (vgpu) are devices of their own: each keeps its
-- own holder and values (stage_dcgm_steps.sql groups by device, not by GPU). cluster: the series' $cluster_label
-- ('' when labels.cluster_label is off or the series lacks it); a device is also told apart by its cluster.
CREATE OR REPLACE TEMP TABLE stage_dcgm AS
WITH series AS (
    SELECT
        metric['__name__'] AS metric_name,
        coalesce(first_label(metric, $node_keys), '') AS node,
        TRY_CAST(first_label(metric, $gpu_index_keys) AS INTEGER) AS gpu_index,
        coalesce(
            first_label(metric, $gpu_uuid_keys),
            coalesce(first_label(metric, $node_keys), '') || '/' || coalesce(first_label(metric, $gpu_index_keys), '?')
        ) AS gpu_uuid,
        first_label(metric, $gpu_model_keys) AS gpu_model,
        first_label(metric, $namespace_keys) AS namespace,
        first_label(metric, $pod_keys) AS pod,
        first_label(metric, $container_keys) AS container,
        first_label(metric, $gpu_instance_id_keys) AS gpu_instance_id,
        first_label(metric, $gpu_instance_profile_keys) AS mig_profile,
        first_label(metric, $vgpu_keys) AS vgpu,
        coalesce(metric[$cluster_label], '') AS cluster,
        "values",
        timestamps
    FROM stage_export_lines
)
SELECT
    CAST(row_number() OVER () AS INTEGER) AS series_id,
    CAST(CASE metric_name
        WHEN $m_gpu_util THEN 0
        WHEN $m_gr_engine_active THEN 1
        WHEN $m_sm_active THEN 2
        WHEN $m_tensor_active THEN 3
        WHEN $m_dram_active THEN 4
        WHEN $m_fb_used THEN 5
        WHEN $m_fb_free THEN 6
        WHEN $m_power_usage THEN 7
    END AS TINYINT) AS metric_code,
    *
FROM series
ORDER BY gpu_uuid, gpu_instance_id, vgpu;
