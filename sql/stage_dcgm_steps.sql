-- Aggregate the staged DCGM samples of one batch of devices (stage_dcgm_devices, gpu_id in ($first_gpu_id,
-- $last_gpu_id]) to one row per (device, analysis step), appended to stage_dcgm_steps (create_stage_dcgm_steps.sql):
-- each metric cleaned (clamped to its range; ±Inf/NaN dropped, counted by insert_dcgm_data_quality.sql) and
-- averaged over the step's samples; the samples per metric (for the merged-duplicates count: the very count
-- exact_avg takes, so DuckDB computes it once); and for each holder label, the series of the step's latest sample
-- carrying it (insert_gpu_samples.sql joins the labels back). Samples outside [$day_start_ms, $day_end_ms) are left
-- out. The lists are unnested inside the aggregation: no per-sample table is materialised. Batches of devices keep
-- the aggregation's hash table small: a whole day of 1,064 GPUs at once (1.6 M groups of 24 aggregates) outgrows
-- the 1 GB memory limit and spills; a batch of a few hundred devices does not (issue 16: 3.2 s → 2.4 s).
INSERT INTO stage_dcgm_steps BY NAME
WITH gpus AS (
    SELECT * FROM stage_dcgm_devices WHERE gpu_id > $first_gpu_id AND gpu_id <= $last_gpu_id
),
samples AS (
    SELECT
        s.series_id,
        g.gpu_id,
        metric_code,
        gpu_index IS NOT NULL AS has_gpu_index,
        gpu_model IS NOT NULL AS has_gpu_model,
        namespace IS NOT NULL AS has_namespace,
        pod IS NOT NULL AS has_pod,
        container IS NOT NULL AS has_container,
        mig_profile IS NOT NULL AS has_mig_profile,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM stage_dcgm AS s
    JOIN gpus AS g
        ON g.cluster = s.cluster
       AND g.gpu_uuid = s.gpu_uuid
       AND g.gpu_instance_id IS NOT DISTINCT FROM s.gpu_instance_id
       AND g.vgpu IS NOT DISTINCT FROM s.vgpu
)
SELECT
    gpu_id,
    ts_ms // ($step_seconds * 1000) AS bucket,
    arg_max(series_id, ts_ms) AS node_series,
    arg_max(CASE WHEN has_gpu_index THEN series_id END, ts_ms) AS gpu_index_series,
    arg_max(CASE WHEN has_gpu_model THEN series_id END, ts_ms) AS gpu_model_series,
    arg_max(CASE WHEN has_namespace THEN series_id END, ts_ms) AS namespace_series,
    arg_max(CASE WHEN has_pod THEN series_id END, ts_ms) AS pod_series,
    arg_max(CASE WHEN has_container THEN series_id END, ts_ms) AS container_series,
    arg_max(CASE WHEN has_mig_profile THEN series_id END, ts_ms) AS mig_profile_series,
    exact_avg(CASE WHEN metric_code = 0 THEN least(greatest(value, 0), 100) END) AS gpu_util,
    exact_avg(CASE WHEN metric_code = 1 THEN least(greatest(value, 0), 1) END) AS gr_engine_active,
    exact_avg(CASE WHEN metric_code = 2 THEN least(greatest(value, 0), 1) END) AS sm_active,
    exact_avg(CASE WHEN metric_code = 3 THEN least(greatest(value, 0), 1) END) AS tensor_active,
    exact_avg(CASE WHEN metric_code = 4 THEN least(greatest(value, 0), 1) END) AS dram_active,
    exact_avg(CASE WHEN metric_code = 5 THEN greatest(value, 0) END) AS fb_used_mib,
    exact_avg(CASE WHEN metric_code = 6 THEN greatest(value, 0) END) AS fb_free_mib,
    exact_avg(CASE WHEN metric_code = 7 THEN greatest(value, 0) END) AS power_w,
    count(CASE WHEN metric_code = 0 THEN least(greatest(value, 0), 100) END) AS n_gpu_util,
    count(CASE WHEN metric_code = 1 THEN least(greatest(value, 0), 1) END) AS n_gr_engine_active,
    count(CASE WHEN metric_code = 2 THEN least(greatest(value, 0), 1) END) AS n_sm_active,
    count(CASE WHEN metric_code = 3 THEN least(greatest(value, 0), 1) END) AS n_tensor_active,
    count(CASE WHEN metric_code = 4 THEN least(greatest(value, 0), 1) END) AS n_dram_active,
    count(CASE WHEN metric_code = 5 THEN greatest(value, 0) END) AS n_fb_used,
    count(CASE WHEN metric_code = 6 THEN greatest(value, 0) END) AS n_fb_free,
    count(CASE WHEN metric_code = 7 THEN greatest(value, 0) END) AS n_power_usage,
    count(*) AS raw_samples
FROM samples
WHERE isfinite(value) AND ts_ms >= $day_start_ms AND ts_ms < $day_end_ms
GROUP BY gpu_id, bucket;
