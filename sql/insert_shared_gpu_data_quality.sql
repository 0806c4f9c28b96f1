-- Count one day's shared-GPU nodes and requests that cannot be sized (stage 'shared_gpus'; README "MIG and
-- time-sliced GPUs", bad input). Each is counted here and named in a one-line warning; none is silently a GPU:
--   replicas_label_missing  time-sliced nodes without a usable replicas label (their replicas count whole)
--   mig_resource_unknown    pods requesting a MIG resource that is not '<prefix><g>g_<mem>gb' (counted whole)
--   mig_model_unknown       MIG nodes whose GPU model is not in shared_gpus.mig_slices (default slices used)
INSERT INTO data_quality (day, stage, rule, metric, affected)
WITH requests AS (
    SELECT DISTINCT
        coalesce(nullif(labels['uid'], ''), labels['namespace'] || '/' || labels['pod']) AS uid,
        labels['resource'] AS resource
    FROM stage_ksm
    WHERE metric_name = $m_pod_resource_requests AND starts_with(labels['resource'], $mig_resource_prefix)
),
counts AS (
    SELECT 'replicas_label_missing' AS rule, $gpu_replicas_key AS metric, count(*) AS affected
    FROM node_gpu_sharing WHERE time_sliced AND replicas IS NULL
    UNION ALL
    SELECT 'mig_resource_unknown', $mig_resource_prefix, count(DISTINCT uid)
    FROM requests WHERE mig_profile_slices(mig_resource_profile(resource, $mig_resource_prefix)) IS NULL
    UNION ALL
    SELECT 'mig_model_unknown', $gpu_product_key, count(*)
    FROM node_gpu_sharing WHERE mig AND NOT model_known
)
SELECT CAST($day AS DATE), 'shared_gpus', rule, metric, affected FROM counts WHERE affected > 0;
