-- Preview for the Dagster UI: the first GPU samples of one day.
SELECT ts, node, gpu_index, gpu_model, namespace, pod, gpu_util, sm_active, fb_used_mib
FROM gpu_samples
WHERE day = $day
ORDER BY ts, node, gpu_index
LIMIT $limit
