-- Migration power_and_wedged_days (issue 16): the last two rule reads that scanned the whole window each day, as
-- per-day aggregates (written with the other rule aggregates of 0008, store/rule_days.py):
-- gpu_power_day: one row per (day, cluster, GPU) sampled that day: its power as an exact histogram (each distinct
-- power_w and its samples, in power order), its peak power, and its latest GPU model with that sample's ts
-- (model_ts): sql/stage_window_gpu_power.sql merges the window's days into the GPUs' power limits, bit-identical
-- to sql/stage_gpu_power_limits.sql over the same range.
CREATE TABLE gpu_power_day (
    day DATE NOT NULL,
    cluster VARCHAR NOT NULL DEFAULT '',
    gpu_uuid VARCHAR NOT NULL,
    gpu_model VARCHAR,
    model_ts TIMESTAMP,
    peak_power_w DOUBLE,
    power STRUCT(power_w DOUBLE, samples BIGINT)[] NOT NULL
);

-- wedged_steps_day: the GPU-steps of a day that could be part of a wedged collective: every GPU-step of a
-- (workload, step) with at least 2 GPU-steps the busy-looking-idle macro does not rule out without power limits
-- (a wedged gang step needs 2 busy-looking idle GPUs, and a gang is the workload or one of its pods), with what
-- sql/rules_wedged_gpus.sql judges against the window's limits and reports per GPU of a run.
CREATE TABLE wedged_steps_day (
    day DATE NOT NULL,
    cluster VARCHAR NOT NULL DEFAULT '',
    namespace VARCHAR,
    workload VARCHAR,
    owner_kind VARCHAR,
    uid VARCHAR,
    pod VARCHAR,
    node VARCHAR,
    gpu_uuid VARCHAR,
    gpu_index INTEGER,
    ts TIMESTAMP NOT NULL,
    activity DOUBLE,
    sm_active DOUBLE,
    tensor_active DOUBLE,
    dram_active DOUBLE,
    power_w DOUBLE
);

-- gang_work_day: one row per (day, cluster, pod uid) allocated that day: its owner kind (a gang is a workload of
-- the wedged rule's gang_owner_kinds, else a pod) and its first step of real work whatever the power limits (a GPU
-- at activity >= fake_activity_min that the macro rules out without them; the steps it does not rule out are
-- rule_gpu_day's busy_candidates, judged against the window's limits by the merge).
CREATE TABLE gang_work_day (
    day DATE NOT NULL,
    cluster VARCHAR NOT NULL DEFAULT '',
    namespace VARCHAR,
    workload VARCHAR,
    owner_kind VARCHAR,
    uid VARCHAR,
    first_work_ts TIMESTAMP
);

