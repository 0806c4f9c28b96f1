-- One day's allocated GPU-steps that have a DCGM sample: a row per (step, pod uid, GPU) where the pod was
-- Running with GPUs requested and the GPU's sample of that step named the pod. activity is
-- gr_engine_active when present, else gpu_util / 100; a sample with neither is no data and left out.
-- busy_looking_idle: the step is fake-busy (TRUE), not (FALSE) or unknown (NULL), judged by the macro of that name
-- against the GPU's power limits of the day (gpu_power_limits, core/busy_looking.py).
CREATE OR REPLACE TEMP TABLE held_gpu_steps AS
SELECT
    r.ts,
    r.uid,
    r.namespace,
    r.pod,
    s.node,
    s.gpu_uuid,
    s.gpu_model,
    coalesce(s.gr_engine_active, s.gpu_util / 100.0) AS activity,
    CASE WHEN s.gr_engine_active IS NOT NULL THEN 'gr_engine_active' ELSE 'gpu_util' END AS activity_source,
    s.gpu_util,
    s.sm_active,
    s.tensor_active,
    s.dram_active,
    s.fb_used_mib,
    s.fb_used_mib / nullif(s.fb_used_mib + s.fb_free_mib, 0) AS memory_fraction,
    s.power_w,
    busy_looking_idle(
        coalesce(s.gr_engine_active, s.gpu_util / 100.0), s.sm_active, s.tensor_active, s.dram_active, s.power_w,
        l.idle_power_w, l.max_power_w,
        $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    ) AS busy_looking_idle,
    l.idle_power_w,
    l.max_power_w,
    l.power_source
FROM pod_steps AS r
JOIN gpu_samples AS s
    ON s.day = r.day AND s.ts = r.ts AND s.namespace = r.namespace AND s.pod = r.pod
LEFT JOIN gpu_power_limits AS l ON l.gpu_uuid = s.gpu_uuid
WHERE r.day = $day
  AND r.phase = 'Running'
  AND r.gpus_requested > 0
  AND (s.gr_engine_active IS NOT NULL OR s.gpu_util IS NOT NULL);
