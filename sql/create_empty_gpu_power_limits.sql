-- gpu_power_limits (sql/stage_gpu_power_limits.sql) when no range staged it yet: the per-day rule aggregates join
-- it through rule_gpu_steps but judge their steps without limits (the window's are applied when they merge).
CREATE TEMP TABLE IF NOT EXISTS gpu_power_limits (
    cluster VARCHAR,
    gpu_uuid VARCHAR,
    idle_power_w DOUBLE,
    max_power_w DOUBLE,
    power_source VARCHAR
);
