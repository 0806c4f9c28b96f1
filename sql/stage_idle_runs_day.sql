-- The runs (gaps and islands) of rule_gpu_steps (staged for one day, or the part of a day a window covers) per
-- (pod uid, GPU, MIG instance), of two kinds: 'idle' (activity < $idle_activity_max) and 'held' (also
-- memory_fraction >= $held_fraction_min). A busy step, a step without activity data or a missing step ends a run.
-- Every run is kept, whatever its length: a run touching midnight is joined with the next day's by
-- rules_idle_runs.sql, which applies the minimum length to the joined run. The thresholds are the settings
-- fingerprint in rule_aggregate_days.
-- The key (one list, here and in the merge): cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id.
CREATE OR REPLACE TEMP TABLE staged_idle_runs_day AS
WITH kinds (kind, activity_max, memory_fraction_min) AS (
    VALUES ('idle', CAST($idle_activity_max AS DOUBLE), CAST(0 AS DOUBLE)),
        ('held', CAST($held_activity_max AS DOUBLE), CAST($held_fraction_min AS DOUBLE))
),
flagged AS (
    SELECT
        s.*,
        k.kind,
        coalesce(
            s.activity < k.activity_max AND (k.memory_fraction_min <= 0 OR s.memory_fraction >= k.memory_fraction_min),
            false
        ) AS in_run
    FROM rule_gpu_steps AS s
    CROSS JOIN kinds AS k
),
islands AS (
    SELECT
        *,
        epoch_ms(ts) // ($step_seconds * 1000)
            - row_number() OVER (PARTITION BY kind, cluster, uid, gpu_uuid, gpu_instance_id ORDER BY ts) AS island
    FROM flagged
    WHERE in_run
)
SELECT
    CAST($range_start AS DATE) AS day,
    kind,
    COLUMNS(gpu_holder_key()),
    any_value(COLUMNS(['pod', 'node', 'category', 'purpose'])),
    min(ts) AS run_start,
    max(ts) AS run_last_ts,
    count(*) AS steps,
    sum(memory_fraction) AS memory_fraction_sum,
    count(memory_fraction) AS memory_fraction_steps,
    max(gpu_fraction) AS gpu_fraction
FROM islands
GROUP BY kind, cluster, namespace, workload, uid, gpu_uuid, gpu_instance_id, island;
