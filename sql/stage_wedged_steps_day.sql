-- The GPU-steps of rule_gpu_steps (staged for one day, or the part of a day a window covers) that could be part of
-- a wedged collective: every GPU-step of a (workload, step) with at least 2 GPU-steps the busy-looking-idle macro
-- does not rule out without power limits (busy_candidate_steps, as rule_gpu_day's busy_candidates). A
-- wedged gang step has at least 2 busy-looking idle GPUs and a gang is the workload or one of its pods, so every
-- wedged step is here with all of its gang's GPUs; sql/rules_wedged_gpus.sql judges them against the window's
-- limits.
CREATE OR REPLACE TEMP TABLE staged_wedged_steps_day AS
WITH steps AS (
    FROM busy_candidate_steps(
        'rule_gpu_steps', $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    )
),
candidate_steps AS (
    SELECT cluster, namespace, workload, ts
    FROM steps
    GROUP BY cluster, namespace, workload, ts
    HAVING count(*) FILTER (WHERE busy_candidate) >= 2
)
SELECT
    CAST($range_start AS DATE) AS day,
    s.cluster,
    s.namespace,
    s.workload,
    s.owner_kind,
    s.uid,
    s.pod,
    s.node,
    s.gpu_uuid,
    s.gpu_index,
    s.ts,
    s.activity,
    s.sm_active,
    s.tensor_active,
    s.dram_active,
    s.power_w
FROM steps AS s
SEMI JOIN candidate_steps AS c
    ON c.cluster = s.cluster AND c.namespace IS NOT DISTINCT FROM s.namespace
    AND c.workload IS NOT DISTINCT FROM s.workload AND c.ts = s.ts;
