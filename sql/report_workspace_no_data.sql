-- $workspace's GPUs without data in [$window_start, $window_end): per workload and node, the allocated
-- GPU-hours that had no DCGM sample naming the pod (pod_usage_daily.no_data_gpu_hours > 0), largest first.
-- Pods not bound to a node show node NULL.
SELECT
    project,
    namespace,
    workload,
    node,
    machine_group,
    gpu_model,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(no_data_gpu_hours) AS no_data_gpu_hours
FROM pod_usage_daily
WHERE workspace = $workspace AND day >= $window_start AND day < $window_end
GROUP BY project, namespace, workload, node, machine_group, gpu_model
HAVING sum(no_data_gpu_hours) > 0
ORDER BY no_data_gpu_hours DESC, namespace, workload, node NULLS LAST;
