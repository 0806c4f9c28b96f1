-- One row per (step, pod uid, GPU) of rule_pod_steps whose GPU sample named the pod at that step.
-- activity = coalesce(gr_engine_active, gpu_util / 100); memory_fraction = fb_used / (fb_used + fb_free).
-- busy_looking_idle: TRUE / FALSE / NULL (unknown) by the macro of that name against the GPU's power limits over
-- the window (gpu_power_limits, staged by core/busy_looking.py): the same definition as the usage tables'.
-- A MIG instance is a row of its own (gpu_instance_id, mig_profile); gpu_fraction is the share of the GPU the row
-- stands for (g / compute_slices, 1/N for a replica of a time-sliced GPU, else 1); compute_slices is the model's
-- (NULL for a model without MIG in shared_gpus.mig_slices).
CREATE OR REPLACE TEMP TABLE rule_gpu_steps AS
SELECT
    s.ts,
    s.cluster,
    s.uid,
    s.namespace,
    s.pod,
    g.node,
    g.gpu_uuid,
    coalesce(g.gpu_model, s.node_gpu_model) AS gpu_model,
    s.workload,
    s.category,
    s.purpose,
    s.gpus_requested,
    coalesce(g.gr_engine_active, g.gpu_util / 100.0) AS activity,
    g.gpu_util,
    g.sm_active,
    g.tensor_active,
    g.dram_active,
    g.fb_used_mib,
    g.fb_free_mib,
    CASE WHEN g.fb_used_mib + g.fb_free_mib > 0 THEN g.fb_used_mib / (g.fb_used_mib + g.fb_free_mib) END
        AS memory_fraction,
    g.power_w,
    s.owner_kind,
    g.gpu_index,
    busy_looking_idle(
        coalesce(g.gr_engine_active, g.gpu_util / 100.0), g.sm_active, g.tensor_active, g.dram_active, g.power_w,
        l.idle_power_w, l.max_power_w,
        $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    ) AS busy_looking_idle,
    l.idle_power_w,
    l.max_power_w,
    l.power_source,
    g.gpu_instance_id,
    g.mig_profile,
    CASE
        WHEN g.gpu_instance_id IS NOT NULL THEN coalesce(mig_profile_slices(g.mig_profile) / coalesce(
            mig_slices(coalesce(g.gpu_model, s.node_gpu_model), $mig_slice_matches, $mig_slice_counts),
            $default_compute_slices
        ), 1.0)
        WHEN s.node_gpu_sharing = 'time_sliced' AND s.node_gpu_replicas > 1 THEN 1.0 / s.node_gpu_replicas
        ELSE 1.0
    END AS gpu_fraction,
    mig_slices(coalesce(g.gpu_model, s.node_gpu_model), $mig_slice_matches, $mig_slice_counts) AS compute_slices
FROM rule_pod_steps AS s
JOIN gpu_samples AS g ON g.day = s.day AND g.ts = s.ts AND g.cluster = s.cluster AND g.namespace = s.namespace AND g.pod = s.pod
LEFT JOIN gpu_power_limits AS l ON l.cluster = g.cluster AND l.gpu_uuid = g.gpu_uuid;
