-- The MIG and time-slicing bad-input counts of one day (insert_mig_data_quality.sql,
-- insert_shared_gpu_data_quality.sql), for the run's one-line warnings.
SELECT rule, metric, affected FROM data_quality
WHERE day = $day AND rule IN (
    'mig_profile_missing', 'mig_profile_unknown', 'replicas_label_missing', 'mig_resource_unknown', 'mig_model_unknown'
)
ORDER BY rule;
