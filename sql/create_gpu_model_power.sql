-- The configured idle and max power (gpu_power) of each GPU model seen in a range: one row per model name that
-- matches an entry (core/gpu_power.py). Temp table of one run, filled by insert_gpu_model_power.sql.
CREATE OR REPLACE TEMP TABLE gpu_model_power (
    gpu_model VARCHAR PRIMARY KEY,
    idle_w DOUBLE NOT NULL,
    max_w DOUBLE NOT NULL
);
