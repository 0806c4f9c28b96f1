-- The nodes of one day with their capacity (fragmentation input).
SELECT node, machine_group, gpu_model, gpu_allocatable, cpu_cores_allocatable, memory_bytes_allocatable
FROM nodes WHERE day = $day ORDER BY node;
