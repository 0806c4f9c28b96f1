-- Add a staged part of a day to the window's partial aggregates (sql/create_partial_rule_days.sql).
INSERT INTO partial_rule_gpu_day BY NAME SELECT * FROM staged_rule_gpu_day;
INSERT INTO partial_idle_runs_day BY NAME SELECT * FROM staged_idle_runs_day;
INSERT INTO partial_workload_day BY NAME SELECT * FROM staged_workload_day;
INSERT INTO partial_workload_values_day BY NAME SELECT * FROM staged_workload_values_day;
INSERT INTO partial_workload_activity_day BY NAME SELECT * FROM staged_workload_activity_day;
INSERT INTO partial_quota_demand_day BY NAME SELECT * FROM staged_quota_demand_day;
INSERT INTO partial_gpu_power_day BY NAME SELECT * FROM staged_gpu_power_day;
INSERT INTO partial_wedged_steps_day BY NAME SELECT * FROM staged_wedged_steps_day;
INSERT INTO partial_gang_work_day BY NAME SELECT * FROM staged_gang_work_day;
