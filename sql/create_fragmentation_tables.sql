-- Fragmentation of free GPU capacity (scoring/fragmentation.py), one snapshot at a time.
-- `snapshot_ts` is the UTC step the free state was taken at; `day` is its UTC day partition.
-- GPU share is in GPUs (a milli-GPU share / 1000). Fragmentation follows Weng et al., USENIX ATC'23:
-- F_n = sum over typical pod classes m of p_m * f(n, m), where f(n, m) is the free GPU share of node n
-- that class m cannot use (all of it when m does not fit on n at all). fragmentation_gpus = sum F_n / 1000;
-- fragmentation_ratio = 100 * sum F_n / free GPU share, in percent (0 when nothing is free).

-- One row per (snapshot, node): a node's free capacity and how much of it is fragmented.
-- stranded_gpus: free whole GPUs that no typical GPU pod class can use for lack of free CPU or memory.
CREATE TABLE IF NOT EXISTS node_fragmentation (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    node VARCHAR NOT NULL,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    gpus INTEGER NOT NULL,
    free_whole_gpus INTEGER NOT NULL,
    free_gpu_share DOUBLE NOT NULL,
    cpu_free_cores DOUBLE NOT NULL,
    memory_free_bytes DOUBLE NOT NULL,
    fully_free BOOLEAN NOT NULL,
    stranded_gpus INTEGER NOT NULL,
    stranded_gpu_share DOUBLE NOT NULL,
    fragmentation_gpus DOUBLE NOT NULL,
    fragmentation_ratio DOUBLE NOT NULL
);

-- One row per (snapshot, Machine Group): sums over its nodes. placeable_<k>gpu counts how many pods of k
-- whole GPUs still fit on free whole GPUs (each size counted on its own, GPU only).
CREATE TABLE IF NOT EXISTS machine_group_fragmentation (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    nodes INTEGER NOT NULL,
    gpus INTEGER NOT NULL,
    free_whole_gpus INTEGER NOT NULL,
    free_gpu_share DOUBLE NOT NULL,
    fully_free_nodes INTEGER NOT NULL,
    stranded_gpus INTEGER NOT NULL,
    placeable_1gpu INTEGER NOT NULL,
    placeable_2gpu INTEGER NOT NULL,
    placeable_4gpu INTEGER NOT NULL,
    placeable_8gpu INTEGER NOT NULL,
    fragmentation_gpus DOUBLE NOT NULL,
    fragmentation_ratio DOUBLE NOT NULL
);

-- One row per snapshot: the same figures over every node of the cluster (gpu_model 'mixed' when several).
CREATE TABLE IF NOT EXISTS cluster_fragmentation (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    gpu_model VARCHAR NOT NULL,
    nodes INTEGER NOT NULL,
    gpus INTEGER NOT NULL,
    free_whole_gpus INTEGER NOT NULL,
    free_gpu_share DOUBLE NOT NULL,
    fully_free_nodes INTEGER NOT NULL,
    stranded_gpus INTEGER NOT NULL,
    placeable_1gpu INTEGER NOT NULL,
    placeable_2gpu INTEGER NOT NULL,
    placeable_4gpu INTEGER NOT NULL,
    placeable_8gpu INTEGER NOT NULL,
    fragmentation_gpus DOUBLE NOT NULL,
    fragmentation_ratio DOUBLE NOT NULL
);

-- One row per (snapshot, typical pod class): the request classes that scored that snapshot, most frequent
-- first (class_rank 1), kept until they cover 95% of the pods seen in the window; popularity sums to 1 per
-- snapshot. gpu_share_per_gpu is 0 for CPU-only classes; allowed_models is '|'-joined, NULL = any model;
-- memory_mib is NULL when classes are not split by memory.
CREATE TABLE IF NOT EXISTS typical_pod_classes (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    class_rank INTEGER NOT NULL,
    num_gpu INTEGER NOT NULL,
    gpu_share_per_gpu DOUBLE NOT NULL,
    cpu_cores DOUBLE NOT NULL,
    memory_mib BIGINT,
    allowed_models VARCHAR,
    pods BIGINT NOT NULL,
    popularity DOUBLE NOT NULL
);

-- One row per (snapshot, Machine Group) with Pending GPU pods: unmet demand and whether fragmentation blocks
-- it. fit_now: pods one node of the group could take now; fit_if_consolidated: pods that would fit if the
-- group's free whole GPUs were packed together. Pods not yet bound to a node are judged against every group
-- and counted under machine_group 'unplaced'.
CREATE TABLE IF NOT EXISTS pending_demand (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    machine_group VARCHAR NOT NULL,
    pending_pods INTEGER NOT NULL,
    pending_gpus DOUBLE NOT NULL,
    fit_now INTEGER NOT NULL,
    fit_if_consolidated INTEGER NOT NULL,
    blocked_by_fragmentation INTEGER NOT NULL
);

-- One row per (day, Machine Group): the consolidation plan over the day's last snapshot (moves within the
-- group that free the most whole nodes with the fewest moves), and the low-use UTC hours to run it in.
CREATE TABLE IF NOT EXISTS defrag_plans (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    moves INTEGER NOT NULL,
    nodes_freed INTEGER NOT NULL,
    freed_nodes VARCHAR[] NOT NULL,
    placeable_8gpu_before INTEGER NOT NULL,
    placeable_8gpu_after INTEGER NOT NULL,
    fragmentation_ratio_before DOUBLE NOT NULL,
    fragmentation_ratio_after DOUBLE NOT NULL,
    low_use_hours_utc INTEGER[] NOT NULL
);

-- One row per move of a day's plan: which pod goes from which node to which, onto which GPU indexes.
CREATE TABLE IF NOT EXISTS defrag_moves (
    day DATE NOT NULL,
    snapshot_ts TIMESTAMP NOT NULL,
    machine_group VARCHAR NOT NULL,
    move_order INTEGER NOT NULL,
    pod VARCHAR NOT NULL,
    from_node VARCHAR NOT NULL,
    to_node VARCHAR NOT NULL,
    gpu_indexes INTEGER[] NOT NULL
);
