-- Every Running or Pending pod at one step, with its requests (fragmentation input); gpu_sharing: 'mig' or
-- 'time_sliced' for a MIG instance or replica (gpus_requested is then its share of a GPU).
SELECT uid, namespace, pod, node, phase, gpus_requested, gpu_milli_requested, cpu_cores_requested,
       memory_bytes_requested, gpu_sharing, cluster
FROM pod_steps
WHERE day = $day AND ts = $snapshot_ts AND phase IN ('Running', 'Pending')
ORDER BY cluster, uid;
