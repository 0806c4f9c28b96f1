-- One row per (cluster, pod uid) seen Running or Pending on a day, with its requests: the population of typical
-- pods (per cluster).
SELECT uid, any_value(namespace) AS namespace, any_value(pod) AS pod, NULL AS node, 'Pending' AS phase,
       max(gpus_requested) AS gpus_requested, max(gpu_milli_requested) AS gpu_milli_requested,
       max(cpu_cores_requested) AS cpu_cores_requested, max(memory_bytes_requested) AS memory_bytes_requested,
       cluster
FROM pod_steps
WHERE day = $day AND phase IN ('Running', 'Pending')
GROUP BY cluster, uid
ORDER BY cluster, uid;
