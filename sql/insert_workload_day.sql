-- One day of workload_day from staged_workload_day (sql/stage_workload_day.sql).
INSERT INTO workload_day BY NAME SELECT * FROM staged_workload_day;
