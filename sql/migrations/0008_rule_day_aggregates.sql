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
        activity DOUBLE, sm_active DOUBLE, tensor_active DOUBLE, dram_active DOUBLE, power_w DOUBLE
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
