-- Count one day's MIG series (stage_dcgm) that cannot be sized (README "MIG and time-sliced GPUs", bad input):
--   mig_profile_missing  MIG instances (GPU_I_ID) whose series carry no GPU_I_PROFILE
--   mig_profile_unknown  MIG instances whose profile is not '<g>g.<mem>gb'
-- affected = instances (gpu_uuid, GPU_I_ID); metric = the profile label key. Such an instance counts as a whole GPU
-- for its holder, capped at what the pod requested (stage_held_gpu_steps.sql), never silently.
INSERT INTO data_quality (day, stage, rule, metric, affected)
WITH instances AS (
    SELECT gpu_uuid, gpu_instance_id, max(mig_profile) AS mig_profile
    FROM stage_dcgm
    WHERE gpu_instance_id IS NOT NULL
    GROUP BY ALL
)
SELECT CAST($day AS DATE), 'dcgm', rule, $gpu_instance_profile_keys[1], count(*)
FROM (
    SELECT CASE WHEN mig_profile IS NULL THEN 'mig_profile_missing' ELSE 'mig_profile_unknown' END AS rule
    FROM instances
    WHERE mig_profile_slices(mig_profile) IS NULL
)
GROUP BY rule;
