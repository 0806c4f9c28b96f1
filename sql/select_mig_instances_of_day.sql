-- The MIG instances of one day (fragmentation input: each MIG GPU's layout, and which pod holds which instance),
-- from gpu_samples: one row per (cluster, node), GPU index, instance and holder ('' for an instance no pod holds), with the
-- instance's profile at its latest sample (NULL when its series carry no GPU_I_PROFILE: that GPU's layout is then
-- not known). A GPU's layout is the multiset of its instances' profiles (store/mig_layouts.py).
SELECT
    cluster,
    node,
    gpu_index,
    gpu_instance_id,
    coalesce(namespace, '') AS namespace,
    coalesce(pod, '') AS pod,
    arg_max(mig_profile, ts) AS mig_profile,
    max(ts) AS last_ts
FROM gpu_samples
WHERE day = $day AND gpu_instance_id IS NOT NULL AND coalesce(node, '') <> '' AND gpu_index IS NOT NULL
GROUP BY cluster, node, gpu_index, gpu_instance_id, coalesce(namespace, ''), coalesce(pod, '')
ORDER BY cluster, node, gpu_index, gpu_instance_id, namespace, pod;
