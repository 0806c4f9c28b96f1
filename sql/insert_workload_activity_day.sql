-- One day of workload_activity_day from staged_workload_activity_day (sql/stage_workload_activity_day.sql).
INSERT INTO workload_activity_day BY NAME SELECT * FROM staged_workload_activity_day;
