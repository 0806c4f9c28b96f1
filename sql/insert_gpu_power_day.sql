-- One day of gpu_power_day from staged_gpu_power_day (sql/stage_gpu_power_day.sql).
INSERT INTO gpu_power_day BY NAME SELECT * FROM staged_gpu_power_day;
