-- One row per (pod uid, GPU, MIG instance) of rule_gpu_steps (staged for one day, or for the part of a day a window
-- covers): what rules_gpu_stats.sql merges over the window. Sums are exact DECIMALs (so the window's means are the
-- same whatever the days), counts are steps. activity < $idle_threshold and activity >= $fake_activity_min are the
-- aggregation's thresholds (the settings fingerprint in rule_aggregate_days). busy_candidates: the steps
-- busy_looking_idle does not rule out with unknown power limits (busy_candidate_steps), kept for the merge
-- to judge against the window's limits; every other step is not busy-looking idle.
-- The key (one list, here and in the merge): cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id.
CREATE OR REPLACE TEMP TABLE staged_rule_gpu_day AS
WITH steps AS (
    FROM busy_candidate_steps(
        'rule_gpu_steps', $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    )
)
SELECT
    CAST($range_start AS DATE) AS day,
    COLUMNS(gpu_holder_key()),
    any_value(COLUMNS(['pod', 'node', 'gpu_model', 'category'])),
    max(gpus_requested) AS gpus_requested,
    count(*) AS steps,
    count(activity) AS activity_steps,
    max(activity) AS max_activity,
    sum(CAST(activity AS DECIMAL(38, 12))) AS activity_sum,
    coalesce(sum(gpu_fraction) FILTER (WHERE activity < $idle_threshold), 0) AS idle_fraction_steps,
    sum(CAST(gpu_util AS DECIMAL(38, 12))) AS gpu_util_sum,
    count(gpu_util) AS gpu_util_steps,
    sum(CAST(sm_active AS DECIMAL(38, 12))) AS sm_active_sum,
    count(sm_active) AS sm_active_steps,
    sum(CAST(tensor_active AS DECIMAL(38, 12))) AS tensor_active_sum,
    count(tensor_active) AS tensor_active_steps,
    sum(CAST(dram_active AS DECIMAL(38, 12))) AS dram_active_sum,
    count(dram_active) AS dram_active_steps,
    max(fb_used_mib) AS peak_fb_used_mib,
    max(fb_used_mib + fb_free_mib) AS fb_total_mib,
    max(memory_fraction) AS peak_memory_fraction,
    sum(CAST(power_w AS DECIMAL(38, 12))) AS power_sum,
    count(power_w) AS power_steps,
    count(*) FILTER (WHERE activity >= $fake_activity_min) AS high_util_steps,
    count(*) FILTER (WHERE activity >= $fake_activity_min AND NOT busy_candidate) AS high_util_not_busy_steps,
    coalesce(
        list(
            {
                'ts': ts, 'activity': activity, 'sm_active': sm_active, 'tensor_active': tensor_active,
                'dram_active': dram_active, 'power_w': power_w
            } ORDER BY ts
        ) FILTER (WHERE busy_candidate),
        []
    ) AS busy_candidates,
    min(ts) AS first_ts,
    max(ts) AS last_ts,
    any_value(mig_profile) AS mig_profile,
    max(gpu_fraction) AS gpu_fraction,
    any_value(compute_slices) AS compute_slices
FROM steps
GROUP BY cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id;
