-- Load one day of quota_steps: per step, the hard and used GPU quota (resource $quota_resource) of each
-- ResourceQuota of a namespace.
INSERT INTO quota_steps
WITH samples AS (
    SELECT
        cluster,
        labels['namespace'] AS namespace,
        coalesce(labels['resourcequota'], '') AS resourcequota,
        labels['type'] AS quota_type,
        unnest("values") AS value,
        unnest(timestamps) AS ts_ms
    FROM stage_ksm
    WHERE metric_name = $m_resource_quota AND labels['resource'] = $quota_resource
)
SELECT
    CAST($day AS DATE) AS day,
    step_start(ts_ms, $step_seconds) AS ts,
    namespace,
    resourcequota,
    arg_max(value, ts_ms) FILTER (WHERE quota_type = 'hard') AS gpu_hard,
    arg_max(value, ts_ms) FILTER (WHERE quota_type = 'used') AS gpu_used,
    cluster
FROM samples
WHERE isfinite(value) AND ts_ms >= $day_start_ms AND ts_ms < $day_end_ms
GROUP BY ALL;
