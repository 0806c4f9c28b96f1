-- One day of rule_gpu_day from staged_rule_gpu_day (sql/stage_rule_gpu_day.sql).
INSERT INTO rule_gpu_day BY NAME SELECT * FROM staged_rule_gpu_day;
