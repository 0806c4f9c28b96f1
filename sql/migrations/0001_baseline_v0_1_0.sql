-- Migration 0001: the baseline, exactly the tables of gpu-reclaim v0.1.0 (tag v0.1.0, commit b39e98f).
-- The table definitions below are v0.1.0's sql/create_tables.sql followed by its
-- sql/create_fragmentation_tables.sql, byte for byte. A file that v0.1.0 wrote has every one of these tables and no
-- schema_migrations table: the warehouse recognises it by its tables and records 0001 as applied without running
-- this file again. Views and macros hold no data: they are not migrated, they are re-created on every start
-- (sql/create_views.sql, sql/create_macros.sql).

-- Every table of gpu-reclaim's DuckDB database. One row meaning per table, stated above it.
-- Times are UTC TIMESTAMPs aligned to the analysis step (settings.step_seconds, default 60 s); `day` is the
-- UTC day partition a row belongs to. A partition is replaced as a whole (delete + insert in one transaction).

-- One row per (step, GPU): every DCGM metric of that GPU in that step, after cleaning (see data_quality).
-- namespace/pod/container are NULL when no pod holds the GPU. gpu_util is percent 0-100; *_active are 0-1.
CREATE TABLE IF NOT EXISTS gpu_samples (
    day DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    node VARCHAR NOT NULL,
    gpu_index INTEGER,
    gpu_uuid VARCHAR NOT NULL,
    gpu_model VARCHAR,
    namespace VARCHAR,
    pod VARCHAR,
    container VARCHAR,
    gpu_util DOUBLE,
    gr_engine_active DOUBLE,
    sm_active DOUBLE,
    tensor_active DOUBLE,
    dram_active DOUBLE,
    fb_used_mib DOUBLE,
    fb_free_mib DOUBLE,
    power_w DOUBLE,
    raw_samples INTEGER NOT NULL
);

-- One row per (step, pod uid) in which kube-state-metrics reported the pod: its phase and its requests
-- summed over containers. gpus_requested counts whole GPUs plus shared ones (gpu_milli / 1000).
CREATE TABLE IF NOT EXISTS pod_steps (
    day DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    uid VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    node VARCHAR,
    phase VARCHAR NOT NULL,
    gpus_requested DOUBLE NOT NULL,
    gpu_milli_requested DOUBLE NOT NULL,
    cpu_cores_requested DOUBLE NOT NULL,
    memory_bytes_requested DOUBLE NOT NULL
);

-- One row per (day, pod uid): identity, owning workload and classification of a pod seen that day.
CREATE TABLE IF NOT EXISTS pods (
    day DATE NOT NULL,
    uid VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    node VARCHAR,
    owner_kind VARCHAR NOT NULL,
    owner_name VARCHAR NOT NULL,
    provisioning_type VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL,
    reclaim_exempt BOOLEAN NOT NULL,
    gpu_share_index VARCHAR,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL
);

-- One row per (day, namespace): the Project and Workspace it belongs to. Unlabelled: project = namespace,
-- workspace = 'unassigned', labelled = false.
CREATE TABLE IF NOT EXISTS namespaces (
    day DATE NOT NULL,
    namespace VARCHAR NOT NULL,
    workspace VARCHAR NOT NULL,
    project VARCHAR NOT NULL,
    labelled BOOLEAN NOT NULL
);

-- One row per (day, node): its Machine Group, GPU model and allocatable capacity (last value of the day).
CREATE TABLE IF NOT EXISTS nodes (
    day DATE NOT NULL,
    node VARCHAR NOT NULL,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    gpu_allocatable DOUBLE NOT NULL,
    cpu_cores_allocatable DOUBLE NOT NULL,
    memory_bytes_allocatable DOUBLE NOT NULL
);

-- One row per (step, namespace, resourcequota): the hard and used GPU quota of a Project.
CREATE TABLE IF NOT EXISTS quota_steps (
    day DATE NOT NULL,
    ts TIMESTAMP NOT NULL,
    namespace VARCHAR NOT NULL,
    resourcequota VARCHAR NOT NULL,
    gpu_hard DOUBLE,
    gpu_used DOUBLE
);

-- One row per (day, stage, rule, metric): how many values a cleaning rule changed or dropped.
CREATE TABLE IF NOT EXISTS data_quality (
    day DATE NOT NULL,
    stage VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    affected BIGINT NOT NULL
);

-- One row per GPU model seen in nodes or samples: its H100-equivalent weight and price (from the config).
CREATE TABLE IF NOT EXISTS gpu_model_weights (
    gpu_model VARCHAR PRIMARY KEY,
    h100_equivalent DOUBLE NOT NULL,
    price_per_gpu_hour DOUBLE
);

-- One row per (day, pod uid, GPU): how a pod used one GPU it held while Running. A step counts when the pod
-- was Running (kube-state-metrics) and the GPU's DCGM sample named the pod. activity = gr_engine_active when
-- present, else gpu_util / 100 (activity_source says which: gr_engine_active, gpu_util or mixed).
CREATE TABLE IF NOT EXISTS pod_gpu_usage_daily (
    day DATE NOT NULL,
    uid VARCHAR NOT NULL,
    gpu_uuid VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    node VARCHAR NOT NULL,
    gpu_model VARCHAR,
    activity_source VARCHAR NOT NULL,
    observed_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL,
    low_use_gpu_hours DOUBLE NOT NULL,
    mean_activity DOUBLE,
    p50_activity DOUBLE,
    p95_activity DOUBLE,
    max_activity DOUBLE,
    mean_gpu_util DOUBLE,
    mean_sm_active DOUBLE,
    mean_tensor_active DOUBLE,
    mean_dram_active DOUBLE,
    mean_memory_fraction DOUBLE,
    peak_memory_fraction DOUBLE,
    peak_fb_used_mib DOUBLE,
    mean_power_w DOUBLE,
    first_ts TIMESTAMP NOT NULL,
    last_ts TIMESTAMP NOT NULL,
    last_active_ts TIMESTAMP
);

-- One row per (day, pod uid) that requested GPUs and ran that day: allocation against use.
-- allocated = observed + no_data; observed = used + (observed - used); idle and low_use are parts of observed.
CREATE TABLE IF NOT EXISTS pod_usage_daily (
    day DATE NOT NULL,
    uid VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    workspace VARCHAR NOT NULL,
    project VARCHAR NOT NULL,
    workload VARCHAR NOT NULL,
    owner_kind VARCHAR NOT NULL,
    owner_name VARCHAR NOT NULL,
    provisioning_type VARCHAR NOT NULL,
    category VARCHAR NOT NULL,
    purpose VARCHAR NOT NULL,
    reclaim_exempt BOOLEAN NOT NULL,
    node VARCHAR,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    gpus_requested DOUBLE NOT NULL,
    running_hours DOUBLE NOT NULL,
    allocated_gpu_hours DOUBLE NOT NULL,
    observed_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL,
    low_use_gpu_hours DOUBLE NOT NULL,
    no_data_gpu_hours DOUBLE NOT NULL,
    h100_equivalent DOUBLE NOT NULL,
    price_per_gpu_hour DOUBLE
);

-- One row per (day, namespace): a Project's allocation against use that day (sums of pod_usage_daily).
CREATE TABLE IF NOT EXISTS project_usage_daily (
    day DATE NOT NULL,
    workspace VARCHAR NOT NULL,
    project VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    pods BIGINT NOT NULL,
    allocated_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL,
    low_use_gpu_hours DOUBLE NOT NULL,
    no_data_gpu_hours DOUBLE NOT NULL,
    efficiency DOUBLE,
    allocated_h100_equivalent_hours DOUBLE NOT NULL,
    idle_h100_equivalent_hours DOUBLE NOT NULL,
    allocated_cost DOUBLE,
    idle_cost DOUBLE
);

-- One row per (day, workspace): sums of its Projects.
CREATE TABLE IF NOT EXISTS workspace_usage_daily (
    day DATE NOT NULL,
    workspace VARCHAR NOT NULL,
    projects BIGINT NOT NULL,
    pods BIGINT NOT NULL,
    allocated_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL,
    low_use_gpu_hours DOUBLE NOT NULL,
    no_data_gpu_hours DOUBLE NOT NULL,
    efficiency DOUBLE,
    allocated_h100_equivalent_hours DOUBLE NOT NULL,
    idle_h100_equivalent_hours DOUBLE NOT NULL,
    allocated_cost DOUBLE,
    idle_cost DOUBLE
);

-- One row per (hour, pod uid, GPU) for charts and hour-of-week heatmaps: mean activity in the hour.
CREATE TABLE IF NOT EXISTS pod_gpu_usage_hourly (
    day DATE NOT NULL,
    hour TIMESTAMP NOT NULL,
    uid VARCHAR NOT NULL,
    gpu_uuid VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    observed_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL,
    mean_activity DOUBLE,
    max_activity DOUBLE,
    mean_memory_fraction DOUBLE,
    mean_gpu_util DOUBLE,
    mean_sm_active DOUBLE,
    mean_tensor_active DOUBLE,
    mean_dram_active DOUBLE,
    mean_power_w DOUBLE
);

-- One row per (hour, namespace): GPUs allocated and used in that hour, in GPU-hours, for time charts.
CREATE TABLE IF NOT EXISTS project_usage_hourly (
    day DATE NOT NULL,
    hour TIMESTAMP NOT NULL,
    namespace VARCHAR NOT NULL,
    allocated_gpu_hours DOUBLE NOT NULL,
    used_gpu_hours DOUBLE NOT NULL,
    idle_gpu_hours DOUBLE NOT NULL
);

-- One row per (hour, Machine Group): mean GPUs over the hour's steps — capacity (allocatable), allocated to
-- Running pods, used (Σ activity), idle, unallocated (capacity − allocated: no pod holds them, never a team's
-- idle) and pending (requested by Pending pods: unmet demand). Pending pods not yet bound to a node count
-- under machine_group 'unplaced'.
CREATE TABLE IF NOT EXISTS machine_group_usage_hourly (
    day DATE NOT NULL,
    hour TIMESTAMP NOT NULL,
    machine_group VARCHAR NOT NULL,
    gpu_model VARCHAR NOT NULL,
    capacity_gpus DOUBLE NOT NULL,
    allocated_gpus DOUBLE NOT NULL,
    used_gpus DOUBLE NOT NULL,
    idle_gpus DOUBLE NOT NULL,
    unallocated_gpus DOUBLE NOT NULL,
    pending_gpus DOUBLE NOT NULL,
    pending_pods DOUBLE NOT NULL
);

-- One row per recommendation (finding) per evaluation: what to reclaim, from whom, with evidence.
CREATE TABLE IF NOT EXISTS recommendations (
    evaluated_on DATE NOT NULL,
    finding_id VARCHAR NOT NULL,
    rule VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    workspace VARCHAR NOT NULL,
    project VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    workload VARCHAR NOT NULL,
    exempt BOOLEAN NOT NULL,
    gpu_model VARCHAR,
    gpus_allocated DOUBLE,
    gpus_reclaimable DOUBLE,
    idle_gpu_hours DOUBLE,
    gpu_hours_recoverable_per_week DOUBLE,
    window_start TIMESTAMP NOT NULL,
    window_end TIMESTAMP NOT NULL,
    ticket JSON NOT NULL
);

-- One row per (finding id): the ticket's lifecycle across runs.
CREATE TABLE IF NOT EXISTS ticket_history (
    finding_id VARCHAR PRIMARY KEY,
    rule VARCHAR NOT NULL,
    workspace VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    first_seen TIMESTAMP NOT NULL,
    last_seen TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    last_evaluated_on DATE NOT NULL,
    ticket JSON NOT NULL
);

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
