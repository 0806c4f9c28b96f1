-- One day of workload_values_day from staged_workload_values_day (sql/stage_workload_values_day.sql).
INSERT INTO workload_values_day BY NAME SELECT * FROM staged_workload_values_day;
