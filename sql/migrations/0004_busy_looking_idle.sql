-- Migration 0004: busy-looking idle GPU-hours, and the power limits each GPU was judged against.
-- A step is busy-looking idle (sql/create_macros.sql, busy_looking_idle) when activity is high while tensor and
-- DRAM activity stay near zero, SM activity stays under what a spinning NCCL kernel occupies and power stays near
-- the model's idle: a wedged collective or a busy loop. Those steps' allocated GPU-hours are counted here and are
-- no longer part of used_gpu_hours (so efficiency drops).
--   busy_looking_idle_gpu_hours  GPU-hours of such steps (a part of observed_gpu_hours, never of used_gpu_hours)
--   power_source                 where idle_power_w / max_power_w come from: 'table' (config gpu_power) or
--                                'observed_p05' (the GPU's own low percentile of the day; max: its model's peak)
-- Rows written before this migration keep NULL: that version counted these steps as used; `gpu-reclaim rescore`
-- recomputes a day with the new definition.
ALTER TABLE pod_gpu_usage_daily ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN idle_power_w DOUBLE;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN max_power_w DOUBLE;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN power_source VARCHAR;
ALTER TABLE pod_usage_daily ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
ALTER TABLE project_usage_daily ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
ALTER TABLE workspace_usage_daily ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
ALTER TABLE pod_gpu_usage_hourly ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
ALTER TABLE project_usage_hourly ADD COLUMN busy_looking_idle_gpu_hours DOUBLE;
