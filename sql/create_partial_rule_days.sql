-- Empty temp tables for the parts of a day at a window's edges (a window that does not start or end at midnight),
-- aggregated for one run and never stored: the shapes of rule_gpu_day and idle_runs_day.
CREATE OR REPLACE TEMP TABLE partial_rule_gpu_day AS SELECT * FROM rule_gpu_day LIMIT 0;
CREATE OR REPLACE TEMP TABLE partial_idle_runs_day AS SELECT * FROM idle_runs_day LIMIT 0;
