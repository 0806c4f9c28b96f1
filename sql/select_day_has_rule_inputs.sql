-- Whether $day has any input of the rule aggregates (gpu_samples, pod_steps, quota_steps): a day without is
-- recorded as aggregated without staging it (its aggregates are empty).
SELECT
    EXISTS (SELECT 1 FROM gpu_samples WHERE day = $day)
    OR EXISTS (SELECT 1 FROM pod_steps WHERE day = $day)
    OR EXISTS (SELECT 1 FROM quota_steps WHERE day = $day) AS has_inputs;
