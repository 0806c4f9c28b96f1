-- One day of gang_work_day from staged_gang_work_day (sql/stage_gang_work_day.sql).
INSERT INTO gang_work_day BY NAME SELECT * FROM staged_gang_work_day;
