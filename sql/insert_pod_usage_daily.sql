-- Load one day of pod_usage_daily: per pod uid that ran with GPUs requested, allocated GPU-hours
-- (Σ gpus_requested × step over Running steps) against the GPU-hours its GPUs were observed, used and idle.
-- no_data = allocated − observed (never negative): allocated GPUs without DCGM samples, neither idle nor used.
-- busy_looking_idle: GPU-hours of busy-looking idle steps (fake-busy), part of observed and never of used.
INSERT INTO pod_usage_daily BY NAME
WITH running AS (
    SELECT
        cluster,
        uid,
        count(*) * $step_seconds / 3600.0 AS running_hours,
        exact_sum(gpus_requested) * $step_seconds / 3600.0 AS allocated_gpu_hours,
        max(gpus_requested) AS gpus_requested,
        arg_max(node, ts) FILTER (WHERE node IS NOT NULL) AS node,
        arg_max(gpu_sharing, ts) AS gpu_sharing,
        arg_max(mig_profile, ts) AS mig_profile
    FROM pod_steps
    WHERE day = $day AND phase = 'Running' AND gpus_requested > 0
    GROUP BY cluster, uid
),
observed AS (
    -- at most gpus_requested GPUs count per step, so a stale holder label cannot inflate a pod's figures; gpus is
    -- the GPUs held at the step (MIG instances and replicas by their gpu_fraction)
    SELECT
        cluster,
        uid,
        exact_sum(least(gpus, requested)) * $step_seconds / 3600.0 AS observed_gpu_hours,
        exact_sum(used * least(gpus, requested) / gpus) * $step_seconds / 3600.0 AS used_gpu_hours,
        exact_sum(idle * least(gpus, requested) / gpus) * $step_seconds / 3600.0 AS idle_gpu_hours,
        exact_sum(low_use * least(gpus, requested) / gpus) * $step_seconds / 3600.0 AS low_use_gpu_hours,
        exact_sum(busy_looking * least(gpus, requested) / gpus) * $step_seconds / 3600.0
            AS busy_looking_idle_gpu_hours,
        arg_max(gpu_model, gpus) AS sample_gpu_model,
        bool_or(estimated) AS usage_estimated
    FROM (
        SELECT
            h.cluster, h.uid, h.ts,
            exact_sum(h.gpu_fraction) AS gpus,
            any_value(p.gpus_requested) AS requested,
            exact_sum(CASE WHEN h.busy_looking_idle THEN 0 ELSE h.used_share END) AS used,
            coalesce(exact_sum(CASE WHEN h.activity < $idle_threshold THEN h.gpu_fraction END), 0) AS idle,
            coalesce(exact_sum(CASE WHEN h.activity < $low_use_threshold THEN h.gpu_fraction END), 0) AS low_use,
            coalesce(exact_sum(CASE WHEN h.busy_looking_idle THEN h.gpu_fraction END), 0) AS busy_looking,
            any_value(h.gpu_model) AS gpu_model,
            bool_or(h.usage_estimated) AS estimated
        FROM held_gpu_steps AS h
        JOIN pod_steps AS p ON p.day = $day AND p.ts = h.ts AND p.cluster = h.cluster AND p.uid = h.uid
        GROUP BY h.cluster, h.uid, h.ts
    )
    GROUP BY cluster, uid
),
pod_info AS (
    SELECT * FROM pods WHERE day = $day
)
SELECT
    CAST($day AS DATE) AS day,
    r.uid,
    i.namespace,
    i.pod,
    coalesce(ns.workspace, 'unassigned') AS workspace,
    coalesce(ns.project, i.namespace) AS project,
    i.owner_kind || '/' || i.owner_name AS workload,
    i.owner_kind,
    i.owner_name,
    i.provisioning_type,
    i.category,
    i.purpose,
    i.reclaim_exempt,
    r.node,
    coalesce(nullif(n.machine_group, 'unknown'), nullif(n.gpu_model, 'unknown'), o.sample_gpu_model, 'unknown')
        AS machine_group,
    coalesce(nullif(n.gpu_model, 'unknown'), o.sample_gpu_model, 'unknown') AS gpu_model,
    r.gpus_requested,
    r.running_hours,
    r.allocated_gpu_hours,
    coalesce(o.observed_gpu_hours, 0) AS observed_gpu_hours,
    coalesce(o.used_gpu_hours, 0) AS used_gpu_hours,
    coalesce(o.idle_gpu_hours, 0) AS idle_gpu_hours,
    coalesce(o.low_use_gpu_hours, 0) AS low_use_gpu_hours,
    greatest(r.allocated_gpu_hours - coalesce(o.observed_gpu_hours, 0), 0) AS no_data_gpu_hours,
    coalesce(w.h100_equivalent, $default_h100_equivalent) AS h100_equivalent,
    w.price_per_gpu_hour,
    coalesce(o.busy_looking_idle_gpu_hours, 0) AS busy_looking_idle_gpu_hours,
    r.gpu_sharing,
    r.mig_profile,
    coalesce(o.usage_estimated, false) AS usage_estimated,
    r.cluster
FROM running AS r
JOIN pod_info AS i USING (cluster, uid)
LEFT JOIN namespaces AS ns ON ns.day = $day AND ns.cluster = r.cluster AND ns.namespace = i.namespace
LEFT JOIN nodes AS n ON n.day = $day AND n.cluster = r.cluster AND n.node = r.node
LEFT JOIN observed AS o USING (cluster, uid)
LEFT JOIN gpu_model_weights AS w
    ON w.gpu_model = coalesce(nullif(n.gpu_model, 'unknown'), o.sample_gpu_model, 'unknown');
