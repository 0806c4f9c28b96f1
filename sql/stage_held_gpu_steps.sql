-- One day's allocated GPU-steps that have a DCGM sample: a row per (step, cluster, pod uid, device) where the pod was
-- Running with GPUs requested and held the device. activity is the device's gr_engine_active when present, else
-- gpu_util / 100; a sample with neither is no data and left out.
-- A device is a whole GPU, a MIG instance or a replica of a time-sliced GPU (README "MIG and time-sliced GPUs"):
--   gpu_fraction     the share of the GPU the row stands for: 1; a MIG instance g / slices (an unknown profile
--                    counts 1, and in data_quality); a replica 1/N
--   used_share       GPUs used at that step: activity x gpu_fraction; on a time-sliced GPU the GPU's activity
--                    split evenly among the pods holding it at that step, capped at gpu_fraction (usage_estimated)
--   whole GPUs and MIG instances are bound by their own series' pod labels; a time-sliced GPU with vgpu copies
--   (KUBERNETES_VIRTUAL_GPUS) by each copy's pod, its holders counted from the copies; without them, by the pods'
--   requests on the node: every Running pod there holding replicas shares the node's GPUs' activity, and its
--   activity (for idle and low use) is the node's busiest GPU's, so idle stays exact (every GPU idle).
-- busy_looking_idle: the step is fake-busy (TRUE), not (FALSE) or unknown (NULL), judged by the macro of that name
-- against the GPU's power limits of the day (gpu_power_limits, core/busy_looking.py); a fake-busy step is never
-- used (the usage inserts leave its used_share out).
CREATE OR REPLACE TEMP TABLE held_gpu_steps AS
WITH samples AS (
    SELECT
        s.*,
        coalesce(s.gr_engine_active, s.gpu_util / 100.0) AS device_activity,
        n.gpu_replicas,
        coalesce(n.gpu_sharing = 'time_sliced' AND n.gpu_replicas > 1, false) AS time_sliced,
        mig_profile_slices(s.mig_profile) / coalesce(
            mig_slices(coalesce(s.gpu_model, n.gpu_model), $mig_slice_matches, $mig_slice_counts),
            $default_compute_slices
        ) AS mig_fraction
    FROM gpu_samples AS s
    LEFT JOIN nodes AS n ON n.day = s.day AND n.cluster = s.cluster AND n.node = s.node
    WHERE s.day = $day AND (s.gr_engine_active IS NOT NULL OR s.gpu_util IS NOT NULL)
),
running AS (
    SELECT * FROM pod_steps WHERE day = $day AND phase = 'Running' AND gpus_requested > 0
),
vgpu_holders AS (
    -- the pods holding a GPU's vgpu copies at a step (one group per GPU-step with copies, not a window over all)
    SELECT cluster, gpu_uuid, ts, count(DISTINCT nullif(pod, '')) AS holders
    FROM samples
    WHERE vgpu IS NOT NULL
    GROUP BY cluster, gpu_uuid, ts
),
bound_devices AS (
    -- whole GPUs, MIG instances and vgpu copies: each series names its holder
    SELECT s.*, coalesce(h.holders, 0) AS holders
    FROM samples AS s
    LEFT JOIN vgpu_holders AS h ON h.cluster = s.cluster AND h.gpu_uuid = s.gpu_uuid AND h.ts = s.ts
    WHERE NOT s.time_sliced OR s.vgpu IS NOT NULL
),
bound AS (
    SELECT
        r.cluster, r.ts, r.uid, r.namespace, r.pod, s.node, s.gpu_uuid, s.gpu_instance_id, s.mig_profile, s.gpu_model,
        s.device_activity AS activity,
        CASE WHEN s.gr_engine_active IS NOT NULL THEN 'gr_engine_active' ELSE 'gpu_util' END AS activity_source,
        s.gpu_util, s.sm_active, s.tensor_active, s.dram_active, s.fb_used_mib,
        s.fb_used_mib / nullif(s.fb_used_mib + s.fb_free_mib, 0) AS memory_fraction,
        s.power_w,
        CASE WHEN s.time_sliced THEN 1.0 / s.gpu_replicas
             WHEN s.gpu_instance_id IS NOT NULL THEN coalesce(s.mig_fraction, 1.0)
             ELSE 1.0 END AS gpu_fraction,
        s.time_sliced AS usage_estimated,
        s.holders
    FROM running AS r
    JOIN bound_devices AS s ON s.ts = r.ts AND s.cluster = r.cluster AND s.namespace = r.namespace AND s.pod = r.pod
),
pooled_nodes AS (
    -- time-sliced nodes without vgpu copies: one row per (node, step) over the node's GPUs
    SELECT
        cluster, node, ts,
        CASE WHEN count(DISTINCT gpu_uuid) = 1 THEN any_value(gpu_uuid) ELSE node || '/time-sliced' END AS gpu_uuid,
        any_value(gpu_model) AS gpu_model,
        exact_sum(device_activity) AS activity_sum,
        max(device_activity) AS activity_max,
        bool_and(gr_engine_active IS NOT NULL) AS profiled,
        avg(gpu_util) AS gpu_util, avg(sm_active) AS sm_active, avg(tensor_active) AS tensor_active,
        avg(dram_active) AS dram_active, sum(fb_used_mib) AS fb_used_mib,
        sum(fb_used_mib) / nullif(sum(fb_used_mib + fb_free_mib), 0) AS memory_fraction,
        sum(power_w) AS power_w
    FROM samples
    WHERE time_sliced AND vgpu IS NULL
    GROUP BY cluster, node, ts
),
pooled_holders AS (
    SELECT r.*, sum(r.gpus_requested) OVER (PARTITION BY r.cluster, r.node, r.ts) AS held_gpus
    FROM running AS r
    WHERE (r.cluster, r.node) IN (SELECT (cluster, node) FROM pooled_nodes)
),
pooled AS (
    SELECT
        r.cluster, r.ts, r.uid, r.namespace, r.pod, p.node, p.gpu_uuid, NULL AS gpu_instance_id, NULL AS mig_profile,
        p.gpu_model,
        p.activity_max AS activity,
        CASE WHEN p.profiled THEN 'gr_engine_active' ELSE 'gpu_util' END AS activity_source,
        p.gpu_util, p.sm_active, p.tensor_active, p.dram_active, p.fb_used_mib, p.memory_fraction, p.power_w,
        r.gpus_requested AS gpu_fraction,
        least(p.activity_sum * r.gpus_requested / r.held_gpus, r.gpus_requested) AS used_share,
        true AS usage_estimated
    FROM pooled_holders AS r
    JOIN pooled_nodes AS p ON p.cluster = r.cluster AND p.node = r.node AND p.ts = r.ts
),
held AS (
    SELECT
        * EXCLUDE (holders),
        CASE WHEN usage_estimated THEN least(activity / greatest(holders, 1), gpu_fraction)
             ELSE activity * gpu_fraction END AS used_share
    FROM bound
    UNION ALL BY NAME
    SELECT * FROM pooled
)
-- every row judged by the one macro against its GPU's limits; the limits are one GPU's: a node of several
-- time-sliced GPUs (summed power, gpu_uuid '<node>/time-sliced') is judged without them
SELECT
    h.* EXCLUDE (used_share),
    busy_looking_idle(
        h.activity, h.sm_active, h.tensor_active, h.dram_active, h.power_w, l.idle_power_w, l.max_power_w,
        $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    ) AS busy_looking_idle,
    l.idle_power_w,
    l.max_power_w,
    l.power_source,
    h.used_share
FROM held AS h
LEFT JOIN gpu_power_limits AS l ON l.cluster = h.cluster AND l.gpu_uuid = h.gpu_uuid;
