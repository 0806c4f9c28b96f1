-- The nodes of one day with their capacity (fragmentation input), with their cluster.
SELECT node, machine_group, gpu_model, gpu_allocatable, cpu_cores_allocatable, memory_bytes_allocatable, cluster
FROM nodes WHERE day = $day ORDER BY cluster, node;
