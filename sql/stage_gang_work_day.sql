-- One row per (pod uid) of rule_gpu_steps (staged for one day, or the part of a day a window covers): its owner
-- kind (the wedged rule's gang is the workload for some kinds, else the pod) and its first step of real work that
-- needs no power limits: a GPU at activity >= $fake_activity_min that the busy-looking-idle macro rules out even
-- without them (FALSE with NULL limits: FALSE with any). Its other high-activity steps are rule_gpu_day's
-- busy_candidates, judged against the window's limits by sql/rules_wedged_gpus.sql.
CREATE OR REPLACE TEMP TABLE staged_gang_work_day AS
SELECT
    CAST($range_start AS DATE) AS day,
    cluster,
    namespace,
    workload,
    owner_kind,
    uid,
    min(ts) FILTER (
        WHERE activity >= $fake_activity_min
        AND NOT busy_looking_idle(
            activity, sm_active, tensor_active, dram_active, power_w, NULL, NULL,
            $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
        )
    ) AS first_work_ts
FROM rule_gpu_steps
GROUP BY cluster, namespace, workload, owner_kind, uid;
