-- Migration rule_day_aggregates (issue 16): the rules' per-day partial aggregates, so that a day's rule cost does
-- not depend on report.window_days. Each day is aggregated once (by the usage stage, or by the rules for a day not
-- aggregated yet or aggregated under other settings) and the rules merge window_days of them.
-- rule_aggregate_days: one row per aggregated day, with the fingerprint of the settings the aggregation depends on
-- (thresholds, step, MIG slices); a day whose fingerprint differs from the current settings' is aggregated again.
CREATE TABLE rule_aggregate_days (
    day DATE NOT NULL PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    aggregated_at TIMESTAMP NOT NULL
);

-- rule_gpu_day: one row per (day, pod uid, GPU, MIG instance) allocated that day (rules_gpu_stats.sql merges it):
-- step counts, exact DECIMAL sums and counts of each metric, maxima, the condition step counts, and the steps the
-- busy-looking-idle macro does not rule out without the GPU's power limits (busy_candidates: the limits are the
-- window's, so those steps are judged at merge time).
CREATE TABLE rule_gpu_day (
    day DATE NOT NULL,
    namespace VARCHAR,
    workload VARCHAR,
    uid VARCHAR,
    gpu_uuid VARCHAR,
    gpu_instance_id VARCHAR,
    pod VARCHAR,
    node VARCHAR,
    gpu_model VARCHAR,
    category VARCHAR,
    gpus_requested DOUBLE,
    steps BIGINT NOT NULL,
    activity_steps BIGINT NOT NULL,
    max_activity DOUBLE,
    activity_sum DECIMAL(38, 12),
    idle_fraction_steps DOUBLE NOT NULL,
    gpu_util_sum DECIMAL(38, 12),
    gpu_util_steps BIGINT NOT NULL,
    sm_active_sum DECIMAL(38, 12),
    sm_active_steps BIGINT NOT NULL,
    tensor_active_sum DECIMAL(38, 12),
    tensor_active_steps BIGINT NOT NULL,
    dram_active_sum DECIMAL(38, 12),
    dram_active_steps BIGINT NOT NULL,
    peak_fb_used_mib DOUBLE,
    fb_total_mib DOUBLE,
    peak_memory_fraction DOUBLE,
    power_sum DECIMAL(38, 12),
    power_steps BIGINT NOT NULL,
    high_util_steps BIGINT NOT NULL,
    high_util_not_busy_steps BIGINT NOT NULL,
    busy_candidates STRUCT(
        ts TIMESTAMP, activity DOUBLE, sm_active DOUBLE, tensor_active DOUBLE, dram_active DOUBLE, power_w DOUBLE
    )[],
    first_ts TIMESTAMP,
    last_ts TIMESTAMP,
    mig_profile VARCHAR,
    gpu_fraction DOUBLE,
    compute_slices INTEGER
);

-- idle_runs_day: one row per run of idle ('idle': activity below the idle rule's activity_max) or held-memory
-- ('held': also memory above the held-memory rule's fraction_min) steps of a (pod uid, GPU, MIG instance) within
-- one day, every length (the minimum applies to the merged run). A run ending at the day's last step and one
-- starting at the next day's first step are one run: rules_idle_runs.sql joins them.
CREATE TABLE idle_runs_day (
    day DATE NOT NULL,
    kind VARCHAR NOT NULL,
    namespace VARCHAR,
    workload VARCHAR,
    uid VARCHAR,
    gpu_uuid VARCHAR,
    gpu_instance_id VARCHAR,
    pod VARCHAR,
    node VARCHAR,
    category VARCHAR,
    purpose VARCHAR,
    run_start TIMESTAMP NOT NULL,
    run_last_ts TIMESTAMP NOT NULL,
    steps BIGINT NOT NULL,
    memory_fraction_sum DOUBLE,
    memory_fraction_steps BIGINT NOT NULL,
    gpu_fraction DOUBLE
);

-- workload_day: one row per (day, namespace, workload) allocated that day (rules_workloads.sql merges it): the
-- latest Workspace and Project of the day (at last_ts), exemption, the pods, pod uids and nodes, the allocated
-- GPU-steps (exact), the day's peak concurrent GPUs and replicas, its last step's GPUs and replicas, its steps.
CREATE TABLE workload_day (
    day DATE NOT NULL,
    namespace VARCHAR,
    workload VARCHAR,
    workspace VARCHAR,
    project VARCHAR,
    reclaim_exempt BOOLEAN,
    pods VARCHAR[],
    uids VARCHAR[],
    nodes VARCHAR[],
    gpu_steps DECIMAL(38, 6),
    gpus_allocated DOUBLE,
    peak_replicas BIGINT,
    last_replicas BIGINT,
    last_gpus DOUBLE,
    running_steps BIGINT NOT NULL,
    first_ts TIMESTAMP,
    last_ts TIMESTAMP
);

-- workload_values_day: per (day, namespace, workload, attribute) the steps of each value of its class attributes
-- (owner_kind, owner_name, category, purpose, provisioning_type, machine_group, gpu_model): the window's class is
-- the value with the most steps summed over the days (the mode over the window's steps).
CREATE TABLE workload_values_day (
    day DATE NOT NULL,
    namespace VARCHAR,
    workload VARCHAR,
    attribute VARCHAR NOT NULL,
    value VARCHAR NOT NULL,
    steps BIGINT NOT NULL
);

-- workload_activity_day: one row per (day, namespace, workload) of a serving workload: each step's mean per-GPU
-- activity and summed activity (busy-GPU equivalents), in step order, the day's peak and most GPUs observed; the
-- window's percentiles are taken over the days' step values, so they are exact.
CREATE TABLE workload_activity_day (
    day DATE NOT NULL,
    namespace VARCHAR,
    workload VARCHAR,
    mean_activity DOUBLE[],
    busy_gpus DOUBLE[],
    peak_busy_gpus DOUBLE,
    max_gpus_observed BIGINT,
    steps BIGINT NOT NULL
);

-- quota_demand_day: one row per (day, namespace, resourcequota) with a GPU hard limit that day (rules_quota.sql
-- merges it): the day's latest hard limit (at last_ts), the Project's GPU demand per quota step as a histogram
-- (each demand value and its steps: the window's percentile is read from the summed histograms, exactly), the
-- exact sum of demand, the peak of the Running pods' GPUs, the steps.
CREATE TABLE quota_demand_day (
    day DATE NOT NULL,
    namespace VARCHAR,
    resourcequota VARCHAR,
    gpu_hard DOUBLE,
    last_ts TIMESTAMP,
    demand STRUCT(gpus DOUBLE, steps BIGINT)[],
    demand_sum DECIMAL(38, 6),
    peak_running_gpus DOUBLE,
    steps BIGINT NOT NULL
);
