-- One day of idle_runs_day from staged_idle_runs_day (sql/stage_idle_runs_day.sql).
INSERT INTO idle_runs_day BY NAME SELECT * FROM staged_idle_runs_day;
