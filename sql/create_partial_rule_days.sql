-- Empty temp tables for the parts of a day at a window's edges (a window that does not start or end at midnight),
-- aggregated for one run and never stored: the shapes of the per-day rule aggregates.
CREATE OR REPLACE TEMP TABLE partial_rule_gpu_day AS SELECT * FROM rule_gpu_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_idle_runs_day AS SELECT * FROM idle_runs_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_workload_day AS SELECT * FROM workload_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_workload_values_day AS SELECT * FROM workload_values_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_workload_activity_day AS SELECT * FROM workload_activity_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_quota_demand_day AS SELECT * FROM quota_demand_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_gpu_power_day AS SELECT * FROM gpu_power_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_wedged_steps_day AS SELECT * FROM wedged_steps_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_gang_work_day AS SELECT * FROM gang_work_day LIMIT 0;
